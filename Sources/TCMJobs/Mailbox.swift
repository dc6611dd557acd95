import Synchronization

/// A slot that keeps only the newest value a background job published, for a UI loop that reads
/// it when it gets round to it: the loop never waits for a job and never works through a backlog
/// of stale values.
///
/// Contract: `put` replaces whatever the slot held and then signals `wake` (if any), so a loop
/// blocked on that wakeup returns; `take` empties the slot, `peek` leaves it as it is. Every
/// method may be called from any thread.
public final class Mailbox<Value: Sendable>: Sendable {
    private let slot = Mutex<Value?>(nil)
    private let wake: Wakeup?

    /// An empty mailbox; `wake` is signalled after every `put`.
    public init(wake: Wakeup? = nil) { self.wake = wake }

    /// Replaces the held value (newest wins) and signals the wakeup.
    public func put(_ value: Value) {
        slot.withLock { $0 = value }
        wake?.signal()
    }

    /// The held value, leaving the slot empty; nil if nothing was put since the last take.
    public func take() -> Value? {
        slot.withLock { held in
            defer { held = nil }
            return held
        }
    }

    /// The held value, left in place (a job's latest state, read by every frame).
    public func peek() -> Value? { slot.withLock { $0 } }
}
