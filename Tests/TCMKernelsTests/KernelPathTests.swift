import Testing
@testable import TCMKernels
import TCMTestSupport

/// Every kernel path this machine supports against the naive product, and against each other:
/// the paths sum each term in the same k order with FMA, so their products must be the same bits.
@Suite struct KernelPathTests {
    /// Shapes around the tiles (6×16, 14×32) and the k block (256): odd sizes, single rows and
    /// columns, edge tiles in both directions, k past one and two blocks.
    static let shapes: [(Int, Int, Int)] = [
        (1, 1, 1), (5, 7, 3), (14, 32, 8), (15, 33, 17), (29, 47, 300), (97, 45, 257),
        (130, 19, 513), (7, 2050, 5), (28, 16, 64), (43, 95, 1),
    ]

    /// One product with the given path: C starts as `initial`, gets `alpha · op(A)·op(B) + beta · C`.
    static func product(
        _ path: KernelPath, _ a: [Float], _ b: [Float], m: Int, n: Int, k: Int,
        transA: Bool, transB: Bool, alpha: Float, beta: Float, initial: [Float]
    ) -> [Float] {
        var c = initial
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    GEMM.sgemm(
                        transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                        a: pa.baseAddress!, lda: transA ? m : k, b: pb.baseAddress!, ldb: transB ? k : n,
                        beta: beta, c: pc.baseAddress!, ldc: n, path: path)
                }
            }
        }
        return c
    }

    @Test func theMachineSupportsAtLeastOnePathAndCurrentIsOne() {
        #expect(KernelPath.supported.contains(.portable))
        #expect(KernelPath.supported.contains(KernelPath.current))
        #expect(!KernelPath.cpuModel.isEmpty)
        #expect(KernelPath.summary.contains("kernels: \(KernelPath.current.rawValue)"))
    }

    @Test(arguments: shapes)
    func everyPathMatchesTheNaiveProductAndTheOthersBitForBit(shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        var rng = SplitMix64(state: UInt64(m * 7919 + n * 31 + k))
        let a = (0 ..< m * k).map { _ in rng.signedUnitFloat() }, b = (0 ..< k * n).map { _ in rng.signedUnitFloat() }
        let initial = (0 ..< m * n).map { _ in rng.signedUnitFloat() }
        for transA in [false, true] {
            for transB in [false, true] {
                for (alpha, beta) in [(Float(1), Float(0)), (0.5, 1), (-2, 0.25)] {
                    let naive = naiveProduct(a, b, m: m, n: n, k: k, transA: transA, transB: transB)
                    var first: [Float]? = nil
                    for path in KernelPath.supported {
                        // beta 0 overwrites NaN
                        let start = beta == 0 ? [Float](repeating: .nan, count: m * n) : initial
                        let c = Self.product(
                            path, a, b, m: m, n: n, k: k, transA: transA, transB: transB,
                            alpha: alpha, beta: beta, initial: start)
                        var worst = 0.0
                        for i in 0 ..< m * n {
                            let expected =
                                Double(alpha) * naive[i] + (beta == 0 ? 0 : Double(beta) * Double(initial[i]))
                            worst = max(worst, abs(Double(c[i]) - expected))
                        }
                        #expect(
                            worst <= 2e-4 * Double(k).squareRoot() + 1e-5,
                            "\(path) \(m)×\(n)×\(k) transA=\(transA) transB=\(transB) α=\(alpha) β=\(beta): error \(worst)"
                        )
                        if let first {
                            #expect(
                                c.map(\.bitPattern) == first.map(\.bitPattern),
                                "\(path) differs from \(KernelPath.supported[0])")
                        } else {
                            first = c
                        }
                    }
                }
            }
        }
    }

    @Test func alphaZeroOrKZeroScalesByBetaOnEveryPath() {
        for path in KernelPath.supported {
            let a: [Float] = [1, 2, 3, 4], b: [Float] = [5, 6, 7, 8]
            #expect(
                Self.product(
                    path, a, b, m: 2, n: 2, k: 2, transA: false, transB: false,
                    alpha: 0, beta: 2, initial: [1, 2, 3, 4]) == [2, 4, 6, 8])
            #expect(
                Self.product(
                    path, a, b, m: 2, n: 2, k: 0, transA: false, transB: false,
                    alpha: 1, beta: 0, initial: [.nan, 1, 2, 3]) == [0, 0, 0, 0])
        }
    }

    @Test(arguments: [(1, 1, 3), (7, 33, 5), (15, 70, 64), (100, 129, 17), (29, 50, 0)])
    func packedRowsEveryPathMatchesNaiveAndTheOthers(shape: (Int, Int, Int)) {
        let (m, n, d) = shape
        var rng = SplitMix64(state: UInt64(m * 131 + n * 7 + d))
        let a = Matrix(rows: m, cols: d, values: (0 ..< m * d).map { _ in rng.signedUnitFloat() })
        let x = Matrix(rows: n, cols: d, values: (0 ..< n * d).map { _ in rng.signedUnitFloat() })
        let packed = PackedRows(x)
        for c0 in stride(from: 0, to: n, by: PackedRows.columnAlignment) {
            for cols in Set([min(n - c0, 16), min(n - c0, 45), n - c0]) {
                var first: [Float]? = nil
                for path in KernelPath.supported {
                    var tile = [Float](repeating: .nan, count: m * cols)
                    a.values.withUnsafeBufferPointer { pa in
                        tile.withUnsafeMutableBufferPointer { pt in
                            packed.multiply(
                                a: pa.baseAddress!, m: m, lda: d, columns: c0, count: cols,
                                c: pt.baseAddress!, ldc: cols, path: path)
                        }
                    }
                    var worst = 0.0
                    for i in 0 ..< m {
                        for j in 0 ..< cols {
                            var s = 0.0
                            for p in 0 ..< d { s += Double(a[i, p]) * Double(x[c0 + j, p]) }
                            worst = max(worst, abs(Double(tile[i * cols + j]) - s))
                        }
                    }
                    #expect(worst < 1e-4, "\(path) columns \(c0)..<\(c0 + cols): error \(worst)")
                    if let first {
                        #expect(tile.map(\.bitPattern) == first.map(\.bitPattern), "\(path) differs")
                    } else {
                        first = tile
                    }
                }
            }
        }
    }

    @Test func environmentChoosesOrRefusesAPath() throws {
        #expect(try KernelPath.fromEnvironment([:]) == KernelPath.supported[0])
        #expect(try KernelPath.fromEnvironment(["TCMSCOPE_KERNELS": ""]) == KernelPath.supported[0])
        for path in KernelPath.supported {
            #expect(try KernelPath.fromEnvironment(["TCMSCOPE_KERNELS": path.rawValue]) == path)
        }
        #expect(throws: KernelPathError.unknown("sse9")) {
            try KernelPath.fromEnvironment(["TCMSCOPE_KERNELS": "sse9"])
        }
        for path in KernelPath.allCases where !KernelPath.supported.contains(path) {
            #expect(throws: KernelPathError.unsupported(path)) {
                try KernelPath.fromEnvironment(["TCMSCOPE_KERNELS": path.rawValue])
            }
        }
        let message = KernelPathError.unknown("sse9").description
        #expect(message.contains("TCMSCOPE_KERNELS") && message.contains("sse9") && message.contains("portable"))
    }
}
