/// The training step's elementwise work on AVX-512: Adam, the bias + ReLU pass, row normalisation
/// and its backward, column sums, the ReLU mask and the contrastive loss's gradient pass.
///
/// Same rules as the matrix products (AVX512Kernels): raw pointers, `@inline(never)` entry points,
/// nothing `@inlinable`. Every function performs, per element, the operations of the portable
/// code in TCMKernels.Elementwise in the same order (no fused multiply-adds: Swift does not
/// contract `a * b + c`), so the results are the same bits; only the lane count differs. Sums along
/// a row (the norms, the backward's dot products) are added in column order from 0, as the scalar
/// loop does; sums down columns (bias gradients) in row order, 16 columns a vector.
public enum AVX512Elementwise {
    typealias V = SIMD16<Float>

    /// Adam: `g' = g + decay·p; m = β₁m + (1−β₁)g'; v = β₂v + (1−β₂)g'g'; p −= step·m / (√(v / c₂) + ε)`.
    @inline(never)
    public static func adam(
        p: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>,
        g: UnsafePointer<Float>, count: Int, decay: Float, beta1: Float, beta2: Float,
        step: Float, correction2: Float, epsilon: Float
    ) {
        let decayV = V(repeating: decay), b1 = V(repeating: beta1), b2 = V(repeating: beta2)
        let oneMinusB1 = V(repeating: 1 - beta1), oneMinusB2 = V(repeating: 1 - beta2)
        let stepV = V(repeating: step), c2 = V(repeating: correction2), eps = V(repeating: epsilon)
        var i = 0
        while i + 16 <= count {
            let param = load(p + i)
            let grad = load(g + i) + decayV * param
            let first = b1 * load(m + i) + oneMinusB1 * grad
            let second = b2 * load(v + i) + oneMinusB2 * grad * grad
            store(first, m + i)
            store(second, v + i)
            store(param - stepV * first / ((second / c2).squareRoot() + eps), p + i)
            i += 16
        }
        while i < count {
            let grad = g[i] + decay * p[i]
            m[i] = beta1 * m[i] + (1 - beta1) * grad
            v[i] = beta2 * v[i] + (1 - beta2) * grad * grad
            p[i] -= step * m[i] / ((v[i] / correction2).squareRoot() + epsilon)
            i += 1
        }
    }

    /// `z[i][j] += bias[j]`, then, with `relu`, `max(z, 0)` (Swift's `max`: 0 where `0 >= z`).
    @inline(never)
    public static func addBias(
        z: UnsafeMutablePointer<Float>, rows: Int, cols: Int, bias: UnsafePointer<Float>, relu: Bool
    ) {
        for i in 0 ..< rows {
            let row = z + i * cols
            var j = 0
            while j + 16 <= cols {
                var value = load(row + j) + load(bias + j)
                if relu { value.replace(with: 0, where: value .<= 0) }
                store(value, row + j)
                j += 16
            }
            while j < cols {
                let value = row[j] + bias[j]
                row[j] = relu ? max(value, 0) : value
                j += 1
            }
        }
    }

    /// Each row of `h` divided by `max(‖row‖, floor)` into `e`, the divisors into `norms`; ‖row‖²
    /// summed in column order from 0, one product and one add per term.
    @inline(never)
    public static func normalizeRows(
        h: UnsafePointer<Float>, rows: Int, cols: Int, floor: Float,
        e: UnsafeMutablePointer<Float>, norms: UnsafeMutablePointer<Float>
    ) {
        rowDots(h, h, rows: rows, cols: cols, into: norms)
        for r in 0 ..< rows { norms[r] = max(norms[r].squareRoot(), floor) }
        for r in 0 ..< rows { divideRow(h + r * cols, by: norms[r], cols, into: e + r * cols) }
    }

    /// Through the normalisation: `dz = (de − e·⟨de, e⟩) / norm` per row, the dot product summed in
    /// column order from 0.
    @inline(never)
    public static func normalizeRowsBackward(
        de: UnsafePointer<Float>, e: UnsafePointer<Float>, norms: UnsafePointer<Float>, rows: Int, cols: Int,
        dz: UnsafeMutablePointer<Float>
    ) {
        let dots = UnsafeMutablePointer<Float>.allocate(capacity: max(rows, 1))
        defer { dots.deallocate() }
        rowDots(de, e, rows: rows, cols: cols, into: dots)
        for r in 0 ..< rows {
            let a = de + r * cols, b = e + r * cols, out = dz + r * cols
            let dot = dots[r], norm = norms[r]
            let dotV = V(repeating: dot), normV = V(repeating: norm)
            var j = 0
            while j + 16 <= cols {
                store((load(a + j) - load(b + j) * dotV) / normV, out + j)
                j += 16
            }
            while j < cols {
                out[j] = (a[j] - b[j] * dot) / norm
                j += 1
            }
        }
    }

    /// `out[j] = Σᵢ x[i][j]`, summed from 0 in row order.
    @inline(never)
    public static func columnSums(x: UnsafePointer<Float>, rows: Int, cols: Int, out: UnsafeMutablePointer<Float>) {
        var j = 0
        while j + 64 <= cols {
            var s0 = V(), s1 = V(), s2 = V(), s3 = V()
            for i in 0 ..< rows {
                let row = x + i * cols + j
                s0 = s0 + load(row)
                s1 = s1 + load(row + 16)
                s2 = s2 + load(row + 32)
                s3 = s3 + load(row + 48)
            }
            store(s0, out + j)
            store(s1, out + j + 16)
            store(s2, out + j + 32)
            store(s3, out + j + 48)
            j += 64
        }
        while j + 16 <= cols {
            var s = V()
            for i in 0 ..< rows { s = s + load(x + i * cols + j) }
            store(s, out + j)
            j += 16
        }
        while j < cols {
            var s: Float = 0
            for i in 0 ..< rows { s += x[i * cols + j] }
            out[j] = s
            j += 1
        }
    }

    /// `x[k] = 0` where `input[k] <= 0` (the gradient through a ReLU, from its output).
    @inline(never)
    public static func reluMask(x: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, count: Int) {
        var k = 0
        while k + 16 <= count {
            store(load(x + k).replacing(with: 0, where: load(input + k) .<= 0), x + k)
            k += 16
        }
        while k < count {
            if input[k] <= 0 { x[k] = 0 }
            k += 1
        }
    }

    /// A margin loss's gradient on one row of similarities (TCMKernels.Elementwise.marginRowGradient):
    /// `g[j] −= positiveWeight` on violating positives, `g[j] += negativeWeight` on violating
    /// negatives (`m⁺ − s > 0` / `s − m⁻ > 0`, or with `inclusive` `s ≤ m⁺` / `s ≥ m⁻`); column `own`
    /// is left alone.
    @inline(never)
    public static func marginRowGradient(
        s: UnsafePointer<Double>, labels: UnsafePointer<Double>, columns: Int, label: Double, own: Int,
        positiveMargin: Double, negativeMargin: Double, inclusive: Bool, positiveWeight: Double,
        negativeWeight: Double, g: UnsafeMutablePointer<Double>
    ) {
        typealias D = SIMD8<Double>
        let kept = own >= 0 && own < columns ? g[own] : 0
        let labelV = D(repeating: label), pm = D(repeating: positiveMargin), nm = D(repeating: negativeMargin)
        let pw = D(repeating: positiveWeight), nw = D(repeating: negativeWeight)
        var j = 0
        while j + 8 <= columns {
            let sv = UnsafeRawPointer(s + j).loadUnaligned(as: D.self)
            let same = UnsafeRawPointer(labels + j).loadUnaligned(as: D.self) .== labelV
            var gv = UnsafeRawPointer(g + j).loadUnaligned(as: D.self)
            let up = inclusive ? sv .<= pm : pm - sv .> 0, down = inclusive ? sv .>= nm : sv - nm .> 0
            gv.replace(with: gv - pw, where: same .& up)
            gv.replace(with: gv + nw, where: .!same .& down)
            UnsafeMutableRawPointer(g + j).storeBytes(of: gv, as: D.self)
            j += 8
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

    /// Whether every one of `count` values is finite (exponent bits not all ones), without a branch
    /// per value.
    @inline(never)
    public static func allFinite(_ x: UnsafePointer<Float>, count: Int) -> Bool {
        typealias U = SIMD16<UInt32>
        let exponent = U(repeating: 0x7f80_0000)
        var k = 0
        while k + 64 <= count {
            let raw = UnsafeRawPointer(x + k)
            let a = raw.loadUnaligned(as: U.self) & exponent,
                b = raw.loadUnaligned(fromByteOffset: 64, as: U.self) & exponent
            let c = raw.loadUnaligned(fromByteOffset: 128, as: U.self) & exponent
            let d = raw.loadUnaligned(fromByteOffset: 192, as: U.self) & exponent
            if any((a .== exponent) .| (b .== exponent) .| (c .== exponent) .| (d .== exponent)) { return false }
            k += 64
        }
        while k < count {
            if !x[k].isFinite { return false }
            k += 1
        }
        return true
    }

    /// `out[k] = Double(x[k])` (exact).
    @inline(never)
    public static func widen(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Double>) {
        var k = 0
        while k + 16 <= count {
            let v = load(x + k)
            UnsafeMutableRawPointer(out + k).storeBytes(of: SIMD8<Double>(v.lowHalf), as: SIMD8<Double>.self)
            UnsafeMutableRawPointer(out + k + 8).storeBytes(of: SIMD8<Double>(v.highHalf), as: SIMD8<Double>.self)
            k += 16
        }
        while k < count {
            out[k] = Double(x[k])
            k += 1
        }
    }

    // MARK: - Helpers

    /// `out[r] = Σⱼ a[r][j]·b[r][j]`, from 0 in column order, four rows' chains side by side (each
    /// row's order unchanged). Not in vector lanes: a 16 × 16 register transpose here made the
    /// compiler outline the one the GEMM's packing uses (`SIMD32.evenHalf`), costing the GEMM more
    /// than this gained; the sums are a few percent of the normalisations either way.
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
    static func divideRow(
        _ row: UnsafePointer<Float>, by norm: Float, _ cols: Int, into out: UnsafeMutablePointer<Float>
    ) {
        let normV = V(repeating: norm)
        var j = 0
        while j + 16 <= cols {
            store(load(row + j) / normV, out + j)
            j += 16
        }
        while j < cols {
            out[j] = row[j] / norm
            j += 1
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
