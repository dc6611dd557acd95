import Foundation
import Testing
import TCMKernels
@testable import TCMTraining

/// The model's forward pass redone in Double with plain loops, independent of GEMM.
func referenceLoss(_ model: MLP, _ x: Matrix, _ g0: [Double]) -> Double {
    var h = (0 ..< x.rows).map { i in (0 ..< x.cols).map { Double(x[i, $0]) } }
    for (l, layer) in model.layers.enumerated() {
        h = h.map { row in
            (0 ..< layer.weight.rows).map { o in
                var s = Double(layer.bias[o])
                for k in 0 ..< layer.weight.cols { s += Double(layer.weight[o, k]) * row[k] }
                return l == model.layers.count - 1 ? s : max(s, 0)
            }
        }
    }
    let e = h.map { row -> [Double] in
        let n = row.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return row.map { $0 / n }
    }
    var loss = 0.0
    for i in e.indices {
        for j in e.indices { loss += g0[i * e.count + j] * zip(e[i], e[j]).reduce(0) { $0 + $1.0 * $1.1 } }
    }
    return loss
}

@Suite struct ModelTests {
    @Test func backwardMatchesFiniteDifferencesOfAnIndependentForward() {
        var model = MLP(widths: [5, 7, 6, 4], seed: 3)
        var g = TrainingRandom(seed: 4)
        let b = 6
        let x = Matrix(rows: b, cols: 5, values: (0 ..< b * 5).map { _ in g.uniform(-1, 1) })
        let g0 = (0 ..< b * b).map { _ in Double(g.uniform(-1, 1)) }  // L = Σ g0_ij S_ij, so ∂L/∂S = g0
        let trace = model.forward(x)
        let grads = model.backward(trace, embeddingGradient: SimilarityAlgebra.embeddingGradient(trace.embeddings, g0))
        let h: Float = 1e-2  // Double forward: the step only has to be small relative to curvature
        for l in model.layers.indices {
            for k in model.layers[l].weight.values.indices {
                let original = model.layers[l].weight.values[k]
                model.layers[l].weight.values[k] = original + h / 8
                let up = referenceLoss(model, x, g0)
                model.layers[l].weight.values[k] = original - h / 8
                let down = referenceLoss(model, x, g0)
                model.layers[l].weight.values[k] = original
                let numeric = (up - down) / Double(h / 4)
                #expect(
                    abs(Double(grads.weight[l].values[k]) - numeric) < 2e-3 * max(1, abs(numeric)),
                    "layer \(l) weight \(k)")
            }
            for k in model.layers[l].bias.indices {
                let original = model.layers[l].bias[k]
                model.layers[l].bias[k] = original + h / 8
                let up = referenceLoss(model, x, g0)
                model.layers[l].bias[k] = original - h / 8
                let down = referenceLoss(model, x, g0)
                model.layers[l].bias[k] = original
                #expect(abs(Double(grads.bias[l][k]) - (up - down) / Double(h / 4)) < 2e-3, "layer \(l) bias \(k)")
            }
        }
    }

    @Test func initialisationIsSeededAndPyTorchScaled() {
        let a = MLP(widths: [784, 256, 128], seed: 1), b = MLP(widths: [784, 256, 128], seed: 1)
        #expect(a == b)
        #expect(a != MLP(widths: [784, 256, 128], seed: 2))
        let bound = 1 / Float(784).squareRoot()
        #expect(a.layers[0].weight.values.allSatisfy { abs($0) <= bound })
        #expect(a.layers[0].weight.values.map(abs).max()! > 0.95 * bound)
        #expect(a.parameterCount == 784 * 256 + 256 + 256 * 128 + 128)
        let e = a.forward(Matrix(rows: 3, cols: 784, values: (0 ..< 3 * 784).map { Float($0 % 255) / 255 })).embeddings
        for i in 0 ..< 3 { #expect(abs((0 ..< 128).reduce(Float(0)) { $0 + e[i, $1] * e[i, $1] } - 1) < 1e-5) }
    }

    @Test func adamAndSGDFollowPyTorchsRules() {
        // One parameter tensor of two values; gradients fixed; compare with the update rules written out.
        var model = MLP(layers: [MLP.Layer(weight: Matrix(rows: 1, cols: 2, values: [1, -2]), bias: [0.5])])
        var spec = OptimizerSpec()
        spec.learningRate = 0.1
        spec.weightDecay = 0.01
        var state = OptimizerState(for: model, spec: spec)
        let grads = MLP.Gradients(weight: [Matrix(rows: 1, cols: 2, values: [0.3, -0.4])], bias: [[0.2]])
        Optimizer.apply(grads, to: &model, state: &state, spec: spec)
        Optimizer.apply(grads, to: &model, state: &state, spec: spec)
        // Adam by hand for the first weight (p = 1, g = 0.3 + 0.01 p):
        var p = 1.0, m = 0.0, v = 0.0
        for t in 1 ... 2 {
            let g = 0.3 + 0.01 * p
            m = 0.9 * m + 0.1 * g
            v = 0.999 * v + 0.001 * g * g
            p -= 0.1 * (m / (1 - pow(0.9, Double(t)))) / ((v / (1 - pow(0.999, Double(t)))).squareRoot() + 1e-8)
        }
        #expect(abs(Double(model.layers[0].weight.values[0]) - p) < 1e-6)

        spec.kind = .sgd
        var sgdModel = MLP(layers: [MLP.Layer(weight: Matrix(rows: 1, cols: 2, values: [1, -2]), bias: [0.5])])
        var sgdState = OptimizerState(for: sgdModel, spec: spec)
        Optimizer.apply(grads, to: &sgdModel, state: &sgdState, spec: spec)
        Optimizer.apply(grads, to: &sgdModel, state: &sgdState, spec: spec)
        var q = 1.0, buf = 0.0
        for _ in 1 ... 2 {
            let g = 0.3 + 0.01 * q
            buf = 0.9 * buf + g
            q -= 0.1 * buf
        }
        #expect(abs(Double(sgdModel.layers[0].weight.values[0]) - q) < 1e-6)
    }

    @Test func adamOnALongTensorMatchesTheRuleInEveryLane() {
        // 21 values: two 8-lane blocks and a scalar tail of 5, with varied signs and sizes.
        let start = (0 ..< 21).map { Float(sin(Double($0) * 1.7)) * 2 }
        let gradient = (0 ..< 21).map { Float(cos(Double($0) * 0.9)) * (0.05 + Float($0) * 0.03) }
        var model = MLP(layers: [MLP.Layer(weight: Matrix(rows: 1, cols: 21, values: start), bias: [0])])
        var spec = OptimizerSpec()
        spec.learningRate = 0.05
        spec.weightDecay = 0.02
        var state = OptimizerState(for: model, spec: spec)
        let grads = MLP.Gradients(weight: [Matrix(rows: 1, cols: 21, values: gradient)], bias: [[0]])
        for _ in 0 ..< 3 { Optimizer.apply(grads, to: &model, state: &state, spec: spec) }
        for i in 0 ..< 21 {
            var p = Double(start[i]), m = 0.0, v = 0.0
            for t in 1 ... 3 {
                let g = Double(gradient[i]) + 0.02 * p
                m = 0.9 * m + 0.1 * g
                v = 0.999 * v + 0.001 * g * g
                p -= 0.05 * (m / (1 - pow(0.9, Double(t)))) / ((v / (1 - pow(0.999, Double(t)))).squareRoot() + 1e-8)
            }
            #expect(abs(Double(model.layers[0].weight.values[i]) - p) < 1e-5, "element \(i)")
        }
    }
}
