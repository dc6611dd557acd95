import TCMKernelsAVX512

/// The training step's elementwise work, on the kernel path's vectors: Adam, the bias + ReLU pass,
/// row normalisation and its backward, column sums (bias gradients), the ReLU mask and the
/// contrastive loss's gradient pass. `.avx512` runs TCMKernelsAVX512.AVX512Elementwise (16 lanes);
/// `.avx2` and `.portable` run the 8-lane code here (on x86-64 both are built for AVX2).
///
/// Every path performs, per element, the same operations in the same order with no fused
/// multiply-adds, so the results are the same bits whatever the path and wherever a length ends
/// (tests compare each kernel across paths on odd sizes). Sums along a row (the norm, the dot
/// product of the normalisation's backward) are added in column order from 0 on every path: the
/// AVX-512 code puts 16 rows in the lanes; the code here runs four rows' chains side by side.
public enum Elementwise {
    typealias V = SIMD8<Float>

    /// Adam on `count` parameters: `g' = g + decay·p; m = β₁m + (1−β₁)g'; v = β₂v + (1−β₂)g'g';
    /// p −= step·m / (√(v / c₂) + ε)`, where `step` is the learning rate over the first moment's
    /// bias correction and `c₂` the second's.
    public static func adam(
        p: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>,
        g: UnsafePointer<Float>, count: Int, decay: Float, beta1: Float, beta2: Float,
        step: Float, correction2: Float, epsilon: Float, path: KernelPath = .current
    ) {
        if path == .avx512 {
            return AVX512Elementwise.adam(
                p: p, m: m, v: v, g: g, count: count, decay: decay, beta1: beta1, beta2: beta2, step: step,
                correction2: correction2, epsilon: epsilon)
        }
        let decayV = V(repeating: decay), b1 = V(repeating: beta1), b2 = V(repeating: beta2)
        let oneMinusB1 = V(repeating: 1 - beta1), oneMinusB2 = V(repeating: 1 - beta2)
        let stepV = V(repeating: step), c2 = V(repeating: correction2), eps = V(repeating: epsilon)
        var i = 0
        while i + 8 <= count {
            let param = load(p + i)
            let grad = load(g + i) + decayV * param
            let first = b1 * load(m + i) + oneMinusB1 * grad
            let second = b2 * load(v + i) + oneMinusB2 * grad * grad
            store(first, m + i)
            store(second, v + i)
            store(param - stepV * first / ((second / c2).squareRoot() + eps), p + i)
            i += 8
        }
        while i < count {
            let grad = g[i] + decay * p[i]
            m[i] = beta1 * m[i] + (1 - beta1) * grad
            v[i] = beta2 * v[i] + (1 - beta2) * grad * grad
            p[i] -= step * m[i] / ((v[i] / correction2).squareRoot() + epsilon)
            i += 1
        }
    }

    /// `z[i][j] += bias[j]` for a row-major `rows × cols` z, then, with `relu`, `max(z, 0)`.
    public static func addBias(
        z: UnsafeMutablePointer<Float>, rows: Int, cols: Int, bias: UnsafePointer<Float>, relu: Bool,
        path: KernelPath = .current
    ) {
        if path == .avx512 { return AVX512Elementwise.addBias(z: z, rows: rows, cols: cols, bias: bias, relu: relu) }
        for i in 0 ..< rows {
            let row = z + i * cols
            var j = 0
            while j + 8 <= cols {
                var value = load(row + j) + load(bias + j)
                // Swift's max(value, 0) is `0 >= value ? 0 : value`: −0 becomes +0, NaN stays.
                if relu { value.replace(with: 0, where: value .<= 0) }
                store(value, row + j)
                j += 8
            }
            while j < cols {
                let value = row[j] + bias[j]
                row[j] = relu ? max(value, 0) : value
                j += 1
            }
        }
    }

    /// Each row of `h` (`rows × cols`) divided by `max(‖row‖, floor)` into `e`; the divisors go to
    /// `norms`. ‖row‖² is summed in column order from 0, a product and an add per term.
    public static func normalizeRows(
        h: UnsafePointer<Float>, rows: Int, cols: Int, floor: Float,
        e: UnsafeMutablePointer<Float>, norms: UnsafeMutablePointer<Float>, path: KernelPath = .current
    ) {
        if path == .avx512 {
            return AVX512Elementwise.normalizeRows(h: h, rows: rows, cols: cols, floor: floor, e: e, norms: norms)
        }
        rowDots(h, h, rows: rows, cols: cols, into: norms)
        for r in 0 ..< rows {
            let norm = max(norms[r].squareRoot(), floor)
            norms[r] = norm
            let row = h + r * cols, out = e + r * cols
            let normV = V(repeating: norm)
            var j = 0
            while j + 8 <= cols {
                store(load(row + j) / normV, out + j)
                j += 8
            }
            while j < cols {
                out[j] = row[j] / norm
                j += 1
            }
        }
    }

    /// The gradient through the row normalisation: `dz = (de − e·⟨de, e⟩) / norm` per row, the dot
    /// product summed in column order from 0.
    public static func normalizeRowsBackward(
        de: UnsafePointer<Float>, e: UnsafePointer<Float>, norms: UnsafePointer<Float>, rows: Int, cols: Int,
        dz: UnsafeMutablePointer<Float>, path: KernelPath = .current
    ) {
        if path == .avx512 {
            return AVX512Elementwise.normalizeRowsBackward(de: de, e: e, norms: norms, rows: rows, cols: cols, dz: dz)
        }
        let dots = UnsafeMutablePointer<Float>.allocate(capacity: max(rows, 1))
        defer { dots.deallocate() }
        rowDots(de, e, rows: rows, cols: cols, into: dots)
        for r in 0 ..< rows {
            let a = de + r * cols, b = e + r * cols, out = dz + r * cols
            let dot = dots[r], norm = norms[r]
            let dotV = V(repeating: dot), normV = V(repeating: norm)
            var j = 0
            while j + 8 <= cols {
                store((load(a + j) - load(b + j) * dotV) / normV, out + j)
                j += 8
            }
            while j < cols {
                out[j] = (a[j] - b[j] * dot) / norm
                j += 1
            }
        }
    }

    /// `out[j] = Σᵢ x[i][j]` over a row-major `rows × cols` x, summed from 0 in row order.
    public static func columnSums(
        x: UnsafePointer<Float>, rows: Int, cols: Int, out: UnsafeMutablePointer<Float>, path: KernelPath = .current
    ) {
        if path == .avx512 { return AVX512Elementwise.columnSums(x: x, rows: rows, cols: cols, out: out) }
        var j = 0
        while j + 32 <= cols {
            var s0 = V(), s1 = V(), s2 = V(), s3 = V()
            for i in 0 ..< rows {
                let row = x + i * cols + j
                s0 = s0 + load(row)
                s1 = s1 + load(row + 8)
                s2 = s2 + load(row + 16)
                s3 = s3 + load(row + 24)
            }
            store(s0, out + j)
            store(s1, out + j + 8)
            store(s2, out + j + 16)
            store(s3, out + j + 24)
            j += 32
        }
        while j + 8 <= cols {
            var s = V()
            for i in 0 ..< rows { s = s + load(x + i * cols + j) }
            store(s, out + j)
            j += 8
        }
        while j < cols {
            var s: Float = 0
            for i in 0 ..< rows { s += x[i * cols + j] }
            out[j] = s
            j += 1
        }
    }

    /// `x[k] = 0` where `input[k] <= 0`: the gradient through a ReLU, given the ReLU's output.
    public static func reluMask(
        x: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, count: Int, path: KernelPath = .current
    ) {
        if path == .avx512 { return AVX512Elementwise.reluMask(x: x, input: input, count: count) }
        var k = 0
        while k + 8 <= count {
            store(load(x + k).replacing(with: 0, where: load(input + k) .<= 0), x + k)
            k += 8
        }
        while k < count {
            if input[k] <= 0 { x[k] = 0 }
            k += 1
        }
    }

    /// A margin loss's gradient on one row of similarities `s` (in Double): where `labels[j] == label`
    /// and the pair violates the positive margin, `g[j] −= positiveWeight`; where the labels differ
    /// and it violates the negative margin, `g[j] += negativeWeight`. Violating is the contrastive
    /// loss's `m⁺ − s > 0` / `s − m⁻ > 0`, or with `inclusive` TCM's `s ≤ m⁺` / `s ≥ m⁻`. Column `own`
    /// (the row itself, or −1 for none) is left alone. Labels are passed as Doubles (exact for Int32).
    public static func marginRowGradient(
        s: UnsafePointer<Double>, labels: UnsafePointer<Double>, columns: Int, label: Double, own: Int,
        positiveMargin: Double, negativeMargin: Double, inclusive: Bool, positiveWeight: Double,
        negativeWeight: Double, g: UnsafeMutablePointer<Double>, path: KernelPath = .current
    ) {
        if path == .avx512 {
            return AVX512Elementwise.marginRowGradient(
                s: s, labels: labels, columns: columns, label: label, own: own, positiveMargin: positiveMargin,
                negativeMargin: negativeMargin, inclusive: inclusive, positiveWeight: positiveWeight,
                negativeWeight: negativeWeight, g: g)
        }
        typealias D = SIMD4<Double>
        let kept = own >= 0 && own < columns ? g[own] : 0
        let labelV = D(repeating: label), pm = D(repeating: positiveMargin), nm = D(repeating: negativeMargin)
        let pw = D(repeating: positiveWeight), nw = D(repeating: negativeWeight)
        var j = 0
        while j + 4 <= columns {
            let sv = UnsafeRawPointer(s + j).loadUnaligned(as: D.self)
            let same = UnsafeRawPointer(labels + j).loadUnaligned(as: D.self) .== labelV
            var gv = UnsafeRawPointer(g + j).loadUnaligned(as: D.self)
            let up = inclusive ? sv .<= pm : pm - sv .> 0, down = inclusive ? sv .>= nm : sv - nm .> 0
            gv.replace(with: gv - pw, where: same .& up)
            gv.replace(with: gv + nw, where: .!same .& down)
            UnsafeMutableRawPointer(g + j).storeBytes(of: gv, as: D.self)
            j += 4
        }
        while j < columns {
            let sj = s[j]
            if labels[j] == label {
                if inclusive ? sj <= positiveMargin : positiveMargin - sj > 0 { g[j] -= positiveWeight }
            } else if inclusive ? sj >= negativeMargin : sj - negativeMargin > 0 {
                g[j] += negativeWeight
            }
            j += 1
        }
        if own >= 0 && own < columns { g[own] = kept }
    }

    /// Whether every one of `count` values is finite, without a branch per value (the trainer's
    /// check of the weights after each step).
    public static func allFinite(_ x: UnsafePointer<Float>, count: Int, path: KernelPath = .current) -> Bool {
        if path == .avx512 { return AVX512Elementwise.allFinite(x, count: count) }
        typealias U = SIMD8<UInt32>
        let exponent = U(repeating: 0x7f80_0000)
        var k = 0
        while k + 32 <= count {
            let raw = UnsafeRawPointer(x + k)
            let a = raw.loadUnaligned(as: U.self) & exponent,
                b = raw.loadUnaligned(fromByteOffset: 32, as: U.self) & exponent
            let c = raw.loadUnaligned(fromByteOffset: 64, as: U.self) & exponent
            let d = raw.loadUnaligned(fromByteOffset: 96, as: U.self) & exponent
            if any((a .== exponent) .| (b .== exponent) .| (c .== exponent) .| (d .== exponent)) { return false }
            k += 32
        }
        while k < count {
            if !x[k].isFinite { return false }
            k += 1
        }
        return true
    }

    /// `out[k] = Double(x[k])` (exact on every path).
    public static func widen(
        _ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Double>, path: KernelPath = .current
    ) {
        if path == .avx512 { return AVX512Elementwise.widen(x, count: count, into: out) }
        var k = 0
        while k + 8 <= count {
            let v = load(x + k)
            UnsafeMutableRawPointer(out + k).storeBytes(of: SIMD4<Double>(v.lowHalf), as: SIMD4<Double>.self)
            UnsafeMutableRawPointer(out + k + 4).storeBytes(of: SIMD4<Double>(v.highHalf), as: SIMD4<Double>.self)
            k += 8
        }
        while k < count {
            out[k] = Double(x[k])
            k += 1
        }
    }

    // MARK: - Helpers

    /// `out[r] = Σⱼ a[r][j]·b[r][j]`, from 0 in column order; four rows' chains at a time so the
    /// adds of different rows overlap (each row's own order is unchanged).
    static func rowDots(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, rows: Int, cols: Int,
        into out: UnsafeMutablePointer<Float>
    ) {
        var r = 0
        while r + 4 <= rows {
            let a0 = a + r * cols, a1 = a0 + cols, a2 = a1 + cols, a3 = a2 + cols
            let b0 = b + r * cols, b1 = b0 + cols, b2 = b1 + cols, b3 = b2 + cols
            var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
            for j in 0 ..< cols {
                s0 += a0[j] * b0[j]
                s1 += a1[j] * b1[j]
                s2 += a2[j] * b2[j]
                s3 += a3[j] * b3[j]
            }
            out[r] = s0
            out[r + 1] = s1
            out[r + 2] = s2
            out[r + 3] = s3
            r += 4
        }
        while r < rows {
            let a0 = a + r * cols, b0 = b + r * cols
            var s: Float = 0
            for j in 0 ..< cols { s += a0[j] * b0[j] }
            out[r] = s
            r += 1
        }
    }

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }

    @inline(__always)
    static func load(_ p: UnsafeMutablePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }

    @inline(__always)
    static func store(_ value: V, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: value, as: V.self)
    }
}

extension Elementwise {
    /// The values widened to Double (exact).
    public static func widened(_ x: [Float], path: KernelPath = .current) -> [Double] {
        [Double](unsafeUninitializedCapacity: x.count) { out, count in
            x.withUnsafeBufferPointer { xv in
                if let xp = xv.baseAddress, let op = out.baseAddress {
                    widen(xp, count: xv.count, into: op, path: path)
                }
            }
            count = x.count
        }
    }

    /// Whether every value is finite.
    public static func allFinite(_ x: [Float], path: KernelPath = .current) -> Bool {
        x.withUnsafeBufferPointer { xv in xv.baseAddress.map { allFinite($0, count: xv.count, path: path) } ?? true }
    }
}
