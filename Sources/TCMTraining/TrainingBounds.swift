/// The bounds of the training flags (`train`, and the dashboard's fine-tuning), in the module that
/// reads checkpoints: the command line checks its flags against them (`Bounds` in TCMScopeCLI
/// refers here) and `Checkpoint.decode` checks a checkpoint's configuration against the very
/// same values (`TrainingConfig.flagRangeProblem`).
public enum TrainingBounds {
    public static let epochs = FlagBound(flag: "--epochs", low: 1, high: 10_000)
    public static let classesPerBatch = FlagBound(flag: "--classes-per-batch", low: 2, high: 1024)
    public static let samplesPerClass = FlagBound(flag: "--samples-per-class", low: 2, high: 1024)
    /// Rows of a batch (--classes-per-batch × --samples-per-class): its similarity matrix is batch² doubles.
    public static let batch = FlagBound(flag: "--classes-per-batch × --samples-per-class", low: 4, high: 8192)
    public static let xbm = FlagBound(flag: "--xbm", low: 4, high: 65_536)
    /// Entries of the cross-batch similarity matrix (batch × memory doubles, 512 MB at most).
    public static let xbmEntries = FlagBound(flag: "--xbm × batch", low: 0, high: 1 << 26)
    public static let width = FlagBound(flag: "--widths", low: 1, high: 4096)
    public static let layers = FlagBound(flag: "--widths (number of layers)", low: 1, high: 16)
    public static let learningRate = FlagBound(flag: "--learning-rate", low: Float(0), high: 10, lowExclusive: true)
    public static let weightDecay = FlagBound(flag: "--weight-decay", low: Float(0), high: 1)
    public static let evalEvery = FlagBound(flag: "--eval-every", low: 0, high: 1_000_000)
    public static let tcmMargin = FlagBound(flag: "--tcm-margins", low: -1.0, high: 1)
    public static let tcmWeight = FlagBound(flag: "--tcm-weights", low: 0.0, high: 1000)
    public static let tcmAutoEvery = FlagBound(flag: "--tcm-auto-every", low: 1, high: 1_000_000)
}

extension TrainingConfig {
    /// The first value outside the range of the flag that sets it, phrased as the flag's own
    /// refusal ("--tcm-weights 1e+300 is out of range; allowed: [0.0, 1000.0]"), or nil. A
    /// checkpoint is held to this as well as to `problem`: finite is not enough (TCM margins of
    /// ±1e300 or weights of −1e30 train at exit 0 with a loss that rewards violations, and a weight
    /// of 1e300 ends as "training diverged" instead of a refusal). The input width is the data's
    /// dimension, not a flag: `problem` bounds it.
    public var flagRangeProblem: String? {
        let b = TrainingBounds.self
        let hidden = Array(widths.dropFirst())
        let checks: [String?] =
            [
                b.layers.problem(hidden.count),
                hidden.lazy.compactMap(b.width.problem).first,
                b.epochs.problem(epochs),
                b.classesPerBatch.problem(classesPerBatch),
                b.samplesPerClass.problem(samplesPerClass),
                // Both factors are at most 1024 here: no overflow.
                b.classesPerBatch.contains(classesPerBatch) && b.samplesPerClass.contains(samplesPerClass)
                    ? b.batch.problem(batchSize) : nil,
                b.learningRate.problem(optimizer.learningRate),
                b.weightDecay.problem(optimizer.weightDecay),
                b.evalEvery.problem(evaluateEvery),
                crossBatchMemory.flatMap(b.xbm.problem),
                // `problem` has bounded the memory by 2^20 and the batch by 2^13: no overflow.
                crossBatchMemory.flatMap { b.xbmEntries.problem($0 * batchSize) },
            ] + tcmProblems
        return checks.lazy.compactMap { $0 }.first
    }

    private var tcmProblems: [String?] {
        guard let tcm else { return [] }
        let b = TrainingBounds.self
        return [
            b.tcmMargin.problem(tcm.positiveMargin), b.tcmMargin.problem(tcm.negativeMargin),
            b.tcmWeight.problem(tcm.positiveWeight), b.tcmWeight.problem(tcm.negativeWeight),
            tcm.auto.flatMap { b.tcmAutoEvery.problem($0.every) },
        ]
    }
}

/// Ranges of the values no flag sets: tcmscope fixes them per loss and optimiser (pytorch-metric-
/// learning's defaults), so a checkpoint it wrote holds those. The ranges are wide around them —
/// older checkpoints may hold other defaults — but keep a crafted file from the absurd values the
/// flags' ranges keep out elsewhere (a contrastive margin of 1e300 would end as "training
/// diverged"). Each is named by its field in the checkpoint's configuration.
public enum FixedParameterBounds {
    /// Margins are in the loss's pair measure: cosine similarity in [−1, 1], or the Euclidean
    /// distance of unit vectors in [0, 2] (negated for the distance losses): ±2 covers both.
    public static func margin(_ field: String) -> FlagBound<Double> { FlagBound(flag: field, low: -2, high: 2) }
    /// Circle loss's γ and proxy-anchor's α scale similarities inside exponentials (80 and 32).
    public static func scale(_ field: String) -> FlagBound<Double> {
        FlagBound(flag: field, low: 0, high: 1000, lowExclusive: true)
    }
    public static let proxyRate = FlagBound(
        flag: "loss.proxyLearningRateScale", low: Float(0), high: 10_000, lowExclusive: true)
    public static let optimizerEpsilon = FlagBound(
        flag: "optimizer.epsilon", low: Float(0), high: 1, lowExclusive: true)
    /// Seconds between progress reports.
    public static let publishInterval = FlagBound(flag: "publishInterval", low: 0.0, high: 3600)
}

extension TrainingConfig {
    /// The first value no flag sets that lies outside `FixedParameterBounds`, or nil.
    public var fixedParameterProblem: String? {
        let b = FixedParameterBounds.self
        let checks: [String?] =
            loss.contrastiveMargins.map(b.margin("loss.contrastiveMargins").problem) + [
                b.margin("loss.tripletMargin").problem(loss.tripletMargin),
                b.margin("loss.circleM").problem(loss.circleM),
                b.margin("loss.proxyAnchorMargin").problem(loss.proxyAnchorMargin),
                b.scale("loss.circleGamma").problem(loss.circleGamma),
                b.scale("loss.proxyAnchorAlpha").problem(loss.proxyAnchorAlpha),
                b.proxyRate.problem(loss.proxyLearningRateScale),
                b.optimizerEpsilon.problem(optimizer.epsilon),
                b.publishInterval.problem(publishInterval),
            ]
        return checks.lazy.compactMap { $0 }.first
    }
}
