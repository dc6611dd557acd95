import Foundation

/// Lifted structure loss (Oh Song et al. 2016; PML `LiftedStructureLoss`) in cosine-similarity
/// form: for every ordered positive pair (a, p),
///
///     J_ap = log( Σ_{n ∉ class(a)} e^{s_an − m⁻} + Σ_{n ∉ class(p)} e^{s_pn − m⁻} ) + (m⁺ − s_ap)
///     L = mean over positive pairs of relu(J_ap)² / 2
///
/// (each unordered pair appears twice, hence the ½, as in PML). With cosine distance d = 1 − s
/// the original `log Σ e^{α − d_an} + d_ap` with α = 1 is m⁺ = 1, m⁻ = 0, the defaults here.
/// Both sums are per-row totals, so the whole loss and its gradient are O(B²).
public struct LiftedStructureLoss: SimilarityLoss {
    public var positiveMargin = 1.0
    public var negativeMargin = 0.0
    public var name: String { "lifted-structure" }
    public init(positiveMargin: Double = 1, negativeMargin: Double = 0) {
        self.positiveMargin = positiveMargin
        self.negativeMargin = negativeMargin
    }

    public func evaluate(_ batch: SimilarityBatch, gradient: inout [Double]) -> Double {
        // Z_i = Σ over i's negatives of e^{s_in − m⁻} (similarities are in [−1, 1]: no overflow).
        var z = [Double](repeating: 0, count: batch.rows)
        for i in 0 ..< batch.rows {
            for j in 0 ..< batch.columns where !batch.isSelf(i, j) && !batch.same(i, j) {
                z[i] += exp(batch.s(i, j) - negativeMargin)
            }
        }
        // A positive pair's partner p is a reference column; its own row (when the references are
        // the batch) gives Z_p. Under a memory, p has no row: only a's negatives enter.
        var pairs: [(a: Int, p: Int, j: Double)] = []
        for a in 0 ..< batch.rows {
            for p in 0 ..< batch.columns where !batch.isSelf(a, p) && batch.same(a, p) {
                let zp = p < batch.rows && batch.selfColumn[p] == p ? z[p] : 0
                pairs.append((a, p, log(z[a] + zp) + positiveMargin - batch.s(a, p)))
            }
        }
        guard !pairs.isEmpty else { return 0 }
        let count = Double(pairs.count)
        var total = 0.0
        var rowCoefficient = [Double](repeating: 0, count: batch.rows)
        for (a, p, j) in pairs where j > 0 {
            total += j * j / 2
            // dL/dJ = relu(J) / P; J's derivative: −1 on s_ap, softmax weights on the negatives.
            let dj = j / count
            gradient[batch.index(a, p)] -= dj
            let zp = p < batch.rows && batch.selfColumn[p] == p ? z[p] : 0
            let share = dj / (z[a] + zp)
            rowCoefficient[a] += share
            if zp > 0 { rowCoefficient[p] += share }
        }
        for i in 0 ..< batch.rows where rowCoefficient[i] != 0 {
            for j in 0 ..< batch.columns where !batch.isSelf(i, j) && !batch.same(i, j) {
                gradient[batch.index(i, j)] += rowCoefficient[i] * exp(batch.s(i, j) - negativeMargin)
            }
        }
        return total / count
    }
}
