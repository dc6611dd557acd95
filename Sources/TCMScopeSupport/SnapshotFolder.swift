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
/// changed for `settle`: by its modification time (a file last written that long ago is complete
/// at first sight), or by two looks that far apart (a writer that renames a finished temporary
/// file passes at once; one that writes in place must pause for that long). Hidden and `*.tmp`/`*.part` names are
/// never read. Each snapshot is returned once, in step order among those that became complete
/// together; a deleted file is forgotten, a rewritten one is read again; a poll costs one directory
/// listing and an `lstat` per snapshot file.
///
/// Not thread-safe: one owner at a time (the dashboard hands it from the wait for the first
/// snapshot to its watch job, which is then its only user).
public final class SnapshotFolder: @unchecked Sendable {
    public let directory: String
    public let settle: Duration
    /// Seen but not yet complete: size, modification time, and when that was first seen.
    private var pending: [String: (size: Int64, modified: timespec, since: ContinuousClock.Instant)] = [:]
    /// Complete, with the size and time they had: a change means the file was rewritten.
    private var complete: [String: (size: Int64, modified: timespec)] = [:]
    private var delivered: Set<String> = []
    /// At most this many snapshot files are looked at per poll (names that are not snapshots are
    /// skipped first, so a folder with millions of other files still finds its snapshots).
    public static let maxSnapshotsPerPoll = 100_000

    public init(directory: String, settle: Duration = .milliseconds(500)) {
        self.directory = directory
        self.settle = settle
    }

    private static func same(_ a: timespec, _ b: timespec) -> Bool { a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec }

    /// Snapshots that became complete since the last call, in step order; one per name and step
    /// (a file holding both arrays wins over a pair of `.npy` files). Throws only when the folder
    /// itself cannot be read (missing, not a directory).
    public func poll(now: ContinuousClock.Instant = .now) throws -> [Snapshot] {
        var info = stat()
        guard stat(directory, &info) == 0 else {
            throw DataError(directory, "cannot watch: \(String(cString: strerror(errno)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else { throw DataError(directory, "cannot watch: not a directory") }
        let names = Array(
            ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).lazy.filter {
                Snapshot.parse($0) != nil
            }.prefix(Self.maxSnapshotsPerPoll))
        let present = Set(names)
        // Deleted files are forgotten.
        pending = pending.filter { present.contains($0.key) }
        complete = complete.filter { present.contains($0.key) }
        delivered.formIntersection(present)
        var wallNow = timespec()
        clock_gettime(CLOCK_REALTIME, &wallNow)
        let settleSeconds = Double(settle.components.seconds) + Double(settle.components.attoseconds) / 1e18
        for file in names {
            var st = stat()
            guard lstat(directory + "/" + file, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
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
        // Group complete files into snapshots by name and step: one file holding both, or both
        // halves of a pair.
        struct Key: Hashable {
            let name: String
            let step: Int
        }
        var groups: [Key: (embeddings: String?, labels: String?, both: [String])] = [:]
        for file in complete.keys where !delivered.contains(file) {
            guard let p = Snapshot.parse(file) else { continue }
            let key = Key(name: p.name, step: p.step)
            var entry = groups[key] ?? (nil, nil, [])
            switch p.role {
            case .embeddings: entry.embeddings = file
            case .labels: entry.labels = file
            case .both: entry.both.append(file)
            }
            groups[key] = entry
        }
        var out: [Snapshot] = []
        for (key, e) in groups {
            if let both = e.both.sorted().first {
                // Every file of this name and step is taken: one snapshot, not one per spelling.
                delivered.formUnion(e.both)
                delivered.formUnion([e.embeddings, e.labels].compactMap { $0 })
                out.append(Snapshot(name: key.name, step: key.step, embeddings: directory + "/" + both, labels: nil))
            } else if let emb = e.embeddings, let lab = e.labels {
                delivered.formUnion([emb, lab])
                out.append(
                    Snapshot(
                        name: key.name, step: key.step, embeddings: directory + "/" + emb,
                        labels: directory + "/" + lab))
            }
        }
        return out.sorted()
    }
}
