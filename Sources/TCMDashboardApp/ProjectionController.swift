import TCMDashboard
import TCMData
import TCMJobs
import TCMKernels
import TCMProjection

/// The projection pane's job: PCA at once on the UI thread (it is instant), t-SNE on a Dispatch
/// queue with its newest layout picked up by `update`.
final class ProjectionController {
    private let wake: Wakeup
    /// The running t-SNE, if any.
    private(set) var job: BackgroundProjection?
    var useTSNE = false
    /// t-SNE runs on at most this many rows, stratified by class and seeded (the status says so).
    var tsneLimit = 10_000
    /// Says which rows t-SNE shows when it does not show them all.
    private var tsneScope = ""

    init(wake: Wakeup) { self.wake = wake }

    /// PCA of every row (or the given `pca` layout); t-SNE in the background on a stratified
    /// subsample of at most `tsneLimit` rows, warm-started from `initial` when it is of the same
    /// rows. Returns the event that puts it on screen.
    func project(_ embeddings: Matrix, labels: Labels, initial: [Float]?, pca: [Float]?) -> DashboardEvent {
        cancel()
        if !useTSNE {
            let points: [Float]
            if let pca {
                points = pca
            } else {
                let unit = RowNorms.normalized(embeddings)
                points = PCA(fitting: unit, components: 2).transform(unit).values
            }
            return .projection(points: points, labels: labels.classOf, status: "PCA")
        }
        let kept = StratifiedSample.indices(labels: labels, limit: tsneLimit, seed: 1)
        let unit = RowNorms.normalized(kept.count < embeddings.rows ? embeddings.gatherRows(kept) : embeddings)
        let warm = initial.flatMap { $0.count == 2 * kept.count ? $0 : nil }
        var options = warm == nil ? TSNEOptions() : TSNEOptions.warmStart()
        options.threads = 1  // leave a core for the UI and training
        job = BackgroundProjection(unitRows: unit, options: options, initial: warm, wake: wake)
        tsneScope = kept.count < labels.count ? " of \(kept.count) of \(labels.count) rows (stratified)" : ""
        return .projection(
            points: nil, labels: kept.count < labels.count ? labels.subset(kept).classOf : labels.classOf,
            status: "t-SNE starting" + tsneScope)
    }

    /// Stops the running t-SNE, if any (its last layout stays on screen).
    func cancel() {
        job?.cancel()
        job = nil
    }

    /// The newest t-SNE layout for the pane of `state`, as the event that shows it, if it is new.
    func update(_ state: DashboardState) -> DashboardEvent? {
        guard let job else { return nil }
        // A refused or diverged t-SNE is a message in the projection pane (the last layout stays).
        if job.isFinished, let failure = job.failure {
            self.job = nil
            return .projection(points: nil, labels: nil, status: "t-SNE failed: \(failure)")
        }
        guard let snapshot = job.snapshot, snapshot.layout.count == 2 * state.projection.labels.count,
            state.projection.points != snapshot.layout
        else { return nil }
        return .projection(
            points: snapshot.layout,
            labels: nil,
            status: (snapshot.finished ? "t-SNE" : "t-SNE \(snapshot.iteration)/\(snapshot.totalIterations)")
                + tsneScope)
    }
}
