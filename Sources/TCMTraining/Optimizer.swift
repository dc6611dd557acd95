import Foundation
import TCMKernels

/// Optimisers with PyTorch's update rules, so hyper-parameters carry over.
public struct OptimizerSpec: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable { case adam, sgd }
    public var kind: Kind = .adam
    public var learningRate: Float = 1e-3
    /// L2 penalty added to the gradient (PyTorch's `weight_decay`), for both kinds.
    public var weightDecay: Float = 0
    /// SGD momentum (PyTorch: `buf = μ·buf + g; p −= lr·buf`).
    public var momentum: Float = 0.9
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8
    public init() {}
}

/// The optimiser's state: one slot per parameter tensor, flattened in layer order
/// (weight₀, bias₀, weight₁, …). Saved in checkpoints so that training can continue.
public struct OptimizerState: Sendable, Equatable {
    public var step: Int = 0
    public var first: [[Float]]  // Adam m, or the SGD momentum buffer
    public var second: [[Float]]  // Adam v (empty for SGD)

    public init(for model: MLP, spec: OptimizerSpec) {
        self.init(shapes: model.layers.flatMap { [$0.weight.values.count, $0.bias.count] }, spec: spec)
    }

    public init(shapes: [Int], spec: OptimizerSpec) {
        first = shapes.map { [Float](repeating: 0, count: $0) }
        second = spec.kind == .adam ? shapes.map { [Float](repeating: 0, count: $0) } : []
    }

    public init(step: Int, first: [[Float]], second: [[Float]]) {
        self.step = step
        self.first = first
        self.second = second
    }
}

public enum Optimizer {
    /// One update of every model parameter in place.
    public static func apply(
        _ gradients: MLP.Gradients, to model: inout MLP, state: inout OptimizerState, spec: OptimizerSpec
    ) {
        state.step += 1
        for l in model.layers.indices {
            update(
                &model.layers[l].weight.values, gradients.weight[l].values, slot: 2 * l, state: &state, spec: spec,
                learningRate: spec.learningRate)
            update(
                &model.layers[l].bias, gradients.bias[l], slot: 2 * l + 1, state: &state, spec: spec,
                learningRate: spec.learningRate)
        }
    }

    /// The Adam update on the kernel path's vectors (TCMKernels.Elementwise.adam: the same
    /// operations in the same order per element on every path and in the tails, so results do not
    /// depend on the path or on where a tensor's length ends).
    static func adam(
        p: UnsafeMutableBufferPointer<Float>, m: UnsafeMutableBufferPointer<Float>,
        v: UnsafeMutableBufferPointer<Float>, g: UnsafeBufferPointer<Float>,
        spec: OptimizerSpec, step: Float, correction2: Float
    ) {
        precondition(
            m.count == p.count && v.count == p.count && g.count == p.count,
            "optimizer state does not match the parameters")
        guard let pp = p.baseAddress, let mp = m.baseAddress, let vp = v.baseAddress, let gp = g.baseAddress else {
            return
        }
        Elementwise.adam(
            p: pp, m: mp, v: vp, g: gp, count: p.count, decay: spec.weightDecay, beta1: spec.beta1,
            beta2: spec.beta2, step: step, correction2: correction2, epsilon: spec.epsilon)
    }

    /// One update of a single tensor (slot `slot` of `state`, whose step the caller advanced).
    public static func update(
        _ parameters: inout [Float], _ g: [Float], slot: Int, state: inout OptimizerState,
        spec: OptimizerSpec, learningRate: Float
    ) {
        let t = Float(state.step)
        let correction1 = 1 - pow(spec.beta1, t), correction2 = 1 - pow(spec.beta2, t)
        parameters.withUnsafeMutableBufferPointer { p in
            state.first[slot].withUnsafeMutableBufferPointer { m in
                switch spec.kind {
                case .sgd:
                    for i in 0 ..< p.count {
                        let grad = g[i] + spec.weightDecay * p[i]
                        m[i] = spec.momentum * m[i] + grad
                        p[i] -= learningRate * m[i]
                    }
                case .adam:
                    state.second[slot].withUnsafeMutableBufferPointer { v in
                        g.withUnsafeBufferPointer { gb in
                            adam(
                                p: p, m: m, v: v, g: gb, spec: spec, step: learningRate / correction1,
                                correction2: correction2)
                        }
                    }
                }
            }
        }
    }
}
