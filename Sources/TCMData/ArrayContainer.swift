import TCMKernels

/// A file holding several named arrays (`.npz`, safetensors), and the choice of which array holds
/// the embeddings and which the labels: the one named by `--embeddings-key` / `--labels-key`,
/// else the first of the usual names, else the only 2-D (embeddings) or 1-D (labels) array.
struct ArrayContainer {
    struct Member {
        let name: String
        /// nil when the member is not a readable array (a `.npz` member that is not `.npy`).
        let shape: [Int]?
        let type: String
    }

    let file: String
    let members: [Member]
    let numeric: (String) throws -> NumericArray
    let labelArray: (String) throws -> Labels

    static let embeddingNames = ["embeddings", "embedding", "emb", "embs", "features", "feats", "feature", "x", "X"]
    static let labelNames = ["labels", "label", "y", "Y", "targets", "target", "classes"]

    /// The container in `bytes`, or nil when they are neither `.npz` nor safetensors.
    static func open(_ bytes: [UInt8], kind: FileKind, file: String) throws -> ArrayContainer? {
        switch kind {
        case .zip: return try npz(bytes, file: file)
        case .safetensors: return try safetensors(bytes, file: file)
        default: return nil
        }
    }

    /// The embeddings, and with `wantLabels` the labels when the file holds them (with
    /// `requireLabels`, it must).
    func embeddings(key: String?, labelsKey: String?, wantLabels: Bool, requireLabels: Bool) throws -> (Matrix, Labels?)
    {
        let name = try Self.embeddingsName(key, members: members, file: file)
        // Labels are chosen before the embeddings are converted, so a missing array costs nothing.
        var labelName: String? = nil
        if wantLabels {
            labelName = try choose(labelsKey, flag: "--labels-key", names: Self.labelNames, rank: 1, role: "labels")
            guard labelName != nil || !requireLabels else {
                throw DataError(
                    file,
                    "no labels: the file holds no 1-D labels array (\(listing)); give a labels file after the embeddings, or name the array with --labels-key"
                )
            }
        }
        let matrix = try numeric(name).matrix(file: "\(file) [\(name)]")
        return (matrix, try labelName.map { try labelArray($0) })
    }

    /// The labels array (the file is a labels file).
    func labels(key: String?) throws -> Labels {
        guard let name = try choose(key, flag: "--labels-key", names: Self.labelNames, rank: 1, role: "labels") else {
            throw DataError(file, "no 1-D array to use as labels (\(listing)); name one with --labels-key")
        }
        return try labelArray(name)
    }

    /// The array holding the embeddings: shared with the row streams (`FloatRowFile`), so that
    /// both routes choose the same array and refuse a choice with the same message.
    static func embeddingsName(_ key: String?, members: [Member], file: String) throws -> String {
        guard
            let name = try choose(
                key, flag: "--embeddings-key", names: embeddingNames, rank: 2, role: "embeddings", members: members,
                file: file)
        else {
            throw DataError(
                file, "no 2-D array to use as embeddings (\(listing(members))); name one with --embeddings-key")
        }
        return name
    }

    private var listing: String { Self.listing(members) }

    private func choose(_ key: String?, flag: String, names: [String], rank: Int, role: String) throws -> String? {
        try Self.choose(key, flag: flag, names: names, rank: rank, role: role, members: members, file: file)
    }

    private static func listing(_ members: [Member]) -> String {
        members.isEmpty
            ? "it holds no arrays"
            : "it holds "
                + members.prefix(12).map { m in
                    m.shape.map { "\(m.name) \($0) \(m.type)" } ?? "\(m.name) (not an array)"
                }.joined(separator: ", ") + (members.count > 12 ? ", … (\(members.count) in all)" : "")
    }

    private static func choose(
        _ key: String?, flag: String, names: [String], rank: Int, role: String, members: [Member], file: String
    ) throws -> String? {
        if let key {
            guard members.contains(where: { $0.name == key }) else {
                throw DataError(file, "\(flag) '\(key)': no such array (\(listing(members)))")
            }
            return key
        }
        // A usual name wins even when its header could not be read: reading it then says why.
        for name in names where members.contains(where: { $0.name == name }) { return name }
        let candidates = members.filter { $0.shape?.count == rank }
        if candidates.count > 1 {
            throw DataError(
                file,
                "several \(rank)-D arrays could be the \(role) (\(candidates.map(\.name).prefix(12).joined(separator: ", "))); choose one with \(flag)"
            )
        }
        return candidates.first?.name
    }
}

extension ArrayContainer {
    /// NumPy's `.npz`: members `NAME.npy`, each a `.npy` file; keys are the names without `.npy`.
    static func npz(_ bytes: [UInt8], file: String) throws -> ArrayContainer {
        let zip = try ZipArchive(bytes: bytes, file: file)
        var members: [Member] = []
        var entries: [String: ZipArchive.Entry] = [:]
        for entry in zip.entries where !entry.name.hasSuffix("/") {
            let key = entry.name.hasSuffix(".npy") ? String(entry.name.dropLast(4)) : entry.name
            guard entries[key] == nil else { throw DataError(file, "damaged .npz: two members named '\(entry.name)'") }
            entries[key] = entry
            // The header, from the first 4 KiB only (numpy's is 128 bytes): listing 65,535 members
            // inflates at most 256 MiB. A longer header leaves the shape unknown here; the member
            // is still read in full when chosen by name.
            var layout: NpyLayout? = nil
            if entry.name.hasSuffix(".npy"), let head = try? zip.prefix(of: entry, limit: 4096), !head.isEmpty {
                layout = try? NpyLayout.parse(prefix: head, file: file, complete: false)
            }
            members.append(Member(name: key, shape: layout?.shape, type: layout?.descr ?? ""))
        }
        func member(_ key: String) throws -> (ArraySlice<UInt8>, String) {
            let entry = entries[key]!
            let where_ = "\(file) [\(entry.name)]"
            guard entry.name.hasSuffix(".npy") else { throw DataError(where_, "the member is not a .npy array") }
            // The member's own .npy header says how big it is; the zip directory's size is only a
            // claim. They must agree before anything past the header is inflated, so a small
            // array whose directory entry declares gigabytes (a decompression bomb with a valid
            // CRC) costs one header's worth of inflation, not the declared size.
            let head = try zip.prefix(of: entry, limit: NpyLayout.maxHeaderBytes + 12)
            guard !head.isEmpty, let layout = try NpyLayout.parse(prefix: head, file: where_, complete: true) else {
                throw DataError(where_, "truncated .npy header (the member is empty)")
            }
            guard layout.totalBytes == entry.size else {
                throw DataError(
                    where_,
                    "its .npy header implies \(layout.totalBytes) bytes (shape \(layout.shape) of \(layout.descr)), the zip directory declares \(entry.size); refused before inflating"
                )
            }
            return (try zip.content(of: entry), where_)
        }
        return ArrayContainer(
            file: file, members: members,
            numeric: { key in
                let (content, where_) = try member(key)
                guard
                    let layout = try NpyLayout.parse(
                        prefix: Array(content.prefix(NpyLayout.maxHeaderBytes + 12)), file: where_, complete: true)
                else {
                    throw DataError(where_, "truncated .npy header")
                }
                let available = content.count - layout.dataStart
                guard available == layout.dataBytes else {
                    throw DataError(
                        where_,
                        "header promises \(layout.shape) of \(layout.descr) (\(layout.dataBytes) bytes), the member holds \(available)"
                    )
                }
                guard let scalar = NumericArray.Scalar(npy: layout.element) else {
                    throw DataError(where_, "holds text (dtype \(layout.descr)), expected numeric embeddings")
                }
                return NumericArray(
                    scalar: scalar, shape: layout.shape, bytes: content.dropFirst(layout.dataStart),
                    bigEndian: layout.bigEndian, fortranOrder: layout.fortranOrder)
            },
            labelArray: { key in
                // Labels are small and may be strings: the full .npy reader and its label rules.
                let (content, where_) = try member(key)
                return try LabelLoader.labels(NpyArray(bytes: Array(content), file: where_), file: where_)
            })
    }

    static func safetensors(_ bytes: [UInt8], file: String) throws -> ArrayContainer {
        let st = try SafetensorsFile(bytes: bytes, file: file)
        let members = st.tensors.map { Member(name: $0.name, shape: $0.shape, type: $0.dtype) }
        func tensor(_ name: String) -> SafetensorsFile.Tensor { st.tensors.first { $0.name == name }! }
        return ArrayContainer(
            file: file, members: members,
            numeric: { name in
                st.array(tensor(name))
            },
            labelArray: { name in
                try st.array(tensor(name)).labels(file: "\(file) [\(name)]")
            })
    }
}
