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
        var pos = NonZeroMean(), neg = NonZeroMean()
        for i in 0 ..< batch.rows {
            for j in 0 ..< batch.columns where !batch.isSelf(i, j) {
                if batch.same(i, j) {
                    pos.add(positiveMargin - batch.s(i, j))
                } else {
                    neg.add(batch.s(i, j) - negativeMargin)
                }
            }
        }
        for i in 0 ..< batch.rows {
            for j in 0 ..< batch.columns where !batch.isSelf(i, j) {
                let s = batch.s(i, j)
                if batch.same(i, j) {
                    if positiveMargin - s > 0 { gradient[batch.index(i, j)] -= pos.weight }
                } else if s - negativeMargin > 0 {
                    gradient[batch.index(i, j)] += neg.weight
                }
            }
        }
        return pos.value + neg.value
    }
}
