import ArgumentParser
import Foundation
import TCMData
import TCMTraining

/// `tcmscope export`: a checkpoint's model as PyTorch-named safetensors.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: """
            Write a checkpoint's model as safetensors that load into PyTorch's nn.Sequential.
            """,
        discussion: """
            Tensors "0.weight" [out, in], "0.bias", "2.weight", … as nn.Sequential(nn.Linear, nn.ReLU(), \
            …, nn.Linear).state_dict() names them; the architecture and the output's L2 normalisation \
            are in the file's __metadata__. docs/guide/train.md, "Using the adapter in PyTorch", loads it.
            """
    )

    @Option(help: ArgumentHelp("Checkpoint written by train or the dashboard (checkpoint.tcms).", valueName: "file"))
    var checkpoint: String

    @Option(help: ArgumentHelp("Output .safetensors file.", valueName: "file"))
    var out: String

    func validate() throws {
        guard out.lowercased().hasSuffix(".safetensors") else {
            throw ValidationError("--out must end in .safetensors")
        }
    }

    func run() throws {
        try OutputTransaction.check([out])
        OutputTransaction.removeTemporariesOnSignals()
        let state = try Checkpoint.read(checkpoint)
        try AdapterExport.write(state, to: out)
        let parameters = state.model.parameterCount
        print(
            "wrote \(out): \(AdapterExport.architecture(state.model)) + L2 normalisation, \(parameters) parameters (float32), step \(state.step)"
        )
    }
}
