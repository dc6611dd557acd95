// libFuzzer target for the safetensors reader (header length, JSON header, dtypes, shapes,
// offsets, coverage): any bytes must give tensors or a DataError, never a trap or a hang.
// Seeds: Fuzz/corpus/safetensors/ (the safetensors package's output for F32/F16/F64/integers,
// BF16, an exported adapter with __metadata__).
import TCMData

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    if let file = try? SafetensorsFile(bytes: bytes, file: "fuzz.safetensors") {
        for tensor in file.tensors { _ = file.floats(tensor.name) }
    }
    _ = try? EmbeddingLoader.load(bytes: bytes, file: "fuzz.safetensors")
    _ = try? EmbeddingLoader.load(bytes: bytes, file: "fuzz.safetensors", options: .init(embeddingsKey: "0.weight"))
    _ = try? LabelLoader.load(bytes: bytes, file: "fuzz.safetensors")
    return 0
}
