import CZlib
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Little-endian float32 rows in C order at a known offset of a file — a plain `.npy`
/// (`NpyRowFile`), an F32 tensor of a safetensors file (`SafetensorsRowFile`) or a stored `.npy`
/// member of a `.npz` (`NpzRowFile`) — read a chunk of whole rows at a time instead of whole.
///
/// Why: the whole-file readers hold the file's bytes, then a float copy of them, then the
/// caller's class-ordered copy: three times the data at its peak, and they must bound arrays at
/// 2^29 values. Read in chunks, a pass over the rows needs its own output plus one chunk, and
/// the only bound is the file's real size (each opener checks, with overflow-checked arithmetic,
/// that the header's rows lie inside the file before anything is read).
///
/// Why `pread` and not `mmap`: a mapped file that another process truncates raises SIGBUS on the
/// next read of a lost page, which kills the process; `pread` returns short instead, reported as
/// "truncated while it was read". The chunk copy costs little next to what is done with each row
/// (Benchmarks/README.md, "Reading inputs").
public struct FloatRowFile: Sendable {
    /// A `.npz` member's CRC-32, which covers its `.npy` header as well as the rows: checked after
    /// the last chunk, as the whole-file reader checks it.
    struct MemberChecksum: Sendable {
        let member: String
        let header: [UInt8]
        let expected: UInt32
    }

    /// The file as opened and checked: every chunk is read through its descriptor.
    let file: CheckedFile
    public var path: String { file.path }
    public let rows: Int
    public let cols: Int
    let dataStart: Int
    let checksum: MemberChecksum?
    /// Bytes read at a time (rounded down to an even number of whole rows, at least two): 8 MiB
    /// by default; tests make it small to cross chunk boundaries.
    public var chunkBytes = 8 << 20

    /// The embeddings of `path` as a row stream, or nil when the whole-file readers should take
    /// it: another format, gzip, another dtype, big-endian or Fortran-ordered data, not 2-D,
    /// empty, a deflated `.npz` member, or a choice of array that needs what only they read.
    /// `embeddingsKey` chooses the array of a `.npz` or safetensors file as `--embeddings-key`
    /// does (by default the usual names, else the only 2-D array). A damaged header, or data that
    /// disagree with it, are errors here as there.
    public static func open(_ path: String, embeddingsKey: String? = nil) throws -> FloatRowFile? {
        let file = try CheckedFile(path)
        switch kind(of: try file.read(at: 0, count: min(file.size, 16)), file: path) {
        case .npy: return embeddingsKey == nil ? try NpyRowFile.open(file) : nil
        case .safetensors: return try SafetensorsRowFile.open(file, key: embeddingsKey)
        case .zip: return try NpzRowFile.open(file, key: embeddingsKey)
        default: return nil
        }
    }

    /// Rows per chunk: whole rows, an even number of them, so that every chunk but the last
    /// holds a whole number of 8-byte words (`Checksum.fnv1a64` runs chunk by chunk).
    var rowsPerChunk: Int { max(2, chunkBytes / (4 * cols) / 2 * 2) }

    /// Calls `body(firstRow, rowCount, values)` for consecutive chunks of whole rows, in order;
    /// `values` (row-major, `rowCount × cols`) is valid only during the call. Every byte comes
    /// from the descriptor `open` checked. Throws when the file changed size or was written to
    /// since `open`, shrank while it was read, was replaced under its name (another file renamed
    /// over it: device and inode differ) before the first chunk or by the end, or (a `.npz`
    /// member) fails its CRC-32 check; the last only once every chunk has been seen.
    public func forEachChunk(_ body: (Int, Int, UnsafeBufferPointer<Float>) throws -> Void) throws {
        // Read through the descriptor `open` checked; the name is only looked at to tell the
        // user that it now holds another file (before the first chunk and after the last).
        try file.requireUnchanged()
        var crc = checksum.map { c in c.header.withUnsafeBytes { crc32Continuing(crc32(0, nil, 0), $0) } }
        let perChunk = rowsPerChunk
        let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: min(perChunk, rows) * cols)
        defer { buffer.deallocate() }
        var row = 0
        while row < rows {
            let count = min(perChunk, rows - row)
            let raw = UnsafeMutableRawBufferPointer(start: buffer.baseAddress, count: 4 * count * cols)
            guard try file.read(into: raw, at: dataStart + 4 * row * cols) == raw.count else {
                throw DataError(
                    path, "truncated while it was read: rows from \(row) on are missing (the file shrank)")
            }
            if let running = crc { crc = crc32Continuing(running, UnsafeRawBufferPointer(raw)) }
            #if _endian(big)
            for i in 0 ..< count * cols { buffer[i] = Float(bitPattern: UInt32(littleEndian: buffer[i].bitPattern)) }
            #endif
            try body(row, count, UnsafeBufferPointer(rebasing: buffer[0 ..< count * cols]))
            row += count
        }
        try file.requireUnchanged()
        if let checksum, let crc, UInt32(crc) != checksum.expected {
            throw DataError(
                path,
                "damaged .npz/zip: member '\(checksum.member)' fails its CRC-32 check (stored \(hex(checksum.expected)), computed \(hex(UInt32(crc))))"
            )
        }
    }
}

/// zlib's CRC-32 continued over `bytes`, fed in 1 GiB pieces (zlib takes 32-bit lengths).
func crc32Continuing(_ value: uLong, _ bytes: UnsafeRawBufferPointer) -> uLong {
    var value = value
    var offset = 0
    while offset < bytes.count {
        let n = min(bytes.count - offset, 1 << 30)
        value = crc32(value, bytes.baseAddress!.assumingMemoryBound(to: Bytef.self) + offset, uInt(n))
        offset += n
    }
    return value
}

func hex(_ v: UInt32) -> String { "0x" + String(v, radix: 16, uppercase: true) }
