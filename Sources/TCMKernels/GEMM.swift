import TCMKernelsAVX512

/// Single-precision matrix product, BLIS-style: pack a block of each operand into contiguous
/// panels, then run a 6×16 register-blocked micro-kernel over them.
///
/// Why this shape: 6 rows × 16 columns is 12 eight-wide accumulators plus two B vectors and one
/// broadcast, which fits the 16 vector registers of AVX2 without spilling. With the AVX2/FMA
/// flags from Package.swift, `addingProduct` becomes one `vfmadd` per 8 lanes. On AVX-512 CPUs
/// `sgemm` hands the same blocking to TCMKernelsAVX512's 14×32 tile (see KernelPath).
public enum GEMM {
    static let mr = 6
    static let nr = 16
    static let kc = 256
    static let mc = 96
    static let nc = 2048

    /// `C[m×n] = alpha · op(A) · op(B) + beta · C`, all row-major.
    ///
    /// `op(A)` is `m×k`: A itself (`transA == false`, leading dimension `lda ≥ k`) or the
    /// transpose of a `k×m` A (`lda ≥ m`). Likewise `op(B)` is `k×n`. With `beta == 0`, C is
    /// overwritten (NaNs already in C do not leak through). `path` picks the kernels (tests and
    /// `bench kernels` compare paths); every path gives the same bits.
    public static func sgemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        path: KernelPath = .current
    ) {
        guard m > 0, n > 0 else { return }
        if path == .avx512 {
            return AVX512Kernels.sgemm(
                transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, kc: kc, nc: nc)
        }
        if k == 0 || alpha == 0 || beta != 0 { scale(c: c, m: m, n: n, ldc: ldc, by: beta) }
        guard k > 0, alpha != 0 else { return }

        let packA = UnsafeMutablePointer<Float>.allocate(capacity: mc * kc)
        let packB = UnsafeMutablePointer<Float>.allocate(capacity: nc * kc)
        defer {
            packA.deallocate()
            packB.deallocate()
        }

        var jc = 0
        while jc < n {
            let ncb = min(nc, n - jc)
            var pc = 0
            while pc < k {
                let kcb = min(kc, k - pc)
                // With beta == 0 the first k block writes C instead of adding to zeros.
                let overwrite = beta == 0 && pc == 0
                packPanelsOfB(b, ldb: ldb, trans: transB, k0: pc, kcb: kcb, j0: jc, ncb: ncb, into: packB)
                var ic = 0
                while ic < m {
                    let mcb = min(mc, m - ic)
                    packPanelsOfA(a, lda: lda, trans: transA, i0: ic, mcb: mcb, k0: pc, kcb: kcb, into: packA)
                    var jr = 0
                    while jr < ncb {
                        let cols = min(nr, ncb - jr)
                        var ir = 0
                        while ir < mcb {
                            let rows = min(mr, mcb - ir)
                            microKernel(
                                kcb: kcb, a: packA + ir * kcb, b: packB + jr * kcb,
                                c: c + (ic + ir) * ldc + jc + jr, ldc: ldc,
                                rows: rows, cols: cols, alpha: alpha, overwrite: overwrite)
                            ir += mr
                        }
                        jr += nr
                    }
                    ic += mc
                }
                pc += kc
            }
            jc += nc
        }
    }

    /// `C = A · Bᵀ` for row-major A (m×k) and B (n×k): the similarity tile of two row blocks.
    public static func multiplyTransposed(_ a: Matrix, _ b: Matrix) -> Matrix {
        precondition(a.cols == b.cols, "inner dimensions differ: \(a.cols) vs \(b.cols)")
        return product(a, b, m: a.rows, n: b.rows) { ap, bp, cp in
            sgemm(
                transA: false, transB: true, m: a.rows, n: b.rows, k: a.cols,
                a: ap, lda: a.cols, b: bp, ldb: b.cols, c: cp, ldc: b.rows)
        }
    }

    /// `C = op(A) · op(B)` on `Matrix` values, for callers that do not need pointers.
    public static func multiply(_ a: Matrix, transA: Bool = false, _ b: Matrix, transB: Bool = false) -> Matrix {
        let m = transA ? a.cols : a.rows, k = transA ? a.rows : a.cols
        let kb = transB ? b.cols : b.rows, n = transB ? b.rows : b.cols
        precondition(k == kb, "inner dimensions differ: \(k) vs \(kb)")
        return product(a, b, m: m, n: n) { ap, bp, cp in
            sgemm(
                transA: transA, transB: transB, m: m, n: n, k: k,
                a: ap, lda: a.cols, b: bp, ldb: b.cols, c: cp, ldc: n)
        }
    }

    /// An m×n result written by `body` (an sgemm with beta 0, which writes every element) into
    /// uninitialised storage: zero-filling it first cost ~2 % of a training step.
    private static func product(
        _ a: Matrix, _ b: Matrix, m: Int, n: Int,
        _ body: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void
    ) -> Matrix {
        guard m > 0, n > 0, !a.values.isEmpty, !b.values.isEmpty else { return Matrix(rows: m, cols: n) }
        let values = [Float](unsafeUninitializedCapacity: m * n) { c, count in
            a.values.withUnsafeBufferPointer { pa in
                b.values.withUnsafeBufferPointer { pb in body(pa.baseAddress!, pb.baseAddress!, c.baseAddress!) }
            }
            count = m * n
        }
        return Matrix(rows: m, cols: n, values: values)
    }

    // MARK: - Packing

    @inline(__always)
    static func scale(c: UnsafeMutablePointer<Float>, m: Int, n: Int, ldc: Int, by beta: Float) {
        if beta == 1 { return }
        for i in 0 ..< m {
            let row = c + i * ldc
            if beta == 0 { row.update(repeating: 0, count: n) } else { for j in 0 ..< n { row[j] *= beta } }
        }
    }

    /// Panels of `mr` rows of op(A), each stored k-major (`mr` values per k), zero-padded.
    static func packPanelsOfA(
        _ a: UnsafePointer<Float>, lda: Int, trans: Bool, i0: Int, mcb: Int,
        k0: Int, kcb: Int, into dst: UnsafeMutablePointer<Float>
    ) {
        var ir = 0
        while ir < mcb {
            let panel = dst + ir * kcb
            let rows = min(mr, mcb - ir)
            if rows < mr { panel.update(repeating: 0, count: mr * kcb) }
            for r in 0 ..< rows {
                let i = i0 + ir + r
                if trans {
                    for p in 0 ..< kcb { panel[p * mr + r] = a[(k0 + p) * lda + i] }
                } else {
                    let src = a + i * lda + k0
                    for p in 0 ..< kcb { panel[p * mr + r] = src[p] }
                }
            }
            ir += mr
        }
    }

    /// Panels of `nr` columns of op(B), each stored k-major (`nr` values per k), zero-padded.
    static func packPanelsOfB(
        _ b: UnsafePointer<Float>, ldb: Int, trans: Bool, k0: Int, kcb: Int,
        j0: Int, ncb: Int, into dst: UnsafeMutablePointer<Float>
    ) {
        var jr = 0
        while jr < ncb {
            let panel = dst + jr * kcb
            let cols = min(nr, ncb - jr)
            if cols < nr { panel.update(repeating: 0, count: nr * kcb) }
            if trans {
                for j in 0 ..< cols {
                    let src = b + (j0 + jr + j) * ldb + k0
                    for p in 0 ..< kcb { panel[p * nr + j] = src[p] }
                }
            } else {
                for p in 0 ..< kcb {
                    let src = b + (k0 + p) * ldb + j0 + jr
                    for j in 0 ..< cols { panel[p * nr + j] = src[j] }
                }
            }
            jr += nr
        }
    }

    // MARK: - Micro-kernel

    @inline(__always)
    static func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    static func add8(_ v: SIMD8<Float>, to p: UnsafeMutablePointer<Float>) {
        let raw = UnsafeMutableRawPointer(p)
        raw.storeBytes(of: raw.loadUnaligned(as: SIMD8<Float>.self) + v, as: SIMD8<Float>.self)
    }

    @inline(__always)
    static func store8(_ v: SIMD8<Float>, to p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
    }

    /// C[rows×cols] += alpha · (6×kcb panel) · (kcb×16 panel); with `overwrite`, C = that product
    /// (no read of C: the similarity tiles skip a zeroing pass and a load per element).
    // swift-format-ignore
    // (A register table: one accumulator pair per line reads better aligned than wrapped.)
    static func microKernel(kcb: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                            c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int, alpha: Float,
                            overwrite: Bool) {
        var c00 = SIMD8<Float>(), c01 = SIMD8<Float>()
        var c10 = SIMD8<Float>(), c11 = SIMD8<Float>()
        var c20 = SIMD8<Float>(), c21 = SIMD8<Float>()
        var c30 = SIMD8<Float>(), c31 = SIMD8<Float>()
        var c40 = SIMD8<Float>(), c41 = SIMD8<Float>()
        var c50 = SIMD8<Float>(), c51 = SIMD8<Float>()
        var pa = a, pb = b
        for _ in 0 ..< kcb {
            let b0 = load8(pb), b1 = load8(pb + 8)
            var x = SIMD8<Float>(repeating: pa[0])
            c00 = c00.addingProduct(x, b0); c01 = c01.addingProduct(x, b1)
            x = SIMD8<Float>(repeating: pa[1])
            c10 = c10.addingProduct(x, b0); c11 = c11.addingProduct(x, b1)
            x = SIMD8<Float>(repeating: pa[2])
            c20 = c20.addingProduct(x, b0); c21 = c21.addingProduct(x, b1)
            x = SIMD8<Float>(repeating: pa[3])
            c30 = c30.addingProduct(x, b0); c31 = c31.addingProduct(x, b1)
            x = SIMD8<Float>(repeating: pa[4])
            c40 = c40.addingProduct(x, b0); c41 = c41.addingProduct(x, b1)
            x = SIMD8<Float>(repeating: pa[5])
            c50 = c50.addingProduct(x, b0); c51 = c51.addingProduct(x, b1)
            pa += mr
            pb += nr
        }
        let s = SIMD8<Float>(repeating: alpha)
        if overwrite && rows == mr && cols == nr {
            store8(c00 * s, to: c); store8(c01 * s, to: c + 8)
            store8(c10 * s, to: c + ldc); store8(c11 * s, to: c + ldc + 8)
            store8(c20 * s, to: c + 2 * ldc); store8(c21 * s, to: c + 2 * ldc + 8)
            store8(c30 * s, to: c + 3 * ldc); store8(c31 * s, to: c + 3 * ldc + 8)
            store8(c40 * s, to: c + 4 * ldc); store8(c41 * s, to: c + 4 * ldc + 8)
            store8(c50 * s, to: c + 5 * ldc); store8(c51 * s, to: c + 5 * ldc + 8)
            return
        }
        if rows == mr && cols == nr {
            add8(c00 * s, to: c); add8(c01 * s, to: c + 8)
            add8(c10 * s, to: c + ldc); add8(c11 * s, to: c + ldc + 8)
            add8(c20 * s, to: c + 2 * ldc); add8(c21 * s, to: c + 2 * ldc + 8)
            add8(c30 * s, to: c + 3 * ldc); add8(c31 * s, to: c + 3 * ldc + 8)
            add8(c40 * s, to: c + 4 * ldc); add8(c41 * s, to: c + 4 * ldc + 8)
            add8(c50 * s, to: c + 5 * ldc); add8(c51 * s, to: c + 5 * ldc + 8)
            return
        }
        // Edge tile: spill to a small buffer, add only the valid part.
        let tile: [SIMD8<Float>] = [c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51]
        for r in 0 ..< rows {
            let lo = tile[2 * r] * s, hi = tile[2 * r + 1] * s
            let row = c + r * ldc
            if overwrite {
                for j in 0 ..< cols { row[j] = j < 8 ? lo[j] : hi[j - 8] }
            } else {
                for j in 0 ..< cols { row[j] += j < 8 ? lo[j] : hi[j - 8] }
            }
        }
    }
}
