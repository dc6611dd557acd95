/// The row stream of a stored (not deflated) `.npy` member of a `.npz`, as `np.savez` writes
/// it: the zip directory is read (ZIP64 included), then the member's `.npy` header, then its rows
/// straight from their offset in the archive. No 2^29-value or 4 GiB ceiling; the member's
/// CRC-32 is checked as the rows stream past. A deflated member is left to the whole-file route.
enum NpzRowFile {
    /// A directory larger than this is left to the whole-file route (numpy writes ~100 bytes a member).
    static let maxDirectoryBytes = 64 << 20

    /// The member `--embeddings-key` chooses (by default the usual names, else the only 2-D
    /// array) as a row stream, or nil when the whole-file route should take the file: the member
    /// is deflated, not a little-endian float32 C-order 2-D `.npy`, or the choice needs the
    /// shape of a deflated member (or names no member: the whole-file route lists them).
    static func open(_ file: CheckedFile, key: String?) throws -> FloatRowFile? {
        let directory = try ZipDirectory(
            size: file.size, file: file.path, maxDirectoryBytes: maxDirectoryBytes, read: file.readExactly)
        var entries: [String: ZipDirectory.Entry] = [:], order: [String] = []
        for entry in directory.entries where !entry.name.hasSuffix("/") {
            let name = entry.name.hasSuffix(".npy") ? String(entry.name.dropLast(4)) : entry.name
            guard entries[name] == nil else {
                throw DataError(file.path, "damaged .npz: two members named '\(entry.name)'")
            }
            entries[name] = entry
            order.append(name)
        }
        if let key, entries[key] == nil { return nil }
        // The usual names and `--embeddings-key` choose by name; only the "only 2-D array" rule
        // needs each member's shape, read from the first 4 KiB as the whole-file route reads it.
        let byName = key != nil || ArrayContainer.embeddingNames.contains { entries[$0] != nil }
        var members: [ArrayContainer.Member] = []
        for name in order {
            let entry = entries[name]!
            var layout: NpyLayout? = nil
            if !byName && entry.name.hasSuffix(".npy") {
                guard entry.method == 0 else { return nil }
                // As there, a member whose header cannot be read is listed without a shape.
                if let range = try? directory.dataRange(entry, read: file.readExactly),
                    let head = try? file.readExactly(at: range.lowerBound, count: min(range.count, 4096))
                {
                    layout = try? NpyLayout.parse(prefix: head, file: file.path, complete: false)
                }
            }
            members.append(ArrayContainer.Member(name: name, shape: layout?.shape, type: layout?.descr ?? ""))
        }
        let name = try ArrayContainer.embeddingsName(key, members: members, file: file.path)
        let entry = entries[name]!
        guard entry.name.hasSuffix(".npy"), entry.method == 0 else { return nil }
        let range = try directory.dataRange(entry, read: file.readExactly)
        let where_ = "\(file.path) [\(entry.name)]"
        let head = try file.readExactly(at: range.lowerBound, count: min(range.count, NpyLayout.maxHeaderBytes + 12))
        guard !head.isEmpty,
            let layout = try NpyLayout.parse(prefix: head, file: where_, complete: true, maxElements: .max)
        else {
            throw DataError(where_, "truncated .npy header (the member is empty)")
        }
        // The directory's size is what `dataRange` checked against the file; the header must agree.
        guard layout.totalBytes == entry.size else {
            throw DataError(
                where_,
                "its .npy header implies \(layout.totalBytes) bytes (shape \(layout.shape) of \(layout.descr)), the zip directory declares \(entry.size); refused before inflating"
            )
        }
        guard layout.isFloat32Rows else { return nil }
        return FloatRowFile(
            file: file, rows: layout.shape[0], cols: layout.shape[1],
            dataStart: range.lowerBound + layout.dataStart,
            checksum: FloatRowFile.MemberChecksum(
                member: entry.name, header: Array(head[0 ..< layout.dataStart]), expected: entry.crc))
    }
}
