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
    /// default the margins that work for its loss, `LossChoice.tcm(for:)`).
    func start(config: TrainingConfig, dataset: Dataset, adapter: TrainingController.AdapterRows?) {
        var base = config, withTCM = config
        base.tcm = nil
        withTCM.tcm = config.tcm ?? LossChoice.tcm(for: config.loss)
        TrainingController.startTogether(
            [(trainers[0], base), (trainers[1], withTCM)], dataset: dataset, adapter: adapter, wake: wake)
    }

    /// Mirrors both runs into the state and re-analyses their new evaluations: whether the screen
    /// changed, and the shown run's new analysis if one was installed (for the projection). `labels` are the evaluated rows' labels; `original` (adapter mode) is analysed with
    /// the first evaluation, as the starting curves.
    func update(
        _ state: inout DashboardState, labels: Labels, original: Matrix?
    ) -> (changed: Bool, shown: AnalysisController.Analysis?) {
        guard state.ab != nil else { return (false, nil) }
        var changed = false, shown: AnalysisController.Analysis?
        for side in ABSide.allCases {
            let analysis = analyses[side.rawValue]
            var training = state.ab![side].training
            let (runChanged, evaluation) = trainers[side.rawValue].update(
                &training, canAnalyse: !state.frozen && !analysis.isBusy, analysisBusy: analysis.isBusy)
            state.ab![side].training = training
            changed = runChanged || changed
            if let evaluation {
                analysis.start(
                    evaluation.embeddings, labels: labels, step: evaluation.step, utility: state.options.utility,
                    original: state.baseline == nil ? original : nil)
            }
            if let a = analysis.take() {
                if let before = a.baseline { state.baseline = ThresholdAnalyzer(counts: before) }
                if state.baseline == nil && original == nil { state.baseline = state.analyzer }
                state.installAB(side, counts: a.counts, retrieval: a.retrieval, meanCurve: a.meanCurve, step: a.step)
                if side == state.ab!.shown { shown = a }
                changed = true
            }
        }
        return (changed, shown)
    }

    /// p: pauses both runs, or resumes both.
    func pauseOrResume(_ state: inout DashboardState) {
        guard state.ab != nil, !jobs.isEmpty else {
            state.status = "no fine-tuning running"
            return
        }
        let pause = !jobs.allSatisfy(\.control.isPaused)
        for side in ABSide.allCases {
            trainers[side.rawValue].setPaused(pause, &state.ab![side].training)
        }
    }

    /// c: cancels both runs.
    func cancel(_ state: inout DashboardState) {
        state.status = jobs.isEmpty ? "no fine-tuning running" : "A/B fine-tuning cancelled"
        for job in jobs { job.control.cancel() }
    }
}
