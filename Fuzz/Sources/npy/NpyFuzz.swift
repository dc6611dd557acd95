import TCMData

/// `.npy` bytes: the array parser and both loaders on the same input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNpy(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    if let array = try? NpyArray(bytes: bytes, file: "fuzz.npy") {
        _ = array.doubles()
        _ = array.integers()
        _ = array.unsignedIntegers()
        _ = array.strings()
    }
    _ = try? EmbeddingLoader.load(bytes: bytes, file: "fuzz.npy")
    _ = try? LabelLoader.load(bytes: bytes, file: "fuzz.npy")
    return 0
}
