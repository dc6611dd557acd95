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
    /// `--tcm-margins auto`: the margins above are the latest estimate of `TCMMarginRule`, made
    /// by the trainer every `auto.every` steps. nil (and in checkpoints written before it
    /// existed): the margins are fixed.
    public var auto: TCMAutoMargins? = nil
    public var margins: TCMMargins { TCMMargins(positive: positiveMargin, negative: negativeMargin) }
    public var name: String { "tcm" }
    public init(
        positiveMargin: Double = 0.9, negativeMargin: Double = 0.5, positiveWeight: Double = 1,
        negativeWeight: Double = 1
    ) {
        self.positiveMargin = positiveMargin
        self.negativeMargin = negativeMargin
        self.positiveWeight = positiveWeight
        self.negativeWeight = negativeWeight
    }

    public func evaluate(_ batch: SimilarityBatch, gradient: inout [Double]) -> Double {
        // One pass collects the violating entries; the gradient then touches only those.
        var positiveSum = 0.0, negativeSum = 0.0
        var positives: [Int] = [], negatives: [Int] = []
        batch.similarities.withUnsafeBufferPointer { s in
            for i in 0 ..< batch.rows {
                let own = batch.selfColumn[i], label = batch.labels[i]
                batch.columnLabels.withUnsafeBufferPointer { columnLabels in
                    for j in 0 ..< batch.columns where j != own {
                        let k = i * batch.columns + j, v = s[k]
                        if columnLabels[j] == label {
                            if v <= positiveMargin {
                                positiveSum += positiveMargin - v
                                positives.append(k)
                            }
                        } else if v >= negativeMargin {
                            negativeSum += v - negativeMargin
                            negatives.append(k)
                        }
                    }
                }
            }
        }
        let pw = positives.isEmpty ? 0 : positiveWeight / Double(positives.count)
        let nw = negatives.isEmpty ? 0 : negativeWeight / Double(negatives.count)
        for k in positives { gradient[k] -= pw }
        for k in negatives { gradient[k] += nw }
        return pw * positiveSum + nw * negativeSum
    }
}
