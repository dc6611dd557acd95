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
        GEMM.multiplyTransposed(e, e).values.map(Double.init)
    }

    /// ∂L/∂E = (G + Gᵀ)·E for L a function of S = E·Eᵀ with ∂L/∂S = G (B×B).
    public static func embeddingGradient(_ e: Matrix, _ g: [Double]) -> Matrix {
        let b = e.rows
        var symmetric = Matrix(rows: b, cols: b)
        for i in 0 ..< b { for j in 0 ..< b { symmetric.values[i * b + j] = Float(g[i * b + j] + g[j * b + i]) } }
        return GEMM.multiply(symmetric, e)
    }
}
