import TCMKernels

/// A multilayer perceptron embedder: Linear → ReLU → … → Linear, then L2 normalisation.
///
/// Weights are stored as PyTorch does (`out × in`, row-major), so a layer is `Z = H·Wᵀ + b`,
/// one GEMM. Initialisation is PyTorch's `nn.Linear` default (uniform in ±1/√fan_in for weights
/// and biases), drawn from a seeded generator: the same seed gives the same model everywhere.
public struct MLP: Sendable, Equatable {
    public struct Layer: Sendable, Equatable {
        public var weight: Matrix  // out × in
        public var bias: [Float]  // out
    }

    public var layers: [Layer]

    /// `widths` = [input, hidden…, output].
    public init(widths: [Int], seed: UInt64) {
        precondition(widths.count >= 2 && widths.allSatisfy { $0 > 0 })
        var generator = TrainingRandom(seed: seed)
        layers = (1 ..< widths.count).map { l in
            let fanIn = widths[l - 1], fanOut = widths[l]
            let bound = 1 / Float(fanIn).squareRoot()
            let w = (0 ..< fanOut * fanIn).map { _ in generator.uniform(-bound, bound) }
            let b = (0 ..< fanOut).map { _ in generator.uniform(-bound, bound) }
            return Layer(weight: Matrix(rows: fanOut, cols: fanIn, values: w), bias: b)
        }
    }

    public init(layers: [Layer]) { self.layers = layers }

    public var widths: [Int] { [layers[0].weight.cols] + layers.map { $0.weight.rows } }
    public var parameterCount: Int { layers.reduce(0) { $0 + $1.weight.values.count + $1.bias.count } }

    /// What backward needs from forward.
    public struct Trace: Sendable {
        /// `inputs[l]` is the input of layer l (the batch itself for l = 0, then ReLU outputs).
        public var inputs: [Matrix]
        /// Pre-activation output of the last layer (before normalisation).
        public var lastPreActivation: Matrix
        /// Row norms of `lastPreActivation`.
        public var norms: [Float]
        /// The L2-normalised embeddings.
        public var embeddings: Matrix
    }

    /// Embeddings of a batch (rows), keeping what backward needs.
    public func forward(_ x: Matrix) -> Trace {
        var inputs: [Matrix] = []
        var h = x
        for (l, layer) in layers.enumerated() {
            inputs.append(h)
            var z = GEMM.multiply(h, layer.weight, transB: true)
            let rows = z.rows, out = layer.weight.rows, relu = l != layers.count - 1
            z.values.withUnsafeMutableBufferPointer { v in
                layer.bias.withUnsafeBufferPointer { b in
                    guard let vp = v.baseAddress, let bp = b.baseAddress else { return }
                    Elementwise.addBias(z: vp, rows: rows, cols: out, bias: bp, relu: relu)
                }
            }
            h = z
        }
        // Each row over max(its norm, 1e-12), the norm summed in column order (Elementwise).
        var norms = [Float](repeating: 0, count: h.rows)
        var e = Matrix(rows: h.rows, cols: h.cols)
        h.values.withUnsafeBufferPointer { hv in
            e.values.withUnsafeMutableBufferPointer { ev in
                norms.withUnsafeMutableBufferPointer { nv in
                    guard let hp = hv.baseAddress, let ep = ev.baseAddress, let np = nv.baseAddress else { return }
                    Elementwise.normalizeRows(h: hp, rows: h.rows, cols: h.cols, floor: 1e-12, e: ep, norms: np)
                }
            }
        }
        return Trace(inputs: inputs, lastPreActivation: h, norms: norms, embeddings: e)
    }

    /// Embeddings only, in batches (evaluation).
    public func embed(_ x: Matrix, batch: Int = 4096) -> Matrix {
        var out: [Float] = []
        out.reserveCapacity(x.rows * widths.last!)
        var r = 0
        while r < x.rows {
            let rows = min(batch, x.rows - r)
            let part = Matrix(rows: rows, cols: x.cols, values: Array(x.values[r * x.cols ..< (r + rows) * x.cols]))
            out += forward(part).embeddings.values
            r += rows
        }
        return Matrix(rows: x.rows, cols: widths.last!, values: out)
    }

    /// Parameter gradients, one per layer, shaped like the parameters.
    public struct Gradients: Sendable {
        public var weight: [Matrix]
        public var bias: [[Float]]
    }

    /// Gradients of the loss given ∂L/∂(normalised embeddings). The input's own gradient is
    /// not computed (nothing upstream needs it), which saves the largest product.
    public func backward(_ trace: Trace, embeddingGradient de: Matrix) -> Gradients {
        // Through the normalisation: dz = (de − e·⟨de, e⟩) / ‖z‖.
        var dz = Matrix(rows: de.rows, cols: de.cols)
        de.values.withUnsafeBufferPointer { dv in
            trace.embeddings.values.withUnsafeBufferPointer { ev in
                trace.norms.withUnsafeBufferPointer { nv in
                    dz.values.withUnsafeMutableBufferPointer { zv in
                        guard let dp = dv.baseAddress, let ep = ev.baseAddress, let np = nv.baseAddress,
                            let zp = zv.baseAddress
                        else { return }
                        Elementwise.normalizeRowsBackward(
                            de: dp, e: ep, norms: np, rows: de.rows, cols: de.cols, dz: zp)
                    }
                }
            }
        }
        var weightGrads = [Matrix](), biasGrads = [[Float]]()
        for l in stride(from: layers.count - 1, through: 0, by: -1) {
            let input = trace.inputs[l]
            weightGrads.append(GEMM.multiply(dz, transA: true, input))  // out × in
            var db = [Float](repeating: 0, count: dz.cols)
            dz.values.withUnsafeBufferPointer { zv in
                db.withUnsafeMutableBufferPointer { bv in
                    guard let zp = zv.baseAddress, let bp = bv.baseAddress else { return }
                    Elementwise.columnSums(x: zp, rows: dz.rows, cols: dz.cols, out: bp)
                }
            }
            biasGrads.append(db)
            if l > 0 {
                var dh = GEMM.multiply(dz, layers[l].weight)  // B × in
                // ReLU: the input of layer l is the ReLU output of layer l−1.
                dh.values.withUnsafeMutableBufferPointer { hv in
                    input.values.withUnsafeBufferPointer { iv in
                        guard let hp = hv.baseAddress, let ip = iv.baseAddress else { return }
                        Elementwise.reluMask(x: hp, input: ip, count: min(hv.count, iv.count))
                    }
                }
                dz = dh
            }
        }
        return Gradients(weight: weightGrads.reversed(), bias: biasGrads.reversed())
    }
}

/// The training code's seeded generator: the project's one SplitMix64 (`uniform(lo, hi)`, `below(n)`).
public typealias TrainingRandom = SplitMix64
