import Dispatch
import Foundation
import Synchronization
import TCMDashboard
import TCMData
import TCMJobs
import TCMKernels
import TCMMetrics
import TCMProjection
import TCMScopeSupport

/// `dash --watch DIR`: polls the folder on a Dispatch queue, analyses each complete snapshot in
/// step order, and queues every result for the UI loop (all of them, not just the newest: each is a
/// point of the timeline). A damaged or foreign snapshot becomes a "skipped" line, never a stop.
final class WatchController: Sendable {
    /// One result for the UI: a snapshot analysed, or one skipped.
    enum Result: Sendable {
        case analysed(SnapshotPoint, WatchedSnapshot, embeddings: Matrix, labels: Labels, pca: [Float])
        case skipped(String)
        /// The folder cannot be read (a status line, not a skipped snapshot).
        case folderProblem(String)
        /// Snapshots already in the folder when the watch began, read in the background after the
        /// first: how many of them are done.
        case backlog(done: Int, of: Int)
    }

    private let results = Mutex<[Result]>([])
    private let stopped = Atomic<Bool>(false)
    private let running = Atomic<Bool>(false)
    private let wake: Wakeup

    init(wake: Wakeup) { self.wake = wake }

    var isRunning: Bool { running.load(ordering: .acquiring) }

    /// Starts polling `folder` (which already delivered what came before) every `interval`, after
    /// reading `backlog`: snapshots the folder delivered before the first frame, analysed here one
    /// at a time so that the first frame waits for one snapshot, not for all of them, and only the
    /// window's curves are ever held.
    /// `intervals`: each snapshot's class bootstrap (`dash --watch … --bootstrap B`), nil for none.
    func start(
        _ folder: SnapshotFolder, reference: SnapshotReference, options: OPISOptions, backlog: [Snapshot] = [],
        intervals: IntervalSettings? = nil, interval: Duration = .milliseconds(250)
    ) {
        running.store(true, ordering: .releasing)
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            var reference = reference
            var folderProblem: String?
            for (i, snapshot) in backlog.enumerated() where !stopped.load(ordering: .acquiring) {
                analyse(snapshot, options: options, intervals: intervals, reference: &reference)
                put(.backlog(done: i + 1, of: backlog.count))
            }
            while !stopped.load(ordering: .acquiring) {
                let snapshots: [Snapshot]
                do {
                    snapshots = try folder.poll()
                    folderProblem = nil
                } catch {
                    // The folder itself (moved away, not a directory): said once, not per poll.
                    let message = (error as? DataError)?.description ?? "\(error)"
                    if message != folderProblem { put(.folderProblem(message)) }
                    folderProblem = message
                    snapshots = []
                }
                for refusal in folder.takeRefusals() { put(.skipped(refusal.description)) }
                for snapshot in snapshots where !stopped.load(ordering: .acquiring) {
                    analyse(snapshot, options: options, intervals: intervals, reference: &reference)
                }
                Thread.sleep(
                    forTimeInterval: Double(interval.components.attoseconds) / 1e18
                        + Double(interval.components.seconds))
            }
            running.store(false, ordering: .releasing)
        }
    }

    private func analyse(
        _ snapshot: Snapshot, options: OPISOptions, intervals: IntervalSettings?, reference: inout SnapshotReference
    ) {
        do {
            let (a, ref) = try SnapshotAnalysis.analyse(
                snapshot, options: options, reference: reference, intervals: intervals)
            reference = ref
            put(Self.result(a, utility: options.utility))
        } catch let e as DataError {
            put(.skipped(e.description))
        } catch {
            put(.skipped("\(snapshot.embeddings): \(error)"))
        }
    }

    static func result(_ a: AnalysedSnapshot, utility: UtilitySpec) -> Result {
        let p = a.point
        let unit = RowNorms.normalized(a.embeddings)
        let pca = PCA(fitting: unit, components: 2).transform(unit).values
        return .analysed(
            p,
            WatchedSnapshot(
                name: p.name, step: p.step, counts: a.counts, retrieval: a.retrieval,
                meanCurve: DashboardState.meanCurve(ThresholdAnalyzer(counts: a.counts), utility), pca: pca,
                pcaClasses: a.labels.classOf, classes: a.report.classes),
            embeddings: a.embeddings, labels: a.labels, pca: pca)
    }

    private func put(_ result: Result) {
        results.withLock { $0.append(result) }
        wake.signal()
    }

    /// Everything finished since the last call, oldest first.
    func takeAll() -> [Result] {
        results.withLock { r in
            defer { r.removeAll() }
            return r
        }
    }

    func stop() { stopped.store(true, ordering: .releasing) }
}
