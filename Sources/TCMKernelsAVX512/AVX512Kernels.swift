/// The AVX-512 matrix products. This is the only target compiled with the AVX-512 flags
/// (Package.swift), and its code must only run after cpuid said so (TCMKernels.KernelPath).
///
/// Why a separate copy of the block loops: Swift compiles inlined and generic code with the
/// CALLER's target flags, so the AVX-512 code has to live here, behind non-inlinable entry
/// points taking raw pointers, and nothing here may be `@inlinable` (scripts/check-kernel-isolation.sh
/// checks that no zmm instruction appears in any other object).
///
/// Layout: operands are packed exactly as the AVX2 path packs them (A in panels of `mr` rows,
/// B in sixteen-wide panels, both k-major); the 14×32 tile reads two adjacent B panels. The k
/// blocking (`kc`) is the caller's, so both paths add partial sums to C at the same k.
public enum AVX512Kernels {
    /// Two tiles of rows per A block. Why so few: a block's C rows are written as one stream each,
    /// and beyond ~32 streams the L2 prefetcher loses them; measured on `bench kernels` (Xeon,
    /// AVX-512), 10000×64·64×10000 ran at ~135 GFLOP/s with 28 rows, 112 with 56, 45 with 168.
    /// B is re-read from L2 per block, which costs little next to the 28 FMAs per k step.
    static let mc = 2 * mr

    /// `C[m×n] = alpha · op(A) · op(B) + beta · C`, row-major, with B packed in `kc`-deep blocks of
    /// at most `nc` columns (the AVX2 path's blocking, for identical rounding).
    @inline(never)
    public static func sgemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, kc: Int, nc: Int
    ) {
        guard m > 0, n > 0 else { return }
        if k == 0 || alpha == 0 || beta != 0 { scale(c: c, m: m, n: n, ldc: ldc, by: beta) }
        guard k > 0, alpha != 0 else { return }

        let packA = UnsafeMutablePointer<Float>.allocate(capacity: mc * kc + 16)
        let packB = UnsafeMutablePointer<Float>.allocate(capacity: (nc + 16) * kc)
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
                    packPanelsOfA(
                        a, lda: lda, trans: transA, i0: ic, mcb: mcb, rowsLeft: m - ic, k0: pc, kcb: kcb, into: packA)
                    blockTimesPanels(
                        packA: packA, mcb: mcb, kcb: kcb, panels: packB, cols: ncb,
                        c: c + ic * ldc + jc, ldc: ldc, alpha: alpha, overwrite: overwrite)
                    ic += mc
                }
                pc += kc
            }
            jc += nc
        }
    }

    /// `C[m × cols] = A[m × d] · Xᵀ` where `panels` points at sixteen-wide panels of X rows, each
    /// stored dimension-major (TCMKernels.PackedRows), starting at the first column wanted.
    @inline(never)
    public static func multiplyPacked(
        a: UnsafePointer<Float>, m: Int, lda: Int, d: Int,
        panels: UnsafePointer<Float>, cols: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, cols > 0 else { return }
        guard d > 0 else { return scale(c: c, m: m, n: cols, ldc: ldc, by: 0) }
        let packA = UnsafeMutablePointer<Float>.allocate(capacity: mc * d + 16)
        defer { packA.deallocate() }
        var ic = 0
        while ic < m {
            let mcb = min(mc, m - ic)
            packPanelsOfA(a, lda: lda, trans: false, i0: ic, mcb: mcb, rowsLeft: m - ic, k0: 0, kcb: d, into: packA)
            blockTimesPanels(
                packA: packA, mcb: mcb, kcb: d, panels: panels, cols: cols,
                c: c + ic * ldc, ldc: ldc, alpha: 1, overwrite: true)
            ic += mc
        }
    }

    /// One packed A block against `cols` columns of sixteen-wide B panels: 32 columns at a time,
    /// a last 16 with the narrower tile.
    @inline(__always)
    static func blockTimesPanels(
        packA: UnsafePointer<Float>, mcb: Int, kcb: Int, panels: UnsafePointer<Float>,
        cols: Int, c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, overwrite: Bool
    ) {
        let panelStride = 16 * kcb
        var jr = 0
        while jr < cols {
            let width = min(32, cols - jr)
            let b = panels + jr * kcb
            var ir = 0
            while ir < mcb {
                let rows = min(mr, mcb - ir)
                let a = packA + ir * kcb, target = c + ir * ldc + jr
                if width > 16 {
                    kernel14x32(
                        kcb: kcb, a: a, b: b, panelStride: panelStride, c: target, ldc: ldc,
                        rows: rows, cols: width, alpha: alpha, overwrite: overwrite)
                } else {
                    kernel14x16(
                        kcb: kcb, a: a, b: b, panelStride: panelStride, c: target, ldc: ldc,
                        rows: rows, cols: width, alpha: alpha, overwrite: overwrite)
                }
                ir += mr
            }
            jr += 32
        }
    }

    // MARK: - Packing (the AVX2 path's layouts)

    static func scale(c: UnsafeMutablePointer<Float>, m: Int, n: Int, ldc: Int, by beta: Float) {
        if beta == 1 { return }
        for i in 0 ..< m {
            let row = c + i * ldc
            if beta == 0 { row.update(repeating: 0, count: n) } else { for j in 0 ..< n { row[j] *= beta } }
        }
    }

    /// Panels of `mr` rows of op(A), each stored k-major (`mr` values per k), zero-padded.
    /// `rowsLeft` (rows of op(A) from `i0` to its end, ≥ `mcb`) lets the transposes read past the block.
    static func packPanelsOfA(
        _ a: UnsafePointer<Float>, lda: Int, trans: Bool, i0: Int, mcb: Int, rowsLeft: Int,
        k0: Int, kcb: Int, into dst: UnsafeMutablePointer<Float>
    ) {
        var ir = 0
        while ir < mcb {
            let panel = dst + ir * kcb
            let rows = min(mr, mcb - ir)
            if rows < mr { panel.update(repeating: 0, count: mr * kcb) }
            if trans {
                for p in 0 ..< kcb {
                    let src = a + (k0 + p) * lda + i0 + ir
                    for r in 0 ..< rows { panel[p * mr + r] = src[r] }
                }
            } else {
                var p0 = 0
                // 16 rows by 16 k at a time when 16 rows exist (the two past this panel are read but
                // not kept): each k's 14 values are stored as 16 lanes in ascending k, so the 2 extra
                // lanes land where the next k, the next panel or the scalar tail below writes
                // afterwards (or in the 16 spare floats past the block).
                if ir + 16 <= rowsLeft {
                    let src = a + (i0 + ir) * lda + k0
                    while p0 + 16 <= kcb {
                        transpose16(src + p0, ld: lda) { p, column in store16(column, to: panel + (p0 + p) * mr) }
                        p0 += 16
                    }
                }
                for r in 0 ..< rows {
                    let src = a + (i0 + ir + r) * lda + k0
                    for p in p0 ..< kcb { panel[p * mr + r] = src[p] }
                }
            }
            ir += mr
        }
    }

    /// Panels of 16 columns of op(B), each stored k-major, zero-padded to a whole panel.
    static func packPanelsOfB(
        _ b: UnsafePointer<Float>, ldb: Int, trans: Bool, k0: Int, kcb: Int,
        j0: Int, ncb: Int, into dst: UnsafeMutablePointer<Float>
    ) {
        var jr = 0
        while jr < ncb {
            let panel = dst + jr * kcb
            let cols = min(16, ncb - jr)
            if cols < 16 { panel.update(repeating: 0, count: 16 * kcb) }
            if trans {
                var p0 = 0
                if cols == 16 {
                    let src = b + (j0 + jr) * ldb + k0
                    while p0 + 16 <= kcb {
                        transpose16(src + p0, ld: ldb) { p, column in store16(column, to: panel + (p0 + p) * 16) }
                        p0 += 16
                    }
                }
                for j in 0 ..< cols {
                    let src = b + (j0 + jr + j) * ldb + k0
                    for p in p0 ..< kcb { panel[p * 16 + j] = src[p] }
                }
            } else {
                for p in 0 ..< kcb {
                    let src = b + (k0 + p) * ldb + j0 + jr
                    for j in 0 ..< cols { panel[p * 16 + j] = src[j] }
                }
            }
            jr += 16
        }
    }

    // MARK: - Vector loads and stores

    @inline(__always)
    static func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
    }

    @inline(__always)
    static func add16(_ v: SIMD16<Float>, to p: UnsafeMutablePointer<Float>) {
        let raw = UnsafeMutableRawPointer(p)
        raw.storeBytes(of: raw.loadUnaligned(as: SIMD16<Float>.self) + v, as: SIMD16<Float>.self)
    }

    @inline(__always)
    static func store16(_ v: SIMD16<Float>, to p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
    }
}
