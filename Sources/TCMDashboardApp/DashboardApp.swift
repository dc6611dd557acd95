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
/// loop (`EventLoop`). Saving is the last controller, synchronous.
///
/// One writer (The Elm Architecture): everything that happens — a key, a click, a job's result —
/// becomes a `DashboardEvent` handed to `send`, whose `state.apply` is the only code that changes
/// the state; the effects it returns (start training, save, quit…) are run here by the
/// controllers, which report back by sending events. The state's setters are internal to
/// TCMDashboard, so this module could not write a field if it tried.
public final class DashboardApp: LoopScreen {
    public private(set) var state: DashboardState
    /// nil on a count file alone (`dash --counts`): curves, range, metrics and the table work;
    /// the projection and fine-tuning need the rows and say so.
    let dataset: Dataset?
    let bundled: Bool
    let epochs: Int
    /// `dash --tcm-margins`: the TCM of t and of A's run B; nil: the margins that work for the
    /// chosen loss (`LossChoice.tcm(for:)`).
    public var tcm: TCMRegularizer? {
        didSet { send(.tcmMarginsNames(Self.marginsNames(tcm))) }
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
        var setup = DashboardSetup()
        setup.lossName = LossChoice.name(loss, distance)
        setup.lossChoices = LossChoice.names
        setup.saveDirectory = saveDirectory
        setup.tcmMarginsNames = Self.marginsNames(nil)
        let cadence = evaluateEvery > 0 ? "\(evaluateEvery) steps" : "epoch"
        setup.trainingDescription =
            dataset == nil
            ? "fine-tuning \(Self.needsEmbeddings)"
            : bundled
                ? "bundled checkpoint → MNIST train (60k); test-set curves every \(cadence)"
                : "adapter MLP \(dataset!.dimension)→256→128 on 80 % of the rows; curves of the other 20 % every \(cadence)"
        state = DashboardState(title: title, counts: initial.counts, retrieval: initial.retrieval, setup: setup)
        guard let dataset else {
            evalEmbeddings = Matrix(rows: 0, cols: 0)
            evalLabels = Labels(classOf: [], classNames: [])
            send(.projection(points: nil, labels: nil, status: Self.needsEmbeddings))
            return
        }
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
        send(projection.project(evalEmbeddings, labels: evalLabels, initial: initial, pca: pca))
    }

    /// The one door into the state: `apply` changes it, and the effects it asks for run here.
    public func send(_ event: DashboardEvent) {
        for effect in state.apply(event) { perform(effect) }
    }

    /// Runs what `apply` asked for (each controller reports back by sending events).
    func perform(_ effect: DashboardEffect) {
        switch effect {
        case .quit: for job in jobs { job.stopForQuit() }
        case .startTraining: startTraining()
        case .startAB: startAB()
        case .pauseOrResumeTraining:
            if let message = trainer.pauseOrResume() {
                send(.message(message))
            } else {
                send(.trainingProgress(trainer.status))
            }
        case .cancelTraining: send(.message(trainer.cancel()))
        case .pauseOrResumeAB: for event in abRuns.pauseOrResume() { send(event) }
        case .cancelAB: send(.message(abRuns.cancel()))
        case .reproject:
            guard dataset != nil || state.watch.run != nil else {
                send(.message("projection \(Self.needsEmbeddings)"))
                return
            }
            useTSNE.toggle()
            project(initial: nil)
        case .save: save()
        }
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
        jobs.contains(where: \.isWorking) || state.fineTuning.running || state.pendingReport != nil
            ? .seconds(1) : nil
    }

    /// Every background job, for the deadline and the quit (see `DashboardJob`).
    var jobs: [any DashboardJob] {
        [analysis, reports, intervals, projection, trainer, abRuns, watcher, secondWatcher]
    }

    public func render(into buffer: inout CellBuffer) { Dashboard.render(state, into: &buffer) }

    public func handle(_ event: Event, size: (width: Int, height: Int)) -> EventOutcome {
        let input: DashboardEvent
        switch event {
        case .wake: return .unchanged  // `update` reads the mailboxes next
        case .resize: return .changed  // the layout is computed from the size at each frame
        case .click(let x, let y): input = .click(x: x, y: y, screenWidth: size.width, screenHeight: size.height)
        case .drag(let x, _):
            guard state.calibration.drag != nil else { return .unchanged }
            input = .drag(x: x)
        case .release(let x, _):
            guard state.calibration.drag != nil else { return .unchanged }
            input = .release(x: x)
        case .wheel(let x, let y, let up):
            input = .wheel(x: x, y: y, up: up, screenWidth: size.width, screenHeight: size.height)
        case .key(let key): input = .key(key)
        }
        let effects = state.apply(input)
        for effect in effects { perform(effect) }
        return effects.contains(.quit) ? .quit : .changed
    }

    public func update() -> Bool { poll() }

    /// Takes whatever the background jobs published and sends it as events; true if the screen changed.
    public func poll() -> Bool {
        var events: [DashboardEvent] = []
        if let event = projection.update(state) { events.append(event) }
        let (trainingChanged, evaluation) = trainer.update(
            canAnalyse: !state.fineTuning.frozen && !analysis.isBusy, analysisBusy: analysis.isBusy)
        if trainingChanged { events.append(.trainingProgress(trainer.status)) }
        if let evaluation {
            let original = state.baseline == nil ? heldOutOriginal : nil
            analysis.start(
                evaluation.embeddings, labels: trainingEvalLabels ?? evalLabels, step: evaluation.step,
                utility: state.calibration.options.utility, original: original)
        }
        for event in events { send(event) }
        var changed = !events.isEmpty
        if let event = reports.take() {
            send(event)
            changed = true
        }
        reports.start(state.pendingReport)
        if let event = intervals.take() {
            send(event)
            changed = true
        }
        intervals.start(state.pendingInterval)
        if let a = analysis.take() {
            send(.trainingCurves(a.curves))
            evalEmbeddings = a.embeddings
            evalLabels = a.labels
            project(initial: useTSNE ? state.projection.points : nil, pca: a.pca)
            changed = true
        }
        changed = takeSnapshots() || changed
        let (abEvents, shown) = abRuns.update(
            state, labels: trainingEvalLabels ?? evalLabels, original: heldOutOriginal)
        for event in abEvents { send(event) }
        if let a = shown {
            evalEmbeddings = a.embeddings
            evalLabels = a.labels
            project(initial: useTSNE ? state.projection.points : nil, pca: a.pca)
        }
        return !abEvents.isEmpty || changed
    }

    /// t: starts fine-tuning with the loss and TCM switch chosen in the pane.
    public func startTraining() {
        guard let (dataset, config, adapter) = prepareRun("fine-tuning", tcm: state.fineTuning.useTCM) else { return }
        var status = TrainingStatus()
        status.running = true
        status.message = bundled ? "loading MNIST…" : "preparing adapter…"
        status.marginsAuto = config.tcm?.auto != nil
        trainer.begin(status)
        trainer.start(config: config, dataset: dataset, adapter: adapter.rows)
        send(.trainingStarted(status, adapter: adapter.rows != nil))
    }

    /// A: the same fine-tuning twice from one start, the chosen base loss alone and with TCM.
    public func startAB() {
        guard let (dataset, config, adapter) = prepareRun("A/B fine-tuning", tcm: true) else { return }
        let marginsAuto = abRuns.start(config: config, dataset: dataset, adapter: adapter.rows)
        send(.abStarted(lossName: state.fineTuning.lossName, tcmMarginsAuto: marginsAuto, adapter: adapter.rows != nil))
    }

    /// What `t` and `A` both check and prepare: no run going, the rows at hand (a count file alone
    /// has none), the config and the rows the run trains on. nil, with the reason in the status
    /// line, when a run cannot start; `what` names the run in that reason.
    func prepareRun(_ what: String, tcm: Bool) -> (Dataset, TrainingConfig, TrainingRows)? {
        guard !isTraining else {
            send(.message("fine-tuning already running (p pause, c cancel)"))
            return nil
        }
        guard state.watch.run == nil else {
            send(.message("\(what) is off while watching a run (its own loop trains it)"))
            return nil
        }
        guard let dataset else {
            send(.message("\(what) \(Self.needsEmbeddings)"))
            return nil
        }
        let config = trainingConfig(tcm: tcm)
        guard let rows = adapterRows(of: dataset, seed: config.seed) else { return nil }
        return (dataset, config, rows)
    }

    /// True while a run (single or A/B) is loading or running.
    var isTraining: Bool {
        training != nil || state.fineTuning.running || !abRuns.jobs.isEmpty
    }

    func trainingConfig(tcm: Bool) -> TrainingConfig {
        var config = TrainingConfig()
        config.loss = LossChoice.spec(state.fineTuning.lossName)
        config.tcm = tcm ? (self.tcm ?? LossChoice.tcm(for: config.loss)) : nil
        // Auto margins follow the calibration range on screen when it is given as FARs.
        if case .far(let low, let high) = state.calibration.options.range, config.tcm?.auto != nil {
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
            send(.message("too few samples to hold out 20 % for evaluation"))
            return nil
        }
        let heldOut = dataset.embeddings.gatherRows(split.eval)
        trainingEvalLabels = heldOutLabels
        // The ghost becomes your embeddings of the held-out rows (`.trainingStarted(adapter: true)`).
        heldOutOriginal = heldOut
        return .adapter(
            .init(train: split.train, trainLabels: trainLabels, evalInputs: heldOut, evalLabels: heldOutLabels))
    }

    /// s: writes the current embeddings, curves (CSV + SVG), report, projection figure and (after
    /// fine-tuning) checkpoint and PyTorch adapter, atomically.
    func save() {
        // While watching: every snapshot's point of the watched runs too (timeline.csv and .svg).
        let timeline = state.watch.run.map { run in
            ([run] + (state.watch.secondRun.map { [$0] } ?? [])).flatMap(\.points).sorted { $0.key < $1.key }
        }
        if let ab = state.comparison {
            send(.message(saver.saveAB(ab, checkpoints: abRuns.finalStates, timeline: timeline)))
            return
        }
        send(
            .message(
                saver.save(
                    embeddings: dataset == nil ? nil : evalEmbeddings, labels: dataset == nil ? nil : evalLabels,
                    state: state, checkpoint: trainer.finalState, timeline: timeline)))
    }
}

// MARK: Watching a training run

extension DashboardApp {
    /// `dash --watch DIR`: the timeline replaces the fine-tuning pane, `first` (analysed before
    /// the first frame) is on screen, and the watch job reads `backlog` (the folder's other
    /// snapshots of that time), then polls `folder` in the background. `bootstrap`: each
    /// snapshot's intervals, drawn in the Run pane (`--bootstrap B`).
    public func watch(
        _ folder: SnapshotFolder, first: AnalysedSnapshot, backlog: [Snapshot] = [], reference: SnapshotReference,
        bootstrap: IntervalSettings? = nil
    ) {
        startWatching(.first, by: watcher, folder, first: first, backlog: backlog, reference: reference, bootstrap)
    }

    /// `--watch A --watch B`: the second run, drawn beside the first (its own rows, classes and timeline).
    public func watchSecond(
        _ folder: SnapshotFolder, first: AnalysedSnapshot, backlog: [Snapshot] = [], reference: SnapshotReference,
        bootstrap: IntervalSettings? = nil
    ) {
        startWatching(
            .second, by: secondWatcher, folder, first: first, backlog: backlog, reference: reference, bootstrap)
    }

    private func startWatching(
        _ run: WatchedRun, by job: WatchController, _ folder: SnapshotFolder, first: AnalysedSnapshot,
        backlog: [Snapshot], reference: SnapshotReference, _ bootstrap: IntervalSettings?
    ) {
        send(.watchStarted(run, directory: folder.directory))
        take(WatchController.result(first, utility: state.calibration.options.utility), from: run)
        job.start(
            folder, reference: reference, options: state.calibration.options, backlog: backlog, intervals: bootstrap)
    }

    /// The watch jobs' results, in order; true when the screen changed.
    func takeSnapshots() -> Bool {
        let first = watcher.takeAll(), second = secondWatcher.takeAll()
        for result in first { take(result, from: .first) }
        for result in second { take(result, from: .second) }
        return !first.isEmpty || !second.isEmpty
    }

    /// One watch result, sent as its event.
    private func take(_ result: WatchController.Result, from which: WatchedRun) {
        switch result {
        case .analysed(let point, let snapshot, let embeddings, let labels, let pca):
            send(.snapshotArrived(which, point, snapshot))
            // The rows of the first run's snapshot on screen, for t-SNE (`m`); its PCA is set with
            // its curves. Two runs: the state shows the PCA of the run in focus from the snapshots.
            if which == .first, let current = state.watch.run?.current, current.key == point.key {
                evalEmbeddings = embeddings
                evalLabels = labels
                if state.watch.secondRun == nil { project(initial: useTSNE ? state.projection.points : nil, pca: pca) }
            }
        case .skipped(let message): send(.snapshotSkipped(which, message))
        case .folderProblem(let message): send(.message(message))
        case .backlog(let done, let total): send(.watchProgress(which, done: done, of: total))
        }
    }
}
