import Dispatch
import Synchronization
import TCMJobs
import TCMKernels

/// Runs t-SNE on a Dispatch queue and keeps only the newest layout, for a UI loop that reads it
/// each frame (it never waits for the computation and never sees a stale queue of frames).
///
/// Contract: every snapshot, the failure and the end of the run signal `wake` (if given), so a
/// loop blocked on it wakes; `cancel()` stops the run at its next iteration.
public final class BackgroundProjection: Sendable {
    private let latest: Mailbox<ProjectionSnapshot>
    private let finished = Atomic<Bool>(false)
    private let failureText = Mutex<String?>(nil)
    private let control = JobControl()

    /// Starts at once; the first snapshot arrives after `options.publishEvery` iterations.
    public init(
        unitRows: Matrix, options: TSNEOptions, initial: [Float]? = nil,
        queue: DispatchQueue = .global(qos: .userInitiated), wake: Wakeup? = nil
    ) {
        latest = Mailbox(wake: wake)
        // The job keeps itself alive until the run ends, even if the caller lets go of it.
        queue.async { [self] in
            do {
                _ = try TSNE.run(unitRows: unitRows, options: options, initial: initial, cancel: control) { snapshot in
                    self.latest.put(snapshot)
                }
            } catch {
                failureText.withLock { $0 = "\(error)" }
            }
            finished.store(true, ordering: .releasing)
            wake?.signal()
        }
    }

    /// The newest layout published so far.
    public var snapshot: ProjectionSnapshot? { latest.peek() }

    /// Why the run stopped without a layout (t-SNE refused its input or diverged), for the UI
    /// to show; nil while running and after a run that completed or was cancelled.
    public var failure: String? { failureText.withLock { $0 } }

    /// True once the run has ended (completed, cancelled or failed).
    public var isFinished: Bool { finished.load(ordering: .acquiring) }

    /// Asks the run to stop at its next iteration.
    public func cancel() { control.cancel() }
}
