import Dispatch
import TCMDashboard
import TCMData
import TCMJobs
import TCMKernels
import TCMScopeSupport
import TCMTraining

/// Fine-tuning in the dashboard: prepares the data off the UI thread, runs `BackgroundTraining`,
/// and keeps `status`, the run's progress as the Fine-tuning pane shows it, which the app sends
/// to the state as an event (the controller never touches the state). New evaluations are
/// handed back to the app (`update` returns them) to be re-analysed.
final class TrainingController {
    private let wake: Wakeup
    private let ready: Mailbox<BackgroundTraining>
    private let failures: Mailbox<String>
    /// The run in progress, from the moment its data is ready until it ends.
    private(set) var job: BackgroundTraining?
    /// The state the last run ended in (saved as the checkpoint).
    private(set) var finalState: TrainingState?
    private var lastEvaluatedStep = -1
    /// The run's progress as the pane shows it (sent as `.trainingProgress` or `.abProgress`).
    private(set) var status = TrainingStatus()

    init(wake: Wakeup) {
        self.wake = wake
        ready = Mailbox(wake: wake)
        failures = Mailbox(wake: wake)
    }

    /// The held-out rows of an adapter run: which rows train, and the rows it is judged on.
    struct AdapterRows: Sendable {
        var train: [Int], trainLabels: Labels, evalInputs: Matrix, evalLabels: Labels
    }

    /// A run begins: its status starts as `status` (running, with what it is loading).
    func begin(_ status: TrainingStatus) {
        self.status = status
        lastEvaluatedStep = -1
    }

    /// Loads the data and the starting model on a Dispatch queue, then starts the run.
    func start(config: TrainingConfig, dataset: Dataset, adapter: AdapterRows?) {
        let ready = self.ready, failures = self.failures, wake = self.wake
        DispatchQueue.global(qos: .userInitiated).async {
            do {
                let (start, data) = try Self.prepare(config: config, dataset: dataset, adapter: adapter)
                ready.put(BackgroundTraining(start, data: data, wake: wake))
            } catch {
                failures.put("\(error)")
            }
        }
    }

    /// Runs of an A/B: one load of the data, then a run per controller from the same starting
    /// model (same seed, so the same batches), each with its own config (with or without TCM).
    static func startTogether(
        _ runs: [(TrainingController, TrainingConfig)], dataset: Dataset, adapter: AdapterRows?, wake: Wakeup
    ) {
        let mailboxes = runs.map { ($0.0.ready, $0.0.failures) }
        let configs = runs.map(\.1)
        DispatchQueue.global(qos: .userInitiated).async {
            do {
                let (start, data) = try prepare(config: configs[0], dataset: dataset, adapter: adapter)
                for ((ready, _), config) in zip(mailboxes, configs) {
                    // The shapes `prepare` chose, the loss and TCM of this run, the same starting weights.
                    var own = config
                    own.widths = start.config.widths
                    own.classesPerBatch = start.config.classesPerBatch
                    var state = TrainingState(config: own)
                    state.model = start.model
                    ready.put(BackgroundTraining(state, data: data, wake: wake))
                }
            } catch {
                for (_, failures) in mailboxes { failures.put("\(error)") }
            }
        }
    }

    /// The data and the starting model: the bundled MNIST and checkpoint, or an adapter MLP on
    /// `adapter`'s rows of `dataset`.
    static func prepare(
        config baseConfig: TrainingConfig, dataset: Dataset, adapter: AdapterRows?
    ) throws -> (TrainingState, TrainingData) {
        var config = baseConfig
        if let adapter {
            config.widths = [dataset.dimension, 256, 128]
            config.classesPerBatch = min(8, dataset.labels.classCount)
            let data = TrainingData(
                trainInputs: dataset.embeddings.gatherRows(adapter.train),
                trainLabels: adapter.trainLabels.classOf,
                evalInputs: adapter.evalInputs, evalLabels: adapter.evalLabels)
            return (TrainingState(config: config), data)
        }
        let data = try TrainingData.bundledMNIST()
        // Fine-tune the bundled checkpoint with the chosen loss (a fresh optimiser).
        let checkpoint = try Checkpoint.read(try SampleData.path("baseline/checkpoint.tcms"))
        config.widths = checkpoint.config.widths
        var start = TrainingState(config: config)
        start.model = checkpoint.model
        return (start, data)
    }

    /// An evaluation the app should re-analyse: the evaluated rows' new embeddings at `step`.
    struct Evaluation {
        var embeddings: Matrix, step: Int
    }

    /// Brings `status` up to date with the run; true if it changed. A new evaluation (after step
    /// 0) is returned when `canAnalyse` (the app is not frozen, no analysis running).
    func update(canAnalyse: Bool, analysisBusy: Bool) -> (changed: Bool, evaluation: Evaluation?) {
        var changed = false, evaluation: Evaluation?
        if let job = ready.take() {
            self.job = job
            status.message = ""
            changed = true
        }
        if let failure = failures.take() {
            status.running = false
            status.message = "could not start: \(failure)"
            changed = true
        }
        guard let job else { return (changed, nil) }
        if let s = job.snapshot, s.step != status.step {
            status.step = s.step
            status.totalSteps = s.totalSteps
            status.paused = job.control.isPaused
            status.positiveMargin = s.tcmMargins?.positive
            status.negativeMargin = s.tcmMargins?.negative
            if s.baseLoss.isFinite {
                status.loss = s.baseLoss
                status.tcmLoss = s.tcmLoss
                status.samplesPerSecond = s.samplesPerSecond
                status.lossHistory.append(s.baseLoss)
            }
            changed = true
        }
        // Step 0 is the starting model: its curves are on screen already (bundled), or it
        // is an untrained adapter (user data), which says nothing.
        if let e = job.evaluation, let result = e.evaluation, result.step != lastEvaluatedStep, result.step > 0,
            let embeddings = e.evalEmbeddings, canAnalyse
        {
            lastEvaluatedStep = result.step
            status.opisHistory.append(result.opis)
            evaluation = Evaluation(embeddings: embeddings, step: result.step)
            changed = true
        }
        // A run that ended while its last evaluation waited for a busy analysis stays until the
        // evaluation is taken: otherwise the final curves (of an A/B run, say) would be lost.
        let evaluationWaiting =
            job.evaluation?.evaluation.map { $0.step > 0 && $0.step != lastEvaluatedStep } ?? false
        var ended = true
        if case .running = job.outcome { ended = false }
        if ended && evaluationWaiting && analysisBusy { return (changed, evaluation) }
        switch job.outcome {
        case .running: break
        case .finished(let end), .cancelled(let end):
            finalState = end
            status.running = false
            if case .cancelled = job.outcome {
                status.message = "cancelled"
            } else {
                status.message = "done"
            }
            status.step = end.step
            self.job = nil
            changed = true
        case .failed(let message):
            status.running = false
            status.message = message
            self.job = nil
            changed = true
        }
        return (changed, evaluation)
    }

    /// p in an A/B: pauses or resumes this run as `pause` says.
    func setPaused(_ pause: Bool) {
        guard let job else { return }
        if pause { job.control.pause() } else { job.control.resume() }
        status.paused = job.control.isPaused
    }

    /// p: pauses or resumes the run; the status line if there is none.
    func pauseOrResume() -> String? {
        guard let job else { return "no fine-tuning running" }
        if job.control.isPaused { job.control.resume() } else { job.control.pause() }
        status.paused = job.control.isPaused
        return nil
    }

    /// c: cancels the run (it ends at its next step and reports `cancelled`); the status line.
    func cancel() -> String {
        job?.control.cancel()
        return job == nil ? "no fine-tuning running" : "fine-tuning cancelled"
    }
}
