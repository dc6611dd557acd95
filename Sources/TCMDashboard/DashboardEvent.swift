import TCMCells
import TCMMetrics

/// Which watched folder an event is about (`dash --watch A --watch B`).
public enum WatchedRun: Int, Sendable, Equatable {
    case first, second
}

/// New curves of a fine-tuning run, analysed off the UI thread.
public struct FineTunedCurves: Sendable {
    public var counts: PairCounts
    public var retrieval: RetrievalReport?
    public var meanCurve: [Double]?
    /// The training step the curves come from.
    public var step: Int
    /// The user's own embeddings of the same rows before the adapter, analysed with the first
    /// evaluation: the ghost's curves.
    public var baseline: PairCounts?

    public init(
        counts: PairCounts, retrieval: RetrievalReport?, meanCurve: [Double]?, step: Int, baseline: PairCounts? = nil
    ) {
        self.counts = counts
        self.retrieval = retrieval
        self.meanCurve = meanCurve
        self.step = step
        self.baseline = baseline
    }
}

/// Everything that can change the dashboard's state, as a value (The Elm Architecture, as
/// ratatui's guides describe it): the user's keys and clicks, and what background jobs report.
/// The UI thread hands each one to `DashboardState.apply`, the only code that changes the state;
/// jobs never touch the state, they report by sending events.
public enum DashboardEvent: Sendable {
    // The user.
    case key(Key)
    case click(x: Int, y: Int, screenWidth: Int, screenHeight: Int)
    /// The pointer moved with the button held, or the button went up, at column `x`.
    case drag(x: Int)
    case release(x: Int)
    case wheel(x: Int, y: Int, up: Bool, screenWidth: Int, screenHeight: Int)

    // Set-up from the command line.
    /// `dash --blocks`: block dots instead of Braille.
    case canvasMode(Canvas.Mode)
    /// `dash --tcm-margins`: how the fine-tuning pane names each loss's TCM margins.
    case tcmMarginsNames([String: String])

    // Background jobs.
    /// A report made off the UI thread for `request` (many classes): ignored when the range or
    /// the analysis changed meanwhile (a stale generation).
    case reportFinished(ThresholdReport, for: ReportRequest)
    /// OPIS's interval made for `key`: ignored unless that report is still on screen.
    case intervalFinished(BootstrapSummary, for: IntervalKey)
    /// The projection pane's layout, the class of each point and what made it (nil: unchanged).
    case projection(points: [Float]?, labels: [Int32]?, status: String)
    /// `t` was accepted: a new single run starts (`adapter`: on held-out rows of the user's
    /// embeddings, whose ghost is then the user's own embeddings of those rows).
    case trainingStarted(TrainingStatus, adapter: Bool)
    /// The single run's progress.
    case trainingProgress(TrainingStatus)
    /// The single run's newest evaluation, re-analysed.
    case trainingCurves(FineTunedCurves)
    /// `A` was accepted: both runs start from the curves on screen.
    case abStarted(lossName: String, tcmMarginsAuto: Bool, adapter: Bool)
    case abProgress(ABSide, TrainingStatus)
    case abCurves(ABSide, FineTunedCurves, adapter: Bool)
    /// `dash --watch DIR`: the run's pane replaces fine-tuning.
    case watchStarted(WatchedRun, directory: String)
    /// A watched folder's snapshot, analysed.
    case snapshotArrived(WatchedRun, SnapshotPoint, WatchedSnapshot)
    case snapshotSkipped(WatchedRun, String)
    /// The snapshots already in the folder when the watch began: how many are read.
    case watchProgress(WatchedRun, done: Int, of: Int)
    /// A line for the status bar: a save's outcome, a folder that cannot be read, a run refused.
    case message(String)
}

/// What `apply` asks the app to do beyond changing the state: the app's controllers run these
/// and report back only by sending events.
public enum DashboardEffect: Equatable, Sendable {
    case quit
    /// Start a single run with the loss and TCM switch chosen in the fine-tuning pane.
    case startTraining
    /// Start the A/B: the chosen loss alone and with TCM, from one start.
    case startAB
    case pauseOrResumeTraining, cancelTraining
    case pauseOrResumeAB, cancelAB
    /// PCA ↔ t-SNE.
    case reproject
    case save
}

extension DashboardState {
    /// The only code that changes the state: one event in, the state updated and what the app
    /// must do out. Every other mutating method of the state is internal to this module, and
    /// every stored property's setter too, so the app (another module) cannot change the state
    /// any other way: the compiler checks the single writer.
    @discardableResult
    public mutating func apply(_ event: DashboardEvent) -> [DashboardEffect] {
        switch event {
        case .key(let key):
            return handle(key).map { [$0] } ?? []
        case .click(let x, let y, let width, let height):
            click(x: x, y: y, screenWidth: width, screenHeight: height)
        case .drag(let x):
            dragged(toX: x)
        case .release(let x):
            dragged(toX: x)
            released()
        case .wheel(let x, let y, let up, let width, let height):
            wheel(x: x, y: y, up: up, screenWidth: width, screenHeight: height)
        case .canvasMode(let mode):
            canvasMode = mode
        case .tcmMarginsNames(let names):
            fineTuning.marginsNames = names
        case .reportFinished(let report, let request):
            install(report, for: request)
        case .intervalFinished(let summary, let key):
            install(summary, for: key)
        case .projection(let points, let labels, let status):
            if let points { projection.points = points }
            if let labels { projection.labels = labels }
            projection.status = status
        case .trainingStarted(let status, let adapter):
            startTraining(status, adapter: adapter)
        case .trainingProgress(let status):
            // A late word from a single run never overwrites an A/B that replaced it.
            if case .single = fineTuning.run { fineTuning.run = .single(status) }
        case .trainingCurves(let curves):
            if case .single = fineTuning.run { installTrainingCurves(curves) }
        case .abStarted(let lossName, let marginsAuto, let adapter):
            if adapter { adaptBaseline() }
            beginAB(lossName: lossName)
            if var ab = fineTuning.ab {
                ab[.tcm].training.marginsAuto = marginsAuto
                fineTuning.run = .ab(ab)
            }
        case .abProgress(let side, let status):
            if var ab = fineTuning.ab {
                ab[side].training = status
                fineTuning.run = .ab(ab)
            }
        case .abCurves(let side, let curves, let adapter):
            guard fineTuning.ab != nil else { break }
            if let before = curves.baseline { baseline = ThresholdAnalyzer(counts: before) }
            if baseline == nil && !adapter { baseline = analyzer }
            installAB(
                side, counts: curves.counts, retrieval: curves.retrieval, meanCurve: curves.meanCurve, step: curves.step
            )
        case .watchStarted(let which, let directory):
            if which == .first {
                watch.run = RunTimeline(directory: directory)
            } else {
                watch.secondRun = RunTimeline(directory: directory)
            }
        case .snapshotArrived(let which, let point, let snapshot):
            addSnapshot(point, snapshot, second: which == .second)
        case .snapshotSkipped(let which, let message):
            if which == .first { watch.run?.skip(message) } else { watch.secondRun?.skip(message) }
            status = "skipped: \(message)"
        case .watchProgress(let which, let done, let total):
            let folder = (which == .first ? watch.run : watch.secondRun)?.directory ?? "the folder"
            status =
                done < total
                ? "reading the snapshots already in \(folder): \(done) of \(total)"
                : "read the \(total) snapshot(s) already in \(folder)"
        case .message(let text):
            status = text
        }
        return []
    }

    /// A single run starts: it replaces whatever fine-tuning was on screen, an A/B included (one
    /// enum holds either, `FineTuningRun`).
    mutating func startTraining(_ status: TrainingStatus, adapter: Bool) {
        if adapter { adaptBaseline() }
        fineTuning.run = .single(status)
        self.status = "fine-tuning: \(fineTuning.lossName)\(fineTuning.useTCM ? " + TCM" : "")"
    }

    /// An adapter run is judged on held-out rows: the ghost becomes the user's own embeddings of
    /// those rows, once analysed.
    mutating func adaptBaseline() {
        baseline = nil
        showBaseline = true
    }

    /// The single run's new curves: the curves before it become the ghost.
    mutating func installTrainingCurves(_ curves: FineTunedCurves) {
        if let original = curves.baseline { baseline = ThresholdAnalyzer(counts: original) }
        if baseline == nil { baseline = analyzer }
        replace(counts: curves.counts, retrieval: curves.retrieval, meanCurve: curves.meanCurve)
        status = "curves from training step \(curves.step)"
    }
}
