// libFuzzer target for the checkpoint decoder (`Checkpoint.decode`): any bytes must give a
// TrainingState or a DataError, never a trap, a hang or an allocation beyond the input's size.
// A checkpoint that decodes is also exported (`tcmscope export`'s path) and its safetensors read back.
// Seeds: Fuzz/corpus/checkpoint/ (valid Adam, SGD and proxy-anchor checkpoints, and damaged ones).
import TCMData
import TCMTraining

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCheckpoint(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    if let state = try? Checkpoint.decode(bytes, file: "fuzz-input") {
        let exported = AdapterExport.safetensorsBytes(state)
        guard let file = try? SafetensorsFile(bytes: exported, file: "export"), file.tensors.count == 2 * state.model.layers.count else {
            fatalError("an exported checkpoint does not read back")
        }
    }
    return 0
}
