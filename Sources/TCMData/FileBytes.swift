import CZlib
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads whole input files into memory, transparently decompressing gzip (by magic bytes, not name).
///
/// Every read is bounded:
/// - only regular files are read: a FIFO, a device (`/dev/zero`), a socket or a directory is
///   refused from `stat` before it is opened, and the open is non-blocking, so nothing waits for
///   a writer or streams forever; the file is then read through the descriptor whose `fstat` was
///   checked (`CheckedFile`);
/// - the buffer of a file read whole is checked against what the machine can give first
///   (`MemoryBudget`);
/// - a file, and the decompressed content of a gzip file, may hold at most `maxBytes` (4 GiB);
/// - gzip is inflated in 1 MiB chunks and stopped as soon as the output passes the size the
///   content itself declares (the `.npy` or IDX header, checked as soon as it has been inflated),
///   or, for text, `maxTextBytes` (1 GiB); decompressed text must not contain NUL bytes, which
///   stops an all-zeros decompression bomb after its first chunk.
public enum FileBytes {
    /// The largest input file, or decompressed content, that is read (4 GiB).
    public static let maxBytes = 4 << 30
    /// The largest text (CSV, TSV, label lines) that is read (1 GiB); larger arrays belong in `.npy`.
    public static let maxTextBytes = 1 << 30
    /// The most values one `.npy` or IDX array may hold (2^29 ≈ 537 million, e.g. 1M × 512):
    /// they are converted through Float64, so this bounds that copy at 4 GiB.
    public static let maxElements = 1 << 29
    static let chunkBytes = 1 << 20

    /// A file's content, and whether it was gzip-compressed (messages say "decompressed content").
    public struct Content: Sendable {
        public let bytes: [UInt8]
        public let compressed: Bool
    }

    public static func read(_ path: String) throws -> [UInt8] { try readContent(path).bytes }

    /// - Parameter refuseLinks: a symbolic link is refused, not followed (watched folders).
    public static func readContent(_ path: String, refuseLinks: Bool = false) throws -> Content {
        try decompressIfNeeded(readRegularFile(path, refuseLinks: refuseLinks), file: path)
    }

    /// `bytes` as read from a file, inflated when they are gzip; the in-memory entry point of
    /// the loaders (and of the fuzz targets).
    public static func decompressIfNeeded(_ bytes: [UInt8], file: String) throws -> Content {
        try decompressIfNeeded(bytes, file: file, maxBytes: maxBytes, maxTextBytes: maxTextBytes)
    }

    static func decompressIfNeeded(_ bytes: [UInt8], file: String, maxBytes: Int, maxTextBytes: Int) throws -> Content {
        if bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b {
            return Content(
                bytes: try gunzip(bytes, file: file, maxBytes: maxBytes, maxTextBytes: maxTextBytes), compressed: true)
        }
        return Content(bytes: bytes, compressed: false)
    }

    /// The whole of a regular file (`CheckedFile`: refused unless regular, read through the
    /// descriptor that was checked), its size checked against `maxBytes` and against what the
    /// machine can give (`MemoryBudget`) before the buffer is allocated.
    static func readRegularFile(_ path: String, maxBytes: Int = maxBytes, refuseLinks: Bool = false) throws -> [UInt8] {
        let file = try CheckedFile(path, refuseLinks: refuseLinks)
        let size = file.size
        guard size <= maxBytes else {
            throw DataError(path, "file is \(size) bytes, over the \(describeBytes(maxBytes)) limit for an input file")
        }
        try MemoryBudget.current().check(bytes: size, needs: "reading the file whole (\(size) bytes)", file: path)
        var bytes = [UInt8](repeating: 0, count: size)
        // A short read means the file shrank while it was read: keep what is there.
        let done = try bytes.withUnsafeMutableBytes { try file.read(into: $0, at: 0) }
        if done < size { bytes.removeSubrange(done...) }
        return bytes
    }

    /// Inflates a gzip stream (one or more members) with zlib, in bounded chunks (see the type's doc).
    static func gunzip(_ input: [UInt8], file: String, maxBytes: Int, maxTextBytes: Int) throws -> [UInt8] {
        var stream = z_stream()
        // 16 + MAX_WBITS: expect a gzip header.
        guard inflateInit2_(&stream, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DataError(file, "zlib could not start decompression")
        }
        defer { inflateEnd(&stream) }
        var output = [UInt8]()
        // ISIZE (the last 4 bytes: the size mod 2^32) is only a hint, for the first allocation.
        if input.count >= 18 {
            let n = input.count
            let declared =
                Int(input[n - 4]) | Int(input[n - 3]) << 8 | Int(input[n - 2]) << 16 | Int(input[n - 1]) << 24
            output.reserveCapacity(min(declared, 16 * input.count, maxBytes))
        }
        var bound = ContentBound(maxBytes: maxBytes, maxTextBytes: maxTextBytes)
        var buffer = [UInt8](repeating: 0, count: chunkBytes)
        var status: Int32 = Z_OK
        try input.withUnsafeBufferPointer { src in
            stream.next_in = UnsafeMutablePointer(mutating: src.baseAddress)
            stream.avail_in = uInt(src.count)
            repeat {
                status = buffer.withUnsafeMutableBufferPointer { dst in
                    stream.next_out = dst.baseAddress
                    stream.avail_out = uInt(chunkBytes)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                let produced = chunkBytes - Int(stream.avail_out)
                try bound.checkRoom(for: output.count + produced, file: file)
                output.append(contentsOf: buffer[0 ..< produced])
                try bound.check(output, file: file)
                if status == Z_STREAM_END && stream.avail_in > 0 {
                    // Another gzip member follows (as `cat a.gz b.gz` makes).
                    guard inflateReset(&stream) == Z_OK else { throw DataError(file, "corrupt gzip stream") }
                    status = Z_OK
                }
                if status == Z_BUF_ERROR && stream.avail_in == 0 {
                    throw DataError(file, "gzip data is truncated")
                }
                if status != Z_OK && status != Z_STREAM_END {
                    throw DataError(file, "corrupt gzip data (zlib status \(status))")
                }
            } while status != Z_STREAM_END
        }
        return output
    }
}

/// The size decompressed content may reach, decided from its first bytes as they arrive: the
/// size a `.npy` or IDX header declares, else (text) the text limit with no NUL bytes allowed.
struct ContentBound {
    let maxBytes: Int
    let maxTextBytes: Int
    private var limit: Int?
    private var reason = ""
    private var isText = false
    /// Bytes of the output already scanned for NUL.
    private var scanned = 0

    init(maxBytes: Int, maxTextBytes: Int) {
        self.maxBytes = maxBytes
        self.maxTextBytes = maxTextBytes
    }

    mutating func check(_ output: [UInt8], file: String) throws {
        if limit == nil { try decide(output, file: file) }
        if isText {
            if let nul = output[scanned...].firstIndex(of: 0) {
                throw DataError(
                    file, "the decompressed content is binary data, not .npy, IDX or text (NUL byte at offset \(nul))")
            }
            scanned = output.count
        }
        try checkRoom(for: output.count, file: file)
    }

    /// Throws when the output would grow to `count` bytes, past the bound known so far (called
    /// before each chunk is appended, so that the output never holds more than the bound).
    func checkRoom(for count: Int, file: String) throws {
        if let limit, count > limit {
            throw DataError(
                file, "gzip content inflates past \(reason); stopped there (a damaged file or a decompression bomb)")
        }
        // Until the content is recognised, the absolute limit still applies.
        if limit == nil, count > maxBytes {
            throw DataError(
                file, "gzip content inflates past the \(describeBytes(maxBytes)) input limit; stopped there")
        }
    }

    private mutating func decide(_ output: [UInt8], file: String) throws {
        // 16 bytes tell every recognised kind apart; the .npy and IDX headers may need more.
        guard output.count >= 16 else { return }
        switch kind(of: output) {
        case .npy:
            guard let layout = try NpyLayout.parse(prefix: output, file: file, complete: false) else { return }
            try set(
                layout.totalBytes,
                "the \(layout.totalBytes) bytes its .npy header declares (shape \(layout.shape) of \(layout.descr))",
                file)
        case .idx:
            guard let layout = try IdxLayout.parse(prefix: output, file: file, complete: false) else { return }
            try set(
                layout.totalBytes, "the \(layout.totalBytes) bytes its IDX header declares (shape \(layout.shape))",
                file)
        case .pickle, .zip, .safetensors:
            _ = try decodeText(Array(output.prefix(16)), file: file, compressed: true)
        case .text:
            isText = true
            limit = maxTextBytes
            reason = "the \(describeBytes(maxTextBytes)) limit for CSV/TSV/label text (save large arrays as .npy)"
        }
    }

    private mutating func set(_ declared: Int, _ why: String, _ file: String) throws {
        guard declared <= maxBytes else {
            throw DataError(
                file,
                "its header declares \(declared) bytes of content, over the \(describeBytes(maxBytes)) input limit")
        }
        // The output grows to what the header declares: within what the machine can give.
        try MemoryBudget.current().check(
            bytes: declared, needs: "its decompressed content (\(declared) bytes, as its header declares)", file: file)
        limit = declared
        reason = why
    }
}

/// "4 GiB", "1 MiB", or a byte count: for limits in messages.
func describeBytes(_ n: Int) -> String {
    if n >= 1 << 30 && n % (1 << 30) == 0 { return "\(n >> 30) GiB" }
    if n >= 1 << 20 && n % (1 << 20) == 0 { return "\(n >> 20) MiB" }
    return "\(n) bytes"
}
