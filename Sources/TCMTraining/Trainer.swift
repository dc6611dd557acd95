import Foundation
import Synchronization
import TCMData
import TCMJobs
import TCMKernels
import TCMMetrics

/// Training inputs: training rows and labels, and a held-out evaluation set.
public struct TrainingData: Sendable {
    public let trainInputs: Matrix
    public let trainLabels: [Int32]
    public let evalInputs: Matrix
    public let evalLabels: Labels

    public init(trainInputs: Matrix, trainLabels: [Int32], evalInputs: Matrix, evalLabels: Labels) {
        precondition(trainInputs.rows == trainLabels.count && evalInputs.rows == evalLabels.count)
        self.trainInputs = trainInputs
        self.trainLabels = trainLabels
        self.evalInputs = evalInputs
        self.evalLabels = evalLabels
    }
}

/// What a run publishes while it trains.
public struct TrainingSnapshot: Sendable {
    public let step: Int
    public let totalSteps: Int
    public let epoch: Double
    public let baseLoss: Double
    public let tcmLoss: Double
    public let samplesPerSecond: Double
    /// The TCM margins the last step used (nil without TCM); with `auto`, the latest estimate.
    public var tcmMargins: TCMMargins? = nil
    /// Present on the snapshot right after an evaluation.
    public let evaluation: Evaluation?
    public let evalEmbeddings: Matrix?
}

public enum TrainingError: Error, CustomStringConvertible, Equatable {
    case diverged(step: Int, what: String)
    /// The configuration cannot be trained (see `TrainingConfig.problem`); nothing was done.
    case invalidConfiguration(String)
    /// The data does not fit the configuration (too few classes, wrong width…); nothing was done.
    case unsuitableData(String)
    /// The state is already at or past the run's last step (a finished run resumed with no more epochs).
    case nothingToDo(step: Int, totalSteps: Int)
    public var description: String {
        switch self {
        case .diverged(let step, let what): return "training diverged at step \(step): \(what); lower the learning rate"
        case .invalidConfiguration(let problem): return "training configuration: \(problem)"
        case .unsuitableData(let problem): return "training data: \(problem)"
        case .nothingToDo(let step, let total):
            return
                "the run is at step \(step), already at or past its \(total) steps; ask for more epochs to continue it"
        }
    }
}

/// The state a run can be saved in and continued from.
public struct TrainingState: Sendable, Equatable {
    public var config: TrainingConfig
    public var model: MLP
    public var optimizer: OptimizerState
    public var step: Int
    public var memory: CrossBatchMemory?
    /// Proxy-anchor's class proxies (C × D) and their optimiser state; created at the first step.
    public var proxies: Matrix?
    public var proxyOptimizer: OptimizerState?

    public init(config: TrainingConfig) {
        self.config = config
        model = MLP(widths: config.widths, seed: config.seed)
        optimizer = OptimizerState(for: model, spec: config.optimizer)
        step = 0
        memory = config.crossBatchMemory.map { CrossBatchMemory(capacity: $0, dimension: config.widths.last!) }
    }

    public init(config: TrainingConfig, model: MLP, optimizer: OptimizerState, step: Int) {
        self.config = config
        self.model = model
        self.optimizer = optimizer
        self.step = step
        memory = config.crossBatchMemory.map { CrossBatchMemory(capacity: $0, dimension: config.widths.last!) }
    }
}

public enum Trainer {
    /// One optimisation step on the batch `indices`; returns (base loss, TCM loss).
    public static func step(
        _ state: inout TrainingState, objective: Objective, inputs: Matrix, labels: [Int32],
        indices: [Int]
    ) throws -> (Double, Double) {
        let x = inputs.gatherRows(indices)
        let trace = state.model.forward(x)
        let e = trace.embeddings
        let batchLabels = indices.map { labels[$0] }
        let batch = SimilarityBatch(similarities: SimilarityAlgebra.similarities(e), labels: batchLabels)
        let base: Double, tcm: Double
        var de: Matrix
        if case .proxies(let proxyLoss) = objective.base {
            if state.proxies == nil {
                let classes = Int(labels.max() ?? 0) + 1
                state.proxies = ProxyAnchorLoss.initialProxies(
                    classes: classes, dimension: e.cols, seed: state.config.seed)
                state.proxyOptimizer = OptimizerState(shapes: [classes * e.cols], spec: state.config.optimizer)
            }
            let result = proxyLoss.evaluate(embeddings: e, labels: batchLabels, proxies: state.proxies!)
            base = result.loss
            de = result.embeddings
            var gt = [Double](repeating: 0, count: batch.rows * batch.columns)
            tcm = objective.tcm?.evaluate(batch, gradient: &gt) ?? 0
            if objective.tcm != nil {
                let extra = SimilarityAlgebra.embeddingGradient(e, gt)
                for k in de.values.indices { de.values[k] += extra.values[k] }
            }
            if base.isFinite {
                state.proxyOptimizer!.step += 1
                Optimizer.update(
                    &state.proxies!.values, result.proxies.values, slot: 0, state: &state.proxyOptimizer!,
                    spec: state.config.optimizer,
                    learningRate: state.config.optimizer.learningRate * state.config.loss.proxyLearningRateScale)
            }
        } else if state.memory != nil {
            // The base loss against the memory (batch enqueued first), TCM on the batch itself.
            let slots = state.memory!.enqueue(e, labels: batchLabels)
            let (bank, bankLabels) = state.memory!.contents
            let cross = SimilarityBatch(
                similarities: GEMM.multiplyTransposed(e, bank).values.map(Double.init),
                rowLabels: batchLabels, columnLabels: bankLabels, selfColumn: slots)
            var g = [Double](repeating: 0, count: cross.rows * cross.columns)
            base = objective.pairLoss!.evaluate(cross, gradient: &g)
            de = GEMM.multiply(Matrix(rows: cross.rows, cols: cross.columns, values: g.map(Float.init)), bank)
            var gt = [Double](repeating: 0, count: batch.rows * batch.columns)
            tcm = objective.tcm?.evaluate(batch, gradient: &gt) ?? 0
            if objective.tcm != nil {
                let extra = SimilarityAlgebra.embeddingGradient(e, gt)
                for k in de.values.indices { de.values[k] += extra.values[k] }
            }
        } else {
            let (b, t, g) = objective.evaluate(batch)
            (base, tcm) = (b, t)
            de = SimilarityAlgebra.embeddingGradient(e, g)
        }
        guard base.isFinite && tcm.isFinite else {
            throw TrainingError.diverged(step: state.step + 1, what: "loss is \(base.isFinite ? tcm : base)")
        }
        let gradients = state.model.backward(trace, embeddingGradient: de)
        Optimizer.apply(gradients, to: &state.model, state: &state.optimizer, spec: state.config.optimizer)
        if state.model.layers.contains(where: { !Elementwise.allFinite($0.weight.values) }) {
            throw TrainingError.diverged(step: state.step + 1, what: "weights became NaN or infinite")
        }
        state.step += 1
        return (base, tcm)
    }

    /// Steps of a run of `config.epochs` epochs of ⌊rows / batch⌋ (at least 1) steps each.
    /// The configuration's bounds (`TrainingLimits`) keep the product far from overflowing.
    public static func totalSteps(_ config: TrainingConfig, trainRows: Int) -> Int {
        let stepsPerEpoch = max(1, trainRows / max(1, config.batchSize))
        let (total, overflow) = stepsPerEpoch.multipliedReportingOverflow(by: max(1, config.epochs))
        return overflow ? Int.max : total
    }

    /// Throws `TrainingError.unsuitableData` when the data and the state do not fit together.
    static func checkFits(_ state: TrainingState, _ data: TrainingData) throws {
        let widths = state.config.widths
        guard state.model.widths == widths else {
            throw TrainingError.unsuitableData(
                "the model's widths \(state.model.widths) differ from the configuration's \(widths)")
        }
        guard data.trainInputs.rows >= 1 else { throw TrainingError.unsuitableData("no training rows") }
        guard data.trainInputs.cols == widths[0] && data.evalInputs.cols == widths[0] else {
            throw TrainingError.unsuitableData(
                "the model takes \(widths[0])-D inputs, the data has \(data.trainInputs.cols)")
        }
        guard data.evalLabels.classCount >= 2 else {
            throw TrainingError.unsuitableData("the evaluation rows have fewer than 2 classes")
        }
        if let proxies = state.proxies {
            let classes = Int(data.trainLabels.max() ?? 0) + 1
            guard proxies.rows >= classes && proxies.cols == widths[widths.count - 1] else {
                throw TrainingError.unsuitableData(
                    "the state's \(proxies.rows) × \(proxies.cols) proxies do not fit \(classes) classes of \(widths[widths.count - 1])-D embeddings"
                )
            }
        }
    }

    /// Trains until `config.epochs` are done, publishing snapshots; returns the final state, or
    /// the state reached when cancelled. Evaluates at the start (step 0 of a new run) and then
    /// every `evaluateEvery` steps (default: every epoch) and at the end.
    public static func run(
        _ initial: TrainingState, data: TrainingData, control: JobControl? = nil,
        publish: (TrainingSnapshot) -> Void
    ) throws -> TrainingState {
        var state = initial
        let config = state.config
        // Everything is checked before the first step: a refusal costs nothing and says why.
        try config.validate()
        try checkFits(state, data)
        var objective = config.objective
        let stepsPerEpoch = max(1, data.trainInputs.rows / config.batchSize)
        let totalSteps = totalSteps(config, trainRows: data.trainInputs.rows)
        guard state.step >= 0 else { throw TrainingError.invalidConfiguration("step \(state.step) is negative") }
        guard state.step < totalSteps else { throw TrainingError.nothingToDo(step: state.step, totalSteps: totalSteps) }
        let evaluateEvery = config.evaluateEvery > 0 ? config.evaluateEvery : stepsPerEpoch
        // The sampler's stream depends on the seed and the step, so a resumed run continues it.
        var sampler = try MPerClassSampler(
            labels: data.trainLabels, classesPerBatch: config.classesPerBatch,
            samplesPerClass: config.samplesPerClass, seed: config.seed &+ 0x5A17)
        for _ in 0 ..< state.step { _ = sampler.nextBatch() }

        // Auto TCM margins: re-estimated from the same seeded training rows before every
        // `auto.every`-th step (step 0 included), so a resumed run re-estimates where an
        // uninterrupted one would and otherwise keeps the checkpoint's last estimate.
        let marginRows = config.tcm?.auto.map {
            TCMMarginRule.sampleRows(data.trainInputs.rows, count: $0.sampleRows, seed: config.seed)
        }
        var estimatedAt = -1
        func updateMargins() {
            guard let auto = state.config.tcm?.auto, let rows = marginRows, state.step % auto.every == 0,
                state.step != estimatedAt,
                let m = TCMMarginRule.estimate(
                    model: state.model, inputs: data.trainInputs, labels: data.trainLabels,
                    rows: rows, range: auto.range)
            else { return }
            estimatedAt = state.step
            state.config.tcm!.positiveMargin = m.positive
            state.config.tcm!.negativeMargin = m.negative
            objective = state.config.objective
        }

        var lastPublish = Date(), samplesSincePublish = 0
        var lastLosses = (Double.nan, Double.nan)
        // An evaluation snapshot also carries the latest losses and throughput, so a UI that
        // only sees evaluations (frequent ones) still gets them.
        func evaluate() -> TrainingSnapshot {
            let epoch = Double(state.step) / Double(stepsPerEpoch)
            let throughput = Double(samplesSincePublish) / max(Date().timeIntervalSince(lastPublish), 1e-9)
            var (evaluation, embeddings) = Evaluation.run(
                model: state.model, inputs: data.evalInputs, labels: data.evalLabels,
                step: state.step, epoch: epoch)
            evaluation.tcmPositiveMargin = state.config.tcm?.positiveMargin
            evaluation.tcmNegativeMargin = state.config.tcm?.negativeMargin
            return TrainingSnapshot(
                step: state.step, totalSteps: totalSteps, epoch: epoch, baseLoss: lastLosses.0, tcmLoss: lastLosses.1,
                samplesPerSecond: throughput, tcmMargins: state.config.tcm?.margins,
                evaluation: evaluation, evalEmbeddings: embeddings)
        }
        updateMargins()  // so that the first evaluation shows the margins of the first step
        if state.step == 0 { publish(evaluate()) }
        while state.step < totalSteps {
            control?.waitWhilePaused {
                lastPublish = Date()
                samplesSincePublish = 0
            }
            if control?.isCancelled == true { return state }
            updateMargins()
            lastLosses = try step(
                &state, objective: objective, inputs: data.trainInputs, labels: data.trainLabels,
                indices: sampler.nextBatch())
            samplesSincePublish += config.batchSize
            if state.step % evaluateEvery == 0 || state.step == totalSteps {
                publish(evaluate())
                // Throughput counts training only: restart the clock after an evaluation.
                lastPublish = Date()
                samplesSincePublish = 0
                continue
            }
            let now = Date()
            if now.timeIntervalSince(lastPublish) >= config.publishInterval {
                publish(
                    TrainingSnapshot(
                        step: state.step, totalSteps: totalSteps, epoch: Double(state.step) / Double(stepsPerEpoch),
                        baseLoss: lastLosses.0, tcmLoss: lastLosses.1,
                        samplesPerSecond: Double(samplesSincePublish) / now.timeIntervalSince(lastPublish),
                        tcmMargins: state.config.tcm?.margins, evaluation: nil, evalEmbeddings: nil))
                lastPublish = now
                samplesSincePublish = 0
            }
        }
        return state
    }
}

/// Runs training on a Dispatch queue, keeping the newest snapshot and the newest evaluation for
/// a UI loop that reads them; pause, resume and cancel take effect at the next step.
///
/// Contract: every snapshot and the end of the run signal `wake` (if given); `outcome` stays
/// `.running` until the run has returned or thrown.
public final class BackgroundTraining: Sendable {
    public enum Outcome: Sendable { case running, finished(TrainingState), cancelled(TrainingState), failed(String) }
    private let latest: Mailbox<TrainingSnapshot>
    private let latestEvaluation: Mailbox<TrainingSnapshot>
    private let outcomeBox = Mutex<Outcome>(.running)
    public let control = JobControl()

    public init(
        _ state: TrainingState, data: TrainingData, queue: DispatchQueue = .global(qos: .userInitiated),
        wake: Wakeup? = nil
    ) {
        latest = Mailbox(wake: wake)
        latestEvaluation = Mailbox(wake: wake)
        queue.async { [self] in
            do {
                let end = try Trainer.run(state, data: data, control: control) { snapshot in
                    self.latest.put(snapshot)
                    if snapshot.evaluation != nil { self.latestEvaluation.put(snapshot) }
                }
                let cancelled = control.isCancelled
                outcomeBox.withLock { $0 = cancelled ? .cancelled(end) : .finished(end) }
            } catch {
                outcomeBox.withLock { $0 = .failed("\(error)") }
            }
            wake?.signal()
        }
    }

    public var snapshot: TrainingSnapshot? { latest.peek() }
    public var evaluation: TrainingSnapshot? { latestEvaluation.peek() }
    public var outcome: Outcome { outcomeBox.withLock { $0 } }
    public var isRunning: Bool { if case .running = outcome { return true } else { return false } }
}
