import Foundation

/// Multi-similarity loss (Wang et al. 2019; PML `MultiSimilarityLoss`, α = 2, β = 50, base = 0.5)
/// with its miner (PML `MultiSimilarityMiner`, ε = 0.1): per anchor i,
///
///     L_i = (1/α) log(1 + Σ_{p ∈ P̃_i} e^{−α(s_ip − base)}) + (1/β) log(1 + Σ_{n ∈ Ñ_i} e^{β(s_in − base)})
///
/// averaged over all anchors (PML's `MeanReducer`). The miner keeps positives with
/// `s_ip − ε < max_n s_in` and negatives with `s_in + ε > min_p s_ip`; it chooses pairs and passes
/// no gradient (`mine = false` uses every pair).
public struct MultiSimilarityLoss: SimilarityLoss {
    public var alpha = 2.0
    public var beta = 50.0
    public var base = 0.5
    public var epsilon = 0.1
    public var mine = true
    public var name: String { "multi-similarity" }
    public init(alpha: Double = 2, beta: Double = 50, base: Double = 0.5, epsilon: Double = 0.1, mine: Bool = true) {
        self.alpha = alpha
        self.beta = beta
        self.base = base
        self.epsilon = epsilon
        self.mine = mine
    }

    public func evaluate(_ batch: SimilarityBatch, gradient: inout [Double]) -> Double {
        let b = batch.rows
        var total = 0.0
        for i in 0 ..< b {
            var hardestNegative = -Double.infinity, easiestPositive = Double.infinity
            for j in 0 ..< batch.columns where !batch.isSelf(i, j) {
                if batch.same(i, j) {
                    easiestPositive = min(easiestPositive, batch.s(i, j))
                } else {
                    hardestNegative = max(hardestNegative, batch.s(i, j))
                }
            }
            var positives: [Int] = [], negatives: [Int] = []
            for j in 0 ..< batch.columns where !batch.isSelf(i, j) {
                let s = batch.s(i, j)
                if batch.same(i, j) {
                    if !mine || s - epsilon < hardestNegative { positives.append(j) }
                } else if !mine || s + epsilon > easiestPositive {
                    negatives.append(j)
                }
            }
            // log(1 + Σ e^{x}) computed stably as logsumexp over {0} ∪ {x}.
            func softTerm(_ js: [Int], _ scale: Double, _ sign: Double) -> (value: Double, weights: [Double]) {
                let xs = js.map { sign * scale * (batch.s(i, $0) - base) }
                let m = max(0, xs.max() ?? 0)
                let z = exp(-m) + xs.reduce(0) { $0 + exp($1 - m) }
                return (m + log(z), xs.map { exp($0 - m) / z })
            }
            let (pv, pw) = softTerm(positives, alpha, -1)
            let (nv, nw) = softTerm(negatives, beta, 1)
            total += pv / alpha + nv / beta
            // d/ds of (1/α) log(1 + Σ e^{−α(s−base)}) = −softmax weight; of the negative term, +weight.
            for (k, j) in positives.enumerated() { gradient[batch.index(i, j)] -= pw[k] / Double(b) }
            for (k, j) in negatives.enumerated() { gradient[batch.index(i, j)] += nw[k] / Double(b) }
        }
        return total / Double(b)
    }
}
