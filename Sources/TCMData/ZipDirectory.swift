/// The central directory of a zip archive, the part of the format `.npz` needs, read through
/// `read(offset, count)` so that it serves an archive in memory (`ZipArchive`) and one read from
/// disk (`NpzRowFile`, which reads only the directory and the chosen member's header).
///
/// Only one disk. Sizes and offsets come from the central directory (numpy's local headers carry
/// ZIP64 extras with 0xFFFFFFFF sizes, so those are not trusted). ZIP64 — what Python's zipfile
/// writes for members or archives over 4 GiB, or over 65,534 members — is read: the ZIP64 end
/// record its locator points to, and each entry's ZIP64 extra field. Every size and offset is
/// checked against the file's real size with overflow-safe arithmetic before it is used.
struct ZipDirectory {
    struct Entry {
        let name: String
        let method: UInt16
        let crc: UInt32
        let compressedSize: Int
        let size: Int
        let localHeaderOffset: Int
    }

    let file: String
    let size: Int
    let entries: [Entry]

    /// - Parameters:
    ///   - size: the file's size in bytes.
    ///   - maxDirectoryBytes: a larger central directory is refused (a row stream reads it whole).
    ///   - read: exactly `count` bytes from `offset`; only called with ranges inside `size`.
    init(size: Int, file: String, maxDirectoryBytes: Int = .max, read: (Int, Int) throws -> [UInt8]) throws {
        self.file = file
        self.size = size
        func bad(_ problem: String) -> DataError { DataError(file, "damaged .npz/zip: \(problem)") }
        // The end-of-central-directory record is 22 bytes plus a comment of at most 65,535.
        guard size >= 22 else { throw bad("too short for a zip archive (\(size) bytes)") }
        let tailStart = max(0, size - 22 - 0xFFFF)
        let tail = try read(tailStart, size - tailStart)
        var at = tail.count - 22
        while at >= 0 && !(tail.u32(at) == 0x0605_4B50 && at + 22 + Int(tail.u16(at + 20)) <= tail.count) { at -= 1 }
        guard at >= 0 else { throw bad("no end-of-central-directory record (truncated, or not a zip archive)") }
        let eocd = tailStart + at
        var disk = UInt64(tail.u16(at + 4)), directoryDisk = UInt64(tail.u16(at + 6))
        var onDisk = UInt64(tail.u16(at + 8)), total = UInt64(tail.u16(at + 10))
        var directorySize = UInt64(tail.u32(at + 12)), directoryOffset = UInt64(tail.u32(at + 16))
        // Where the directory must end: the end record, or the ZIP64 end record before it.
        var directoryLimit = eocd
        let locator = eocd >= 20 ? try read(eocd - 20, 20) : []
        if locator.count == 20 && locator.u32(0) == 0x0706_4B50 {
            let recordOffset = locator.u64(8)
            // The ZIP64 end record is 56 bytes (plus extensible data) and lies before its locator.
            guard locator.u32(4) == 0, locator.u32(16) <= 1, eocd - 20 >= 56, recordOffset <= UInt64(eocd - 20 - 56)
            else {
                throw bad("the ZIP64 end-record locator points to offset \(recordOffset), outside the archive")
            }
            let record = try read(Int(recordOffset), 56)
            guard record.u32(0) == 0x0606_4B50 else {
                throw bad("no ZIP64 end record at offset \(recordOffset), where its locator points")
            }
            disk = UInt64(record.u32(16))
            directoryDisk = UInt64(record.u32(20))
            onDisk = record.u64(24)
            total = record.u64(32)
            directorySize = record.u64(40)
            directoryOffset = record.u64(48)
            directoryLimit = Int(recordOffset)
        } else if total == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            throw bad("its end record defers to a ZIP64 end record, and there is none")
        }
        guard disk == 0 && directoryDisk == 0 && onDisk == total else { throw bad("multi-disk (split) archive") }
        guard directoryOffset <= UInt64(directoryLimit), directorySize <= UInt64(directoryLimit) - directoryOffset
        else {
            throw bad(
                "the central directory (offset \(directoryOffset), \(directorySize) bytes) does not fit before its end record at \(directoryLimit)"
            )
        }
        guard directorySize <= UInt64(maxDirectoryBytes) else {
            throw DataError(
                file,
                "the zip central directory is \(directorySize) bytes, over the \(describeBytes(maxDirectoryBytes)) read for a streamed .npz"
            )
        }
        let start = Int(directoryOffset)
        let directory = try read(start, Int(directorySize))
        var entries: [Entry] = []
        // Each entry takes at least 46 bytes: a larger count (a ZIP64 one may be 2^64 - 1) stops at
        // a damaged entry within the directory's bytes, so the loop and the room reserved are bounded by them.
        let count = Int(min(total, directorySize / 46 + 1))
        entries.reserveCapacity(count)
        var p = 0
        for index in 0 ..< count {
            guard directory.count - p >= 46, directory.u32(p) == 0x0201_4B50 else {
                throw bad("central directory entry \(index) is damaged")
            }
            let nameLength = Int(directory.u16(p + 28)), extraLength = Int(directory.u16(p + 30)),
                commentLength = Int(directory.u16(p + 32))
            let recordLength = 46 + nameLength + extraLength + commentLength
            guard recordLength <= directory.count - p else {
                throw bad("central directory entry \(index) runs past the directory")
            }
            let name = String(decoding: directory[p + 46 ..< p + 46 + nameLength], as: UTF8.self)
            let extra = directory[p + 46 + nameLength ..< p + 46 + nameLength + extraLength]
            let fields = try Self.sizes(of: directory, entryAt: p, extra: extra, name: name, file: file)
            let flags = directory.u16(p + 8), method = directory.u16(p + 10)
            // Bit 0: traditional PKWARE encryption; bit 6: strong encryption.
            if flags & 0x41 != 0 { throw DataError(file, "member '\(name)' is encrypted, which is not read") }
            guard method == 0 || method == 8 else {
                throw DataError(
                    file, "member '\(name)' uses compression method \(method); only stored (0) and deflate (8) are read"
                )
            }
            if method == 0 && fields.compressed != fields.size {
                throw bad(
                    "stored member '\(name)' declares \(fields.compressed) bytes stored but \(fields.size) bytes of content"
                )
            }
            guard fields.local < start else {
                throw bad("member '\(name)' starts at \(fields.local), inside or past the central directory")
            }
            entries.append(
                Entry(
                    name: name, method: method, crc: directory.u32(p + 16), compressedSize: fields.compressed,
                    size: fields.size, localHeaderOffset: fields.local))
            p += recordLength
        }
        self.entries = entries
    }

    /// An entry's compressed size, size and local header offset: its 32-bit fields, or, where one
    /// is 0xFFFFFFFF, the 64-bit value from its ZIP64 extra field (tag 1: size, compressed size,
    /// offset, in that order, each present only when its 32-bit field is 0xFFFFFFFF). Values past
    /// `Int.max` are refused here; the callers compare them with the file's size.
    private static func sizes(
        of directory: [UInt8], entryAt p: Int, extra: ArraySlice<UInt8>, name: String, file: String
    ) throws -> (compressed: Int, size: Int, local: Int) {
        var values = [directory.u32(p + 24), directory.u32(p + 20), directory.u32(p + 42)].map(UInt64.init)
        guard values.contains(0xFFFF_FFFF) else { return (Int(values[1]), Int(values[0]), Int(values[2])) }
        let extra = Array(extra)
        var at = 0
        var found = false
        while extra.count - at >= 4 {
            let tag = extra.u16(at), length = Int(extra.u16(at + 2))
            guard length <= extra.count - at - 4 else { break }
            if tag == 1 {
                var q = at + 4
                for i in 0 ..< 3 where values[i] == 0xFFFF_FFFF {
                    guard at + 4 + length - q >= 8 else {
                        throw DataError(
                            file, "damaged .npz/zip: member '\(name)' has a ZIP64 extra field too short for its sizes")
                    }
                    values[i] = extra.u64(q)
                    q += 8
                }
                found = true
                break
            }
            at += 4 + length
        }
        guard found else {
            throw DataError(
                file, "damaged .npz/zip: member '\(name)' needs ZIP64 sizes (over 4 GiB) but has no ZIP64 extra field")
        }
        guard values.allSatisfy({ $0 <= UInt64(Int.max) }) else {
            throw DataError(
                file, "damaged .npz/zip: member '\(name)' declares sizes or offsets past any file (\(values))")
        }
        return (Int(values[1]), Int(values[0]), Int(values[2]))
    }

    /// Where the member's stored or compressed bytes lie in the file: after its local header,
    /// whose name and extra lengths are the only fields used, and inside the file.
    func dataRange(_ entry: Entry, read: (Int, Int) throws -> [UInt8]) throws -> Range<Int> {
        let p = entry.localHeaderOffset
        // `p` is before the central directory, so inside the file.
        let local = size - p >= 30 ? try read(p, 30) : []
        guard local.count == 30, local.u32(0) == 0x0403_4B50 else {
            throw DataError(file, "damaged .npz/zip: member '\(entry.name)' has no local header at offset \(p)")
        }
        let start = p + 30 + Int(local.u16(26)) + Int(local.u16(28))
        guard start <= size, entry.compressedSize <= size - start else {
            throw DataError(
                file,
                "damaged .npz/zip: member '\(entry.name)' (\(entry.compressedSize) bytes from offset \(start)) runs past the end of the file (\(size) bytes)"
            )
        }
        return start ..< start + entry.compressedSize
    }
}

extension Array where Element == UInt8 {
    /// Little-endian fields; callers have checked that the bytes are there.
    func u16(_ at: Int) -> UInt16 { UInt16(self[at]) | UInt16(self[at + 1]) << 8 }
    func u32(_ at: Int) -> UInt32 { UInt32(u16(at)) | UInt32(u16(at + 2)) << 16 }
    func u64(_ at: Int) -> UInt64 { UInt64(u32(at)) | UInt64(u32(at + 4)) << 32 }
}
