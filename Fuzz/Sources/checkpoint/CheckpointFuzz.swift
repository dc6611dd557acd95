// libFuzzer target for the checkpoint decoder (`Checkpoint.decode`): any bytes must give a
// TrainingState or a DataError, never a trap, a hang or an allocation beyond the input's size.
// Seeds: Fuzz/corpus/checkpoint/ (valid Adam, SGD and proxy-anchor checkpoints, and damaged ones).
import TCMTraining

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCheckpoint(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    _ = try? Checkpoint.decode(bytes, file: "fuzz-input")
    return 0
}
