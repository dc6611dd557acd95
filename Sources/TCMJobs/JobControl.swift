import Glibc
import Synchronization

/// Pause, resume and cancel for one background job, shared between the thread that asks and the
/// job that obeys at its next check (a t-SNE iteration, a training step, a pass's stage).
///
/// Contract: `cancel` is final (a cancelled job stays cancelled, resume does not undo it);
/// `pause`/`resume` only set a flag the job reads through `isPaused` or `waitWhilePaused`.
/// Every method may be called from any thread.
public final class JobControl: Sendable {
    private let cancelled = Atomic<Bool>(false)
    private let paused = Atomic<Bool>(false)

    public init() {}

    /// Asks the job to stop at its next check.
    public func cancel() { cancelled.store(true, ordering: .releasing) }
    /// Asks the job to wait at its next check until `resume` or `cancel`.
    public func pause() { paused.store(true, ordering: .releasing) }
    public func resume() { paused.store(false, ordering: .releasing) }
    public var isCancelled: Bool { cancelled.load(ordering: .acquiring) }
    public var isPaused: Bool { paused.load(ordering: .acquiring) }

    /// Blocks the calling (job) thread while paused and not cancelled, checking every
    /// `pollMicroseconds`; returns at once when not paused. `whilePaused` runs once per check
    /// (a job restarts its throughput clock there).
    public func waitWhilePaused(pollMicroseconds: UInt32 = 20_000, whilePaused: () -> Void = {}) {
        while isPaused && !isCancelled {
            usleep(pollMicroseconds)
            whilePaused()
        }
    }
}
