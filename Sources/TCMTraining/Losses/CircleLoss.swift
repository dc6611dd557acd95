import Foundation

/// Circle loss (Sun et al. 2020; PML `CircleLoss`, m = 0.4, γ = 80): per anchor with both
/// positives and negatives,
///
///     L_i = softplus( logsumexp_p(−γ α_p (s_p − Δ_p)) + logsumexp_n(γ α_n (s_n − Δ_n)) )
///
/// with `α_p = relu(1 + m − s_p)`, `α_n = relu(s_n + m)` treated as constants (detached, as in
/// PML), Δ_p = 1 − m, Δ_n = m; averaged over the anchors with a non-zero loss (`AvgNonZeroReducer`).
public struct CircleLoss: SimilarityLoss {
    public var m = 0.4
    public var gamma = 80.0
    public var name: String { "circle" }
    public init(m: Double = 0.4, gamma: Double = 80) {
        self.m = m
        self.gamma = gamma
    }

    public func evaluate(_ batch: SimilarityBatch, gradient: inout [Double]) -> Double {
        evaluate(batch, weightsFrom: batch, gradient: &gradient)
    }

    /// The loss with the α weights computed from `frozen` instead of `batch`: what "detached"
    /// means, and what a finite-difference check of the gradient must hold still.
    func evaluate(_ batch: SimilarityBatch, weightsFrom frozen: SimilarityBatch, gradient: inout [Double]) -> Double {
        let b = batch.rows
        var losses = [Double](repeating: 0, count: b)
        var derivatives: [[(Int, Double)]] = Array(repeating: [], count: b)
        for i in 0 ..< b {
            var pLogits: [(Int, Double, Double)] = [], nLogits: [(Int, Double, Double)] = []  // (j, logit, dlogit/ds)
            for j in 0 ..< batch.columns where !batch.isSelf(i, j) {
                let s = batch.s(i, j)
                let detached = frozen.s(i, j)
                if batch.same(i, j) {
                    let a = max(0, 1 + m - detached)
                    pLogits.append((j, -gamma * a * (s - (1 - m)), -gamma * a))
                } else {
                    let a = max(0, detached + m)
                    nLogits.append((j, gamma * a * (s - m), gamma * a))
                }
            }
            if pLogits.isEmpty || nLogits.isEmpty { continue }
            func logsumexp(_ v: [(Int, Double, Double)]) -> (Double, [Double]) {
                let mx = v.map(\.1).max()!
                let z = v.reduce(0) { $0 + exp($1.1 - mx) }
                return (mx + log(z), v.map { exp($0.1 - mx) / z })
            }
            let (lp, wp) = logsumexp(pLogits), (ln, wn) = logsumexp(nLogits)
            let x = lp + ln
            losses[i] = x > 30 ? x : log1p(exp(x))  // softplus
            let sigmoid = 1 / (1 + exp(-x))  // d softplus / dx
            derivatives[i] =
                pLogits.indices.map { (pLogits[$0].0, sigmoid * wp[$0] * pLogits[$0].2) }
                + nLogits.indices.map { (nLogits[$0].0, sigmoid * wn[$0] * nLogits[$0].2) }
        }
        var reducer = NonZeroMean()
        for l in losses { reducer.add(l) }
        for i in 0 ..< b where losses[i] > 0 {
            for (j, d) in derivatives[i] { gradient[batch.index(i, j)] += reducer.weight * d }
        }
        return reducer.value
    }
}
