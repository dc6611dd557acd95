import TCMKernels

/// The loss of a training step: a base loss plus, optionally, the TCM regulariser.
public struct Objective: Sendable {
    /// A loss on pairs of samples, or proxy-anchor's loss on samples against class proxies.
    public enum Base: Sendable {
        case pairs(any SimilarityLoss)
        case proxies(ProxyAnchorLoss)
    }
    public var base: Base
    public var tcm: TCMRegularizer?

    public init(base: any SimilarityLoss, tcm: TCMRegularizer? = nil) {
        self.base = .pairs(base)
        self.tcm = tcm
    }

    public init(proxyAnchor: ProxyAnchorLoss, tcm: TCMRegularizer? = nil) {
        base = .proxies(proxyAnchor)
        self.tcm = tcm
    }

    /// The pair loss, if the base is one.
    public var pairLoss: (any SimilarityLoss)? {
        if case .pairs(let loss) = base { return loss }
        return nil
    }

    /// Loss values and ∂L/∂S for a batch of normalised embeddings (pair-based base losses).
    public func evaluate(_ batch: SimilarityBatch) -> (base: Double, tcm: Double, gradient: [Double]) {
        var gradient = [Double](repeating: 0, count: batch.rows * batch.columns)
        let b = pairLoss?.evaluate(batch, gradient: &gradient) ?? 0
        let t = tcm?.evaluate(batch, gradient: &gradient) ?? 0
        return (b, t, gradient)
    }
}

public enum SimilarityAlgebra {
    /// S = E·Eᵀ in Double (one GEMM in Float, then widened).
    public static func similarities(_ e: Matrix) -> [Double] {
        Elementwise.widened(GEMM.multiplyTransposed(e, e).values)
    }

    /// ∂L/∂E = (G + Gᵀ)·E for L a function of S = E·Eᵀ with ∂L/∂S = G (B×B).
    public static func embeddingGradient(_ e: Matrix, _ g: [Double]) -> Matrix {
        let b = e.rows
        precondition(g.count == b * b, "∂L/∂S is not B × B")
        var symmetric = Matrix(rows: b, cols: b)
        // G + Gᵀ is symmetric (and g[ij] + g[ji] is the same sum either way round), so each pair is
        // added once and written to both places; in 32 × 32 tiles, so the column walk of g stays in
        // cache (a whole column is 256 rows 2 KB apart, all in the same few L1 sets).
        let tile = 32
        symmetric.values.withUnsafeMutableBufferPointer { out in
            g.withUnsafeBufferPointer { gv in
                for i0 in stride(from: 0, to: b, by: tile) {
                    for j0 in stride(from: i0, to: b, by: tile) {
                        for i in i0 ..< min(i0 + tile, b) {
                            for j in max(j0, i) ..< min(j0 + tile, b) {
                                let value = Float(gv[i * b + j] + gv[j * b + i])
                                out[i * b + j] = value
                                out[j * b + i] = value
                            }
                        }
                    }
                }
            }
        }
        return GEMM.multiply(symmetric, e)
    }
}
