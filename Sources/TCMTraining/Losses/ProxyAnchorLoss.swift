import Foundation
import TCMKernels

/// Proxy-anchor loss (Kim et al. 2020; PML `ProxyAnchorLoss`, margin δ = 0.1, α = 32) with one
/// learnable proxy per class. With `cos` the cosine of each embedding to each (normalised) proxy:
///
///     L = 1/|P⁺| Σ_{c ∈ P⁺} log(1 + Σ_{i: y_i = c} e^{−α(cos_ic − δ)})
///       + 1/C    Σ_{c}      log(1 + Σ_{i: y_i ≠ c} e^{α(cos_ic + δ)})
///
/// where P⁺ are the proxies with a positive in the batch. Proxies start as PML's do (normal,
/// std √(2/C), "kaiming_normal, fan_out"), seeded, and learn `proxyLearningRateScale` (100, as the
/// paper recommends) times faster than the network.
public struct ProxyAnchorLoss: Sendable {
    public var margin = 0.1
    public var alpha = 32.0
    public init(margin: Double = 0.1, alpha: Double = 32) {
        self.margin = margin
        self.alpha = alpha
    }

    public static func initialProxies(classes: Int, dimension: Int, seed: UInt64) -> Matrix {
        var g = TrainingRandom(seed: seed &+ 0x9A0C)
        let std = (2 / Double(classes)).squareRoot()
        return Matrix(
            rows: classes, cols: dimension,
            values: (0 ..< classes * dimension).map { _ in
                let u = max(Double(g.next() >> 11) / Double(1 << 53), 1e-300),
                    v = Double(g.next() >> 11) / Double(1 << 53)
                return Float(std * (-2 * log(u)).squareRoot() * cos(2 * .pi * v))
            })
    }

    /// The loss and ∂L/∂cos from the B × C cosine matrix (row-major) and the batch's class indices.
    public func evaluate(cosines: [Double], labels: [Int32], classes: Int) -> (Double, [Double]) {
        let b = labels.count
        var gradient = [Double](repeating: 0, count: b * classes)
        var positiveTerms = 0.0, negativeTerms = 0.0, proxiesWithPositives = 0
        var posCoefficients: [(Int, [(Int, Double)])] = []
        for c in 0 ..< classes {
            var pos: [(Int, Double)] = [], neg: [(Int, Double)] = []
            for i in 0 ..< b {
                let x = cosines[i * classes + c]
                if labels[i] == Int32(c) {
                    pos.append((i, -alpha * (x - margin)))
                } else {
                    neg.append((i, alpha * (x + margin)))
                }
            }
            func logOnePlusSum(_ v: [(Int, Double)]) -> (Double, [Double]) {
                let m = max(0, v.map(\.1).max() ?? 0)
                let z = exp(-m) + v.reduce(0) { $0 + exp($1.1 - m) }
                return (m + log(z), v.map { exp($0.1 - m) / z })
            }
            if !pos.isEmpty {
                proxiesWithPositives += 1
                let (value, weights) = logOnePlusSum(pos)
                positiveTerms += value
                posCoefficients.append((c, zip(pos, weights).map { ($0.0.0, $0.1) }))
            }
            let (value, weights) = logOnePlusSum(neg)
            negativeTerms += value
            for (k, (i, _)) in neg.enumerated() { gradient[i * classes + c] += alpha * weights[k] / Double(classes) }
        }
        for (c, entries) in posCoefficients {
            for (i, w) in entries { gradient[i * classes + c] -= alpha * w / Double(max(proxiesWithPositives, 1)) }
        }
        return (positiveTerms / Double(max(proxiesWithPositives, 1)) + negativeTerms / Double(classes), gradient)
    }

    /// The loss and gradients with respect to the (normalised) embeddings and the raw proxies.
    public func evaluate(
        embeddings e: Matrix, labels: [Int32], proxies: Matrix
    ) -> (loss: Double, embeddings: Matrix, proxies: Matrix) {
        let unit = RowNorms.normalized(proxies)
        let cos = GEMM.multiplyTransposed(e, unit)
        let (loss, g) = evaluate(cosines: cos.values.map(Double.init), labels: labels, classes: proxies.rows)
        let gm = Matrix(rows: e.rows, cols: proxies.rows, values: g.map(Float.init))
        let de = GEMM.multiply(gm, unit)  // B × D
        let dUnit = GEMM.multiply(gm, transA: true, e)  // C × D
        // Through the proxies' normalisation: dp = (du − u⟨du, u⟩) / ‖p‖.
        let norms = RowNorms.norms(proxies)
        var dp = dUnit
        for c in 0 ..< proxies.rows {
            var dot: Float = 0
            for j in 0 ..< proxies.cols { dot += dUnit[c, j] * unit[c, j] }
            for j in 0 ..< proxies.cols { dp[c, j] = (dUnit[c, j] - unit[c, j] * dot) / Float(max(norms[c], 1e-12)) }
        }
        return (loss, de, dp)
    }
}
