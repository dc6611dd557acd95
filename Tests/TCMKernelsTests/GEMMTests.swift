import Testing
@testable import TCMKernels
import TCMTestSupport

func naiveProduct(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int, transA: Bool, transB: Bool) -> [Double] {
    var c = [Double](repeating: 0, count: m * n)
    for i in 0 ..< m {
        for j in 0 ..< n {
            var s = 0.0
            for p in 0 ..< k {
                let x = transA ? a[p * m + i] : a[i * k + p]
                let y = transB ? b[j * k + p] : b[p * n + j]
                s += Double(x) * Double(y)
            }
            c[i * n + j] = s
        }
    }
    return c
}

@Suite struct GEMMTests {
    @Test(arguments: [(1, 1, 1), (5, 7, 3), (6, 16, 8), (13, 33, 17), (97, 45, 300), (7, 2050, 5), (130, 19, 257)])
    func matchesNaiveProductForAllTransposes(shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        var rng = SplitMix64(state: UInt64(m * 1000 + n * 10 + k))
        let a = (0 ..< m * k).map { _ in rng.signedUnitFloat() }
        let b = (0 ..< k * n).map { _ in rng.signedUnitFloat() }
        for transA in [false, true] {
            for transB in [false, true] {
                var c = [Float](repeating: .nan, count: m * n)  // beta = 0 must overwrite NaN
                a.withUnsafeBufferPointer { pa in
                    b.withUnsafeBufferPointer { pb in
                        c.withUnsafeMutableBufferPointer { pc in
                            GEMM.sgemm(
                                transA: transA, transB: transB, m: m, n: n, k: k,
                                a: pa.baseAddress!, lda: transA ? m : k, b: pb.baseAddress!, ldb: transB ? k : n,
                                c: pc.baseAddress!, ldc: n)
                        }
                    }
                }
                let expected = naiveProduct(a, b, m: m, n: n, k: k, transA: transA, transB: transB)
                for i in 0 ..< m * n {
                    #expect(
                        abs(Double(c[i]) - expected[i]) <= 1e-4 * Double(k).squareRoot() + 1e-5,
                        "transA=\(transA) transB=\(transB) at \(i): \(c[i]) vs \(expected[i])")
                }
            }
        }
    }

    @Test func alphaAndBetaAccumulate() {
        let a: [Float] = [1, 2, 3, 4]  // 2×2
        let b: [Float] = [5, 6, 7, 8]  // 2×2
        var c: [Float] = [1, 1, 1, 1]
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    GEMM.sgemm(
                        transA: false, transB: false, m: 2, n: 2, k: 2, alpha: 2, a: pa.baseAddress!, lda: 2,
                        b: pb.baseAddress!, ldb: 2, beta: 3, c: pc.baseAddress!, ldc: 2)
                }
            }
        }
        // A·B = [[19, 22], [43, 50]]; 2·AB + 3·1
        #expect(c == [41, 47, 89, 103])
    }

    @Test func subMatrixLeadingDimensions() {
        // Multiply the top-left 2×3 of a 3×5 matrix by the top-left 3×2 of a 4×4 matrix, into a 2×2 window of a 3×6 C.
        var rng = SplitMix64(state: 9)
        let a = (0 ..< 15).map { _ in rng.signedUnitFloat() }, b = (0 ..< 16).map { _ in rng.signedUnitFloat() }
        var c = [Float](repeating: 42, count: 18)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    GEMM.sgemm(
                        transA: false, transB: false, m: 2, n: 2, k: 3, a: pa.baseAddress!, lda: 5,
                        b: pb.baseAddress!, ldb: 4, c: pc.baseAddress! + 1, ldc: 6)
                }
            }
        }
        for i in 0 ..< 2 {
            for j in 0 ..< 2 {
                var s: Float = 0
                for p in 0 ..< 3 { s += a[i * 5 + p] * b[p * 4 + j] }
                #expect(abs(c[i * 6 + 1 + j] - s) < 1e-5)
            }
        }
        #expect(c[0] == 42 && c[3] == 42 && c[12] == 42, "cells outside the window are untouched")
    }

    @Test func matrixConveniences() {
        let a = Matrix(rows: 2, cols: 3, values: [1, 2, 3, 4, 5, 6])
        let product = GEMM.multiplyTransposed(a, a)
        #expect(product.values == [14, 32, 32, 77])
        #expect(GEMM.multiply(a, transA: true, a).values == GEMM.multiply(a.transposed, a).values)
        #expect(a.gatherRows([1, 0]).values == [4, 5, 6, 1, 2, 3])
    }
}

@Suite struct ThresholdBinsTests {
    @Test func edgesAndBinsAgree() {
        let bins = ThresholdBins.standard
        #expect(bins.count == 20_001)
        #expect(bins.width == 1e-4)
        #expect(bins.bin(of: -1) == 0)
        #expect(bins.bin(of: 1) == 20_000)
        #expect(bins.bin(of: 1.00001) == 20_000)
        #expect(bins.bin(of: -1.5) == 0)
        #expect(bins.edge(nearest: 0.5) == 15_000)
        #expect(abs(bins.threshold(atEdge: 15_000) - 0.5) < 1e-12)
        // A similarity a little above an edge is in that edge's bin; a little below, in the one before.
        #expect(bins.bin(of: 0.50004) == 15_000)
        #expect(bins.bin(of: 0.49996) == 14_999)
    }

    @Test func vectorisedAccumulateMatchesScalarBinning() {
        let bins = ThresholdBins(binsPerUnit: 100)
        var rng = SplitMix64(state: 3)
        let values = (0 ..< 1003).map { _ in rng.signedUnitFloat() * 1.001 }
        var fast = [UInt32](repeating: 0, count: bins.count)
        values.withUnsafeBufferPointer { v in
            fast.withUnsafeMutableBufferPointer { h in
                bins.accumulate(v.baseAddress!, count: v.count, into: h.baseAddress!)
            }
        }
        var slow = [UInt32](repeating: 0, count: bins.count)
        for v in values { slow[bins.bin(of: v)] += 1 }
        #expect(fast == slow)
        #expect(fast.reduce(0, +) == 1003)
    }

    @Test func rowNormalisation() {
        let m = Matrix(rows: 3, cols: 2, values: [3, 4, 0, 0, -2, 0])
        #expect(RowNorms.norms(m) == [5, 0, 2])
        let u = RowNorms.normalized(m)
        #expect(u.values == [0.6, 0.8, 0, 0, -1, 0])
    }
}

@Suite struct PackedRowsTests {
    @Test(arguments: [(1, 1, 3), (7, 33, 5), (13, 70, 64), (100, 129, 17)])
    func tileProductsOverwriteAndMatchNaive(shape: (Int, Int, Int)) {
        let (m, n, d) = shape
        var rng = SplitMix64(state: UInt64(m * 31 + n))
        let a = Matrix(rows: m, cols: d, values: (0 ..< m * d).map { _ in rng.signedUnitFloat() })
        let x = Matrix(rows: n, cols: d, values: (0 ..< n * d).map { _ in rng.signedUnitFloat() })
        let packed = PackedRows(x)
        for c0 in stride(from: 0, to: n, by: 16) {
            let cols = min(n - c0, 32)
            var tile = [Float](repeating: .nan, count: m * cols)
            a.values.withUnsafeBufferPointer { pa in
                tile.withUnsafeMutableBufferPointer { pt in
                    packed.multiply(
                        a: pa.baseAddress!, m: m, lda: d, columns: c0, count: cols, c: pt.baseAddress!, ldc: cols)
                }
            }
            for i in 0 ..< m {
                for j in 0 ..< cols {
                    var s = 0.0
                    for p in 0 ..< d { s += Double(a[i, p]) * Double(x[c0 + j, p]) }
                    #expect(abs(Double(tile[i * cols + j]) - s) < 1e-4, "(\(i), \(c0 + j))")
                }
            }
        }
    }
}

@Suite struct LeftOperandTests {
    /// A row block packed once gives the products `multiply(a:…)` gives, bit for bit, on every
    /// path this machine runs: row counts that are not whole panels of 6, more rows than one
    /// packed block of `GEMM.mc`, rows `lda` apart in a wider matrix, and repacking into the same
    /// operand (a stale longer block must not leak into a shorter one).
    @Test(arguments: KernelPath.supported)
    func packedOnceEqualsPackedEachCall(path: KernelPath) {
        let n = 70, d = 37, lda = 41
        var rng = SplitMix64(state: 35)
        let rows = (0 ..< 230 * lda).map { _ in rng.signedUnitFloat() }
        let x = Matrix(rows: n, cols: d, values: (0 ..< n * d).map { _ in rng.signedUnitFloat() })
        let packed = PackedRows(x)
        var left = LeftOperand(maxRows: 230, dimension: d, path: path)
        defer { left.deallocate() }
        rows.withUnsafeBufferPointer { all in
            for (first, m) in [(0, 230), (3, 1), (5, 97), (11, 6), (0, 193)] {
                left.pack(all.baseAddress! + first * lda, rows: m, lda: lda)
                for c0 in stride(from: 0, to: n, by: 16) {
                    let cols = min(n - c0, 48)
                    var once = [Float](repeating: .nan, count: m * cols)
                    var each = [Float](repeating: .infinity, count: m * cols)
                    once.withUnsafeMutableBufferPointer {
                        packed.multiply(left, columns: c0, count: cols, c: $0.baseAddress!, ldc: cols)
                    }
                    each.withUnsafeMutableBufferPointer {
                        packed.multiply(
                            a: all.baseAddress! + first * lda, m: m, lda: lda, columns: c0, count: cols,
                            c: $0.baseAddress!, ldc: cols, path: path)
                    }
                    #expect(once.map(\.bitPattern) == each.map(\.bitPattern), "rows \(first)+\(m), c0 \(c0)")
                }
            }
        }
    }
}

@Suite struct ThresholdBinConversionTests {
    /// The vectorised C conversion against the scalar Swift one, on edges, just off edges,
    /// outside [−1, 1], NaN, huge values and ±∞, for two axes.
    @Test(arguments: [10_000, 7])
    func vectorisedBinsEqualTheScalarBin(binsPerUnit: Int) {
        let axis = ThresholdBins(binsPerUnit: binsPerUnit)
        var values: [Float] = [
            -1, 1, 0, -0.0, 1.0000001, 1.5, -1.0000001, -3, .nan, 1e30, -1e30, .infinity, -.infinity,
            .leastNonzeroMagnitude, -.leastNonzeroMagnitude,
        ]
        for k in stride(from: 0, through: axis.count, by: max(1, axis.count / 997)) {
            let edge = Float(axis.threshold(atEdge: k))
            values += [edge, edge.nextUp, edge.nextDown]
        }
        var state: UInt64 = 12345
        for _ in 0 ..< 5000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            values.append(Float(Double(state >> 11) / Double(1 << 53)) * 2.2 - 1.1)
        }
        var out = [UInt16](repeating: 0, count: values.count)
        values.withUnsafeBufferPointer { v in
            out.withUnsafeMutableBufferPointer { axis.bins(of: v.baseAddress!, count: v.count, into: $0.baseAddress!) }
        }
        for (v, b) in zip(values, out) { #expect(Int(b) == axis.bin(of: v), "\(v)") }
        // And through both folds: histograms equal to counting `bin(of:)` one by one.
        var one = [UInt32](repeating: 0, count: axis.count), two = one, expected = one
        for v in values { expected[axis.bin(of: v)] += 1 }
        values.withUnsafeBufferPointer { v in
            one.withUnsafeMutableBufferPointer {
                axis.accumulate(v.baseAddress!, count: v.count, into: $0.baseAddress!)
            }
            var other = [UInt32](repeating: 0, count: axis.count)
            two.withUnsafeMutableBufferPointer { t in
                other.withUnsafeMutableBufferPointer {
                    axis.accumulate(v.baseAddress!, count: v.count, into: t.baseAddress!, and: $0.baseAddress!)
                }
            }
            #expect(other == expected)
        }
        #expect(one == expected && two == expected)
    }
}
