import Testing
@testable import TCMKernels
import TCMTestSupport

/// The training step's elementwise kernels on every path this machine supports, bit for bit against
/// a scalar reference written the way the training code computed them before (one element at a
/// time, sums in order) and so against each other: odd sizes around the 8- and 16-lane vectors and
/// the 4-row blocks, so every tail runs, and special values (±0, NaN, ±∞, ties at the margins).
@Suite struct ElementwiseTests {
    static let counts = [0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 257]
    static let shapes: [(Int, Int)] = [
        (1, 1), (3, 5), (4, 16), (5, 17), (7, 8), (17, 33), (20, 64), (33, 65), (16, 128), (37, 130), (2, 257),
    ]

    static func floats(_ count: Int, seed: Int, special: Bool = true) -> [Float] {
        var rng = SplitMix64(state: UInt64(seed) &* 0x9E37_79B9 &+ 17)
        let specials: [Float] = [0, -0.0, 1, -1, .leastNonzeroMagnitude, -.leastNonzeroMagnitude]
        return (0 ..< count).map { k in
            special && k % 5 == 2 ? specials[(k / 5) % specials.count] : rng.signedUnitFloat() * 3
        }
    }

    static func bits(_ x: [Float]) -> [UInt32] { x.map(\.bitPattern) }
    static func bits(_ x: [Double]) -> [UInt64] { x.map(\.bitPattern) }

    @Test func adamMatchesTheScalarUpdateOnEveryPath() {
        for count in Self.counts {
            let p0 = Self.floats(count, seed: count), g = Self.floats(count, seed: count + 1)
            let m0 = Self.floats(count, seed: count + 2), v0 = Self.floats(count, seed: count + 3).map { $0 * $0 }
            let (decay, b1, b2, step, c2, eps): (Float, Float, Float, Float, Float, Float) =
                (0.01, 0.9, 0.999, 1e-3 / (1 - 0.729), 1 - 0.997002999, 1e-8)
            var rp = p0, rm = m0, rv = v0
            for i in 0 ..< count {
                let grad = g[i] + decay * rp[i]
                rm[i] = b1 * rm[i] + (1 - b1) * grad
                rv[i] = b2 * rv[i] + (1 - b2) * grad * grad
                rp[i] -= step * rm[i] / ((rv[i] / c2).squareRoot() + eps)
            }
            for path in KernelPath.supported {
                var p = p0, m = m0, v = v0
                p.withUnsafeMutableBufferPointer { pp in
                    m.withUnsafeMutableBufferPointer { mp in
                        v.withUnsafeMutableBufferPointer { vp in
                            g.withUnsafeBufferPointer { gp in
                                guard count > 0 else { return }
                                Elementwise.adam(
                                    p: pp.baseAddress!, m: mp.baseAddress!, v: vp.baseAddress!, g: gp.baseAddress!,
                                    count: count, decay: decay, beta1: b1, beta2: b2, step: step, correction2: c2,
                                    epsilon: eps, path: path)
                            }
                        }
                    }
                }
                #expect(Self.bits(p) == Self.bits(rp), "\(path), \(count): parameters")
                #expect(Self.bits(m) == Self.bits(rm), "\(path), \(count): first moments")
                #expect(Self.bits(v) == Self.bits(rv), "\(path), \(count): second moments")
            }
        }
    }

    @Test func biasAndReLUMatchTheScalarPassOnEveryPath() {
        for (rows, cols) in Self.shapes {
            var z0 = Self.floats(rows * cols, seed: rows * 31 + cols)
            if z0.count > 3 { z0[3] = .nan }
            let bias = Self.floats(cols, seed: cols + 5).enumerated().map { k, b in k == 1 ? -0.0 : b }
            for relu in [false, true] {
                var reference = z0
                for i in 0 ..< rows {
                    for j in 0 ..< cols {
                        let value = reference[i * cols + j] + bias[j]
                        reference[i * cols + j] = relu ? max(value, 0) : value
                    }
                }
                for path in KernelPath.supported {
                    var z = z0
                    z.withUnsafeMutableBufferPointer { zp in
                        bias.withUnsafeBufferPointer { bp in
                            Elementwise.addBias(
                                z: zp.baseAddress!, rows: rows, cols: cols, bias: bp.baseAddress!, relu: relu,
                                path: path
                            )
                        }
                    }
                    #expect(Self.bits(z) == Self.bits(reference), "\(path), \(rows)×\(cols), relu \(relu)")
                }
            }
        }
    }

    @Test func normalisationAndItsBackwardMatchTheScalarLoopsOnEveryPath() {
        for (rows, cols) in Self.shapes {
            var h = Self.floats(rows * cols, seed: rows + cols * 7, special: false)
            // A zero row (the 1e-12 floor) and a tiny one.
            if rows > 2 {
                for j in 0 ..< cols { h[cols + j] = 0 }
                for j in 0 ..< cols { h[2 * cols + j] = 1e-30 }
            }
            let de = Self.floats(rows * cols, seed: rows * 3 + cols)
            var refNorms = [Float](repeating: 0, count: rows), refE = h
            for i in 0 ..< rows {
                var s: Float = 0
                for j in 0 ..< cols { s += h[i * cols + j] * h[i * cols + j] }
                let norm = max(s.squareRoot(), 1e-12)
                refNorms[i] = norm
                for j in 0 ..< cols { refE[i * cols + j] = h[i * cols + j] / norm }
            }
            var refDz = de
            for i in 0 ..< rows {
                var dot: Float = 0
                for j in 0 ..< cols { dot += de[i * cols + j] * refE[i * cols + j] }
                for j in 0 ..< cols {
                    refDz[i * cols + j] = (de[i * cols + j] - refE[i * cols + j] * dot) / refNorms[i]
                }
            }
            for path in KernelPath.supported {
                var e = [Float](repeating: .nan, count: rows * cols), norms = [Float](repeating: .nan, count: rows)
                var dz = [Float](repeating: .nan, count: rows * cols)
                h.withUnsafeBufferPointer { hp in
                    e.withUnsafeMutableBufferPointer { ep in
                        norms.withUnsafeMutableBufferPointer { np in
                            Elementwise.normalizeRows(
                                h: hp.baseAddress!, rows: rows, cols: cols, floor: 1e-12, e: ep.baseAddress!,
                                norms: np.baseAddress!, path: path)
                        }
                    }
                }
                de.withUnsafeBufferPointer { dp in
                    e.withUnsafeBufferPointer { ep in
                        norms.withUnsafeBufferPointer { np in
                            dz.withUnsafeMutableBufferPointer { zp in
                                Elementwise.normalizeRowsBackward(
                                    de: dp.baseAddress!, e: ep.baseAddress!, norms: np.baseAddress!, rows: rows,
                                    cols: cols, dz: zp.baseAddress!, path: path)
                            }
                        }
                    }
                }
                #expect(Self.bits(norms) == Self.bits(refNorms), "\(path), \(rows)×\(cols): norms")
                #expect(Self.bits(e) == Self.bits(refE), "\(path), \(rows)×\(cols): embeddings")
                #expect(Self.bits(dz) == Self.bits(refDz), "\(path), \(rows)×\(cols): backward")
            }
        }
    }

    @Test func columnSumsAndTheReLUMaskMatchTheScalarLoopsOnEveryPath() {
        for (rows, cols) in Self.shapes + [(3, 64 + 16 + 5), (1, 200)] {
            let x = Self.floats(rows * cols, seed: rows * 11 + cols)
            var reference = [Float](repeating: 0, count: cols)
            for i in 0 ..< rows { for j in 0 ..< cols { reference[j] += x[i * cols + j] } }
            var input = Self.floats(rows * cols, seed: rows + 13 * cols)
            if input.count > 4 { input[4] = .nan }
            var masked = x
            for k in 0 ..< masked.count where input[k] <= 0 { masked[k] = 0 }
            for path in KernelPath.supported {
                var sums = [Float](repeating: .nan, count: cols), y = x
                x.withUnsafeBufferPointer { xp in
                    sums.withUnsafeMutableBufferPointer { sp in
                        Elementwise.columnSums(
                            x: xp.baseAddress!, rows: rows, cols: cols, out: sp.baseAddress!, path: path)
                    }
                }
                y.withUnsafeMutableBufferPointer { yp in
                    input.withUnsafeBufferPointer { ip in
                        Elementwise.reluMask(x: yp.baseAddress!, input: ip.baseAddress!, count: yp.count, path: path)
                    }
                }
                #expect(Self.bits(sums) == Self.bits(reference), "\(path), \(rows)×\(cols): column sums")
                #expect(Self.bits(y) == Self.bits(masked), "\(path), \(rows)×\(cols): ReLU mask")
            }
        }
    }

    /// Both rules: the contrastive loss's (`m⁺ − s > 0`, `s − m⁻ > 0`) and TCM's (`s ≤ m⁺`, `s ≥ m⁻`),
    /// with similarities exactly at the margins, a row's own column anywhere or absent, and a
    /// gradient that already holds values (including −0, which an add of 0 would turn into +0).
    @Test func marginGradientsMatchThePairByPairLoopOnEveryPath() {
        for columns in Self.counts where columns > 0 {
            var rng = SplitMix64(state: UInt64(columns) &+ 99)
            let (pm, nm) = (0.9, 0.5)
            let s = (0 ..< columns).map { k -> Double in
                switch k % 7 {
                case 1: return pm
                case 4: return nm
                default: return Double(rng.signedUnitFloat())
                }
            }
            let labels = (0 ..< columns).map { Double($0 % 3 == 0 ? 2 : $0 / 5) }
            let g0 = (0 ..< columns).map { k -> Double in k % 4 == 0 ? -0.0 : Double(rng.signedUnitFloat()) }
            for own in Set([-1, 0, columns / 2, columns - 1]) {
                for inclusive in [false, true] {
                    for label in [2.0, 1.0] {
                        var reference = g0
                        for j in 0 ..< columns where j != own {
                            if labels[j] == label {
                                if inclusive ? s[j] <= pm : pm - s[j] > 0 { reference[j] -= 0.25 }
                            } else if inclusive ? s[j] >= nm : s[j] - nm > 0 {
                                reference[j] += 0.125
                            }
                        }
                        for path in KernelPath.supported {
                            var g = g0
                            s.withUnsafeBufferPointer { sp in
                                labels.withUnsafeBufferPointer { lp in
                                    g.withUnsafeMutableBufferPointer { gp in
                                        Elementwise.marginRowGradient(
                                            s: sp.baseAddress!, labels: lp.baseAddress!, columns: columns, label: label,
                                            own: own, positiveMargin: pm, negativeMargin: nm, inclusive: inclusive,
                                            positiveWeight: 0.25, negativeWeight: 0.125, g: gp.baseAddress!, path: path)
                                    }
                                }
                            }
                            #expect(
                                Self.bits(g) == Self.bits(reference),
                                "\(path), \(columns) columns, own \(own), inclusive \(inclusive), label \(label)")
                        }
                    }
                }
            }
        }
    }

    @Test func finitenessAndWideningAgreeOnEveryPath() {
        for count in Self.counts {
            let x = Self.floats(count, seed: count * 5)
            for bad in [Float.nan, .infinity, -.infinity, Float(bitPattern: 0x7fc0_0001)] {
                for position in Set([0, count / 2, count - 1]) where count > 0 {
                    var y = x
                    y[position] = bad
                    for path in KernelPath.supported {
                        #expect(!Elementwise.allFinite(y, path: path), "\(path), \(count), \(bad) at \(position)")
                    }
                }
            }
            for path in KernelPath.supported {
                #expect(Elementwise.allFinite(x, path: path), "\(path), \(count)")
                #expect(
                    Self.bits(Elementwise.widened(x, path: path)) == Self.bits(x.map(Double.init)), "\(path), \(count)")
            }
        }
        #expect(Elementwise.allFinite([Float.greatestFiniteMagnitude, -.greatestFiniteMagnitude]))
    }
}
