/// Everything that defines a training run; saved in every checkpoint and metrics file.
public struct TrainingConfig: Sendable, Codable, Equatable {
    /// The base loss and its parameters (pytorch-metric-learning's defaults).
    public struct LossSpec: Sendable, Codable, Equatable {
        public enum Kind: String, Sendable, Codable, CaseIterable {
            case contrastive, triplet, multiSimilarity = "multi-similarity", circle, liftedStructure =
                "lifted-structure", proxyAnchor = "proxy-anchor"
        }
        public var kind: Kind = .contrastive
        /// What contrastive, triplet and lifted-structure measure pairs with; the other losses
        /// are defined on cosine similarity only. Margins are in this distance's own units.
        public var distance = PairDistance.cosine
        public var contrastiveMargins = [1.0, 0.0]  // m⁺, m⁻
        public var tripletMargin = 0.05
        public var tripletMining = TripletMarginLoss.Mining.all
        public var circleM = 0.4
        public var circleGamma = 80.0
        public init(kind: Kind = .contrastive) { self.kind = kind }

        /// The losses that take `--distance euclidean` (PML's defaults for them are Euclidean).
        public static let distanceKinds: [Kind] = [.contrastive, .triplet, .liftedStructure]

        /// PML's defaults for `distance`: contrastive m⁺ = 0, m⁻ = 1 on Euclidean distance (its
        /// documented 1, 0 on cosine similarity); triplet margin 0.05 either way.
        public init(kind: Kind, distance: PairDistance) {
            self.kind = kind
            self.distance = distance
            if distance == .euclidean { contrastiveMargins = [0, 1] }
        }

        // Fields missing from an older checkpoint take their defaults.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let d = LossSpec()
            kind = try c.decodeIfPresent(Kind.self, forKey: .kind) ?? d.kind
            distance = try c.decodeIfPresent(PairDistance.self, forKey: .distance) ?? d.distance
            contrastiveMargins =
                try c.decodeIfPresent([Double].self, forKey: .contrastiveMargins) ?? d.contrastiveMargins
            tripletMargin = try c.decodeIfPresent(Double.self, forKey: .tripletMargin) ?? d.tripletMargin
            tripletMining =
                try c.decodeIfPresent(TripletMarginLoss.Mining.self, forKey: .tripletMining) ?? d.tripletMining
            circleM = try c.decodeIfPresent(Double.self, forKey: .circleM) ?? d.circleM
            circleGamma = try c.decodeIfPresent(Double.self, forKey: .circleGamma) ?? d.circleGamma
            proxyAnchorMargin = try c.decodeIfPresent(Double.self, forKey: .proxyAnchorMargin) ?? d.proxyAnchorMargin
            proxyAnchorAlpha = try c.decodeIfPresent(Double.self, forKey: .proxyAnchorAlpha) ?? d.proxyAnchorAlpha
            proxyLearningRateScale =
                try c.decodeIfPresent(Float.self, forKey: .proxyLearningRateScale) ?? d.proxyLearningRateScale
        }

        public var proxyAnchorMargin = 0.1
        public var proxyAnchorAlpha = 32.0
        /// Proxies learn this many times faster than the network (the Proxy-Anchor paper's 100).
        public var proxyLearningRateScale: Float = 100

        public func makeObjective(tcm: TCMRegularizer?) -> Objective {
            if kind == .proxyAnchor {
                return Objective(
                    proxyAnchor: ProxyAnchorLoss(margin: proxyAnchorMargin, alpha: proxyAnchorAlpha), tcm: tcm)
            }
            return Objective(base: make(), tcm: tcm)
        }

        public func make() -> any SimilarityLoss {
            guard distance == .euclidean else { return makeOnSimilarity() }
            // On x = −d every margin changes sign (see EuclideanDistanceLoss); lifted structure
            // takes PML's LpDistance defaults m⁺ = 0, m⁻ = 1.
            switch kind {
            case .contrastive:
                return EuclideanDistanceLoss(
                    onNegatedDistance: ContrastiveLoss(
                        positiveMargin: -contrastiveMargins[0], negativeMargin: -contrastiveMargins[1]))
            case .triplet:
                return EuclideanDistanceLoss(
                    onNegatedDistance: TripletMarginLoss(margin: tripletMargin, mining: tripletMining))
            case .liftedStructure:
                return EuclideanDistanceLoss(
                    onNegatedDistance: LiftedStructureLoss(positiveMargin: 0, negativeMargin: -1))
            default: preconditionFailure("\(kind.rawValue) has no Euclidean form; LossSpec.problem refuses it")
            }
        }

        private func makeOnSimilarity() -> any SimilarityLoss {
            switch kind {
            case .proxyAnchor: preconditionFailure("proxy-anchor is not a pair loss; use makeObjective")
            case .contrastive:
                return ContrastiveLoss(positiveMargin: contrastiveMargins[0], negativeMargin: contrastiveMargins[1])
            case .triplet: return TripletMarginLoss(margin: tripletMargin, mining: tripletMining)
            case .multiSimilarity: return MultiSimilarityLoss()
            case .circle: return CircleLoss(m: circleM, gamma: circleGamma)
            case .liftedStructure: return LiftedStructureLoss()
            }
        }
    }

    public var widths: [Int] = [784, 256, 128]
    public var loss = LossSpec()
    public var tcm: TCMRegularizer? = nil
    /// Cross-batch memory size for the base loss (nil: none). TCM always uses the batch itself.
    public var crossBatchMemory: Int? = nil
    public var optimizer = OptimizerSpec()
    public var classesPerBatch = 8
    public var samplesPerClass = 32
    public var epochs = 2
    public var seed: UInt64 = 1
    /// Evaluate every this many steps; 0 means once per epoch.
    public var evaluateEvery = 0
    /// Publish progress at most this often (seconds).
    public var publishInterval = 0.25

    public init() {}

    // Decoding tolerates files written before a field existed (older checkpoints).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = TrainingConfig()
        widths = try c.decodeIfPresent([Int].self, forKey: .widths) ?? d.widths
        loss = try c.decodeIfPresent(LossSpec.self, forKey: .loss) ?? d.loss
        tcm = try c.decodeIfPresent(TCMRegularizer.self, forKey: .tcm)
        crossBatchMemory = try c.decodeIfPresent(Int.self, forKey: .crossBatchMemory)
        optimizer = try c.decodeIfPresent(OptimizerSpec.self, forKey: .optimizer) ?? d.optimizer
        classesPerBatch = try c.decodeIfPresent(Int.self, forKey: .classesPerBatch) ?? d.classesPerBatch
        samplesPerClass = try c.decodeIfPresent(Int.self, forKey: .samplesPerClass) ?? d.samplesPerClass
        epochs = try c.decodeIfPresent(Int.self, forKey: .epochs) ?? d.epochs
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? d.seed
        evaluateEvery = try c.decodeIfPresent(Int.self, forKey: .evaluateEvery) ?? d.evaluateEvery
        publishInterval = try c.decodeIfPresent(Double.self, forKey: .publishInterval) ?? d.publishInterval
    }

    public var batchSize: Int { classesPerBatch * samplesPerClass }
    public var objective: Objective { loss.makeObjective(tcm: tcm) }
}
