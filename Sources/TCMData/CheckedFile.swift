#if canImport(Glibc)
import Glibc
#endif

/// A regular file opened once, checked through its descriptor, and read only through it.
///
/// Why: a check by name followed by an open by name reads whatever the name points to by then
/// (a link or another file swapped in between). Here the decision is made on `fstat` of the
/// descriptor that is read, and the identity it had (device, inode, size, modification time) is
/// kept, so a reader that takes long can tell when the name now leads elsewhere or the file was
/// written while it was read (`requireUnchanged`).
///
/// - Only regular files are opened for reading: a FIFO, a device or a socket is refused from
///   `stat` (or `lstat`) before it is opened, so opening never has a device's side effects; the
///   open is non-blocking, so a FIFO swapped in after that look is opened at once, then refused
///   by `fstat`.
/// - With `refuseLinks` (watched folders, whose files someone else names), a symbolic link is
///   refused, also one swapped in after the look: the open has `O_NOFOLLOW`.
///
/// The descriptor is closed when the last copy of the value goes (it is shared by the row
/// streams, which read it from several places, never concurrently with a close).
public final class CheckedFile: Sendable {
    public let path: String
    let fd: Int32
    /// At the time it was opened.
    public let size: Int
    let device: UInt64
    let inode: UInt64
    let modified: timespec

    public init(_ path: String, refuseLinks: Bool = false) throws {
        self.path = path
        var info = stat()
        guard (refuseLinks ? lstat(path, &info) : stat(path, &info)) == 0 else {
            throw Self.openError(path, errno)
        }
        try Self.requireRegularFile(info, path)
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | (refuseLinks ? O_NOFOLLOW : 0))
        guard fd >= 0 else { throw Self.openError(path, errno) }
        guard fstat(fd, &info) == 0 else {
            let error = Self.openError(path, errno)
            Glibc.close(fd)
            throw error
        }
        do { try Self.requireRegularFile(info, path) } catch {
            Glibc.close(fd)
            throw error
        }
        self.fd = fd
        size = Int(info.st_size)
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        modified = info.st_mtim
    }

    deinit { Glibc.close(fd) }

    /// Throws when the file was written since it was opened (its size or modification time
    /// changed), or when `path` no longer names it (another file was renamed over it, or it was
    /// removed). What was read came through the descriptor, so it is one file's bytes either way;
    /// this says that they are no longer what the name holds.
    func requireUnchanged() throws {
        var now = stat()
        guard fstat(fd, &now) == 0 else { throw DataError(path, "read failed: \(String(cString: strerror(errno)))") }
        guard Int(now.st_size) == size else {
            throw DataError(path, "changed size while it was read (\(size) bytes, now \(now.st_size)); read it again")
        }
        guard now.st_mtim.tv_sec == modified.tv_sec && now.st_mtim.tv_nsec == modified.tv_nsec else {
            throw DataError(path, "was written to while it was read (its modification time changed); read it again")
        }
        var named = stat()
        guard stat(path, &named) == 0, UInt64(named.st_dev) == device, UInt64(named.st_ino) == inode else {
            throw DataError(
                path,
                "was replaced while it was read (the name now leads to another file, device and inode differ); read it again"
            )
        }
    }

    /// `pread` until `buffer` is full or the file ends: the number of bytes read.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws -> Int {
        var done = 0
        while done < buffer.count {
            let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw DataError(path, "read failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// The first `count` bytes (fewer in a shorter file): to tell a file's kind.
    public func prefix(_ count: Int) throws -> [UInt8] { try read(at: 0, count: min(count, size)) }

    /// At most `count` bytes from `offset` (fewer where the file ends).
    func read(at offset: Int, count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let got = try bytes.withUnsafeMutableBytes { try read(into: $0, at: offset) }
        bytes.removeSubrange(got...)
        return bytes
    }

    /// Exactly `count` bytes from `offset`, which the caller has checked lie inside `size`; a
    /// short read means the file shrank since it was opened.
    func readExactly(at offset: Int, count: Int) throws -> [UInt8] {
        let bytes = try read(at: offset, count: count)
        guard bytes.count == count else {
            throw DataError(path, "truncated while it was read (\(size) bytes when opened; it shrank)")
        }
        return bytes
    }

    static func requireRegularFile(_ info: stat, _ path: String) throws {
        let type = info.st_mode & S_IFMT
        if type == S_IFREG { return }
        if type == S_IFDIR { throw DataError(path, "is a directory, expected a file") }
        if type == S_IFLNK { throw linkError(path) }
        let name: String
        switch type {
        case S_IFIFO: name = "FIFO"
        case S_IFCHR: name = "character device"
        case S_IFBLK: name = "block device"
        case S_IFSOCK: name = "socket"
        default: name = "unknown file type"
        }
        throw DataError(path, "not a regular file (\(name)); inputs are read whole, so give a file")
    }

    private static func linkError(_ path: String) -> DataError {
        DataError(path, "is a symbolic link; links are not read here (give the file itself)")
    }

    private static func openError(_ path: String, _ code: Int32) -> DataError {
        switch code {
        case ENOENT, ENOTDIR: return DataError(path, "no such file")
        case EACCES, EPERM: return DataError(path, "cannot be opened for reading (check permissions)")
        // O_NOFOLLOW met a link that was not there when the file was looked at.
        case ELOOP: return linkError(path)
        default: return DataError(path, "cannot be read: \(String(cString: strerror(code)))")
        }
    }
}
