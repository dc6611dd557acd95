/// The threshold-consistent margin regulariser (Zhang et al., ICLR 2024), exactly as
/// docs/definitions.md and the spec state it:
///
///     L_TCM = λ⁺ · mean over {s ∈ S⁺ : s ≤ m⁺} of (m⁺ − s)  +  λ⁻ · mean over {s ∈ S⁻ : s ≥ m⁻} of (s − m⁻)
///
/// S⁺ / S⁻ are the similarities of all same-label / different-label pairs of the batch (a ≠ b);
/// an empty set contributes 0. Defaults m⁺ = 0.9, m⁻ = 0.5, λ⁺ = λ⁻ = 1. Added to any base loss.
public struct TCMRegularizer: SimilarityLoss, Equatable, Codable {
    public var positiveMargin = 0.9
    public var negativeMargin = 0.5
    public var positiveWeight = 1.0
    public var negativeWeight = 1.0
    public var name: String { "tcm" }
    public init(positiveMargin: Double = 0.9, negativeMargin: Double = 0.5, positiveWeight: Double = 1, negativeWeight: Double = 1) {
        self.positiveMargin = positiveMargin
        self.negativeMargin = negativeMargin
        self.positiveWeight = positiveWeight
        self.negativeWeight = negativeWeight
    }

    public func evaluate(_ batch: SimilarityBatch, gradient: inout [Double]) -> Double {
        var positiveSum = 0.0, positiveCount = 0, negativeSum = 0.0, negativeCount = 0
        for i in 0 ..< batch.rows { for j in 0 ..< batch.columns where !batch.isSelf(i, j) {
            let s = batch.s(i, j)
            if batch.same(i, j) {
                if s <= positiveMargin { positiveSum += positiveMargin - s; positiveCount += 1 }
            } else if s >= negativeMargin {
                negativeSum += s - negativeMargin; negativeCount += 1
            }
        } }
        let pw = positiveCount > 0 ? positiveWeight / Double(positiveCount) : 0
        let nw = negativeCount > 0 ? negativeWeight / Double(negativeCount) : 0
        for i in 0 ..< batch.rows { for j in 0 ..< batch.columns where !batch.isSelf(i, j) {
            let s = batch.s(i, j)
            if batch.same(i, j) {
                if s <= positiveMargin { gradient[batch.index(i, j)] -= pw }
            } else if s >= negativeMargin {
                gradient[batch.index(i, j)] += nw
            }
        } }
        return pw * positiveSum + nw * negativeSum
    }
}
