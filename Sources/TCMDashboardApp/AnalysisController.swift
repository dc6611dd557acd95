import Dispatch
import Synchronization
import TCMDashboard
import TCMData
import TCMJobs
import TCMKernels
import TCMMetrics
import TCMProjection

/// Re-analyses fine-tuned embeddings off the UI thread (pair counts, retrieval, PCA, the mean
/// curve), one at a time; the newest finished analysis waits in a mailbox for the loop.
final class AnalysisController: Sendable {
    /// A finished re-analysis of new embeddings: counts, retrieval and a PCA layout, all made
    /// off the UI thread.
    struct Analysis: Sendable {
        var counts: PairCounts, retrieval: RetrievalReport, embeddings: Matrix, labels: Labels, step: Int, pca: [Float],
            meanCurve: [Double]
        /// The user's own embeddings of the same rows, before the adapter: the ghost's curves.
        var baseline: PairCounts?
    }

    private let results: Mailbox<Analysis>
    private let busy = Atomic<Bool>(false)
    private let wake: Wakeup

    init(wake: Wakeup) {
        results = Mailbox(wake: wake)
        self.wake = wake
    }

    /// True from `start` until its result is in the mailbox.
    var isBusy: Bool { busy.load(ordering: .acquiring) }

    /// Recomputes pair counts and retrieval for new embeddings on a Dispatch queue; `original`
    /// (the same rows before the adapter) is analysed too when given, for the ghost.
    func start(_ embeddings: Matrix, labels: Labels, step: Int, utility: UtilitySpec, original: Matrix?) {
        busy.store(true, ordering: .releasing)
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            var tiling = PairCounts.Tiling()
            tiling.threads = 1
            let baseline = original.map {
                PairCounts.compute(layout: ClassLayout(embeddings: $0, labels: labels), tiling: tiling)
            }
            let layout = ClassLayout(embeddings: embeddings, labels: labels)
            let (counts, retrieval) = MetricsPass.countsAndRetrieval(layout: layout, tiling: tiling, ks: [1])
            let unit = RowNorms.normalized(embeddings)
            let pca = PCA(fitting: unit, components: 2).transform(unit).values
            let meanCurve = DashboardState.meanCurve(ThresholdAnalyzer(counts: counts), utility)
            results.put(
                Analysis(
                    counts: counts, retrieval: retrieval, embeddings: embeddings, labels: labels, step: step, pca: pca,
                    meanCurve: meanCurve, baseline: baseline))
            // Wake again once idle: a result that was waiting for this one can start now.
            busy.store(false, ordering: .releasing)
            wake.signal()
        }
    }

    /// The newest finished analysis not yet taken.
    func take() -> Analysis? { results.take() }
}

/// Reports for a changed range on many classes, made off the UI thread one at a time (newest
/// request wins; `DashboardState.install` refuses a report whose range moved on meanwhile).
final class ReportController: Sendable {
    private let results: Mailbox<(ThresholdReport, ReportRequest)>
    private let busy = Atomic<Bool>(false)
    private let wake: Wakeup

    init(wake: Wakeup) {
        results = Mailbox(wake: wake)
        self.wake = wake
    }

    /// True while a report is being made.
    var isBusy: Bool { busy.load(ordering: .acquiring) }

    /// Starts the state's pending report unless one is being made; true if anything changed.
    func update(_ state: inout DashboardState) -> Bool {
        var changed = false
        if let (report, request) = results.take() {
            state.install(report, for: request)
            changed = true
        }
        if let request = state.pendingReport, !busy.load(ordering: .acquiring) {
            busy.store(true, ordering: .releasing)
            DispatchQueue.global(qos: .userInteractive).async { [self] in
                results.put((request.analyzer.report(request.options), request))
                // Wake again once idle: a range that moved meanwhile gets its report started.
                busy.store(false, ordering: .releasing)
                wake.signal()
            }
        }
        return changed
    }
}

/// OPIS's interval for the report on screen (`DashboardState.pendingInterval`): the class
/// bootstrap on a Dispatch queue, one at a time, started after the report itself is there.
final class IntervalController: Sendable {
    private let results: Mailbox<(BootstrapSummary, IntervalKey)>
    private let busy = Atomic<Bool>(false)
    private let wake: Wakeup

    init(wake: Wakeup) {
        results = Mailbox(wake: wake)
        self.wake = wake
    }

    var isBusy: Bool { busy.load(ordering: .acquiring) }

    /// Installs a finished interval and starts the next one needed; true if the screen changed.
    func update(_ state: inout DashboardState) -> Bool {
        var changed = false
        if let (summary, key) = results.take() { changed = state.install(summary, for: key) }
        if let request = state.pendingInterval, !busy.load(ordering: .acquiring) {
            busy.store(true, ordering: .releasing)
            DispatchQueue.global(qos: .utility).async { [self] in
                let summary = BootstrapSummary.compute(
                    report: request.report, counts: request.counts, retrieval: nil,
                    replicates: DashboardState.intervalReplicates, seed: 1, level: 0.95, threads: 1)
                results.put((summary, request.key))
                busy.store(false, ordering: .releasing)
                wake.signal()
            }
        }
        return changed
    }
}
