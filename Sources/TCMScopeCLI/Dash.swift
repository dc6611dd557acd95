import ArgumentParser
import Dispatch
import Foundation
import Synchronization
import TCMDashboard
import TCMData
import TCMKernels
import TCMMetrics
import TCMProjection
import TCMTerminal
import TCMTraining

/// `tcmscope dash` (the default): the interactive dashboard.
struct Dash: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open the dashboard: live utility curves, calibration range, metrics, projection and TCM fine-tuning.",
        discussion: """
        With no files it opens on the bundled baseline (MNIST test-set embeddings of a small \
        contrastive model) and fine-tunes from the bundled checkpoint. With EMB and LABELS it \
        opens on your embeddings and fine-tunes an adapter on them. Press ? inside for the keys.
        """
    )

    @Argument(help: "Embeddings file (N×D).") var embeddings: String?
    @Argument(help: "Labels file.") var labels: String?
    @OptionGroup var input: InputOptions
    @Flag(help: "Draw with block characters instead of Braille (for fonts without Braille).") var blocks = false
    @Option(help: "Base loss for fine-tuning (t); l in the Fine-tuning pane picks another.")
    var loss: TrainingConfig.LossSpec.Kind = .contrastive
    @Option(help: Bounds.epochs.help("Fine-tuning epochs.")) var epochs = 3
    @Option(help: Bounds.evaluateEvery.help("Steps between evaluations during fine-tuning (each refreshes curves, metrics and projection)."))
    var evaluateEvery = 100
    @Option(help: "Directory for s (save).") var saveDirectory = "tcmscope-saved"

    func validate() throws {
        try Bounds.epochs.check(epochs)
        try Bounds.evaluateEvery.check(evaluateEvery)
        if labels != nil && input.labelColumn != nil { throw ValidationError("give either a LABELS file or --label-column, not both") }
    }

    func run() throws {
        let bundled = embeddings == nil
        let embeddingPath = try embeddings ?? SampleData.path(SampleData.baselineEmbeddings)
        let labelPath: String? = bundled ? try SampleData.path(SampleData.baselineLabels) : labels
        let dataset = try Dataset.load(embeddings: embeddingPath, labels: labelPath, options: input.loaderOptions,
                                       dropZeroVectors: input.dropZeroVectors)
        // Refuse before starting curses, so the message lands on a normal screen.
        let terminal: NcursesTerminal
        do { terminal = try NcursesTerminal() } catch let e as TerminalUnavailable {
            throw DataError("terminal", e.description)
        }
        defer { terminal.close() }
        // q while loading returns here; the deferred close restores the terminal.
        guard let analysis = load(dataset, path: embeddingPath, on: terminal) else { return }
        let app = DashboardApp(dataset: dataset, analysis: analysis, title: (embeddingPath as NSString).lastPathComponent, bundled: bundled,
                               loss: loss, epochs: epochs, saveDirectory: saveDirectory, evaluateEvery: evaluateEvery)
        if blocks { app.state.canvasMode = .blocks }
        app.run(terminal)
    }
}

/// Background results the UI loop picks up each frame; each slot keeps only the newest value.
final class Inbox<Value: Sendable>: Sendable {
    private let slot = Mutex<Value?>(nil)
    func put(_ v: Value) { slot.withLock { $0 = v } }
    func take() -> Value? { slot.withLock { v in defer { v = nil }; return v } }
}

/// A flag shared between the UI loop and one background job.
final class BusyFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set(_ v: Bool) { value.store(v, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}

/// The UI loop: one thread owns the terminal and the state; analysis, projection and training
/// run on Dispatch queues and hand back results through inboxes, newest wins.
final class DashboardApp {
    var state: DashboardState
    let dataset: Dataset
    let bundled: Bool
    let saveDirectory: String
    let epochs: Int
    var evalEmbeddings: Matrix
    var evalLabels: Labels
    var projectionJob: BackgroundProjection?
    var useTSNE = false
    var training: BackgroundTraining?
    var lastEvaluatedStep = -1
    /// The labels of the rows that fine-tuning evaluates on (all of the bundled test set, or the
    /// held-out 20 % of user embeddings).
    var trainingEvalLabels: Labels?
    var finalTrainingState: TrainingState?
    /// A finished re-analysis of new embeddings: counts, retrieval and a PCA layout, all made
    /// off the UI thread.
    struct Analysis: Sendable {
        var counts: PairCounts, retrieval: RetrievalReport, embeddings: Matrix, labels: Labels, step: Int, pca: [Float], meanCurve: [Double]
        /// The user's own embeddings of the same rows, before the adapter: the ghost's curves.
        var baseline: PairCounts?
    }
    /// Adapter mode: the original embeddings of the held-out rows, analysed once as the baseline.
    var heldOutOriginal: Matrix?
    let analyses = Inbox<Analysis>()
    /// Reports for a changed range on many classes, made off the UI thread (newest wins).
    let reports = Inbox<(ThresholdReport, ReportRequest)>()
    let reportBusy = BusyFlag()
    let trainingReady = Inbox<BackgroundTraining>()
    let trainingFailures = Inbox<String>()
    let analysisBusy = BusyFlag()

    /// Steps between evaluations: each embeds the evaluation set and refreshes the curves.
    let evaluateEvery: Int

    /// Analyses the dataset on this thread first (tests and benchmarks; the dashboard shows a
    /// loading screen instead, see `Dash.load`).
    convenience init(dataset: Dataset, title: String, bundled: Bool, loss: TrainingConfig.LossSpec.Kind, epochs: Int, saveDirectory: String,
                     evaluateEvery: Int = 100) {
        let analysis = DashboardApp.initialAnalysis(layout: ClassLayout(dataset: dataset), embeddings: dataset.embeddings, checkpoint: {})
        self.init(dataset: dataset, analysis: analysis, title: title, bundled: bundled, loss: loss, epochs: epochs,
                  saveDirectory: saveDirectory, evaluateEvery: evaluateEvery)
    }

    init(dataset: Dataset, analysis: InitialAnalysis, title: String, bundled: Bool, loss: TrainingConfig.LossSpec.Kind, epochs: Int,
         saveDirectory: String, evaluateEvery: Int = 100) {
        self.evaluateEvery = evaluateEvery
        self.dataset = dataset
        self.bundled = bundled
        self.saveDirectory = saveDirectory
        self.epochs = epochs
        state = DashboardState(title: title, counts: analysis.counts, retrieval: analysis.retrieval)
        state.lossName = loss.rawValue
        state.lossChoices = TrainingConfig.LossSpec.Kind.allCases.map(\.rawValue)
        state.trainingDescription = bundled
            ? "bundled checkpoint → MNIST train (60k); test-set curves every \(evaluateEvery) steps"
            : "adapter MLP \(dataset.dimension)→256→128 on 80 % of the rows; curves of the other 20 % every \(evaluateEvery) steps"
        evalEmbeddings = dataset.embeddings
        evalLabels = dataset.labels
        project(initial: nil, pca: analysis.pca)
    }

    /// t-SNE runs on at most this many rows, stratified by class and seeded (the status says so).
    var tsneLimit = 10_000

    /// PCA of every row at once (it is instant); t-SNE in the background on a stratified subsample
    /// of at most `tsneLimit` rows, warm-started from the last layout when it is of the same rows.
    func project(initial: [Float]?, pca: [Float]? = nil) {
        projectionJob?.cancel()
        projectionJob = nil
        if !useTSNE {
            state.projectionLabels = evalLabels.classOf
            if let pca {
                state.projection = pca
            } else {
                let unit = RowNorms.normalized(evalEmbeddings)
                state.projection = PCA(fitting: unit, components: 2).transform(unit).values
            }
            state.projectionStatus = "PCA"
            return
        }
        let kept = StratifiedSample.indices(labels: evalLabels, limit: tsneLimit, seed: 1)
        let unit = RowNorms.normalized(kept.count < evalEmbeddings.rows ? evalEmbeddings.gatherRows(kept) : evalEmbeddings)
        let warm = initial.flatMap { $0.count == 2 * kept.count ? $0 : nil }
        var options = warm == nil ? TSNEOptions() : TSNEOptions.warmStart()
        options.threads = 1  // leave a core for the UI and training
        projectionJob = BackgroundProjection(unitRows: unit, options: options, initial: warm)
        state.projectionLabels = kept.count < evalLabels.count ? evalLabels.subset(kept).classOf : evalLabels.classOf
        tsneScope = kept.count < evalLabels.count ? " of \(kept.count) of \(evalLabels.count) rows (stratified)" : ""
        state.projectionStatus = "t-SNE starting" + tsneScope
    }
    /// Says which rows t-SNE shows when it does not show them all.
    var tsneScope = ""

    func run(_ terminal: NcursesTerminal) {
        var buffer = CellBuffer(width: 0, height: 0)
        var dirty = true
        while true {
            dirty = poll() || dirty
            if dirty {
                let (w, h) = terminal.size
                buffer = CellBuffer(width: w, height: h)
                Dashboard.render(state, into: &buffer)
                terminal.draw(buffer)
                dirty = false
            }
            guard let event = terminal.next(timeout: 33) else { continue }  // ~30 polls a second for background results
            dirty = true
            switch event {
            case .resize: continue
            case .click(let x, let y):
                let (w, h) = terminal.size
                state.click(x: x, y: y, screenWidth: w, screenHeight: h)
            case .key(let key):
                switch state.handle(key) {
                case .quit?:
                    projectionJob?.cancel()
                    training?.control.cancel()
                    return
                case .startTraining?: startTraining()
                case .pauseOrResumeTraining?:
                    guard let training else { state.status = "no fine-tuning running"; break }
                    if training.control.isPaused { training.control.resume() } else { training.control.pause() }
                    state.training.paused = training.control.isPaused
                case .cancelTraining?:
                    training?.control.cancel()
                    state.status = training == nil ? "no fine-tuning running" : "fine-tuning cancelled"
                case .reproject?:
                    useTSNE.toggle()
                    project(initial: nil)
                case .save?: save()
                case nil: break
                }
            }
        }
    }

    /// Takes whatever the background jobs published; true if the screen changed.
    func poll() -> Bool {
        var changed = false
        if let job = projectionJob, let snapshot = job.snapshot, snapshot.layout.count == 2 * state.projectionLabels.count {
            if state.projection != snapshot.layout {
                state.projection = snapshot.layout
                state.projectionStatus = (snapshot.finished ? "t-SNE" : "t-SNE \(snapshot.iteration)/\(snapshot.totalIterations)") + tsneScope
                changed = true
            }
        }
        // A refused or diverged t-SNE is a message in the projection pane (the last layout stays).
        if let job = projectionJob, job.isFinished, let failure = job.failure {
            state.projectionStatus = "t-SNE failed: \(failure)"
            projectionJob = nil
            changed = true
        }
        if let job = trainingReady.take() {
            training = job
            state.training.message = ""
            changed = true
        }
        if let failure = trainingFailures.take() {
            state.training.running = false
            state.training.message = "could not start: \(failure)"
            changed = true
        }
        if let training {
            if let s = training.snapshot, s.step != state.training.step {
                state.training.step = s.step
                state.training.totalSteps = s.totalSteps
                state.training.paused = training.control.isPaused
                if s.baseLoss.isFinite {
                    state.training.loss = s.baseLoss
                    state.training.tcmLoss = s.tcmLoss
                    state.training.samplesPerSecond = s.samplesPerSecond
                    state.training.lossHistory.append(s.baseLoss)
                }
                changed = true
            }
            // Step 0 is the starting model: its curves are on screen already (bundled), or it
            // is an untrained adapter (user data), which says nothing.
            if let e = training.evaluation, let evaluation = e.evaluation, evaluation.step != lastEvaluatedStep, evaluation.step > 0,
               let embeddings = e.evalEmbeddings, !state.frozen, !analysisBusy.isSet {
                lastEvaluatedStep = evaluation.step
                state.training.opisHistory.append(evaluation.opis)
                analyse(embeddings, step: evaluation.step)
                changed = true
            }
            switch training.outcome {
            case .running: break
            case .finished(let end), .cancelled(let end):
                finalTrainingState = end
                state.training.running = false
                if case .cancelled = training.outcome { state.training.message = "cancelled" } else { state.training.message = "done" }
                state.training.step = end.step
                self.training = nil
                changed = true
            case .failed(let message):
                state.training.running = false
                state.training.message = message
                self.training = nil
                changed = true
            }
        }
        if let (report, request) = reports.take() {
            state.install(report, for: request)  // refused if the range moved on meanwhile
            changed = true
        }
        if let request = state.pendingReport, !reportBusy.isSet {
            reportBusy.set(true)
            DispatchQueue.global(qos: .userInteractive).async { [reports, reportBusy] in
                reports.put((request.analyzer.report(request.options), request))
                reportBusy.set(false)
            }
        }
        if let a = analyses.take() {
            if let original = a.baseline { state.baseline = ThresholdAnalyzer(counts: original) }
            if state.baseline == nil { state.baseline = state.analyzer }
            state.replace(counts: a.counts, retrieval: a.retrieval, meanCurve: a.meanCurve)
            evalEmbeddings = a.embeddings
            evalLabels = a.labels
            state.status = "curves from training step \(a.step)"
            project(initial: useTSNE ? state.projection : nil, pca: a.pca)
            changed = true
        }
        return changed
    }

    /// Recomputes pair counts and retrieval for new embeddings off the UI thread.
    func analyse(_ embeddings: Matrix, step: Int) {
        analysisBusy.set(true)
        let labels = trainingEvalLabels ?? evalLabels, utility = state.options.utility
        let original = state.baseline == nil ? heldOutOriginal : nil
        DispatchQueue.global(qos: .userInitiated).async { [analyses, analysisBusy] in
            let baseline = original.map { PairCounts.compute(layout: ClassLayout(embeddings: $0, labels: labels), tiling: { var t = PairCounts.Tiling(); t.threads = 1; return t }()) }
            let layout = ClassLayout(embeddings: embeddings, labels: labels)
            var tiling = PairCounts.Tiling()
            tiling.threads = 1
            let (counts, retrieval) = MetricsPass.countsAndRetrieval(layout: layout, tiling: tiling, ks: [1])
            let unit = RowNorms.normalized(embeddings)
            let pca = PCA(fitting: unit, components: 2).transform(unit).values
            let meanCurve = DashboardState.meanCurve(ThresholdAnalyzer(counts: counts), utility)
            analyses.put(Analysis(counts: counts, retrieval: retrieval, embeddings: embeddings, labels: labels, step: step, pca: pca,
                                  meanCurve: meanCurve, baseline: baseline))
            analysisBusy.set(false)
        }
    }

    func startTraining() {
        guard training == nil && !state.training.running else { state.status = "fine-tuning already running (p pause, c cancel)"; return }
        var config = TrainingConfig()
        config.loss = TrainingConfig.LossSpec(kind: TrainingConfig.LossSpec.Kind(rawValue: state.lossName) ?? .contrastive)
        config.tcm = state.useTCM ? TCMRegularizer() : nil
        config.epochs = epochs
        config.evaluateEvery = evaluateEvery
        state.training = TrainingStatus()
        state.training.running = true
        state.training.message = bundled ? "loading MNIST…" : "preparing adapter…"
        // An adapter on user embeddings trains on 80 % of the rows and is judged on the other
        // 20 % (seeded), so the curves show what it does on rows it never saw.
        var adapterRows: (train: [Int], trainLabels: Labels, evalInputs: Matrix, evalLabels: Labels)?
        if !bundled {
            let split = HeldOutSplit.rows(of: dataset.labels, by: .sample, evalFraction: 0.2, seed: config.seed)
            let trainLabels = dataset.labels.subset(split.train), evalLabels = dataset.labels.subset(split.eval)
            guard evalLabels.classCount >= 2, trainLabels.classCount >= 2 else {
                state.status = "too few samples to hold out 20 % for evaluation"
                state.training.running = false
                return
            }
            let heldOut = dataset.embeddings.gatherRows(split.eval)
            adapterRows = (split.train, trainLabels, heldOut, evalLabels)
            trainingEvalLabels = evalLabels
            heldOutOriginal = heldOut
            state.baseline = nil  // the ghost becomes your embeddings of the held-out rows
            state.showBaseline = true
        }
        let dataset = self.dataset, inbox = trainingReady, baseConfig = config, failures = trainingFailures, adapter = adapterRows
        DispatchQueue.global(qos: .userInitiated).async {
            var config = baseConfig
            do {
                let data: TrainingData
                var start: TrainingState
                if let adapter {
                    config.widths = [dataset.dimension, 256, 128]
                    config.classesPerBatch = min(8, dataset.labels.classCount)
                    data = TrainingData(trainInputs: dataset.embeddings.gatherRows(adapter.train), trainLabels: adapter.trainLabels.classOf,
                                        evalInputs: adapter.evalInputs, evalLabels: adapter.evalLabels)
                    start = TrainingState(config: config)
                } else {
                    data = try TrainingData.bundledMNIST()
                    // Fine-tune the bundled checkpoint with the chosen loss (a fresh optimiser).
                    let checkpoint = try Checkpoint.read(try SampleData.path("baseline/checkpoint.tcms"))
                    config.widths = checkpoint.config.widths
                    start = TrainingState(config: config)
                    start.model = checkpoint.model
                }
                inbox.put(BackgroundTraining(start, data: data))
            } catch {
                failures.put("\(error)")
            }
        }
        state.status = "fine-tuning: \(state.lossName)\(state.useTCM ? " + TCM" : "")"
    }

    /// Writes the current embeddings, curves, report and (after fine-tuning) checkpoint, atomically.
    func save() {
        do {
            try FileManager.default.createDirectory(atPath: saveDirectory, withIntermediateDirectories: true)
            let files = OutputTransaction()  // all the files of a save, or none
            try files.stage(NpyWriter.bytes(floats: evalEmbeddings.values, shape: [evalEmbeddings.rows, evalEmbeddings.cols]),
                            to: saveDirectory + "/embeddings.npy")
            try files.stage(NpyWriter.bytes(strings: evalLabels.classOf.map { evalLabels.classNames[Int($0)] }), to: saveDirectory + "/labels.npy")
            try files.stage(ReportFormat.curvesCSV(state.report, counts: state.analyzer.counts), to: saveDirectory + "/curves.csv")
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try files.stage(String(decoding: try encoder.encode(state.report), as: UTF8.self), to: saveDirectory + "/report.json")
            if let end = finalTrainingState { try files.stage(Checkpoint.encode(end), to: saveDirectory + "/checkpoint.tcms") }
            try files.commit()
            state.status = "saved to \(saveDirectory)/"
        } catch {
            state.status = "save failed: \(error)"
        }
    }
}

