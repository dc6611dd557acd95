import ArgumentParser
import Foundation
import TCMData
import TCMKernels
import TCMTraining

/// `tcmscope train`: fine-tune an MLP embedder with a DML loss, optionally + TCM.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: """
            Train an MLP embedder (or an adapter on frozen embeddings) with a DML loss, optionally + TCM.
            """,
        discussion: """
            --data mnist trains on the bundled MNIST training set (pixels / 255) and evaluates on its \
            test set. --data EMB (with LABELS or --label-column) trains an adapter on frozen embeddings, \
            evaluated on a seeded held-out split (by sample, or by class for open-world evaluation). \
            Writes DIR/checkpoint.tcms, DIR/eval-embeddings.npy, DIR/eval-labels.npy, DIR/metrics.json \
            (every evaluation) and DIR/metrics-stepN.json, all together when the run ends: a run that \
            fails or diverges (exit 3) leaves an earlier run's files in DIR as they were. \
            `tcmscope analyze DIR/eval-embeddings.npy DIR/eval-labels.npy` reads them.
            """
    )

    @Option(help: "mnist, or an embeddings file (frozen features to adapt).") var data = "mnist"
    @Option(help: "Labels file for --data EMB.") var labels: String?
    @OptionGroup var input: InputOptions
    @OptionGroup(title: "Fine-tuning (shared with dash)") var fineTuning: FineTuningOptions
    var loss: TrainingConfig.LossSpec.Kind { fineTuning.loss }
    var distance: PairDistance { fineTuning.distance }
    var tcmMargins: TCMMarginsArgument { fineTuning.tcmMargins ?? TCMMarginsArgument(argument: "0.9:0.5")! }
    var evalEvery: Int { fineTuning.evalEvery ?? 0 }
    @Option(help: "Triplet mining.") var mining: TripletMarginLoss.Mining = .all
    @Flag(help: "Add the TCM regulariser.") var tcm = false
    @Option(
        help: Bounds.xbm.help(
            """
            Cross-batch memory (XBM) of this many embeddings for the base loss; at least a batch, and memory × \
            batch ≤ \(Bounds.xbmEntries.high).
            """,
            valueName: "size")) var xbm: Int?
    @Option(
        name: .customLong("tcm-auto-every"),
        help: Bounds.tcmAutoEvery.help(
            """
            Steps between estimates of --tcm-margins auto (the first is before step 0; default: 50).
            """))
    var tcmAutoEveryOption: Int?
    var tcmAutoEvery: Int { tcmAutoEveryOption ?? 50 }
    @Option(help: ArgumentHelp("TCM weights λ⁺:λ⁻, each in \(Bounds.tcmWeight.range).", valueName: "l+:l-"))
    var tcmWeights = NumberPair(argument: "1:1")!
    @Option(help: Bounds.epochs.help("Epochs.")) var epochs = 2
    @Option(help: Bounds.classesPerBatch.help("Classes per batch (at most the data's classes).")) var classesPerBatch =
        8
    @Option(
        help: Bounds.samplesPerClass.help(
            """
            Samples per class in a batch; the batch (classes × samples) is at most \(Bounds.batch.high) rows.
            """))
    var samplesPerClass = 32
    @Option(name: .customLong("learning-rate"), help: Bounds.learningRateTrain.help("Learning rate.")) var lr: Float =
        1e-3
    // The spelling before the CLI's names were unified, kept as a hidden alias for one release.
    @Option(name: .customLong("lr"), help: .hidden) var lrOldSpelling: Float?
    @Option(help: "Optimiser (sgd: momentum 0.9).") var optimizer: OptimizerSpec.Kind = .adam
    @Option(help: Bounds.weightDecay.help("Weight decay (L2, PyTorch semantics).")) var weightDecay: Float = 0
    @Option(
        help: ArgumentHelp(
            """
            Hidden and output widths, e.g. 256,128: up to \(Bounds.layers.high) widths, each in \
            \(Bounds.width.range).
            """,
            valueName: "w,w")) var widths = WidthList(argument: "256,128")!
    @Option(help: "Seed (model, sampler, split).") var seed: UInt64 = 1
    @Option(help: "Hold out samples, or whole classes (open-world), of user embeddings.") var split: SplitKind = .sample
    @Option(help: Bounds.evalFraction.help("Share of user embeddings held out for evaluation.")) var evalFraction = 0.2
    @Option(help: ArgumentHelp("Continue from this checkpoint (its config wins, except --epochs).", valueName: "file"))
    var resume: String?
    @Option(help: ArgumentHelp("Output directory (created).", valueName: "dir")) var out: String
    @Flag(
        help: """
            Progress as JSON lines on stdout (the default when stdout is not a terminal).
            """) var json = false

    typealias SplitKind = HeldOutSplit.Kind

    mutating func validate() throws {
        if let old = lrOldSpelling {
            try Bounds.learningRateTrain.named("--lr").check(old)
            lr = old
        }
        try input.checkLabelSource(labelsFile: labels, named: "--labels")
        try Bounds.epochs.check(epochs)
        try Bounds.classesPerBatch.check(classesPerBatch)
        try Bounds.samplesPerClass.check(samplesPerClass)
        let batch = classesPerBatch * samplesPerClass  // ≤ 1024², no overflow
        try Bounds.batch.check(batch)
        try Bounds.learningRateTrain.check(lr)
        try Bounds.weightDecay.check(weightDecay)
        try fineTuning.check()
        try Bounds.evalFraction.check(evalFraction)
        if xbm != nil && loss == .proxyAnchor {
            throw ValidationError("--xbm applies to pair losses, not proxy-anchor")
        }
        if let xbm {
            try Bounds.xbm.check(xbm)
            if xbm < batch { throw ValidationError("--xbm \(xbm) must hold at least one batch (\(batch))") }
            try Bounds.xbmEntries.check(xbm * batch)  // ≤ 2^16 · 2^13, no overflow
        }
        _ = try parsedWidths()
        try Bounds.tcmAutoEvery.check(tcmAutoEveryOption)
        // Options of TCM that would be accepted and then do nothing are refused.
        if fineTuning.tcmMargins != nil && !tcm {
            throw ValidationError("--tcm-margins sets the TCM regulariser's margins: add --tcm, or drop it")
        }
        if tcmAutoEveryOption != nil && fineTuning.tcmMargins != .auto {
            throw ValidationError(
                "--tcm-auto-every is the cadence of --tcm-margins auto: add --tcm --tcm-margins auto, or drop it")
        }
        try Bounds.tcmWeight.check([tcmWeights.first, tcmWeights.second])
    }

    func parsedWidths() throws -> [Int] {
        let values = widths.values
        try Bounds.layers.check(values.count)
        try Bounds.width.check(values)
        return values
    }

    /// The files of a finished run in `out` (the metrics-stepN.json files join them as they come).
    var fixedTargets: [String] {
        ["checkpoint.tcms", "eval-embeddings.npy", "eval-labels.npy", "metrics.json"].map { out + "/" + $0 }
    }

    /// Refuses, before any work, an --out that is not a directory, or holds one of the run's
    /// files as something other than a regular file.
    func checkOutputDirectory() throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: out, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw DataError(out, "exists and is not a directory; --out takes a directory")
            }
            try OutputTransaction.check(fixedTargets)
        } else {
            let parent = URL(fileURLWithPath: out).deletingLastPathComponent().path
            guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue
            else {
                throw DataError(out, "cannot create the output directory: \(parent) is not a directory")
            }
        }
    }

    func run() throws {
        try checkOutputDirectory()
        OutputTransaction.removeTemporariesOnSignals()
        // A checkpoint's own settings (batch shape included) win, so read it before the data.
        let resumed = try resume.map { try Checkpoint.read($0) }
        let trainingData = try loadData(classesPerBatch: resumed?.config.classesPerBatch ?? classesPerBatch)
        var config = TrainingConfig()
        config.widths = [trainingData.trainInputs.cols] + (try parsedWidths())
        config.loss = TrainingConfig.LossSpec(kind: loss, distance: distance)
        config.loss.tripletMining = mining
        if tcm { config.tcm = tcmMargins.regularizer(weights: tcmWeights, every: tcmAutoEvery) }
        config.crossBatchMemory = xbm
        config.optimizer.kind = optimizer
        config.optimizer.learningRate = lr
        config.optimizer.weightDecay = weightDecay
        config.classesPerBatch = classesPerBatch
        config.samplesPerClass = samplesPerClass
        config.epochs = epochs
        config.seed = seed
        config.evaluateEvery = evalEvery

        try config.validate()  // before a model is allocated from it
        var state = TrainingState(config: config)
        if let resume, let resumed {
            state = resumed
            state.config.epochs = epochs
            guard state.config.widths.first == trainingData.trainInputs.cols else {
                throw DataError(
                    resume,
                    "checkpoint takes \(state.config.widths[0])-D inputs, the data has \(trainingData.trainInputs.cols)"
                )
            }
            try Checkpoint.checkResumable(state, trainRows: trainingData.trainInputs.rows, file: resume)
        }
        let created = !FileManager.default.fileExists(atPath: out)
        if created && mkdir(out, 0o777) != 0 {
            throw DataError(out, "cannot create the output directory: \(String(cString: strerror(errno)))")
        }
        // Everything the run writes is staged and made visible together when it has succeeded; a
        // failed or diverged run removes its new (empty) directory and leaves an old one as it was.
        let transaction = OutputTransaction()
        do {
            try train(state: state, data: trainingData, transaction: transaction)
        } catch {
            transaction.abandon()
            if created { rmdir(out) }
            throw error
        }
    }

    func train(state: TrainingState, data trainingData: TrainingData, transaction: OutputTransaction) throws {
        let jsonLines = json || isatty(STDOUT_FILENO) != 1
        var evaluations: [Evaluation] = []
        var stepMetrics: [(step: Int, json: String)] = []
        var lastEmbeddings: Matrix? = nil
        var throughput: [Double] = []
        let started = Date()
        let final = try Trainer.run(state, data: trainingData) { snapshot in
            if let e = snapshot.evaluation {
                evaluations.append(e)
                lastEmbeddings = snapshot.evalEmbeddings
                stepMetrics.append((e.step, encode(e)))
            } else if snapshot.samplesPerSecond > 0 {
                throughput.append(snapshot.samplesPerSecond)
            }
            report(snapshot, jsonLines: jsonLines, last: evaluations.last)
        }
        if !jsonLines { FileHandle.standardError.write(Data("\n".utf8)) }
        for (step, json) in stepMetrics { try transaction.stage(json, to: out + "/metrics-step\(step).json") }
        try transaction.stage(Checkpoint.encode(final), to: out + "/checkpoint.tcms")
        if let e = lastEmbeddings {
            try transaction.stage(
                NpyWriter.bytes(floats: e.values, shape: [e.rows, e.cols]), to: out + "/eval-embeddings.npy")
            try transaction.stage(
                NpyWriter.bytes(
                    strings: trainingData.evalLabels.classOf.map { trainingData.evalLabels.classNames[Int($0)] }),
                to: out + "/eval-labels.npy")
        }
        let summary = RunSummary(
            config: final.config, steps: final.step, seconds: Date().timeIntervalSince(started),
            medianSamplesPerSecond: throughput.sorted().dropFirst(throughput.count / 2).first ?? 0,
            evaluations: evaluations)
        try transaction.stage(encode(summary), to: out + "/metrics.json")
        try transaction.commit()
        if let last = evaluations.last {
            print(
                String(
                    format:
                        "trained %d steps in %.1f s (%.0f samples/s): OPIS %.5f, ε-OPIS %.5f, R@1 %.4f, MAP@R %.4f; outputs in %@",
                    final.step, summary.seconds, summary.medianSamplesPerSecond, last.opis, last.epsilonOPIS,
                    last.recallAt1, last.mapAtR, out as NSString))
        }
    }

    struct RunSummary: Codable {
        let config: TrainingConfig
        let steps: Int
        let seconds: Double
        let medianSamplesPerSecond: Double
        let evaluations: [Evaluation]
    }

    func encode<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: (try? encoder.encode(value)) ?? Data(), as: UTF8.self)
    }

    func report(_ s: TrainingSnapshot, jsonLines: Bool, last: Evaluation?) {
        if jsonLines {
            var object: [String: Any] = ["step": s.step, "total_steps": s.totalSteps, "epoch": s.epoch]
            if let e = s.evaluation {
                object["opis"] = e.opis
                object["epsilon_opis"] = e.epsilonOPIS
                object["recall_at_1"] = e.recallAt1
                object["map_at_r"] = e.mapAtR
            }
            if let m = s.tcmMargins { object["tcm_margins"] = [m.positive, m.negative] }
            // Losses exist once a step has run (not in the evaluation before the first step).
            if s.baseLoss.isFinite {
                object["loss"] = s.baseLoss
                object["samples_per_second"] = s.samplesPerSecond
                if s.tcmLoss.isFinite { object["tcm_loss"] = s.tcmLoss }
            }
            if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) {
                print(String(decoding: data, as: UTF8.self))
            }
        } else {
            let width = 24, filled = Int(Double(width) * Double(s.step) / Double(max(1, s.totalSteps)))
            let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
            var line = "\r[\(bar)] step \(s.step)/\(s.totalSteps)"
            if s.baseLoss.isFinite {
                line += String(format: " loss %.4f", s.baseLoss) + (tcm ? String(format: " tcm %.4f", s.tcmLoss) : "")
            }
            if let m = s.tcmMargins { line += String(format: " m %.3f:%.3f", m.positive, m.negative) }
            if s.samplesPerSecond > 0 { line += String(format: " %.0f samples/s", s.samplesPerSecond) }
            if let e = last { line += String(format: " | OPIS %.5f R@1 %.4f", e.opis, e.recallAt1) }
            FileHandle.standardError.write(Data((line + "\u{1B}[K").utf8))
        }
    }

    func loadData(classesPerBatch: Int) throws -> TrainingData {
        if data == "mnist" {
            let mnist = try TrainingData.bundledMNIST()
            let classes = Set(mnist.trainLabels).count
            guard classes >= classesPerBatch else {
                throw DataError(
                    "mnist",
                    "the training set has \(classes) classes, fewer than --classes-per-batch \(classesPerBatch)")
            }
            return mnist
        }
        let dataset = try Dataset.load(
            embeddings: data, labels: labels, options: input.loaderOptions, dropZeroVectors: input.dropZeroVectors)
        let (trainRows, evalRows) = HeldOutSplit.rows(
            of: dataset.labels, by: split, evalFraction: evalFraction, seed: seed)
        let trainLabels = dataset.labels.subset(trainRows), evalLabels = dataset.labels.subset(evalRows)
        guard trainLabels.classCount >= classesPerBatch else {
            throw DataError(
                data,
                "the training split has \(trainLabels.classCount) classes, fewer than --classes-per-batch \(classesPerBatch)"
            )
        }
        guard evalLabels.classCount >= 2 else {
            throw DataError(data, "the evaluation split has fewer than 2 classes; raise --eval-fraction")
        }
        return TrainingData(
            trainInputs: dataset.embeddings.gatherRows(trainRows), trainLabels: trainLabels.classOf,
            evalInputs: dataset.embeddings.gatherRows(evalRows), evalLabels: evalLabels)
    }
}

extension TrainingConfig.LossSpec.Kind: ExpressibleByArgument {}
extension TripletMarginLoss.Mining: ExpressibleByArgument {}
extension PairDistance: ExpressibleByArgument {}
extension OptimizerSpec.Kind: ExpressibleByArgument {}
extension HeldOutSplit.Kind: ExpressibleByArgument {}
