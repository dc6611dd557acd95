import TCMData

/// A trained model as PyTorch would hold it: safetensors with the names and shapes of an
/// `nn.Sequential` of `nn.Linear` layers with `nn.ReLU` between them (Linear at index 2l, ReLU at
/// 2l + 1, so "0.weight" [out, in], "0.bias" [out], "2.weight", …), the architecture in the
/// `__metadata__`. The output is L2-normalised (`torch.nn.functional.normalize(y, dim=1)`, eps
/// 1e-12, the same as `MLP.forward`): PyTorch has no module for it, so it is stated in the metadata
/// and applied after the Sequential (docs/guide/train.md, "Using the adapter in PyTorch").
public enum AdapterExport {
    /// The tensors, named and shaped as `nn.Sequential(Linear, ReLU, …, Linear).state_dict()`.
    public static func tensors(_ model: MLP) -> [SafetensorsWriter.Tensor] {
        model.layers.enumerated().flatMap { l, layer in
            [
                SafetensorsWriter.Tensor(
                    name: "\(2 * l).weight", shape: [layer.weight.rows, layer.weight.cols], values: layer.weight.values),
                SafetensorsWriter.Tensor(name: "\(2 * l).bias", shape: [layer.bias.count], values: layer.bias),
            ]
        }
    }

    /// `Sequential(Linear(784, 256), ReLU(), Linear(256, 128))`.
    public static func architecture(_ model: MLP) -> String {
        let w = model.widths
        let parts = (1 ..< w.count).map { "Linear(\(w[$0 - 1]), \(w[$0]))" }
        return "Sequential(" + parts.joined(separator: ", ReLU(), ") + ")"
    }

    /// String → string, as safetensors requires.
    public static func metadata(_ state: TrainingState) -> [String: String] {
        [
            "format": "pt",
            "producer": "tcmscope",
            "architecture": architecture(state.model),
            "widths": state.model.widths.map(String.init).joined(separator: ","),
            "activation": "relu",
            "output_normalization": "l2 (torch.nn.functional.normalize(y, p=2, dim=1, eps=1e-12))",
            "loss": state.config.loss.kind.rawValue,
            "tcm": state.config.tcm == nil ? "false" : "true",
            "step": String(state.step),
        ]
    }

    public static func safetensorsBytes(_ state: TrainingState) -> [UInt8] {
        SafetensorsWriter.bytes(tensors(state.model), metadata: metadata(state))
    }

    /// Writes the adapter atomically (the target exists afterwards with the new bytes, or is untouched).
    public static func write(_ state: TrainingState, to path: String) throws {
        try AtomicFile.write(safetensorsBytes(state), to: path)
    }
}
