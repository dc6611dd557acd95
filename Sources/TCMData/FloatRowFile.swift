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

    public let path: String
    public let rows: Int
    public let cols: Int
    let dataStart: Int
    let fileSize: Int
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
        let file = try RandomAccessFile(path)
        defer { file.close() }
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
    /// `values` (row-major, `rowCount × cols`) is valid only during the call. Throws when the
    /// file changed size since `open`, shrank while it was read, or (a `.npz` member) fails its
    /// CRC-32 check; the last only once every chunk has been seen.
    public func forEachChunk(_ body: (Int, Int, UnsafeBufferPointer<Float>) throws -> Void) throws {
        let file = try RandomAccessFile(path)
        defer { file.close() }
        guard file.size == fileSize else {
            throw DataError(path, "changed size while it was read (\(fileSize) bytes, now \(file.size)); read it again")
        }
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

/// A regular file open for `pread` (refused as `FileBytes.openRegularFile` refuses), and its
/// size at the time it was opened.
struct RandomAccessFile {
    let path: String
    let fd: Int32
    let size: Int

    init(_ path: String) throws {
        self.path = path
        (fd, size) = try FileBytes.openRegularFile(path)
    }

    func close() { _ = Glibc.close(fd) }

    /// `pread` until `buffer` is full or the file ends: the number of bytes read.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws -> Int {
        var done = 0
        while done < buffer.count {
            let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw DataError(path, "read failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// At most `count` bytes from `offset` (fewer where the file ends).
    func read(at offset: Int, count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let got = try bytes.withUnsafeMutableBytes { try read(into: $0, at: offset) }
        bytes.removeSubrange(got...)
        return bytes
    }

    /// Exactly `count` bytes from `offset`, which the caller has checked lie inside `size`; a
    /// short read means the file shrank since it was opened.
    func readExactly(at offset: Int, count: Int) throws -> [UInt8] {
        let bytes = try read(at: offset, count: count)
        guard bytes.count == count else {
            throw DataError(path, "truncated while it was read (\(size) bytes when opened; it shrank)")
        }
        return bytes
    }
}
