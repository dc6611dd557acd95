import CZlib

/// The members of a zip archive, as `numpy.savez` (stored) and `numpy.savez_compressed`
/// (deflated) write them, read from bytes in memory as untrusted input.
///
/// Only what `.npz` needs: the directory (`ZipDirectory`, ZIP64 included), members stored or
/// deflated. Refused with one message: what `ZipDirectory` refuses, a member over the 4 GiB input
/// limit (a stored one is streamed instead, `NpzRowFile`), a member whose data runs past the
/// file, that inflates to another size than declared, or whose CRC-32 does not match.
struct ZipArchive {
    typealias Entry = ZipDirectory.Entry

    let file: String
    let directory: ZipDirectory
    var entries: [Entry] { directory.entries }
    private let bytes: [UInt8]

    init(bytes: [UInt8], file: String) throws {
        self.bytes = bytes
        self.file = file
        directory = try ZipDirectory(size: bytes.count, file: file) { Array(bytes[$0 ..< $0 + $1]) }
    }

    /// Where the member's stored or compressed bytes lie in the file.
    private func dataRange(_ entry: Entry) throws -> Range<Int> {
        try directory.dataRange(entry) { Array(bytes[$0 ..< $0 + $1]) }
    }

    /// `dataRange`, once the declared size is one the member could have: within the input limit
    /// and, for deflate (which cannot expand more than 1032:1), within what its compressed bytes
    /// can produce. A size past that is a lie, refused before any allocation.
    private func plausibleRange(_ entry: Entry) throws -> Range<Int> {
        guard entry.size <= FileBytes.maxBytes else {
            throw DataError(
                file,
                "member '\(entry.name)' declares \(entry.size) bytes, over the \(describeBytes(FileBytes.maxBytes)) input limit"
            )
        }
        let range = try dataRange(entry)
        guard entry.method == 0 || entry.size <= 1032 * entry.compressedSize + 1024 else {
            throw DataError(
                file,
                "damaged .npz/zip: member '\(entry.name)' declares \(entry.size) bytes from \(entry.compressedSize) compressed, more than deflate can produce"
            )
        }
        return range
    }

    /// The member's whole content, checked against its declared size and CRC-32.
    func content(of entry: Entry) throws -> ArraySlice<UInt8> {
        let range = try plausibleRange(entry)
        let content: ArraySlice<UInt8>
        if entry.method == 0 {
            content = bytes[range]  // no copy: a slice of the file's bytes
        } else {
            try MemoryBudget.current().check(
                bytes: entry.size, needs: "inflating member '\(entry.name)' (\(entry.size) bytes)", file: file)
            var out = [UInt8]()
            let produced = try inflate(range, into: &out, entry: entry, limit: entry.size)
            guard produced == entry.size else {
                throw DataError(
                    file,
                    "damaged .npz/zip: member '\(entry.name)' inflates to \(produced) bytes, its directory entry declares \(entry.size)"
                )
            }
            content = out[...]
        }
        let crc = content.withUnsafeBytes { raw -> UInt32 in
            UInt32(crc32Continuing(crc32(0, nil, 0), raw))
        }
        guard crc == entry.crc else {
            throw DataError(
                file,
                "damaged .npz/zip: member '\(entry.name)' fails its CRC-32 check (stored \(hex(entry.crc)), computed \(hex(crc)))"
            )
        }
        return content
    }

    /// At most the first `limit` bytes of the member's content (to read an array's header without
    /// inflating its data); not CRC-checked.
    func prefix(of entry: Entry, limit: Int) throws -> [UInt8] {
        let range = try plausibleRange(entry)
        let wanted = min(limit, entry.size)
        if entry.method == 0 { return Array(bytes[range].prefix(wanted)) }
        var out = [UInt8]()
        _ = try inflate(range, into: &out, entry: entry, limit: wanted, stopAtLimit: true)
        return out
    }

    /// Raw-deflate `range` onto `out`, growing it in chunks of at most 16 MiB as output arrives
    /// (a declared size costs nothing until the data is there); returns the bytes produced.
    /// Producing more than `limit` is an error unless `stopAtLimit`, so a member can never
    /// yield more than it declared.
    private func inflate(
        _ range: Range<Int>, into out: inout [UInt8], entry: Entry, limit: Int, stopAtLimit: Bool = false
    ) throws -> Int {
        var stream = z_stream()
        // Negative window bits: raw deflate, no zlib or gzip wrapper (as zip stores it).
        guard inflateInit2_(&stream, -MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DataError(file, "zlib could not start decompression")
        }
        defer { inflateEnd(&stream) }
        var status: Int32 = Z_OK
        bytes.withUnsafeBufferPointer { src in
            stream.next_in = UnsafeMutablePointer(mutating: src.baseAddress! + range.lowerBound)
            stream.avail_in = uInt(range.count)
            while true {
                // One byte past the limit is room to detect a member that inflates too far.
                let room = min(limit + 1 - out.count, 16 << 20)
                if room <= 0 { break }
                let before = out.count
                out.append(contentsOf: repeatElement(0, count: room))
                status = out.withUnsafeMutableBufferPointer { dst in
                    stream.next_out = dst.baseAddress! + before
                    stream.avail_out = uInt(room)
                    return CZlib.inflate(&stream, Z_NO_FLUSH)
                }
                out.removeLast(Int(stream.avail_out))
                if status != Z_OK || (stream.avail_in == 0 && stream.avail_out > 0) { break }
                if stopAtLimit && out.count >= limit { break }
            }
        }
        if out.count > limit {
            if stopAtLimit {
                out.removeLast(out.count - limit)
                return limit
            }
            throw DataError(
                file,
                "damaged .npz/zip: member '\(entry.name)' inflates past the \(entry.size) bytes its directory entry declares; stopped there"
            )
        }
        if stopAtLimit && out.count == limit { return limit }
        switch status {
        case Z_STREAM_END: return out.count
        case Z_OK, Z_BUF_ERROR:
            throw DataError(
                file, "damaged .npz/zip: member '\(entry.name)' is truncated (its compressed data ends early)")
        default:
            throw DataError(
                file, "damaged .npz/zip: member '\(entry.name)' holds corrupt deflate data (zlib status \(status))")
        }
    }
}
