import TCMData

/// CSV/TSV/whitespace text: the table parser, and the embedding loader with and without a label column.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDelimited(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    for file in ["fuzz.csv", "fuzz.tsv", "fuzz.txt"] {
        if let table = try? DelimitedTable(bytes: bytes, file: file) {
            for spec in ["label", "-1", "0", "3"] { _ = try? table.columnIndex(spec, file: file) }
        }
        _ = try? EmbeddingLoader.load(bytes: bytes, file: file)
        _ = try? EmbeddingLoader.load(bytes: bytes, file: file, options: .init(labelColumn: "-1"))
        _ = try? EmbeddingLoader.load(bytes: bytes, file: file, options: .init(labelColumn: "label", hasHeader: true))
    }
    return 0
}
