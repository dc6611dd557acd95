import CTempCleanup
import Foundation
import Synchronization

/// All the files one run writes, made visible together or not at all.
///
/// `check` refuses, before any work, a target that exists and is not a regular file (a device, a
/// directory, a FIFO: writing "over" /dev/null as root would replace the device). `stage` writes a
/// file's bytes to a temporary file beside its target (`.NAME.tcmscope-tmp-PID`), with the mode of
/// the file it will replace; `commit` renames every staged file over its target only once all were
/// written; `abandon` (or dropping the transaction uncommitted) removes them. The temporary files
/// are also removed on SIGINT, SIGTERM and SIGHUP once `OutputTransaction.removeTemporariesOnSignals()`
/// was called, and one left by a process that no longer exists (SIGKILL) is removed when the same
/// target is next staged.
public final class OutputTransaction {
    private struct Staged {
        let temporary: String
        let target: String
        let slot: Int32
    }
    private var staged: [Staged] = []
    private var finished = false

    public init() {}

    deinit { abandon() }

    /// Refuses each target that cannot be replaced by a regular file; call before any work.
    public static func check(_ targets: [String]) throws {
        for target in targets { try checkTarget(target) }
    }

    /// Writes `bytes` to a temporary file next to `target` (replacing an earlier staging of it).
    public func stage(_ bytes: [UInt8], to link: String) throws {
        try stage(to: link) { write in try write(bytes) }
    }

    /// Stages what `body` writes, piece by piece, through the `write` it is given: a large file
    /// (a shard's count file) is written as it is encoded instead of held whole. A failed write
    /// throws out of `write` (and then out of `stage`, naming `link`); an error `body` throws
    /// leaves nothing staged.
    public func stage(to link: String, writing body: (_ write: ([UInt8]) throws -> Void) throws -> Void) throws {
        precondition(!finished, "staging into a finished output transaction")
        let target = OutputTransaction.followingLinks(link)
        let existing = try OutputTransaction.checkTarget(target)
        let url = URL(fileURLWithPath: target)
        let directory = url.deletingLastPathComponent().path
        let prefix = OutputTransaction.temporaryPrefix(for: url.lastPathComponent)
        OutputTransaction.removeAbandoned(in: directory, prefix: prefix)
        let temporary = directory + "/" + prefix + "\(getpid())"
        if let earlier = staged.firstIndex(where: { $0.target == target }) { discard(staged.remove(at: earlier)) }
        unlink(temporary)  // a leftover of an earlier process that had our PID
        // O_EXCL and O_NOFOLLOW: never write through a link planted at the temporary name.
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o666)
        guard fd >= 0 else { throw DataError(link, "cannot write: \(String(cString: strerror(errno)))") }
        let slot = OutputTransaction.registry.withLock { _ in tcm_cleanup_register(temporary) }
        let entry = Staged(temporary: temporary, target: target, slot: slot)
        var problem: String? = nil
        if let existing {
            // A replaced file keeps its permissions (a 0600 report stays private) and, for root, its owner.
            if fchmod(fd, existing.st_mode & 0o7777) != 0 { problem = String(cString: strerror(errno)) }
            if getuid() == 0 { _ = fchown(fd, existing.st_uid, existing.st_gid) }
        }
        if problem == nil {
            do {
                try body { bytes in
                    if let failure = OutputTransaction.writeAll(bytes, to: fd) {
                        throw DataError(link, "cannot write: \(failure)")
                    }
                }
            } catch {
                close(fd)
                discard(entry)
                throw error
            }
        }
        if close(fd) != 0 && problem == nil { problem = String(cString: strerror(errno)) }
        if let problem {
            discard(entry)
            throw DataError(link, "cannot write: \(problem)")
        }
        staged.append(entry)
    }

    public func stage(_ text: String, to target: String) throws { try stage(Array(text.utf8), to: target) }

    /// Renames every staged file over its target, all or none.
    ///
    /// A target that exists is kept under a second name (a hard link, no copy) until every rename
    /// has happened. A failed rename, or SIGINT/SIGTERM/SIGHUP arriving meanwhile (deferred, see
    /// `tcm_commit_begin`), puts every target back as it was; the signal then ends the process
    /// with 128 + its number, as before the commit. One commit runs at a time in a process.
    public func commit() throws {
        precondition(!finished, "committing a finished output transaction")
        finished = true
        OutputTransaction.pauseForSignalTests("TCMSCOPE_TEST_PAUSE_BEFORE_COMMIT")
        try OutputTransaction.commitLock.withLock { _ in try commitStaged() }
    }

    private func commitStaged() throws {
        var backups: [(path: String, slot: Int32)?] = []
        for entry in staged {
            do { backups.append(try OutputTransaction.keepEarlier(entry)) } catch {
                for kept in backups.compactMap({ $0 }) { discard(kept.path, kept.slot) }
                abandon()
                throw error
            }
        }
        tcm_commit_begin()
        var renamed = 0
        var failure: DataError? = nil
        for entry in staged where tcm_commit_pending() == 0 {
            guard rename(entry.temporary, entry.target) == 0 else {
                failure = DataError(
                    entry.target, "cannot write: \(String(cString: strerror(errno))); no output was changed")
                break
            }
            renamed += 1
            if renamed < staged.count { OutputTransaction.pauseForSignalTests("TCMSCOPE_TEST_PAUSE_BETWEEN_RENAMES") }
        }
        let signal = tcm_commit_pending()
        if failure != nil || signal != 0 {
            // Undo in reverse: each renamed target gets its earlier file back, or goes if it had none.
            for i in stride(from: renamed - 1, through: 0, by: -1) {
                if let kept = backups[i] { rename(kept.path, staged[i].target) } else { unlink(staged[i].target) }
            }
            for (i, entry) in staged.enumerated() {
                if i >= renamed { unlink(entry.temporary) }
                if let kept = backups[i] { discard(kept.path, kept.slot) }
                OutputTransaction.forget(entry.slot)
            }
            staged = []
            let late = tcm_commit_end()
            if signal != 0 || late != 0 { tcm_exit_for_signal(signal != 0 ? signal : late) }
            throw failure!
        }
        for (i, entry) in staged.enumerated() {
            OutputTransaction.forget(entry.slot)
            if let kept = backups[i] { discard(kept.path, kept.slot) }
        }
        staged = []
        // A signal while the kept files were removed came after the commit: the outputs are all new.
        let late = tcm_commit_end()
        if late != 0 { tcm_exit_for_signal(late) }
    }

    /// The existing target, linked (or, where the file system has no hard links, copied) to
    /// `TEMPORARY.old` and registered for removal on a signal; nil when there is no target yet.
    private static func keepEarlier(_ entry: Staged) throws -> (path: String, slot: Int32)? {
        var info = stat()
        guard lstat(entry.target, &info) == 0 else { return nil }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw DataError(
                entry.target, "exists and is \(kind(info.st_mode)), not a regular file; refusing to replace it")
        }
        let kept = entry.temporary + ".old"
        unlink(kept)
        if link(entry.target, kept) != 0 {
            do { try FileManager.default.copyItem(atPath: entry.target, toPath: kept) } catch {
                unlink(kept)
                throw DataError(
                    entry.target,
                    "cannot write: the earlier file could not be kept while it is replaced (\(String(cString: strerror(errno))))"
                )
            }
        }
        return (kept, registry.withLock { _ in tcm_cleanup_register(kept) })
    }

    private func discard(_ path: String, _ slot: Int32) {
        unlink(path)
        OutputTransaction.forget(slot)
    }

    /// Removes every staged file; the targets stay as they were.
    public func abandon() {
        finished = true
        for entry in staged { discard(entry) }
        staged = []
    }

    /// Makes SIGINT, SIGTERM and SIGHUP remove the staged files, then exit with 128 + the signal.
    /// Not for the dashboard, whose terminal library handles those signals itself.
    public static func removeTemporariesOnSignals() { tcm_cleanup_install() }

    /// What marks a temporary file of ours: `.NAME` + marker + PID.
    public static let marker = ".tcmscope-tmp-"

    /// The longest file name Linux file systems take (NAME_MAX).
    static let longestName = 255

    /// `.NAME` + marker, the temporary's name before the PID. A target's name may be as long as the
    /// file system allows, and the temporary adds up to 29 bytes (dot, marker, a 10-digit PID,
    /// `.old`): past that, NAME is cut at a character boundary and a hash of the whole name
    /// follows, so a legal target is never refused for its temporary's name, and two long names
    /// sharing a beginning still get two temporaries.
    public static func temporaryPrefix(for name: String) -> String {
        let added = 1 + marker.utf8.count + 10 + ".old".utf8.count
        guard name.utf8.count + added > longestName else { return "." + name + marker }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a, 64 bits: stable across runs and builds
        for byte in name.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        let suffix = "~" + String(format: "%016llx", hash)
        var kept = ""
        for scalar in name.unicodeScalars {
            if kept.utf8.count + String(scalar).utf8.count + suffix.utf8.count + added > longestName { break }
            kept.unicodeScalars.append(scalar)
        }
        return "." + kept + suffix + marker
    }

    /// The tests of signal clean-up set TCMSCOPE_TEST_PAUSE_BEFORE_COMMIT or
    /// TCMSCOPE_TEST_PAUSE_BETWEEN_RENAMES (seconds, at most 60) to hold a run while its temporary
    /// files exist or halfway through its renames; unset, this does nothing.
    private static func pauseForSignalTests(_ variable: String) {
        guard let text = ProcessInfo.processInfo.environment[variable],
            let seconds = Double(text), seconds > 0, seconds <= 60
        else { return }
        Thread.sleep(forTimeInterval: seconds)
    }

    private func discard(_ entry: Staged) {
        unlink(entry.temporary)
        OutputTransaction.forget(entry.slot)
    }

    private static let registry = Mutex<Void>(())
    private static let commitLock = Mutex<Void>(())

    private static func forget(_ slot: Int32) { registry.withLock { _ in tcm_cleanup_forget(slot) } }

    /// The target's status when it exists (a regular file), nil when it does not; throws otherwise.
    @discardableResult
    private static func checkTarget(_ link: String) throws -> stat? {
        let target = followingLinks(link)
        let directory = URL(fileURLWithPath: target).deletingLastPathComponent().path
        var info = stat()
        guard stat(directory, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw DataError(link, "cannot write: directory \(directory) does not exist")
        }
        guard stat(target, &info) == 0 else {
            if errno == ENOENT { return nil }
            throw DataError(link, "cannot write: \(String(cString: strerror(errno)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw DataError(link, "exists and is \(kind(info.st_mode)), not a regular file; refusing to replace it")
        }
        return info
    }

    /// The file a symbolic link points to, so that writing through `/dev/stdout` or a link to a
    /// report replaces that file, never the link (nor a device's entry in /dev); `path` itself
    /// when it is not a link or the link dangles.
    private static func followingLinks(_ path: String) -> String {
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFLNK, let resolved = realpath(path, nil) else {
            return path
        }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    private static func kind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: return "a directory"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFIFO: return "a FIFO"
        case S_IFSOCK: return "a socket"
        default: return "a special file"
        }
    }

    /// Writes all of `bytes` to `fd`, retrying short and interrupted writes; nil, or what failed.
    public static func writeAll(_ bytes: [UInt8], to fd: Int32) -> String? {
        bytes.withUnsafeBytes { buffer -> String? in
            var offset = 0
            while offset < buffer.count {
                let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return String(cString: strerror(errno))
                }
                offset += n
            }
            return nil
        }
    }

    /// Removes `.NAME.tcmscope-tmp-PID` files whose process is gone (killed before it could clean up).
    private static func removeAbandoned(in directory: String, prefix: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names where name.hasPrefix(prefix) {
            var rest = name.dropFirst(prefix.count)
            if rest.hasSuffix(".old") { rest = rest.dropLast(4) }  // an earlier file kept during a commit
            guard let pid = pid_t(rest), pid > 0, pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { unlink(directory + "/" + name) }
        }
    }
}
