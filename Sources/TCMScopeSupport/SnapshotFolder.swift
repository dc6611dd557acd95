import Foundation
import TCMData

/// One snapshot a training loop wrote into a watched folder: `NAME-STEP.npz`,
/// `NAME-STEP.safetensors` (embeddings and labels in one file), or the pair
/// `NAME-STEP.embeddings.npy` + `NAME-STEP.labels.npy`.
public struct Snapshot: Sendable, Equatable, Comparable {
    public let name: String
    public let step: Int
    /// The embeddings file, and the labels file when they are separate.
    public let embeddings: String
    public let labels: String?

    /// By bytes, like the folder's own bookkeeping: two spellings of one name are two snapshots.
    public static func == (a: Snapshot, b: Snapshot) -> Bool {
        guard a.step == b.step, a.name.utf8.elementsEqual(b.name.utf8),
            a.embeddings.utf8.elementsEqual(b.embeddings.utf8)
        else { return false }
        switch (a.labels, b.labels) {
        case (nil, nil): return true
        case (let x?, let y?): return x.utf8.elementsEqual(y.utf8)
        default: return false
        }
    }

    public static func < (a: Snapshot, b: Snapshot) -> Bool {
        a.step != b.step ? a.step < b.step : a.name.utf8.lexicographicallyPrecedes(b.name.utf8)
    }

    /// "NAME-STEP" of a file name, with the role the file plays; nil for names that are not snapshots.
    static func parse(_ file: String) -> (stem: String, name: String, step: Int, role: Role)? {
        guard case .snapshot(let parsed) = classify(file) else { return nil }
        return parsed
    }

    /// What a file name is to a watch: a snapshot, a name that looks like one but cannot be taken
    /// (said once in a "skipped" line, never dropped in silence), or anything else (ignored).
    enum NameKind {
        case snapshot((stem: String, name: String, step: Int, role: Role))
        case refused(String)
        case other
    }

    static func classify(_ file: String) -> NameKind {
        // Writers' temporary files: hidden, or with a temporary suffix.
        if file.hasPrefix(".") || file.hasSuffix(".tmp") || file.hasSuffix(".part") || file.hasSuffix(".partial") {
            return .other
        }
        let roles: [(String, Role)] = [
            (".embeddings.npy", .embeddings), (".labels.npy", .labels), (".npz", .both), (".safetensors", .both),
        ]
        guard let (suffix, role) = roles.first(where: { file.hasSuffix($0.0) }) else { return .other }
        let stem = String(file.dropLast(suffix.count))
        guard let dash = stem.lastIndex(of: "-"), dash != stem.startIndex else { return .other }
        let digits = stem[stem.index(after: dash)...]
        guard !digits.isEmpty, digits.allSatisfy(\.isASCIIDigit) else { return .other }
        // At most 18 digits: the step always fits an Int.
        guard digits.count <= 18, let step = Int(digits) else {
            return .refused("its step has \(digits.count) digits; a step has at most 18 (rename the file)")
        }
        return .snapshot((stem, String(stem[..<dash]), step, role))
    }

    enum Role { case embeddings, labels, both }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0" ... "9").contains(self) }
}

/// A folder a training loop writes snapshots into, polled for the complete ones.
///
/// A file counts as complete once it is a regular file whose size and modification time have not
/// changed for `settle`: by its modification time (a file last written that long ago is complete
/// at first sight), or by two looks that far apart (a writer that renames a finished temporary
/// file passes at once; one that writes in place must pause for that long). Hidden and `*.tmp`/`*.part` names are
/// never read. Each snapshot is returned once, in step order among those that became complete
/// together; a deleted file is forgotten, a rewritten one is read again; a poll costs one directory
/// listing and an `lstat` per snapshot file.
///
/// Files are told apart by the bytes of their names, never by Swift `String` equality: that is
/// canonical equivalence, under which `café` spelt with U+00E9 and with `e` + U+0301 are one
/// string but two files, and one key for two files made each poll take the other for a rewrite.
///
/// Not thread-safe: one owner at a time (the dashboard hands it from the wait for the first
/// snapshot to its watch job, which is then its only user).
public final class SnapshotFolder: @unchecked Sendable {
    public let directory: String
    public let settle: Duration
    /// A file name as the directory holds it.
    typealias NameBytes = [UInt8]
    /// Seen but not yet complete: size, modification time, and when that was first seen.
    private var pending: [NameBytes: (size: Int64, modified: timespec, since: ContinuousClock.Instant)] = [:]
    /// Complete, with the size and time they had: a change means the file was rewritten.
    private var complete: [NameBytes: (size: Int64, modified: timespec)] = [:]
    private var delivered: Set<NameBytes> = []
    /// Names that look like snapshots but cannot be taken, each said once while it is there.
    private var refused: Set<NameBytes> = []
    private var refusals: [DataError] = []
    /// At most this many snapshot files are looked at per poll (names that are not snapshots are
    /// skipped first, so a folder with millions of other files still finds its snapshots).
    public static let maxSnapshotsPerPoll = 100_000

    public init(directory: String, settle: Duration = .milliseconds(500)) {
        self.directory = directory
        self.settle = settle
    }

    private static func same(_ a: timespec, _ b: timespec) -> Bool { a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec }

    /// Names that looked like snapshots but were refused (a name that is not UTF-8, a step of more
    /// than 18 digits) since the last call: one `DataError` each, for a "skipped" line.
    public func takeRefusals() -> [DataError] {
        defer { refusals = [] }
        return refusals
    }

    /// Every entry's name, as bytes; throws when the folder cannot be listed (a folder that cannot
    /// be read is not an empty one).
    private func listNames() throws -> [NameBytes] {
        guard let stream = opendir(directory) else {
            throw DataError(directory, "cannot watch: cannot list the folder: \(String(cString: strerror(errno)))")
        }
        defer { closedir(stream) }
        var names: [NameBytes] = []
        while true {
            errno = 0
            guard let entry = readdir(stream) else {
                if errno != 0 {
                    throw DataError(
                        directory, "cannot watch: cannot list the folder: \(String(cString: strerror(errno)))")
                }
                return names
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                NameBytes(raw.prefix { $0 != 0 })
            }
            if name != [0x2E] && name != [0x2E, 0x2E] { names.append(name) }
        }
    }

    /// The name for a message: valid UTF-8 as it is, other bytes as `\xNN`.
    static func display(_ name: NameBytes) -> String {
        var out = ""
        var rest = name[...]
        while !rest.isEmpty {
            var iterator = rest.makeIterator()
            var decoder = UTF8()
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                let width = String(scalar).utf8.count
                out.unicodeScalars.append(scalar)
                rest = rest.dropFirst(width)
            case .emptyInput: return out
            case .error:
                out += String(format: "\\x%02X", rest.first!)
                rest = rest.dropFirst()
            }
        }
        return out
    }

    /// Snapshots that became complete since the last call, in step order; one per name and step
    /// (a file holding both arrays wins over a pair of `.npy` files). Throws only when the folder
    /// itself cannot be read (missing, not a directory, not listable).
    public func poll(now: ContinuousClock.Instant = .now) throws -> [Snapshot] {
        var info = stat()
        guard stat(directory, &info) == 0 else {
            throw DataError(directory, "cannot watch: \(String(cString: strerror(errno)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else { throw DataError(directory, "cannot watch: not a directory") }
        // Every snapshot name present, parsed once here: the grouping below reads these.
        var names: [(bytes: NameBytes, text: String)] = []
        var parsed: [NameBytes: (name: String, step: Int, role: Snapshot.Role)] = [:]
        var present = Set<NameBytes>()
        for bytes in try listNames() where names.count < Self.maxSnapshotsPerPoll {
            // A name that is not UTF-8 cannot be a snapshot's: refused if it looks like one.
            guard let text = String(validating: bytes, as: UTF8.self) else {
                let lossy = String(decoding: bytes, as: UTF8.self)
                if case .other = Snapshot.classify(lossy) { continue }
                present.insert(bytes)
                refuse(bytes, "the file name is not valid UTF-8 (rename it)")
                continue
            }
            switch Snapshot.classify(text) {
            case .other: continue
            case .refused(let why):
                present.insert(bytes)
                refuse(bytes, why)
            case .snapshot(let p):
                present.insert(bytes)
                names.append((bytes, text))
                parsed[bytes] = (p.name, p.step, p.role)
            }
        }
        // Deleted files are forgotten.
        pending = pending.filter { present.contains($0.key) }
        complete = complete.filter { present.contains($0.key) }
        delivered.formIntersection(present)
        refused.formIntersection(present)
        var wallNow = timespec()
        clock_gettime(CLOCK_REALTIME, &wallNow)
        let settleSeconds = Double(settle.components.seconds) + Double(settle.components.attoseconds) / 1e18
        for (file, text) in names {
            var st = stat()
            guard lstat(directory + "/" + text, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
                complete.removeValue(forKey: file)
                continue
            }
            let size = Int64(st.st_size), modified = st.st_mtim
            if let done = complete[file] {
                // A snapshot rewritten under the same name is read again once it settles.
                guard done.size != size || !Self.same(done.modified, modified) else { continue }
                complete.removeValue(forKey: file)
                delivered.remove(file)
            }
            // Unchanged for the settle time, by two looks or by its own modification time.
            let age = Double(wallNow.tv_sec - modified.tv_sec) + Double(wallNow.tv_nsec - modified.tv_nsec) / 1e9
            if let seen = pending[file], seen.size == size, Self.same(seen.modified, modified) {
                if size > 0 && (now - seen.since >= settle || age >= settleSeconds) {
                    complete[file] = (size, modified)
                    pending.removeValue(forKey: file)
                }
            } else if size > 0 && age >= settleSeconds && pending[file] == nil {
                complete[file] = (size, modified)
            } else {
                pending[file] = (size, modified, now)
            }
        }
        // Group complete files into snapshots by name (its bytes) and step: one file holding
        // both, or both halves of a pair.
        struct Key: Hashable {
            let name: NameBytes
            let step: Int
        }
        var groups: [Key: (name: String, embeddings: NameBytes?, labels: NameBytes?, both: [NameBytes])] = [:]
        for file in complete.keys where !delivered.contains(file) {
            guard let p = parsed[file] else { continue }  // complete files are all present
            let key = Key(name: Array(p.name.utf8), step: p.step)
            var entry = groups[key] ?? (p.name, nil, nil, [])
            switch p.role {
            case .embeddings: entry.embeddings = file
            case .labels: entry.labels = file
            case .both: entry.both.append(file)
            }
            groups[key] = entry
        }
        func path(_ file: NameBytes) -> String { directory + "/" + String(decoding: file, as: UTF8.self) }
        var out: [Snapshot] = []
        for (key, e) in groups {
            if let both = e.both.min(by: { $0.lexicographicallyPrecedes($1) }) {
                // Every file of this name and step is taken: one snapshot, not one per spelling.
                delivered.formUnion(e.both)
                delivered.formUnion([e.embeddings, e.labels].compactMap { $0 })
                out.append(Snapshot(name: e.name, step: key.step, embeddings: path(both), labels: nil))
            } else if let emb = e.embeddings, let lab = e.labels {
                delivered.formUnion([emb, lab])
                out.append(Snapshot(name: e.name, step: key.step, embeddings: path(emb), labels: path(lab)))
            }
        }
        return out.sorted()
    }

    private func refuse(_ name: NameBytes, _ why: String) {
        guard refused.insert(name).inserted else { return }
        refusals.append(DataError(directory + "/" + Self.display(name), why))
    }
}
