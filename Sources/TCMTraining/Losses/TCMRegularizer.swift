import TCMKernels

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
        let rows = batch.rows, columns = batch.columns
        guard rows > 0, columns > 0 else { return 0 }
        precondition(gradient.count == rows * columns, "gradient is not rows × columns")
        // One pass sums the violating entries (compacted per row without a branch on the value,
        // then added in column order: the order of a pair-by-pair walk); the gradient pass then
        // subtracts / adds the weights where a pair violates, on the kernel path's vectors.
        var positiveSum = 0.0, negativeSum = 0.0, positiveCount = 0, negativeCount = 0
        let labels = batch.columnLabels.map(Double.init)
        let positives = UnsafeMutablePointer<Double>.allocate(capacity: columns)
        let negatives = UnsafeMutablePointer<Double>.allocate(capacity: columns)
        defer {
            positives.deallocate()
            negatives.deallocate()
        }
        batch.similarities.withUnsafeBufferPointer { sv in
            batch.columnLabels.withUnsafeBufferPointer { cv in
                let s = sv.baseAddress!, c = cv.baseAddress!
                for i in 0 ..< rows {
                    let row = s + i * columns, own = batch.selfColumn[i], label = batch.labels[i]
                    var p = 0, n = 0
                    for j in 0 ..< columns where j != own {
                        let v = row[j]
                        if c[j] == label {
                            positives[p] = positiveMargin - v
                            p &+= bit(v <= positiveMargin)
                        } else {
                            negatives[n] = v - negativeMargin
                            n &+= bit(v >= negativeMargin)
                        }
                    }
                    for k in 0 ..< p { positiveSum += positives[k] }
                    for k in 0 ..< n { negativeSum += negatives[k] }
                    positiveCount += p
                    negativeCount += n
                }
            }
        }
        let pw = positiveCount == 0 ? 0 : positiveWeight / Double(positiveCount)
        let nw = negativeCount == 0 ? 0 : negativeWeight / Double(negativeCount)
        batch.similarities.withUnsafeBufferPointer { sv in
            labels.withUnsafeBufferPointer { lv in
                gradient.withUnsafeMutableBufferPointer { gv in
                    let s = sv.baseAddress!, l = lv.baseAddress!, g = gv.baseAddress!
                    for i in 0 ..< rows {
                        Elementwise.marginRowGradient(
                            s: s + i * columns, labels: l, columns: columns, label: Double(batch.labels[i]),
                            own: batch.selfColumn[i], positiveMargin: positiveMargin, negativeMargin: negativeMargin,
                            inclusive: true, positiveWeight: pw, negativeWeight: nw, g: g + i * columns)
                    }
                }
            }
        }
        return pw * positiveSum + nw * negativeSum
    }
}
