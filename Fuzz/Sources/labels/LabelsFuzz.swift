import TCMData

/// Label files of every kind (text lines, .npy, IDX, gzip), through the loader the CLI uses.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLabels(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    for file in ["fuzz.txt", "fuzz.npy"] {
        if let labels = try? LabelLoader.load(bytes: bytes, file: file) {
            _ = labels.classSizes
            _ = labels.subset(Array(0 ..< labels.count / 2))
        }
    }
    return 0
}
