import Foundation

/// How a pair loss measures embeddings: cosine similarity (TCMScope's historical default), or
/// pytorch-metric-learning's default `LpDistance(p=2, normalize_embeddings=True)`.
public enum PairDistance: String, Sendable, Codable, CaseIterable {
    case cosine, euclidean
}

/// A pair loss written in similarity form, run on Euclidean distances of normalised embeddings.
///
/// For unit vectors d = √(2 − 2s), so a distance loss is a similarity loss on x = −d with its
/// margins negated: PML's contrastive `relu(d − m⁺)`, `relu(m⁻ − d)` is the similarity form's
/// `relu(−m⁺ − x)`, `relu(x + m⁻)`; triplet `relu(d_ap − d_an + m)` is `relu(x_an − x_ap + m)`
/// with the miner's conditions unchanged (they depend on x_ap − x_an only); lifted structure's
/// `log Σ e^{m⁻ − d_an} + d_ap − m⁺` is `log Σ e^{x_an + m⁻} + (−m⁺ − x_ap)`. The gradient comes
/// back to S by the chain rule, ∂x/∂s = 1/d. At d = 0 (two identical embeddings) the derivative
/// is taken as 0, as `torch.cdist`'s backward does for a zero distance.
public struct EuclideanDistanceLoss: SimilarityLoss {
    /// The loss on x = −d, margins already negated (see `TrainingConfig.LossSpec.make`).
    public let base: any SimilarityLoss
    public var name: String { base.name + " (euclidean)" }

    public init(onNegatedDistance base: any SimilarityLoss) { self.base = base }

    /// d = √(max(0, 2 − 2s)): rounding can put a unit vector's cosine a little above 1.
    @inline(__always) public static func distance(similarity s: Double) -> Double { (max(0, 2 - 2 * s)).squareRoot() }

    public func evaluate(_ batch: SimilarityBatch, gradient: inout [Double]) -> Double {
        let distances = batch.similarities.map(Self.distance(similarity:))
        let negated = SimilarityBatch(
            similarities: distances.map { -$0 }, rowLabels: batch.labels,
            columnLabels: batch.columnLabels, selfColumn: batch.selfColumn)
        var inner = [Double](repeating: 0, count: distances.count)
        let value = base.evaluate(negated, gradient: &inner)
        for k in inner.indices where inner[k] != 0 && distances[k] > 0 {
            gradient[k] += inner[k] / distances[k]
        }
        return value
    }
}
