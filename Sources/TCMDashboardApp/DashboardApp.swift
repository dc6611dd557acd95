import Foundation
import TCMDashboard
import TCMData
import TCMJobs
import TCMKernels
import TCMMetrics
import TCMProjection
import TCMScopeSupport
import TCMTerminal
import TCMTraining

/// The dashboard's UI side: one thread owns the terminal and the state; analysis, projection and
/// training run on Dispatch queues (one controller each), publish into mailboxes and wake the
/// loop (`EventLoop`). Saving is the fourth controller, synchronous.
public final class DashboardApp: LoopScreen {
    public var state: DashboardState
    /// nil on a count file alone (`dash --counts`): curves, range, metrics and the table work;
    /// the projection and fine-tuning need the rows and say so.
    let dataset: Dataset?
    let bundled: Bool
    let epochs: Int
    /// `dash --tcm-margins`: the TCM of t and of A's run B; nil: the margins that work for the
    /// chosen loss (`LossChoice.tcm(for:)`).
    public var tcm: TCMRegularizer? {
        didSet { state.tcmMarginsNames = Self.marginsNames(tcm) }
    }

    /// How the pane names each loss's TCM margins: `tcm`'s, or the loss's default.
    static func marginsNames(_ tcm: TCMRegularizer?) -> [String: String] {
        Dictionary(
            uniqueKeysWithValues: LossChoice.names.map { name in
                (name, LossChoice.marginsName(tcm ?? LossChoice.tcm(for: LossChoice.spec(name))))
            })
    }
    /// Steps between evaluations: each embeds the evaluation set and refreshes the curves.
    let evaluateEvery: Int
    /// The rows on screen: all of them at first, the evaluated rows once fine-tuning reports.
    var evalEmbeddings: Matrix
    var evalLabels: Labels
    /// The labels of the rows that fine-tuning evaluates on (all of the bundled test set, or the
    /// held-out 20 % of user embeddings).
    var trainingEvalLabels: Labels?
    /// Adapter mode: the original embeddings of the held-out rows, analysed once as the baseline.
    var heldOutOriginal: Matrix?

    /// Signalled by every background job when it publishes; the loop's wait returns on it.
    public let wake = Wakeup()
    let analysis: AnalysisController
    let reports: ReportController
    let projection: ProjectionController
    let trainer: TrainingController
    let saver: SaveController
    let abRuns: ABController
    let watcher: WatchController
    /// The second watched folder's job (`--watch A --watch B`).
    let secondWatcher: WatchController
    let intervals: IntervalController

    /// Analyses the dataset on this thread first (tests and benchmarks; the dashboard shows a
    /// loading screen instead, see `LoadingScreenLoop`).
    public convenience init(
        dataset: Dataset, title: String, bundled: Bool, loss: TrainingConfig.LossSpec.Kind,
        distance: PairDistance = .cosine, epochs: Int, saveDirectory: String, evaluateEvery: Int = 100
    ) {
        let analysis = DashboardApp.initialAnalysis(
            layout: ClassLayout(dataset: dataset), embeddings: dataset.embeddings, checkpoint: {})
        self.init(
            dataset: dataset, analysis: analysis, title: title, bundled: bundled, loss: loss, distance: distance,
            epochs: epochs, saveDirectory: saveDirectory, evaluateEvery: evaluateEvery)
    }

    public init(
        dataset: Dataset?, analysis initial: InitialAnalysis, title: String, bundled: Bool,
        loss: TrainingConfig.LossSpec.Kind, distance: PairDistance = .cosine,
        epochs: Int, saveDirectory: String, evaluateEvery: Int = 100
    ) {
        self.evaluateEvery = evaluateEvery
        self.dataset = dataset
        self.bundled = bundled
        self.epochs = epochs
        analysis = AnalysisController(wake: wake)
        reports = ReportController(wake: wake)
        projection = ProjectionController(wake: wake)
        trainer = TrainingController(wake: wake)
        saver = SaveController(directory: saveDirectory)
        abRuns = ABController(wake: wake)
        watcher = WatchController(wake: wake)
        secondWatcher = WatchController(wake: wake)
        intervals = IntervalController(wake: wake)
        state = DashboardState(title: title, counts: initial.counts, retrieval: initial.retrieval)
        state.lossName = LossChoice.name(loss, distance)
        state.lossChoices = LossChoice.names
        state.saveDirectory = saveDirectory
        state.tcmMarginsNames = Self.marginsNames(nil)
        guard let dataset else {
            state.trainingDescription = "fine-tuning \(Self.needsEmbeddings)"
            state.projectionStatus = Self.needsEmbeddings
            evalEmbeddings = Matrix(rows: 0, cols: 0)
            evalLabels = Labels(classOf: [], classNames: [])
            return
        }
        let cadence = evaluateEvery > 0 ? "\(evaluateEvery) steps" : "epoch"
        state.trainingDescription =
            bundled
            ? "bundled checkpoint → MNIST train (60k); test-set curves every \(cadence)"
            : "adapter MLP \(dataset.dimension)→256→128 on 80 % of the rows; curves of the other 20 % every \(cadence)"
        evalEmbeddings = dataset.embeddings
        evalLabels = dataset.labels
        project(initial: nil, pca: initial.pca.isEmpty ? nil : initial.pca)
    }

    /// What the panes that need rows say on a count file alone.
    static let needsEmbeddings = "needs the embeddings: dash EMB LABELS --counts FILE"

    // The jobs' state, by the names the loop's tests use.
    public var training: BackgroundTraining? { trainer.job }
    var projectionJob: BackgroundProjection? { projection.job }
    var useTSNE: Bool {
        get { projection.useTSNE }
        set { projection.useTSNE = newValue }
    }
    var tsneLimit: Int {
        get { projection.tsneLimit }
        set { projection.tsneLimit = newValue }
    }

    /// Lays out the rows on screen: PCA at once, or t-SNE in the background (see `ProjectionController`).
    func project(initial: [Float]?, pca: [Float]? = nil) {
        projection.project(evalEmbeddings, labels: evalLabels, initial: initial, pca: pca, into: &state)
    }

    /// Runs the dashboard until q.
    public func run(_ backend: TerminalBackend) {
        EventLoop.run(self, on: backend, wake: wake)
    }

    // MARK: LoopScreen

    public var isDone: Bool { false }

    /// Every change is announced by a wake-up, so the loop needs no deadline of its own while
    /// idle; while a job runs, a second bounds the wait in case a wake-up was missed.
    public var nextDeadline: Duration? {
        jobs.contains(where: \.isWorking) || state.training.running || state.pendingReport != nil
            || state.ab?.running == true
            ? .seconds(1) : nil
    }

    /// Every background job, for the deadline and the quit (see `DashboardJob`).
    var jobs: [any DashboardJob] {
        [analysis, reports, intervals, projection, trainer, abRuns, watcher, secondWatcher]
    }

    public func render(into buffer: inout CellBuffer) { Dashboard.render(state, into: &buffer) }

    public func handle(_ event: Event, size: (width: Int, height: Int)) -> EventOutcome {
        switch event {
        case .wake: return .unchanged  // `update` reads the mailboxes next
        case .resize: return .changed
        case .click(let x, let y):
            state.click(x: x, y: y, screenWidth: size.width, screenHeight: size.height)
            return .changed
        case .drag(let x, _):
            guard state.drag != nil else { return .unchanged }
            state.dragged(toX: x)
            return .changed
        case .release(let x, _):
            guard state.drag != nil else { return .unchanged }
            state.dragged(toX: x)
            state.released()
            return .changed
        case .wheel(let x, let y, let up):
            state.wheel(x: x, y: y, up: up, screenWidth: size.width, screenHeight: size.height)
            return .changed
        case .key(let key):
            switch state.handle(key) {
            case .quit?:
                for job in jobs { job.stopForQuit() }
                return .quit
            case .startTraining?: startTraining()
            case .startAB?: startAB()
            case .pauseOrResumeTraining?:
                if state.ab?.running == true { abRuns.pauseOrResume(&state) } else { trainer.pauseOrResume(&state) }
            case .cancelTraining?:
                if state.ab?.running == true { abRuns.cancel(&state) } else { trainer.cancel(&state) }
            case .reproject?:
                guard dataset != nil || state.run != nil else {
                    state.status = "projection \(Self.needsEmbeddings)"
                    return .changed
                }
                useTSNE.toggle()
                project(initial: nil)
            case .save?: save()
            case nil: break
            }
            return .changed
        }
    }

    public func update() -> Bool { poll() }

    /// Takes whatever the background jobs published; true if the screen changed.
    public func poll() -> Bool {
        var changed = projection.update(&state)
        let (trainingChanged, evaluation) = trainer.update(
            &state.training, canAnalyse: !state.frozen && !analysis.isBusy, analysisBusy: analysis.isBusy)
        changed = trainingChanged || changed
        if let evaluation {
            let original = state.baseline == nil ? heldOutOriginal : nil
            analysis.start(
                evaluation.embeddings, labels: trainingEvalLabels ?? evalLabels, step: evaluation.step,
                utility: state.options.utility, original: original)
        }
        changed = reports.update(&state) || changed
        changed = intervals.update(&state) || changed
        if let a = analysis.take() {
            if let original = a.baseline { state.baseline = ThresholdAnalyzer(counts: original) }
            if state.baseline == nil { state.baseline = state.analyzer }
            state.replace(counts: a.counts, retrieval: a.retrieval, meanCurve: a.meanCurve)
            evalEmbeddings = a.embeddings
            evalLabels = a.labels
            state.status = "curves from training step \(a.step)"
            project(initial: useTSNE ? state.projection : nil, pca: a.pca)
            changed = true
        }
        changed = takeSnapshots() || changed
        let (abChanged, shown) = abRuns.update(
            &state, labels: trainingEvalLabels ?? evalLabels, original: heldOutOriginal)
        if let a = shown {
            evalEmbeddings = a.embeddings
            evalLabels = a.labels
            project(initial: useTSNE ? state.projection : nil, pca: a.pca)
        }
        return abChanged || changed
    }

    /// t: starts fine-tuning with the loss and TCM switch chosen in the pane.
    public func startTraining() {
        guard let (dataset, config, adapter) = prepareRun("fine-tuning", tcm: state.useTCM) else { return }
        // A finished A/B on screen would keep the panes on its two runs, so the new run's steps and
        // curves went nowhere visible ("t" seemed to do nothing): the new run replaces it.
        state.ab = nil
        state.training = TrainingStatus()
        state.training.running = true
        state.training.message = bundled ? "loading MNIST…" : "preparing adapter…"
        state.training.marginsAuto = config.tcm?.auto != nil
        trainer.start(config: config, dataset: dataset, adapter: adapter.rows)
        state.status = "fine-tuning: \(state.lossName)\(state.useTCM ? " + TCM" : "")"
    }

    /// A: the same fine-tuning twice from one start, the chosen base loss alone and with TCM.
    public func startAB() {
        guard let (dataset, config, adapter) = prepareRun("A/B fine-tuning", tcm: true) else { return }
        state.beginAB(lossName: state.lossName)
        state.ab![.tcm].training.marginsAuto = (config.tcm ?? LossChoice.tcm(for: config.loss)).auto != nil
        abRuns.start(config: config, dataset: dataset, adapter: adapter.rows)
    }

    /// What `t` and `A` both check and prepare: no run going, the rows at hand (a count file alone
    /// has none), the config and the rows the run trains on. nil, with the reason in the status
    /// line, when a run cannot start; `what` names the run in that reason.
    func prepareRun(_ what: String, tcm: Bool) -> (Dataset, TrainingConfig, TrainingRows)? {
        guard !isTraining else {
            state.status = "fine-tuning already running (p pause, c cancel)"
            return nil
        }
        guard state.run == nil else {
            state.status = "\(what) is off while watching a run (its own loop trains it)"
            return nil
        }
        guard let dataset else {
            state.status = "\(what) \(Self.needsEmbeddings)"
            return nil
        }
        let config = trainingConfig(tcm: tcm)
        guard let rows = adapterRows(of: dataset, seed: config.seed) else { return nil }
        return (dataset, config, rows)
    }

    /// True while a run (single or A/B) is loading or running.
    var isTraining: Bool {
        training != nil || state.training.running || !abRuns.jobs.isEmpty || state.ab?.running == true
    }

    func trainingConfig(tcm: Bool) -> TrainingConfig {
        var config = TrainingConfig()
        config.loss = LossChoice.spec(state.lossName)
        config.tcm = tcm ? (self.tcm ?? LossChoice.tcm(for: config.loss)) : nil
        // Auto margins follow the calibration range on screen when it is given as FARs.
        if case .far(let low, let high) = state.options.range, config.tcm?.auto != nil {
            config.tcm!.auto!.farAtLow = low
            config.tcm!.auto!.farAtHigh = high
        }
        config.epochs = epochs
        config.evaluateEvery = evaluateEvery
        return config
    }

    /// What fine-tuning starts from: the bundled model, or an adapter on held-out rows of the data.
    enum TrainingRows {
        case bundled
        case adapter(TrainingController.AdapterRows)
        var rows: TrainingController.AdapterRows? {
            if case .adapter(let rows) = self { return rows }
            return nil
        }
    }

    /// The rows an adapter trains on and is judged on, or nil (with a status) when there are too
    /// few samples to hold some out.
    func adapterRows(of dataset: Dataset, seed: UInt64) -> TrainingRows? {
        guard !bundled else { return .bundled }
        // An adapter on user embeddings trains on 80 % of the rows and is judged on the other
        // 20 % (seeded), so the curves show what it does on rows it never saw.
        let split = HeldOutSplit.rows(of: dataset.labels, by: .sample, evalFraction: 0.2, seed: seed)
        let trainLabels = dataset.labels.subset(split.train), heldOutLabels = dataset.labels.subset(split.eval)
        guard heldOutLabels.classCount >= 2, trainLabels.classCount >= 2 else {
            state.status = "too few samples to hold out 20 % for evaluation"
            return nil
        }
        let heldOut = dataset.embeddings.gatherRows(split.eval)
        trainingEvalLabels = heldOutLabels
        heldOutOriginal = heldOut
        state.baseline = nil  // the ghost becomes your embeddings of the held-out rows
        state.showBaseline = true
        return .adapter(
            .init(train: split.train, trainLabels: trainLabels, evalInputs: heldOut, evalLabels: heldOutLabels))
    }

    /// s: writes the current embeddings, curves (CSV + SVG), report, projection figure and (after
    /// fine-tuning) checkpoint and PyTorch adapter, atomically.
    func save() {
        // While watching: every snapshot's point of the watched runs too (timeline.csv and .svg).
        let timeline = state.run.map { run in
            ([run] + (state.secondRun.map { [$0] } ?? [])).flatMap(\.points).sorted { $0.key < $1.key }
        }
        if let ab = state.ab {
            state.status = saver.saveAB(ab, checkpoints: abRuns.finalStates, timeline: timeline)
            return
        }
        state.status = saver.save(
            embeddings: dataset == nil ? nil : evalEmbeddings, labels: dataset == nil ? nil : evalLabels, state: state,
            checkpoint: trainer.finalState, timeline: timeline)
    }
}

// MARK: Watching a training run

extension DashboardApp {
    /// `dash --watch DIR`: the timeline replaces the fine-tuning pane, `first` (analysed before
    /// the first frame) is on screen, and the watch job reads `backlog` (the folder's other
    /// snapshots of that time), then polls `folder` in the background.
    public func watch(
        _ folder: SnapshotFolder, first: AnalysedSnapshot, backlog: [Snapshot] = [], reference: SnapshotReference
    ) {
        state.run = RunTimeline(directory: folder.directory)
        apply(WatchController.result(first, utility: state.options.utility))
        watcher.start(folder, reference: reference, options: state.options, backlog: backlog)
    }

    /// `--watch A --watch B`: the second run, drawn beside the first (its own rows, classes and timeline).
    public func watchSecond(
        _ folder: SnapshotFolder, first: AnalysedSnapshot, backlog: [Snapshot] = [], reference: SnapshotReference
    ) {
        state.secondRun = RunTimeline(directory: folder.directory)
        apply(WatchController.result(first, utility: state.options.utility), second: true)
        secondWatcher.start(folder, reference: reference, options: state.options, backlog: backlog)
    }

    /// The watch jobs' results, in order; true when the screen changed.
    func takeSnapshots() -> Bool {
        let first = watcher.takeAll(), second = secondWatcher.takeAll()
        for result in first { apply(result) }
        for result in second { apply(result, second: true) }
        return !first.isEmpty || !second.isEmpty
    }

    private func apply(_ result: WatchController.Result, second: Bool = false) {
        switch result {
        case .analysed(let point, let snapshot, let embeddings, let labels, let pca):
            if second {
                state.addSnapshot(point, snapshot, second: true)
                return
            }
            state.addSnapshot(point, snapshot)
            // The rows of the snapshot on screen, for t-SNE (`m`); its PCA is set with its curves.
            if let current = state.run?.current, current.key == point.key {
                evalEmbeddings = embeddings
                evalLabels = labels
                project(initial: useTSNE ? state.projection : nil, pca: pca)
            }
        case .skipped(let message):
            if second { state.secondRun?.skip(message) } else { state.run?.skip(message) }
            state.status = "skipped: \(message)"
        case .folderProblem(let message):
            state.status = message
        case .backlog(let done, let total):
            let run = second ? state.secondRun?.directory : state.run?.directory
            state.status =
                done < total
                ? "reading the snapshots already in \(run ?? "the folder"): \(done) of \(total)"
                : "read the \(total) snapshot(s) already in \(run ?? "the folder")"
        }
    }
}
