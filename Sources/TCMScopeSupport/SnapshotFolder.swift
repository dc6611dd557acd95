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

    public static func < (a: Snapshot, b: Snapshot) -> Bool { (a.step, a.name) < (b.step, b.name) }

    /// "NAME-STEP" of a file name, with the role the file plays; nil for names that are not snapshots.
    static func parse(_ file: String) -> (stem: String, name: String, step: Int, role: Role)? {
        // Writers' temporary files: hidden, or with a temporary suffix.
        if file.hasPrefix(".") || file.hasSuffix(".tmp") || file.hasSuffix(".part") || file.hasSuffix(".partial") {
            return nil
        }
        let roles: [(String, Role)] = [
            (".embeddings.npy", .embeddings), (".labels.npy", .labels), (".npz", .both), (".safetensors", .both),
        ]
        guard let (suffix, role) = roles.first(where: { file.hasSuffix($0.0) }) else { return nil }
        let stem = String(file.dropLast(suffix.count))
        guard let dash = stem.lastIndex(of: "-"), dash != stem.startIndex else { return nil }
        let digits = stem[stem.index(after: dash)...]
        // At most 18 digits: the step always fits an Int.
        guard !digits.isEmpty, digits.count <= 18, digits.allSatisfy(\.isASCIIDigit), let step = Int(digits) else {
            return nil
        }
        return (stem, String(stem[..<dash]), step, role)
    }

    enum Role { case embeddings, labels, both }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0" ... "9").contains(self) }
}

/// A folder a training loop writes snapshots into, polled for the complete ones.
///
/// A file counts as complete once it is a regular file whose size and modification time have not
/// changed for `settle` (a writer that renames a finished temporary file passes at the second
/// look; one that writes in place must pause for that long). Hidden and `*.tmp`/`*.part` names are
/// never read. Each snapshot is returned once, in step order among those that became complete
/// together; a deleted file is forgotten; a folder of thousands of snapshots costs one directory
/// listing and a `stat` per new file per poll.
///
/// Not thread-safe: one owner at a time (the dashboard hands it from the wait for the first
/// snapshot to its watch job, which is then its only user).
public final class SnapshotFolder: @unchecked Sendable {
    public let directory: String
    public let settle: Duration
    /// Seen but not yet complete: size, modification time, and when that was first seen.
    private var pending: [String: (size: Int64, modified: timespec, since: ContinuousClock.Instant)] = [:]
    private var complete: Set<String> = []
    private var delivered: Set<String> = []
    /// At most this many names are looked at per poll (a folder of millions stays responsive).
    public static let maxNamesPerPoll = 100_000

    public init(directory: String, settle: Duration = .milliseconds(500)) {
        self.directory = directory
        self.settle = settle
    }

    /// Snapshots that became complete since the last call, in step order. Throws only when the
    /// folder itself cannot be read (missing, not a directory).
    public func poll(now: ContinuousClock.Instant = .now) throws -> [Snapshot] {
        var info = stat()
        guard stat(directory, &info) == 0 else {
            throw DataError(directory, "cannot watch: \(String(cString: strerror(errno)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else { throw DataError(directory, "cannot watch: not a directory") }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).prefix(
            Self.maxNamesPerPoll)
        let present = Set(names)
        // Deleted files are forgotten (a snapshot rewritten under the same name is read again).
        pending = pending.filter { present.contains($0.key) }
        complete.formIntersection(present)
        delivered.formIntersection(present)
        for file in names where Snapshot.parse(file) != nil && !complete.contains(file) {
            var st = stat()
            guard lstat(directory + "/" + file, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
            let size = Int64(st.st_size), modified = st.st_mtim
            if let seen = pending[file], seen.size == size, seen.modified.tv_sec == modified.tv_sec,
                seen.modified.tv_nsec == modified.tv_nsec
            {
                if now - seen.since >= settle && size > 0 { complete.insert(file) }
            } else {
                pending[file] = (size, modified, now)
            }
        }
        // Group complete files into snapshots: one file holding both, or both halves of a pair.
        var stems: [String: (name: String, step: Int, embeddings: String?, labels: String?, both: String?)] = [:]
        for file in complete where !delivered.contains(file) {
            guard let p = Snapshot.parse(file) else { continue }
            var entry = stems[p.stem] ?? (p.name, p.step, nil, nil, nil)
            switch p.role {
            case .embeddings: entry.embeddings = file
            case .labels: entry.labels = file
            case .both: entry.both = file
            }
            stems[p.stem] = entry
        }
        var out: [Snapshot] = []
        for (_, e) in stems {
            if let both = e.both {
                delivered.insert(both)
                out.append(Snapshot(name: e.name, step: e.step, embeddings: directory + "/" + both, labels: nil))
            } else if let emb = e.embeddings, let lab = e.labels {
                delivered.formUnion([emb, lab])
                out.append(
                    Snapshot(
                        name: e.name, step: e.step, embeddings: directory + "/" + emb, labels: directory + "/" + lab))
            }
        }
        for file in complete { pending.removeValue(forKey: file) }
        return out.sorted()
    }
}
