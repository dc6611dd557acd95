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

    /// Embeds `inputs` and scores them (default OPIS settings: FAR 1e-1…1e-2, 101 points).
    public static func run(model: MLP, inputs: Matrix, labels: Labels, step: Int, epoch: Double) -> (Evaluation, Matrix) {
        let embeddings = model.embed(inputs)
        let layout = ClassLayout(embeddings: embeddings, labels: labels)
        let (counts, retrieval) = MetricsPass.countsAndRetrieval(layout: layout, ks: [1])
        let report = ThresholdAnalyzer(counts: counts).report(OPISOptions())
        return (Evaluation(step: step, epoch: epoch, opis: report.opis, epsilonOPIS: report.epsilonOPIS,
                           recallAt1: retrieval.recallAtK[0].recall, mapAtR: retrieval.mapAtR,
                           rangeLow: report.settings.rangeLow, rangeHigh: report.settings.rangeHigh), embeddings)
    }
}
