import Glibc
import Synchronization

/// Wakes a UI loop that is blocked waiting for input: background jobs `signal()` after they
/// publish, the loop's wait (`poll(2)` on the terminal and on `fileDescriptor`) returns at once.
/// A self-pipe, as btop's input poll does, so the thread that owns the terminal is the only one
/// that touches it.
///
/// Contract: `signal` never blocks (the pipe is non-blocking; a full pipe means a wake is already
/// pending); `consume` reports whether any signal arrived since the last `consume` and empties
/// the pipe. Signals are coalesced: many signals before one `consume` are one wake.
public final class Wakeup: Sendable {
    private let readEnd: Int32
    private let writeEnd: Int32
    private let pending = Atomic<Bool>(false)

    public init() {
        var ends: [Int32] = [-1, -1]
        // A pipe cannot fail here short of running out of descriptors; then the loop still
        // works on its deadlines (signal only sets the flag, the descriptor never becomes readable).
        if pipe(&ends) == 0 {
            for fd in ends {
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            }
        } else {
            ends = [-1, -1]
        }
        readEnd = ends[0]
        writeEnd = ends[1]
    }

    deinit {
        if readEnd >= 0 { close(readEnd) }
        if writeEnd >= 0 { close(writeEnd) }
    }

    /// The descriptor that becomes readable after `signal()`, for `poll(2)`; -1 if none.
    public var fileDescriptor: Int32 { readEnd }

    /// Marks a wake pending and makes `fileDescriptor` readable. Safe from any thread.
    public func signal() {
        // Only the first signal of a burst writes: the pipe holds at most one byte.
        guard !pending.exchange(true, ordering: .acquiringAndReleasing) else { return }
        var byte: UInt8 = 1
        if writeEnd >= 0 { _ = write(writeEnd, &byte, 1) }
    }

    /// True if `signal()` was called since the last `consume()`; empties the pipe.
    public func consume() -> Bool {
        // Drain first, whatever the flag says: a byte left behind would make every later poll
        // return at once. A signal racing with this is either seen by the exchange or leaves
        // its byte for the next wait.
        var bytes = [UInt8](repeating: 0, count: 16)
        if readEnd >= 0 { while read(readEnd, &bytes, bytes.count) > 0 {} }
        return pending.exchange(false, ordering: .acquiringAndReleasing)
    }

    /// Blocks up to `milliseconds` (-1: without limit) until `signal()`; true if signalled.
    /// For loops without a terminal (the test backend, the loading job's tests).
    public func wait(milliseconds: Int32) -> Bool {
        if consume() { return true }
        guard readEnd >= 0 else { return false }
        var fds = [pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)]
        _ = poll(&fds, 1, milliseconds)
        return consume()
    }
}
