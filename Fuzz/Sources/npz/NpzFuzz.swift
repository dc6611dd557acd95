// libFuzzer target for the .npz reader (zip directory, stored and deflated members, .npy
// headers inside): any bytes must give arrays or a DataError, never a trap, a hang or an
// allocation past what the members declare. Seeds: Fuzz/corpus/npz/ (numpy's savez and
// savez_compressed output, a member named otherwise, damaged directories).
import TCMData

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNpz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    _ = try? EmbeddingLoader.load(bytes: bytes, file: "fuzz.npz")
    var named = EmbeddingLoader.Options(embeddingsKey: "x", labelsKey: "y")
    named.requireLabels = true
    _ = try? EmbeddingLoader.load(bytes: bytes, file: "fuzz.npz", options: named)
    _ = try? LabelLoader.load(bytes: bytes, file: "fuzz.npz")
    return 0
}
