import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A `.npy` file of little-endian float32 rows in C order (what `np.save` writes for float32
/// embeddings), read a chunk of whole rows at a time instead of whole.
///
/// Why: the whole-file reader holds the file's bytes, then a float copy of them, then the
/// caller's class-ordered copy: three times the data at its peak, and it must bound arrays at
/// 2^29 values. Read in chunks, a pass over the rows needs its own output plus one chunk, and
/// the only bound is the file's real size (the header must declare exactly the bytes that follow
/// it, checked with overflow-checked arithmetic before anything is read).
///
/// Why `pread` and not `mmap`: a mapped file that another process truncates raises SIGBUS on the
/// next read of a lost page, which kills the process; `pread` returns short instead, reported as
/// "truncated while it was read". The chunk copy costs little next to what is done with each row
/// (Benchmarks/README.md, "Reading inputs").
public struct NpyRowFile: Sendable {
    public let path: String
    public let rows: Int
    public let cols: Int
    let dataStart: Int
    let fileSize: Int
    /// Bytes read at a time (rounded down to an even number of whole rows, at least two): 8 MiB
    /// by default; tests make it small to cross chunk boundaries.
    public var chunkBytes = 8 << 20

    /// The file as a row stream, or nil when it is something the whole-file readers handle
    /// (another format, gzip, another dtype, big-endian or Fortran-ordered data, not 2-D, empty).
    /// A damaged header, or data that disagree with it, are errors here as there.
    public static func open(_ path: String) throws -> NpyRowFile? {
        let (fd, size) = try FileBytes.openRegularFile(path)
        defer { close(fd) }
        var head = [UInt8](repeating: 0, count: min(size, NpyLayout.maxHeaderBytes + 12))
        head.removeSubrange(try readFully(fd, into: &head, at: 0, path: path)...)
        guard head.count >= NpyLayout.magic.count, head.starts(with: NpyLayout.magic) else { return nil }
        guard let layout = try NpyLayout.parse(prefix: head, file: path, complete: true, maxElements: .max),
            layout.element == .float(bytes: 4), !layout.bigEndian, !layout.fortranOrder,
            layout.shape.count == 2, layout.shape[0] > 0, layout.shape[1] > 0
        else { return nil }
        try layout.requireData(available: size - layout.dataStart, file: path)
        return NpyRowFile(
            path: path, rows: layout.shape[0], cols: layout.shape[1], dataStart: layout.dataStart, fileSize: size)
    }

    /// Rows per chunk: whole rows, an even number of them, so that every chunk but the last
    /// holds a whole number of 8-byte words (`Checksum.fnv1a64` runs chunk by chunk).
    var rowsPerChunk: Int { max(2, chunkBytes / (4 * cols) / 2 * 2) }

    /// Calls `body(firstRow, rowCount, values)` for consecutive chunks of whole rows, in order;
    /// `values` (row-major, `rowCount × cols`) is valid only during the call. Throws when the
    /// file changed size since `open`, or shrank while it was read.
    public func forEachChunk(_ body: (Int, Int, UnsafeBufferPointer<Float>) throws -> Void) throws {
        let (fd, size) = try FileBytes.openRegularFile(path)
        defer { close(fd) }
        guard size == fileSize else {
            throw DataError(path, "changed size while it was read (\(fileSize) bytes, now \(size)); read it again")
        }
        let perChunk = rowsPerChunk
        let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: min(perChunk, rows) * cols)
        defer { buffer.deallocate() }
        var row = 0
        while row < rows {
            let count = min(perChunk, rows - row)
            let raw = UnsafeMutableRawBufferPointer(start: buffer.baseAddress, count: 4 * count * cols)
            let got = try readFully(fd, into: raw, at: dataStart + 4 * row * cols, path: path)
            guard got == raw.count else {
                throw DataError(
                    path, "truncated while it was read: rows from \(row) on are missing (the file shrank)")
            }
            #if _endian(big)
            for i in 0 ..< count * cols { buffer[i] = Float(bitPattern: UInt32(littleEndian: buffer[i].bitPattern)) }
            #endif
            try body(row, count, UnsafeBufferPointer(rebasing: buffer[0 ..< count * cols]))
            row += count
        }
    }
}

/// `pread` until `buffer` is full or the file ends: the number of bytes read.
private func readFully(
    _ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int, path: String
) throws
    -> Int
{
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

private func readFully(_ fd: Int32, into bytes: inout [UInt8], at offset: Int, path: String) throws -> Int {
    try bytes.withUnsafeMutableBytes { try readFully(fd, into: $0, at: offset, path: path) }
}
