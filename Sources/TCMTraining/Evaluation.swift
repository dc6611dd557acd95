import TCMData
import TCMKernels
import TCMMetrics

/// Threshold consistency and retrieval of the evaluation set under the current model.
public struct Evaluation: Sendable, Codable, Equatable {
    public let step: Int
    public let epoch: Double
    public let opis: Double
    public let epsilonOPIS: Double
    public let recallAt1: Double
    public let mapAtR: Double
    public let rangeLow: Double
    public let rangeHigh: Double
    /// OPIS and ε-OPIS over the stricter range of global FAR 1e-2 to 1e-4 (the same pairs).
    public var opisStrictRange: Double? = nil
    public var epsilonOPISStrictRange: Double? = nil
    /// The TCM margins in use when this evaluation was made (absent without TCM).
    public var tcmPositiveMargin: Double? = nil
    public var tcmNegativeMargin: Double? = nil

    public init(
        step: Int, epoch: Double, opis: Double, epsilonOPIS: Double, recallAt1: Double, mapAtR: Double,
        rangeLow: Double, rangeHigh: Double
    ) {
        self.step = step
        self.epoch = epoch
        self.opis = opis
        self.epsilonOPIS = epsilonOPIS
        self.recallAt1 = recallAt1
        self.mapAtR = mapAtR
        self.rangeLow = rangeLow
        self.rangeHigh = rangeHigh
    }

    /// The stricter range of `opisStrictRange`.
    public static let strictRange = RangeSpec.far(farAtLow: 1e-2, farAtHigh: 1e-4)

    /// Embeds `inputs` and scores them (default OPIS settings: FAR 1e-1…1e-2, 101 points).
    public static func run(model: MLP, inputs: Matrix, labels: Labels, step: Int, epoch: Double) -> (Evaluation, Matrix)
    {
        let embeddings = model.embed(inputs)
        let layout = ClassLayout(embeddings: embeddings, labels: labels)
        let (counts, retrieval) = MetricsPass.countsAndRetrieval(layout: layout, ks: [1])
        let analyzer = ThresholdAnalyzer(counts: counts)
        let report = analyzer.report(OPISOptions())
        var strictOptions = OPISOptions()
        strictOptions.range = strictRange
        let strict = analyzer.report(strictOptions)
        var evaluation = Evaluation(
            step: step, epoch: epoch, opis: report.opis, epsilonOPIS: report.epsilonOPIS,
            recallAt1: retrieval.recallAtK[0].recall, mapAtR: retrieval.mapAtR,
            rangeLow: report.settings.rangeLow, rangeHigh: report.settings.rangeHigh)
        evaluation.opisStrictRange = strict.opis
        evaluation.epsilonOPISStrictRange = strict.epsilonOPIS
        return (evaluation, embeddings)
    }
}
