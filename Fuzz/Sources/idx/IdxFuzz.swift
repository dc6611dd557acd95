import TCMData

/// IDX bytes, raw or gzip-compressed: decompression, the IDX parser and both loaders.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIdx(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    if let content = try? FileBytes.decompressIfNeeded(bytes, file: "fuzz.gz") {
        _ = try? IdxArray(bytes: content.bytes, file: "fuzz.idx")
    }
    _ = try? EmbeddingLoader.load(bytes: bytes, file: "fuzz.idx.gz")
    _ = try? LabelLoader.load(bytes: bytes, file: "fuzz.idx.gz")
    return 0
}
