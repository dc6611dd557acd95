import CBins
import TCMKernelsAVX512

/// A row-major matrix X (n×d) packed once as the right-hand operand of `A · Xᵀ`: panels of 16
/// rows of X, each stored dimension-major, zero-padded to a whole panel.
///
/// Why: the pair passes multiply many small row blocks by the same X. Packing X once, instead of
/// in every `sgemm` call, removed a copy that cost a quarter of the pass (measured: 96-row blocks).
/// The layout is the same for every KernelPath (the AVX-512 tile reads two adjacent panels).
public struct PackedRows: @unchecked Sendable {
    /// `multiply`'s first column must be a multiple of this (a panel boundary), on every path.
    public static let columnAlignment = GEMM.nr

    public let rows: Int
    public let dimension: Int
    let storage: UnsafeMutablePointer<Float>
    private let owner: Deallocator

    final class Deallocator: @unchecked Sendable {
        let pointer: UnsafeMutablePointer<Float>
        let count: Int
        init(_ p: UnsafeMutablePointer<Float>, count: Int) {
            pointer = p
            self.count = count
        }
        deinit { ZeroPages.deallocate(pointer, count: count) }
    }

    public init(_ x: Matrix) {
        rows = x.rows
        dimension = x.cols
        let panels = (x.rows + GEMM.nr - 1) / GEMM.nr
        // Zero pages (the padding of the last panel must read 0), written through, on 2 MiB pages:
        // no up-front memset, and a fault per 2 MiB instead of per 4 KiB. A shard of SOP packs the
        // whole 124 MB operand: 79k → 53k faults, 1.80 → 1.75 CPU-s (Benchmarks/README.md).
        let count = max(1, panels * GEMM.nr * x.cols)
        storage = ZeroPages.allocate(Float.self, count: count, hugePages: true)
        owner = Deallocator(storage, count: count)
        let d = x.cols
        x.values.withUnsafeBufferPointer { v in
            for i in 0 ..< x.rows {
                let panel = storage + (i / GEMM.nr) * GEMM.nr * d
                let lane = i % GEMM.nr
                for p in 0 ..< d { panel[p * GEMM.nr + lane] = v[i * d + p] }
            }
        }
    }

    /// `rows × dimension` rows, all zero, of which only those written with `setRow` become
    /// resident (zero pages, 2 MiB where the kernel allows): a shard packs only the rows of its
    /// tiles' classes, at their places among all the rows, so the pass indexes rows as one
    /// process does while the shard's memory follows its own rows.
    public init(rows: Int, dimension: Int) {
        self.rows = rows
        self.dimension = dimension
        let count = max(1, (rows + GEMM.nr - 1) / GEMM.nr * GEMM.nr * dimension)
        storage = ZeroPages.allocate(Float.self, count: count, hugePages: true)
        owner = Deallocator(storage, count: count)
    }

    /// Packs `values` (`dimension` floats) as row `i`, where `init(_:)` would put it. Not
    /// concurrently with other calls on the same panel of 16 rows.
    public func setRow(_ i: Int, _ values: UnsafePointer<Float>) {
        let d = dimension
        let panel = storage + (i / GEMM.nr) * GEMM.nr * d
        let lane = i % GEMM.nr
        for p in 0 ..< d { panel[p * GEMM.nr + lane] = values[p] }
    }

    /// Rows `first ..< first + count`, row-major, into `out` (`count × dimension`): the same
    /// floats `init(_:)` packed, for a left operand when the packed copy is the only one held.
    public func copyRows(_ first: Int, count: Int, into out: UnsafeMutablePointer<Float>) {
        let d = dimension
        for i in first ..< first + count {
            let panel = storage + (i / GEMM.nr) * GEMM.nr * d
            let lane = i % GEMM.nr
            let row = out + (i - first) * d
            for p in 0 ..< d { row[p] = panel[p * GEMM.nr + lane] }
        }
    }

    /// `C[m × cols] = A[m × d] · X[c0 ..< c0 + cols]ᵀ`, with `c0` a multiple of `columnAlignment`.
    public func multiply(
        a: UnsafePointer<Float>, m: Int, lda: Int, columns c0: Int, count cols: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int, path: KernelPath = .current
    ) {
        precondition(c0 % Self.columnAlignment == 0 && c0 + cols <= rows)
        let d = dimension
        if path == .avx512 {
            return AVX512Kernels.multiplyPacked(
                a: a, m: m, lda: lda, d: d, panels: storage + c0 * d, cols: cols,
                c: c, ldc: ldc)
        }
        let packA = UnsafeMutablePointer<Float>.allocate(capacity: GEMM.mc * d)
        defer { packA.deallocate() }
        var ic = 0
        while ic < m {
            let mcb = min(GEMM.mc, m - ic)
            packLeftPanels(a + ic * lda, lda: lda, rows: mcb, dimension: d, into: packA)
            multiplyPanels(packA, rows: mcb, columns: c0, count: cols, c: c + ic * ldc, ldc: ldc)
            ic += GEMM.mc
        }
    }

    /// `C[m × cols] = A · X[c0 ..< c0 + cols]ᵀ` for a left operand packed once (`LeftOperand`).
    public func multiply(
        _ left: LeftOperand, columns c0: Int, count cols: Int, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard let packed = left.packed else {
            return multiply(
                a: left.a, m: left.rows, lda: left.lda, columns: c0, count: cols, c: c, ldc: ldc, path: left.path)
        }
        precondition(c0 % Self.columnAlignment == 0 && c0 + cols <= rows)
        var ic = 0
        while ic < left.rows {
            let mcb = min(GEMM.mc, left.rows - ic)
            multiplyPanels(packed + ic * dimension, rows: mcb, columns: c0, count: cols, c: c + ic * ldc, ldc: ldc)
            ic += GEMM.mc
        }
    }

    /// The micro-kernel over `m` rows of packed A panels (`GEMM.mr` rows each) and `cols` columns.
    private func multiplyPanels(
        _ packA: UnsafePointer<Float>, rows m: Int, columns c0: Int, count cols: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let d = dimension
        var jr = 0
        while jr < cols {
            let width = min(GEMM.nr, cols - jr)
            var ir = 0
            while ir < m {
                let height = min(GEMM.mr, m - ir)
                GEMM.microKernel(
                    kcb: d, a: packA + ir * d, b: storage + (c0 + jr) * d,
                    c: c + ir * ldc + jr, ldc: ldc, rows: height, cols: width, alpha: 1, overwrite: true)
                ir += GEMM.mr
            }
            jr += GEMM.nr
        }
    }
}

/// A block of rows as `PackedRows.multiply`'s left operand, packed once (the micro-kernel's
/// panels of `GEMM.mr` rows) for every column block it meets.
///
/// Why: the half-product pass multiplies each row block by each column block of its tile, and
/// `multiply(a:…)` packs the rows again at every call: 4.8 % of a SOP-sized analyze (perf). The
/// AVX-512 path keeps its own packing (its tile is another shape), so there `pack` only keeps `a`.
public struct LeftOperand {
    let packed: UnsafeMutablePointer<Float>?
    let capacity: Int, dimension: Int, path: KernelPath
    public private(set) var a: UnsafePointer<Float>
    public private(set) var rows = 0, lda = 0

    /// Room for `maxRows` rows of `dimension` floats; free it with `deallocate()`.
    public init(maxRows: Int, dimension d: Int, path: KernelPath = .current) {
        self.path = path
        dimension = d
        capacity = (maxRows + GEMM.mr - 1) / GEMM.mr * GEMM.mr
        packed = path == .avx512 ? nil : .allocate(capacity: max(1, capacity * d))
        a = UnsafePointer(bitPattern: MemoryLayout<Float>.alignment)!
    }

    public func deallocate() { packed?.deallocate() }

    /// Rows `a[0 ..< m]` (`lda` apart, `dimension` floats each), m ≤ maxRows.
    public mutating func pack(_ a: UnsafePointer<Float>, rows m: Int, lda: Int) {
        precondition(m <= capacity)
        self.a = a
        rows = m
        self.lda = lda
        if let packed { packLeftPanels(a, lda: lda, rows: m, dimension: dimension, into: packed) }
    }
}

/// Rows `a[0 ..< m]` as the micro-kernel's left panels (`GEMM.packPanelsOfA`'s layout, without
/// transposition or k blocking), in C: 0.19 ns a float against 0.73 for the Swift loop.
private func packLeftPanels(
    _ a: UnsafePointer<Float>, lda: Int, rows m: Int, dimension d: Int, into dst: UnsafeMutablePointer<Float>
) {
    precondition(GEMM.mr == 6, "tcm_pack_six_row_panels packs the 6-row panels of GEMM.mr")
    tcm_pack_six_row_panels(a, lda, m, d, dst)
}
