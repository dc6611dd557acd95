/// Limits on what a training run may ask for, so that a configuration read from a checkpoint (or
/// built by any caller) can never ask for an allocation or a loop the machine cannot finish. They
/// are far above anything useful; the command line's own flag bounds are tighter.
public enum TrainingLimits {
    /// Input, hidden and output widths.
    public static let width = 1 << 16
    /// Layers (widths count − 1).
    public static let layers = 64
    /// Parameters of the whole network (4 bytes each, ×3 with Adam's moments).
    public static let parameters = 1 << 28
    /// Rows of a batch (its similarity matrix holds batch² doubles).
    public static let batch = 8192
    /// Cross-batch memory slots (its similarity matrix holds batch × memory doubles).
    public static let memory = 1 << 20
    /// batch × memory entries of the cross-batch similarity matrix.
    public static let crossBatchEntries = 1 << 26
    /// Epochs of one run.
    public static let epochs = 1_000_000
    /// Steps of one run (and the step a checkpoint may record).
    public static let steps = 1 << 40
    /// Training rows one estimate of the auto TCM margins embeds (all their pairs are counted).
    public static let marginSampleRows = 1 << 16
    /// Classes (proxy-anchor proxies).
    public static let classes = 1 << 24
}

extension TrainingConfig {
    /// The first thing wrong with this configuration, phrased for a user, or nil when a run can
    /// start from it: every size positive and within `TrainingLimits`, every number finite.
    public var problem: String? {
        guard widths.count >= 2 else { return "needs at least an input and an output width, got \(widths)" }
        guard widths.count - 1 <= TrainingLimits.layers else {
            return "has \(widths.count - 1) layers, more than \(TrainingLimits.layers)"
        }
        guard widths.allSatisfy({ $0 >= 1 && $0 <= TrainingLimits.width }) else {
            return "widths must be between 1 and \(TrainingLimits.width), got \(widths)"
        }
        // Each product is < 2^32 and there are at most 64 of them: no overflow.
        let parameters = (1 ..< widths.count).reduce(0) { $0 + widths[$1] * (widths[$1 - 1] + 1) }
        guard parameters <= TrainingLimits.parameters else {
            return "widths \(widths) make \(parameters) parameters, more than \(TrainingLimits.parameters)"
        }
        guard classesPerBatch >= 1 && samplesPerClass >= 1 else {
            return "a batch needs at least 1 class of at least 1 sample, got \(classesPerBatch) × \(samplesPerClass)"
        }
        guard
            classesPerBatch <= TrainingLimits.batch && samplesPerClass <= TrainingLimits.batch
                && batchSize <= TrainingLimits.batch
        else {
            return "a batch of \(classesPerBatch) × \(samplesPerClass) rows is more than \(TrainingLimits.batch)"
        }
        guard epochs >= 1 && epochs <= TrainingLimits.epochs else {
            return "epochs must be between 1 and \(TrainingLimits.epochs), got \(epochs)"
        }
        guard evaluateEvery >= 0 else { return "evaluateEvery must be 0 or more, got \(evaluateEvery)" }
        guard publishInterval.isFinite && publishInterval >= 0 else {
            return "publishInterval must be a finite number ≥ 0"
        }
        if let memory = crossBatchMemory {
            guard loss.kind != .proxyAnchor else {
                return "cross-batch memory applies to pair losses, not proxy-anchor"
            }
            guard
                memory >= batchSize && memory <= TrainingLimits.memory
                    && memory * batchSize <= TrainingLimits.crossBatchEntries
            else {
                return
                    "cross-batch memory \(memory) must hold a batch (\(batchSize)) and at most \(TrainingLimits.crossBatchEntries / batchSize) rows"
            }
        }
        if let problem = optimizer.problem { return problem }
        if let problem = loss.problem { return problem }
        if let tcm,
            ![tcm.positiveMargin, tcm.negativeMargin, tcm.positiveWeight, tcm.negativeWeight].allSatisfy(\.isFinite)
        {
            return "TCM margins and weights must be finite"
        }
        if let auto = tcm?.auto {
            guard [auto.farAtLow, auto.farAtHigh].allSatisfy({ $0 > 0 && $0 < 1 }) else {
                return
                    "TCM auto margins: the range's FARs must be in (0, 1), got \(auto.farAtLow) and \(auto.farAtHigh)"
            }
            guard auto.every >= 1 && auto.every <= TrainingLimits.steps else {
                return "TCM auto margins: every must be 1 or more steps, got \(auto.every)"
            }
            guard auto.sampleRows >= 2 && auto.sampleRows <= TrainingLimits.marginSampleRows else {
                return
                    "TCM auto margins: sample rows must be between 2 and \(TrainingLimits.marginSampleRows), got \(auto.sampleRows)"
            }
        }
        return nil
    }

    /// Throws `TrainingError.invalidConfiguration` naming the first problem (see `problem`).
    public func validate() throws {
        if let problem { throw TrainingError.invalidConfiguration(problem) }
    }
}

extension OptimizerSpec {
    /// The first unusable setting, or nil.
    public var problem: String? {
        guard learningRate.isFinite && learningRate > 0 else {
            return "learning rate must be a positive finite number, got \(learningRate)"
        }
        guard weightDecay.isFinite && weightDecay >= 0 else {
            return "weight decay must be a finite number ≥ 0, got \(weightDecay)"
        }
        guard [momentum, beta1, beta2].allSatisfy({ $0 >= 0 && $0 < 1 }) else {
            return "momentum and betas must be in [0, 1)"
        }
        guard epsilon.isFinite && epsilon > 0 else { return "optimizer epsilon must be a positive finite number" }
        return nil
    }
}

extension TrainingConfig.LossSpec {
    /// The first unusable parameter, or nil.
    public var problem: String? {
        guard contrastiveMargins.count == 2 else {
            return "contrastive loss needs 2 margins, got \(contrastiveMargins.count)"
        }
        let numbers =
            contrastiveMargins + [
                tripletMargin, circleM, circleGamma, proxyAnchorMargin, proxyAnchorAlpha,
                Double(proxyLearningRateScale),
            ]
        guard numbers.allSatisfy(\.isFinite) else { return "loss parameters must be finite" }
        guard proxyLearningRateScale > 0 else { return "proxy learning-rate scale must be positive" }
        if distance == .euclidean && !Self.distanceKinds.contains(kind) {
            return
                "euclidean distance applies to \(Self.distanceKinds.map(\.rawValue).joined(separator: ", ")), not \(kind.rawValue)"
        }
        return nil
    }
}
