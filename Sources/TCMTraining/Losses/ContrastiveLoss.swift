import TCMKernels

/// Contrastive loss in similarity form (pytorch-metric-learning `ContrastiveLoss` with
/// `CosineSimilarity`): positives pay `relu(m⁺ − s)`, negatives `relu(s − m⁻)`, each averaged over
/// its non-zero pairs (`AvgNonZeroReducer`), and the two averages added. Ordered pairs.
/// Defaults m⁺ = 1, m⁻ = 0, PML's documented values for cosine similarity.
public struct ContrastiveLoss: SimilarityLoss {
    public var positiveMargin = 1.0
    public var negativeMargin = 0.0
    public var name: String { "contrastive" }
    public init(positiveMargin: Double = 1, negativeMargin: Double = 0) {
        self.positiveMargin = positiveMargin
        self.negativeMargin = negativeMargin
    }

    public func evaluate(_ batch: SimilarityBatch, gradient: inout [Double]) -> Double {
        let rows = batch.rows, columns = batch.columns
        guard rows > 0, columns > 0 else { return 0 }
        precondition(gradient.count == rows * columns, "gradient is not rows × columns")
        var pos = NonZeroMean(), neg = NonZeroMean()
        // Column labels as Doubles (exact for Int32) for the vector comparisons of the gradient pass.
        let labels = batch.columnLabels.map(Double.init)
        let positives = UnsafeMutablePointer<Double>.allocate(capacity: columns)
        let negatives = UnsafeMutablePointer<Double>.allocate(capacity: columns)
        defer {
            positives.deallocate()
            negatives.deallocate()
        }
        batch.similarities.withUnsafeBufferPointer { sv in
            labels.withUnsafeBufferPointer { lv in
                gradient.withUnsafeMutableBufferPointer { gv in
                    let s = sv.baseAddress!, l = lv.baseAddress!, g = gv.baseAddress!
                    let columnLabels = batch.columnLabels
                    // The sums: each row's non-zero terms are compacted without branches (which terms
                    // are positive is data-dependent, so a branch per pair mispredicts), then added in
                    // column order, so the terms meet the sums in the same order as pair by pair.
                    columnLabels.withUnsafeBufferPointer { cv in
                        let c = cv.baseAddress!
                        for i in 0 ..< rows {
                            let row = s + i * columns, own = batch.selfColumn[i], label = batch.labels[i]
                            var p = 0, n = 0
                            for j in 0 ..< columns where j != own {
                                // Labels come in runs, so this branch predicts well; the value's does not.
                                if c[j] == label {
                                    positives[p] = positiveMargin - row[j]
                                    p &+= bit(positives[p] > 0)
                                } else {
                                    negatives[n] = row[j] - negativeMargin
                                    n &+= bit(negatives[n] > 0)
                                }
                            }
                            for k in 0 ..< p { pos.sum += positives[k] }
                            for k in 0 ..< n { neg.sum += negatives[k] }
                            pos.count += p
                            neg.count += n
                        }
                    }
                    for i in 0 ..< rows {
                        Elementwise.marginRowGradient(
                            s: s + i * columns, labels: l, columns: columns, label: Double(batch.labels[i]),
                            own: batch.selfColumn[i], positiveMargin: positiveMargin, negativeMargin: negativeMargin,
                            inclusive: false,
                            positiveWeight: pos.weight, negativeWeight: neg.weight, g: g + i * columns)
                    }
                }
            }
        }
        return pos.value + neg.value
    }
}

/// 1 or 0, computed without a branch (both sides of `&` are evaluated).
@inline(__always) func bit(_ condition: Bool) -> Int { condition ? 1 : 0 }
