import Foundation

/// The IDX format of the MNIST files: big-endian, a 4-byte magic (0, 0, type code, rank), one
/// 4-byte size per dimension, then the data. Read raw or gzip-compressed.
public struct IdxArray: Sendable {
    public let shape: [Int]
    public let values: [Double]

    public init(bytes: [UInt8], file: String) throws {
        guard !bytes.isEmpty else { throw DataError(file, "file is empty") }
        let layout = try IdxLayout.parse(prefix: bytes, file: file, complete: true)!
        let dims = layout.shape, count = layout.count, itemSize = layout.itemSize, headerSize = layout.dataStart
        // Compared before anything is allocated: the sizes were multiplied with overflow checks.
        let available = bytes.count - headerSize
        guard available >= layout.dataBytes else {
            throw DataError(
                file, "truncated: header promises \(dims) (\(layout.dataBytes) bytes), file holds \(available)")
        }
        guard available == layout.dataBytes else {
            throw DataError(
                file, "\(available - layout.dataBytes) unexpected bytes after the IDX data of shape \(dims)")
        }
        try MemoryBudget.checkConversion(values: count, bytesPerValue: 8, to: "float64", file: file)
        shape = dims
        let type = layout.typeCode
        values = bytes.withUnsafeBufferPointer { b in
            (0 ..< count).map { i -> Double in
                let o = headerSize + i * itemSize
                var bits: UInt64 = 0
                for k in 0 ..< itemSize { bits = bits << 8 | UInt64(b[o + k]) }
                switch type {
                case 0x08: return Double(bits)
                case 0x09: return Double(Int8(bitPattern: UInt8(bits)))
                case 0x0B: return Double(Int16(bitPattern: UInt16(bits)))
                case 0x0C: return Double(Int32(bitPattern: UInt32(bits)))
                case 0x0D: return Double(Float(bitPattern: UInt32(bits)))
                default: return Double(bitPattern: bits)
                }
            }
        }
    }
}

/// What an IDX header declares: the shape and so the exact file size, known before any data is
/// read (and before a gzip-compressed file is inflated past its header).
struct IdxLayout {
    var typeCode: UInt8
    var itemSize: Int
    var shape: [Int]
    /// Element count and data size, multiplied with overflow checks.
    var count: Int
    var dataBytes: Int
    var dataStart: Int { 4 + 4 * shape.count }
    var totalBytes: Int { dataStart + dataBytes }

    /// Parses the header at the start of `bytes`; with `complete == false` returns nil while the
    /// header has not fully arrived, with `complete == true` a short header is an error.
    static func parse(prefix bytes: [UInt8], file: String, complete: Bool) throws -> IdxLayout? {
        guard bytes.count >= 4 else {
            if complete { throw DataError(file, "not an IDX file (shorter than its 4-byte magic number)") }
            return nil
        }
        guard bytes[0] == 0, bytes[1] == 0 else { throw DataError(file, "not an IDX file (bad magic number)") }
        let rank = Int(bytes[3])
        guard rank >= 1 && rank <= 4 else { throw DataError(file, "IDX rank \(rank) is not supported (1 to 4)") }
        let itemSize: Int
        switch bytes[2] {
        case 0x08, 0x09: itemSize = 1
        case 0x0B: itemSize = 2
        case 0x0C, 0x0D: itemSize = 4
        case 0x0E: itemSize = 8
        default: throw DataError(file, String(format: "unknown IDX data type 0x%02X", bytes[2]))
        }
        guard bytes.count >= 4 + 4 * rank else {
            if complete { throw DataError(file, "truncated IDX header") }
            return nil
        }
        let dims = (0 ..< rank).map { d in
            let o = 4 + 4 * d
            return Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3])
        }
        // A zero dimension makes the array empty whatever the others say.
        var count = dims.contains(0) ? 0 : 1
        for extent in dims where count > 0 {
            let (product, overflow) = count.multipliedReportingOverflow(by: extent)
            guard !overflow else {
                throw DataError(file, "IDX header declares shape \(dims), more bytes than any file can hold")
            }
            count = product
        }
        let (dataBytes, overflow) = count.multipliedReportingOverflow(by: itemSize)
        guard !overflow, dataBytes <= Int.max - (4 + 4 * rank) else {
            throw DataError(file, "IDX header declares shape \(dims), more bytes than any file can hold")
        }
        guard count <= FileBytes.maxElements else {
            throw DataError(
                file,
                "IDX header declares \(count) values (shape \(dims)), over the limit of \(FileBytes.maxElements) values in one array"
            )
        }
        return IdxLayout(typeCode: bytes[2], itemSize: itemSize, shape: dims, count: count, dataBytes: dataBytes)
    }
}
