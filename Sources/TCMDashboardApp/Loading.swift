import Dispatch
import Foundation
import Synchronization
import TCMDashboard
import TCMData
import TCMJobs
import TCMKernels
import TCMMetrics
import TCMProjection
import TCMTerminal

/// What the dashboard needs before its first frame.
public struct InitialAnalysis: Sendable {
    public var counts: PairCounts
    public var retrieval: RetrievalReport
    /// PCA of every (unit) row, in the dataset's row order: x0, y0, x1, y1, …
    public var pca: [Float]

    public init(counts: PairCounts, retrieval: RetrievalReport, pca: [Float]) {
        self.counts = counts
        self.retrieval = retrieval
        self.pca = pca
    }
}

extension DashboardApp {
    /// The whole first analysis: pair pass, retrieval, PCA. Everything the dashboard computes
    /// before its first frame goes through here (a fused pair + retrieval pass replaces the first
    /// two stages in one place). `progress` gets each stage's fraction (from worker threads);
    /// `checkpoint` runs between stages and may throw to abandon the rest.
    public static func initialAnalysis(
        layout: ClassLayout, embeddings: Matrix,
        progress: @escaping @Sendable (LoadingState.Progress) -> Void = { _ in },
        checkpoint: () throws -> Void
    ) rethrows -> InitialAnalysis {
        // One pass gives the counts and the neighbours (MetricsPass): retrieval is done when it ends.
        progress(.init(stage: .pairPass, fraction: 0))
        let (counts, retrieval) = MetricsPass.countsAndRetrieval(
            layout: layout, ks: [1],
            progress: { progress(.init(stage: .pairPass, fraction: $0)) })
        try checkpoint()
        progress(.init(stage: .retrieval, fraction: 1))
        // PCA is one D×D covariance product and a small eigen-solve: coarse steps are enough.
        progress(.init(stage: .pca, fraction: 0))
        let unit = RowNorms.normalized(embeddings)
        progress(.init(stage: .pca, fraction: 0.25))
        let fit = PCA(fitting: unit, components: 2)
        progress(.init(stage: .pca, fraction: 0.75))
        let pca = fit.transform(unit).values
        progress(.init(stage: .pca, fraction: 1))
        return InitialAnalysis(counts: counts, retrieval: retrieval, pca: pca)
    }
}

/// The first analysis on a Dispatch queue. The UI loop takes the newest progress report and, at
/// the end, the result; `cancel()` abandons the stages not yet started (a pass already running
/// is left to finish or to die with the process).
final class LoadingJob: Sendable {
    private let progress: Mailbox<LoadingState.Progress>
    private let output: Mailbox<InitialAnalysis>
    private let control = JobControl()
    private let finished = Atomic<Bool>(false)

    init(dataset: Dataset, wake: Wakeup? = nil) {
        progress = Mailbox(wake: wake)
        output = Mailbox(wake: wake)
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            let layout = ClassLayout(dataset: dataset)
            let analysis = try? DashboardApp.initialAnalysis(
                layout: layout, embeddings: dataset.embeddings,
                progress: { p in self.progress.put(p) },
                checkpoint: { if self.isCancelled { throw CancellationError() } })
            if let analysis { output.put(analysis) }
            finished.store(true, ordering: .releasing)
            wake?.signal()
        }
    }

    func cancel() { control.cancel() }
    var isCancelled: Bool { control.isCancelled }
    /// True once the background work has returned (with a result, or abandoned).
    var isFinished: Bool { finished.load(ordering: .acquiring) }
    /// The newest progress report since the last call.
    func takeProgress() -> LoadingState.Progress? { progress.take() }
    func takeResult() -> InitialAnalysis? { output.take() }
}

/// The loading screen as a loop screen: shows the first analysis's progress, quits on q or ^C,
/// is done when the result arrives.
final class LoadingScreenLoop: LoopScreen {
    private var screen: LoadingState
    private let job: LoadingJob
    private(set) var result: InitialAnalysis?

    init(screen: LoadingState, job: LoadingJob) {
        self.screen = screen
        self.job = job
    }

    var isDone: Bool { result != nil }
    var nextDeadline: Duration? { .seconds(1) }  // progress wakes the loop; this only bounds a missed wake

    func update() -> Bool {
        var changed = false
        if let p = job.takeProgress() {
            let before = screen
            screen.apply(p)
            changed = screen != before
        }
        if let analysis = job.takeResult() { result = analysis }
        return changed
    }

    func render(into buffer: inout CellBuffer) { LoadingScreen.render(screen, into: &buffer) }

    func handle(_ event: Event, size: (width: Int, height: Int)) -> EventOutcome {
        switch event {
        case .key(.character("q")), .key(.character("Q")), .key(.character("\u{3}")):  // ^C as a key, if ISIG is off
            job.cancel()
            return .quit
        case .resize: return .changed
        default: return .unchanged
        }
    }
}

extension DashboardApp {
    /// Runs the first analysis in the background while this (UI) thread draws the loading screen
    /// and reads keys. Nil when the user quit (q or Ctrl-C) before it finished.
    public static func load(_ dataset: Dataset, path: String, on backend: TerminalBackend) -> InitialAnalysis? {
        let fileBytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
        let screen = LoadingState(
            file: (path as NSString).lastPathComponent, rows: dataset.count, dimension: dataset.dimension,
            classes: dataset.labels.classCount, fileBytes: fileBytes)
        let wake = Wakeup()
        let loop = LoadingScreenLoop(screen: screen, job: LoadingJob(dataset: dataset, wake: wake))
        EventLoop.run(loop, on: backend, wake: wake)
        return loop.result
    }
}
