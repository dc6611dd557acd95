import Foundation

/// The IDX format of the MNIST files: big-endian, a 4-byte magic (0, 0, type code, rank), one
/// 4-byte size per dimension, then the data. Read raw or gzip-compressed.
public struct IdxArray: Sendable {
    public let shape: [Int]
    public let values: [Double]

    public init(bytes: [UInt8], file: String) throws {
        guard !bytes.isEmpty else { throw DataError(file, "file is empty") }
        guard bytes.count >= 4, bytes[0] == 0, bytes[1] == 0 else {
            throw DataError(file, "not an IDX file (bad magic number)")
        }
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
        let headerSize = 4 + 4 * rank
        guard bytes.count >= headerSize else { throw DataError(file, "truncated IDX header") }
        var dims = [Int]()
        for d in 0 ..< rank {
            let o = 4 + 4 * d
            dims.append(Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3]))
        }
        let count = dims.reduce(1, *)
        let available = bytes.count - headerSize
        guard available >= count * itemSize else {
            throw DataError(file, "truncated: header promises \(dims) (\(count * itemSize) bytes), file holds \(available)")
        }
        guard available == count * itemSize else {
            throw DataError(file, "\(available - count * itemSize) unexpected bytes after the IDX data of shape \(dims)")
        }
        shape = dims
        let type = bytes[2]
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
