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

        /// What the state keeps of it (the app keeps the rows).
        var curves: FineTunedCurves {
            FineTunedCurves(counts: counts, retrieval: retrieval, meanCurve: meanCurve, step: step, baseline: baseline)
        }
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

/// A computation for the state on screen, made off the UI thread one at a time: the newest
/// finished result waits in a mailbox with the request it answers (the state refuses one whose
/// request is no longer current), and the next request starts only when none is running.
final class OneAtATime<Request: Sendable, Result: Sendable>: Sendable {
    private let results: Mailbox<(Result, Request)>
    private let busy = Atomic<Bool>(false)
    private let wake: Wakeup
    private let qos: DispatchQoS.QoSClass
    private let compute: @Sendable (Request) -> Result

    init(wake: Wakeup, qos: DispatchQoS.QoSClass, compute: @escaping @Sendable (Request) -> Result) {
        results = Mailbox(wake: wake)
        self.wake = wake
        self.qos = qos
        self.compute = compute
    }

    /// True while a computation runs.
    var isBusy: Bool { busy.load(ordering: .acquiring) }

    /// The newest finished result and its request, if not yet taken.
    func take() -> (Result, Request)? { results.take() }

    /// Starts `request` on a Dispatch queue unless a computation already runs.
    func start(_ request: Request?) {
        guard let request, !busy.load(ordering: .acquiring) else { return }
        busy.store(true, ordering: .releasing)
        DispatchQueue.global(qos: qos).async { [self] in
            results.put((compute(request), request))
            // Wake again once idle: a request that came meanwhile gets started.
            busy.store(false, ordering: .releasing)
            wake.signal()
        }
    }
}

/// Reports for a changed range on many classes (newest request wins; `DashboardState.install`
/// refuses a report whose range moved on meanwhile).
final class ReportController: Sendable {
    private let job: OneAtATime<ReportRequest, ThresholdReport>

    init(wake: Wakeup) {
        job = OneAtATime(wake: wake, qos: .userInteractive) { $0.analyzer.report($0.options) }
    }

    /// True while a report is being made.
    var isBusy: Bool { job.isBusy }

    /// A finished report, as the event that installs it (`apply` refuses it if the range moved on).
    func take() -> DashboardEvent? { job.take().map { .reportFinished($0.0, for: $0.1) } }

    /// Starts the state's pending report, if any and none is being made.
    func start(_ request: ReportRequest?) { job.start(request) }
}

/// OPIS's interval for the report on screen (`DashboardState.pendingInterval`): the class
/// bootstrap, started after the report itself is there.
final class IntervalController: Sendable {
    private let worker: OneAtATime<IntervalRequest, BootstrapSummary>

    init(wake: Wakeup) {
        worker = OneAtATime(wake: wake, qos: .utility) { request in
            BootstrapSummary.compute(
                report: request.report, counts: request.counts, retrieval: nil,
                replicates: DashboardState.intervalReplicates, seed: 1, level: 0.95, threads: 1)
        }
    }

    var isBusy: Bool { worker.isBusy }

    /// A finished interval, as the event that installs it (kept only for the report it was made for).
    func take() -> DashboardEvent? { worker.take().map { .intervalFinished($0.0, for: $0.1.key) } }

    /// Starts the next interval needed, if any and none is being made.
    func start(_ request: IntervalRequest?) { worker.start(request) }
}
