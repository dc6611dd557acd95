import CZlib

/// The members of a zip archive, as `numpy.savez` (stored) and `numpy.savez_compressed`
/// (deflated) write them, read from bytes in memory as untrusted input.
///
/// Only what `.npz` needs: one disk, members stored or deflated, sizes from the central directory
/// (numpy's local headers carry ZIP64 extras with 0xFFFFFFFF sizes, so those are not trusted).
/// Refused with one message: no end-of-directory record, a central directory that does not fit
/// the file, an archive that needs ZIP64 (a member over 4 GiB, which is past the input limit
/// anyway), encrypted members, other compression methods, a member whose data runs past the
/// file, that inflates to another size than declared, or whose CRC-32 does not match.
struct ZipArchive {
    struct Entry {
        let name: String
        let method: UInt16
        let crc: UInt32
        let compressedSize: Int
        let size: Int
        let localHeaderOffset: Int
    }

    let file: String
    let entries: [Entry]
    private let bytes: [UInt8]

    init(bytes: [UInt8], file: String) throws {
        self.bytes = bytes
        self.file = file
        func bad(_ problem: String) -> DataError { DataError(file, "damaged .npz/zip: \(problem)") }
        // The end-of-central-directory record is 22 bytes plus a comment of at most 65,535.
        guard bytes.count >= 22 else { throw bad("too short for a zip archive (\(bytes.count) bytes)") }
        var eocd = -1
        var at = bytes.count - 22
        let lowest = max(0, bytes.count - 22 - 0xFFFF)
        while at >= lowest {
            if bytes.u32(at) == 0x0605_4B50 && at + 22 + Int(bytes.u16(at + 20)) <= bytes.count {
                eocd = at
                break
            }
            at -= 1
        }
        guard eocd >= 0 else { throw bad("no end-of-central-directory record (truncated, or not a zip archive)") }
        if eocd >= 20 && bytes.u32(eocd - 20) == 0x0706_4B50 {
            throw DataError(
                file,
                "ZIP64 archive (members over 4 GiB, or over 65,535 members), which is not read; inputs are at most \(describeBytes(FileBytes.maxBytes))"
            )
        }
        let disk = bytes.u16(eocd + 4), directoryDisk = bytes.u16(eocd + 6)
        let onDisk = Int(bytes.u16(eocd + 8)), total = Int(bytes.u16(eocd + 10))
        let directorySize = Int(bytes.u32(eocd + 12)), directoryOffset = Int(bytes.u32(eocd + 16))
        if total == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            throw DataError(file, "ZIP64 archive (its end record defers to a ZIP64 record), which is not read")
        }
        guard disk == 0 && directoryDisk == 0 && onDisk == total else { throw bad("multi-disk (split) archive") }
        guard directoryOffset <= eocd && directorySize <= eocd - directoryOffset else {
            throw bad(
                "the central directory (offset \(directoryOffset), \(directorySize) bytes) does not fit before its end record at \(eocd)"
            )
        }
        var entries: [Entry] = []
        entries.reserveCapacity(total)
        var p = directoryOffset
        let end = directoryOffset + directorySize
        for index in 0 ..< total {
            guard end - p >= 46, bytes.u32(p) == 0x0201_4B50 else {
                throw bad("central directory entry \(index) is damaged")
            }
            let flags = bytes.u16(p + 8), method = bytes.u16(p + 10)
            let compressed = Int(bytes.u32(p + 20)), size = Int(bytes.u32(p + 24))
            let nameLength = Int(bytes.u16(p + 28)), extraLength = Int(bytes.u16(p + 30)),
                commentLength = Int(bytes.u16(p + 32))
            let local = Int(bytes.u32(p + 42))
            let recordLength = 46 + nameLength + extraLength + commentLength
            guard recordLength <= end - p else { throw bad("central directory entry \(index) runs past the directory") }
            let name = String(decoding: bytes[p + 46 ..< p + 46 + nameLength], as: UTF8.self)
            if compressed == 0xFFFF_FFFF || size == 0xFFFF_FFFF || local == 0xFFFF_FFFF {
                throw DataError(file, "member '\(name)' needs ZIP64 (over 4 GiB), which is not read")
            }
            // Bit 0: traditional PKWARE encryption; bit 6: strong encryption.
            if flags & 0x41 != 0 { throw DataError(file, "member '\(name)' is encrypted, which is not read") }
            guard method == 0 || method == 8 else {
                throw DataError(
                    file, "member '\(name)' uses compression method \(method); only stored (0) and deflate (8) are read"
                )
            }
            if method == 0 && compressed != size {
                throw bad("stored member '\(name)' declares \(compressed) bytes stored but \(size) bytes of content")
            }
            guard local < directoryOffset else {
                throw bad("member '\(name)' starts at \(local), inside or past the central directory")
            }
            entries.append(
                Entry(
                    name: name, method: method, crc: bytes.u32(p + 16), compressedSize: compressed, size: size,
                    localHeaderOffset: local))
            p += recordLength
        }
        self.entries = entries
    }

    /// Where the member's stored or compressed bytes lie in the file.
    private func dataRange(_ entry: Entry) throws -> Range<Int> {
        let p = entry.localHeaderOffset
        guard bytes.count - p >= 30, bytes.u32(p) == 0x0403_4B50 else {
            throw DataError(file, "damaged .npz/zip: member '\(entry.name)' has no local header at offset \(p)")
        }
        let start = p + 30 + Int(bytes.u16(p + 26)) + Int(bytes.u16(p + 28))
        guard start <= bytes.count, entry.compressedSize <= bytes.count - start else {
            throw DataError(
                file,
                "damaged .npz/zip: member '\(entry.name)' (\(entry.compressedSize) bytes from offset \(start)) runs past the end of the file (\(bytes.count) bytes)"
            )
        }
        return start ..< start + entry.compressedSize
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
            var value = crc32(0, nil, 0)
            var offset = 0
            // zlib takes 32-bit lengths: feed it in 1 GiB pieces.
            while offset < raw.count {
                let n = min(raw.count - offset, 1 << 30)
                value = crc32(value, raw.baseAddress!.assumingMemoryBound(to: Bytef.self) + offset, uInt(n))
                offset += n
            }
            return UInt32(value)
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

    private func hex(_ v: UInt32) -> String { "0x" + String(v, radix: 16, uppercase: true) }
}

extension Array where Element == UInt8 {
    /// Little-endian fields; callers have checked that the bytes are there.
    func u16(_ at: Int) -> UInt16 { UInt16(self[at]) | UInt16(self[at + 1]) << 8 }
    func u32(_ at: Int) -> UInt32 { UInt32(u16(at)) | UInt32(u16(at + 2)) << 16 }
}
