import TCMDashboard
import TCMData
import TCMJobs
import TCMKernels
import TCMMetrics
import TCMTraining

/// The A/B fine-tuning (key `A`): two runs from one start, the base loss alone and with TCM, side
/// by side on Dispatch queues (interleaved by the scheduler; the UI thread only reads their
/// mailboxes). Each run has its own trainer and its own re-analysis of its evaluations.
final class ABController {
    private let trainers: [TrainingController]
    private let analyses: [AnalysisController]
    private let wake: Wakeup

    init(wake: Wakeup) {
        self.wake = wake
        trainers = ABSide.allCases.map { _ in TrainingController(wake: wake) }
        analyses = ABSide.allCases.map { _ in AnalysisController(wake: wake) }
    }

    var isBusy: Bool { trainers.contains { $0.job != nil } || analyses.contains(where: \.isBusy) }
    var jobs: [BackgroundTraining] { trainers.compactMap(\.job) }
    /// The state each run ended in, once it has (A first).
    var finalStates: [TrainingState?] { trainers.map(\.finalState) }

    /// Starts both runs: `config` with TCM off for A and on for B (with `config`'s TCM, or by
    /// default the margins that work for its loss, `LossChoice.tcm(for:)`). Returns whether B's
    /// margins come from the data.
    @discardableResult
    func start(config: TrainingConfig, dataset: Dataset, adapter: TrainingController.AdapterRows?) -> Bool {
        var base = config, withTCM = config
        base.tcm = nil
        withTCM.tcm = config.tcm ?? LossChoice.tcm(for: config.loss)
        for (trainer, tcm) in zip(trainers, [base.tcm, withTCM.tcm]) {
            var status = TrainingStatus()
            status.running = true
            status.message = "starting…"
            status.marginsAuto = tcm?.auto != nil
            trainer.begin(status)
        }
        TrainingController.startTogether(
            [(trainers[0], base), (trainers[1], withTCM)], dataset: dataset, adapter: adapter, wake: wake)
        return withTCM.tcm?.auto != nil
    }

    /// Both runs' news as events, oldest first, and re-analyses their new evaluations; the shown
    /// run's new analysis if one came (for the projection). `labels` are the evaluated rows'
    /// labels; `original` (adapter mode) is analysed with the first evaluation, as the starting
    /// curves. Reads the state, never writes it.
    func update(
        _ state: DashboardState, labels: Labels, original: Matrix?
    ) -> (events: [DashboardEvent], shown: AnalysisController.Analysis?) {
        guard let ab = state.fineTuning.ab else { return ([], nil) }
        var events: [DashboardEvent] = [], shown: AnalysisController.Analysis?
        for side in ABSide.allCases {
            let analysis = analyses[side.rawValue], trainer = trainers[side.rawValue]
            let (runChanged, evaluation) = trainer.update(
                canAnalyse: !state.fineTuning.frozen && !analysis.isBusy, analysisBusy: analysis.isBusy)
            if runChanged { events.append(.abProgress(side, trainer.status)) }
            if let evaluation {
                analysis.start(
                    evaluation.embeddings, labels: labels, step: evaluation.step,
                    utility: state.calibration.options.utility,
                    original: state.baseline == nil ? original : nil)
            }
            if let a = analysis.take() {
                events.append(.abCurves(side, a.curves, adapter: original != nil))
                if side == ab.shown { shown = a }
            }
        }
        return (events, shown)
    }

    /// p: pauses both runs, or resumes both; the events that say so.
    func pauseOrResume() -> [DashboardEvent] {
        guard !jobs.isEmpty else { return [.message("no fine-tuning running")] }
        let pause = !jobs.allSatisfy(\.control.isPaused)
        return ABSide.allCases.map { side in
            trainers[side.rawValue].setPaused(pause)
            return .abProgress(side, trainers[side.rawValue].status)
        }
    }

    /// c: cancels both runs; the status line.
    func cancel() -> String {
        defer { for job in jobs { job.control.cancel() } }
        return jobs.isEmpty ? "no fine-tuning running" : "A/B fine-tuning cancelled"
    }
}
