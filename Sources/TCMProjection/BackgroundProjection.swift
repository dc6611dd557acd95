import Dispatch
import Synchronization
import TCMKernels

/// Runs t-SNE on a Dispatch queue and keeps only the newest layout, for a UI loop that reads it
/// each frame (it never waits for the computation and never sees a stale queue of frames).
public final class BackgroundProjection: Sendable {
    private let latest = Mutex<ProjectionSnapshot?>(nil)
    private let finished = Atomic<Bool>(false)
    private let failureText = Mutex<String?>(nil)
    private let flag = CancellationFlag()

    /// Starts at once; the first snapshot arrives after `options.publishEvery` iterations.
    public init(unitRows: Matrix, options: TSNEOptions, initial: [Float]? = nil,
                queue: DispatchQueue = .global(qos: .userInitiated)) {
        // The job keeps itself alive until the run ends, even if the caller lets go of it.
        queue.async { [self] in
            do {
                _ = try TSNE.run(unitRows: unitRows, options: options, initial: initial, cancel: flag) { snapshot in
                    self.latest.withLock { $0 = snapshot }
                }
            } catch {
                failureText.withLock { $0 = "\(error)" }
            }
            finished.store(true, ordering: .releasing)
        }
    }

    /// The newest layout published so far.
    public var snapshot: ProjectionSnapshot? { latest.withLock { $0 } }

    /// Why the run stopped without a layout (t-SNE refused its input or diverged), for the UI
    /// to show; nil while running and after a run that completed or was cancelled.
    public var failure: String? { failureText.withLock { $0 } }

    /// True once the run has ended (completed, cancelled or failed).
    public var isFinished: Bool { finished.load(ordering: .acquiring) }

    /// Asks the run to stop at its next iteration.
    public func cancel() { flag.cancel() }
}
