// swift-format-ignore-file
// (Register tables: one accumulator pair per line reads better aligned than wrapped.)

// The register tiles of the AVX-512 path: 14 rows × 32 columns is 28 sixteen-wide accumulators plus
// two B vectors (the A value is a broadcast folded into each FMA), within the 32 zmm registers.
// Each accumulator sums k in order with FMA from zero, exactly as the AVX2 6×16 tile does, so
// both paths give bitwise-identical products.

extension AVX512Kernels {
    static let mr = 14

    /// C[rows×cols] (+)= alpha · (14×kcb panel) · (kcb×32: 2 sixteen-wide panels, `panelStride` apart).
    @inline(__always)
    static func kernel14x32(kcb: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, panelStride: Int,
                             c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int, alpha: Float, overwrite: Bool) {
        var c0_0 = SIMD16<Float>(); var c0_1 = SIMD16<Float>()
        var c1_0 = SIMD16<Float>(); var c1_1 = SIMD16<Float>()
        var c2_0 = SIMD16<Float>(); var c2_1 = SIMD16<Float>()
        var c3_0 = SIMD16<Float>(); var c3_1 = SIMD16<Float>()
        var c4_0 = SIMD16<Float>(); var c4_1 = SIMD16<Float>()
        var c5_0 = SIMD16<Float>(); var c5_1 = SIMD16<Float>()
        var c6_0 = SIMD16<Float>(); var c6_1 = SIMD16<Float>()
        var c7_0 = SIMD16<Float>(); var c7_1 = SIMD16<Float>()
        var c8_0 = SIMD16<Float>(); var c8_1 = SIMD16<Float>()
        var c9_0 = SIMD16<Float>(); var c9_1 = SIMD16<Float>()
        var c10_0 = SIMD16<Float>(); var c10_1 = SIMD16<Float>()
        var c11_0 = SIMD16<Float>(); var c11_1 = SIMD16<Float>()
        var c12_0 = SIMD16<Float>(); var c12_1 = SIMD16<Float>()
        var c13_0 = SIMD16<Float>(); var c13_1 = SIMD16<Float>()
        var pa = a, pb = b
        for _ in 0 ..< kcb {
            let b0 = load16(pb), b1 = load16(pb + panelStride)
            let x0 = SIMD16<Float>(repeating: pa[0])
            c0_0 = c0_0.addingProduct(x0, b0); c0_1 = c0_1.addingProduct(x0, b1)
            let x1 = SIMD16<Float>(repeating: pa[1])
            c1_0 = c1_0.addingProduct(x1, b0); c1_1 = c1_1.addingProduct(x1, b1)
            let x2 = SIMD16<Float>(repeating: pa[2])
            c2_0 = c2_0.addingProduct(x2, b0); c2_1 = c2_1.addingProduct(x2, b1)
            let x3 = SIMD16<Float>(repeating: pa[3])
            c3_0 = c3_0.addingProduct(x3, b0); c3_1 = c3_1.addingProduct(x3, b1)
            let x4 = SIMD16<Float>(repeating: pa[4])
            c4_0 = c4_0.addingProduct(x4, b0); c4_1 = c4_1.addingProduct(x4, b1)
            let x5 = SIMD16<Float>(repeating: pa[5])
            c5_0 = c5_0.addingProduct(x5, b0); c5_1 = c5_1.addingProduct(x5, b1)
            let x6 = SIMD16<Float>(repeating: pa[6])
            c6_0 = c6_0.addingProduct(x6, b0); c6_1 = c6_1.addingProduct(x6, b1)
            let x7 = SIMD16<Float>(repeating: pa[7])
            c7_0 = c7_0.addingProduct(x7, b0); c7_1 = c7_1.addingProduct(x7, b1)
            let x8 = SIMD16<Float>(repeating: pa[8])
            c8_0 = c8_0.addingProduct(x8, b0); c8_1 = c8_1.addingProduct(x8, b1)
            let x9 = SIMD16<Float>(repeating: pa[9])
            c9_0 = c9_0.addingProduct(x9, b0); c9_1 = c9_1.addingProduct(x9, b1)
            let x10 = SIMD16<Float>(repeating: pa[10])
            c10_0 = c10_0.addingProduct(x10, b0); c10_1 = c10_1.addingProduct(x10, b1)
            let x11 = SIMD16<Float>(repeating: pa[11])
            c11_0 = c11_0.addingProduct(x11, b0); c11_1 = c11_1.addingProduct(x11, b1)
            let x12 = SIMD16<Float>(repeating: pa[12])
            c12_0 = c12_0.addingProduct(x12, b0); c12_1 = c12_1.addingProduct(x12, b1)
            let x13 = SIMD16<Float>(repeating: pa[13])
            c13_0 = c13_0.addingProduct(x13, b0); c13_1 = c13_1.addingProduct(x13, b1)
            pa += 14
            pb += 16
        }
        let s = SIMD16<Float>(repeating: alpha)
        if rows == 14 && cols == 32 {
            if overwrite {
                store16(c0_0 * s, to: c + 0 * ldc + 0); store16(c0_1 * s, to: c + 0 * ldc + 16)
                store16(c1_0 * s, to: c + 1 * ldc + 0); store16(c1_1 * s, to: c + 1 * ldc + 16)
                store16(c2_0 * s, to: c + 2 * ldc + 0); store16(c2_1 * s, to: c + 2 * ldc + 16)
                store16(c3_0 * s, to: c + 3 * ldc + 0); store16(c3_1 * s, to: c + 3 * ldc + 16)
                store16(c4_0 * s, to: c + 4 * ldc + 0); store16(c4_1 * s, to: c + 4 * ldc + 16)
                store16(c5_0 * s, to: c + 5 * ldc + 0); store16(c5_1 * s, to: c + 5 * ldc + 16)
                store16(c6_0 * s, to: c + 6 * ldc + 0); store16(c6_1 * s, to: c + 6 * ldc + 16)
                store16(c7_0 * s, to: c + 7 * ldc + 0); store16(c7_1 * s, to: c + 7 * ldc + 16)
                store16(c8_0 * s, to: c + 8 * ldc + 0); store16(c8_1 * s, to: c + 8 * ldc + 16)
                store16(c9_0 * s, to: c + 9 * ldc + 0); store16(c9_1 * s, to: c + 9 * ldc + 16)
                store16(c10_0 * s, to: c + 10 * ldc + 0); store16(c10_1 * s, to: c + 10 * ldc + 16)
                store16(c11_0 * s, to: c + 11 * ldc + 0); store16(c11_1 * s, to: c + 11 * ldc + 16)
                store16(c12_0 * s, to: c + 12 * ldc + 0); store16(c12_1 * s, to: c + 12 * ldc + 16)
                store16(c13_0 * s, to: c + 13 * ldc + 0); store16(c13_1 * s, to: c + 13 * ldc + 16)
            } else {
                add16(c0_0 * s, to: c + 0 * ldc + 0); add16(c0_1 * s, to: c + 0 * ldc + 16)
                add16(c1_0 * s, to: c + 1 * ldc + 0); add16(c1_1 * s, to: c + 1 * ldc + 16)
                add16(c2_0 * s, to: c + 2 * ldc + 0); add16(c2_1 * s, to: c + 2 * ldc + 16)
                add16(c3_0 * s, to: c + 3 * ldc + 0); add16(c3_1 * s, to: c + 3 * ldc + 16)
                add16(c4_0 * s, to: c + 4 * ldc + 0); add16(c4_1 * s, to: c + 4 * ldc + 16)
                add16(c5_0 * s, to: c + 5 * ldc + 0); add16(c5_1 * s, to: c + 5 * ldc + 16)
                add16(c6_0 * s, to: c + 6 * ldc + 0); add16(c6_1 * s, to: c + 6 * ldc + 16)
                add16(c7_0 * s, to: c + 7 * ldc + 0); add16(c7_1 * s, to: c + 7 * ldc + 16)
                add16(c8_0 * s, to: c + 8 * ldc + 0); add16(c8_1 * s, to: c + 8 * ldc + 16)
                add16(c9_0 * s, to: c + 9 * ldc + 0); add16(c9_1 * s, to: c + 9 * ldc + 16)
                add16(c10_0 * s, to: c + 10 * ldc + 0); add16(c10_1 * s, to: c + 10 * ldc + 16)
                add16(c11_0 * s, to: c + 11 * ldc + 0); add16(c11_1 * s, to: c + 11 * ldc + 16)
                add16(c12_0 * s, to: c + 12 * ldc + 0); add16(c12_1 * s, to: c + 12 * ldc + 16)
                add16(c13_0 * s, to: c + 13 * ldc + 0); add16(c13_1 * s, to: c + 13 * ldc + 16)
            }
            return
        }
        // Edge tile: spill to the stack, write only the valid part.
        withUnsafeTemporaryAllocation(of: SIMD16<Float>.self, capacity: 28) { tile in
            tile[0] = c0_0 * s; tile[1] = c0_1 * s
            tile[2] = c1_0 * s; tile[3] = c1_1 * s
            tile[4] = c2_0 * s; tile[5] = c2_1 * s
            tile[6] = c3_0 * s; tile[7] = c3_1 * s
            tile[8] = c4_0 * s; tile[9] = c4_1 * s
            tile[10] = c5_0 * s; tile[11] = c5_1 * s
            tile[12] = c6_0 * s; tile[13] = c6_1 * s
            tile[14] = c7_0 * s; tile[15] = c7_1 * s
            tile[16] = c8_0 * s; tile[17] = c8_1 * s
            tile[18] = c9_0 * s; tile[19] = c9_1 * s
            tile[20] = c10_0 * s; tile[21] = c10_1 * s
            tile[22] = c11_0 * s; tile[23] = c11_1 * s
            tile[24] = c12_0 * s; tile[25] = c12_1 * s
            tile[26] = c13_0 * s; tile[27] = c13_1 * s
            let flat = UnsafeRawPointer(tile.baseAddress!).assumingMemoryBound(to: Float.self)
            for r in 0 ..< rows {
                let source = flat + r * 32, row = c + r * ldc
                if overwrite {
                    for j in 0 ..< cols { row[j] = source[j] }
                } else {
                    for j in 0 ..< cols { row[j] += source[j] }
                }
            }
        }
    }

    /// C[rows×cols] (+)= alpha · (14×kcb panel) · (kcb×16: 1 sixteen-wide panel, `panelStride` apart).
    @inline(__always)
    static func kernel14x16(kcb: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, panelStride: Int,
                             c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int, alpha: Float, overwrite: Bool) {
        var c0_0 = SIMD16<Float>()
        var c1_0 = SIMD16<Float>()
        var c2_0 = SIMD16<Float>()
        var c3_0 = SIMD16<Float>()
        var c4_0 = SIMD16<Float>()
        var c5_0 = SIMD16<Float>()
        var c6_0 = SIMD16<Float>()
        var c7_0 = SIMD16<Float>()
        var c8_0 = SIMD16<Float>()
        var c9_0 = SIMD16<Float>()
        var c10_0 = SIMD16<Float>()
        var c11_0 = SIMD16<Float>()
        var c12_0 = SIMD16<Float>()
        var c13_0 = SIMD16<Float>()
        var pa = a, pb = b
        for _ in 0 ..< kcb {
            let b0 = load16(pb)
            let x0 = SIMD16<Float>(repeating: pa[0])
            c0_0 = c0_0.addingProduct(x0, b0)
            let x1 = SIMD16<Float>(repeating: pa[1])
            c1_0 = c1_0.addingProduct(x1, b0)
            let x2 = SIMD16<Float>(repeating: pa[2])
            c2_0 = c2_0.addingProduct(x2, b0)
            let x3 = SIMD16<Float>(repeating: pa[3])
            c3_0 = c3_0.addingProduct(x3, b0)
            let x4 = SIMD16<Float>(repeating: pa[4])
            c4_0 = c4_0.addingProduct(x4, b0)
            let x5 = SIMD16<Float>(repeating: pa[5])
            c5_0 = c5_0.addingProduct(x5, b0)
            let x6 = SIMD16<Float>(repeating: pa[6])
            c6_0 = c6_0.addingProduct(x6, b0)
            let x7 = SIMD16<Float>(repeating: pa[7])
            c7_0 = c7_0.addingProduct(x7, b0)
            let x8 = SIMD16<Float>(repeating: pa[8])
            c8_0 = c8_0.addingProduct(x8, b0)
            let x9 = SIMD16<Float>(repeating: pa[9])
            c9_0 = c9_0.addingProduct(x9, b0)
            let x10 = SIMD16<Float>(repeating: pa[10])
            c10_0 = c10_0.addingProduct(x10, b0)
            let x11 = SIMD16<Float>(repeating: pa[11])
            c11_0 = c11_0.addingProduct(x11, b0)
            let x12 = SIMD16<Float>(repeating: pa[12])
            c12_0 = c12_0.addingProduct(x12, b0)
            let x13 = SIMD16<Float>(repeating: pa[13])
            c13_0 = c13_0.addingProduct(x13, b0)
            pa += 14
            pb += 16
        }
        let s = SIMD16<Float>(repeating: alpha)
        if rows == 14 && cols == 16 {
            if overwrite {
                store16(c0_0 * s, to: c + 0 * ldc + 0)
                store16(c1_0 * s, to: c + 1 * ldc + 0)
                store16(c2_0 * s, to: c + 2 * ldc + 0)
                store16(c3_0 * s, to: c + 3 * ldc + 0)
                store16(c4_0 * s, to: c + 4 * ldc + 0)
                store16(c5_0 * s, to: c + 5 * ldc + 0)
                store16(c6_0 * s, to: c + 6 * ldc + 0)
                store16(c7_0 * s, to: c + 7 * ldc + 0)
                store16(c8_0 * s, to: c + 8 * ldc + 0)
                store16(c9_0 * s, to: c + 9 * ldc + 0)
                store16(c10_0 * s, to: c + 10 * ldc + 0)
                store16(c11_0 * s, to: c + 11 * ldc + 0)
                store16(c12_0 * s, to: c + 12 * ldc + 0)
                store16(c13_0 * s, to: c + 13 * ldc + 0)
            } else {
                add16(c0_0 * s, to: c + 0 * ldc + 0)
                add16(c1_0 * s, to: c + 1 * ldc + 0)
                add16(c2_0 * s, to: c + 2 * ldc + 0)
                add16(c3_0 * s, to: c + 3 * ldc + 0)
                add16(c4_0 * s, to: c + 4 * ldc + 0)
                add16(c5_0 * s, to: c + 5 * ldc + 0)
                add16(c6_0 * s, to: c + 6 * ldc + 0)
                add16(c7_0 * s, to: c + 7 * ldc + 0)
                add16(c8_0 * s, to: c + 8 * ldc + 0)
                add16(c9_0 * s, to: c + 9 * ldc + 0)
                add16(c10_0 * s, to: c + 10 * ldc + 0)
                add16(c11_0 * s, to: c + 11 * ldc + 0)
                add16(c12_0 * s, to: c + 12 * ldc + 0)
                add16(c13_0 * s, to: c + 13 * ldc + 0)
            }
            return
        }
        // Edge tile: spill to the stack, write only the valid part.
        withUnsafeTemporaryAllocation(of: SIMD16<Float>.self, capacity: 14) { tile in
            tile[0] = c0_0 * s
            tile[1] = c1_0 * s
            tile[2] = c2_0 * s
            tile[3] = c3_0 * s
            tile[4] = c4_0 * s
            tile[5] = c5_0 * s
            tile[6] = c6_0 * s
            tile[7] = c7_0 * s
            tile[8] = c8_0 * s
            tile[9] = c9_0 * s
            tile[10] = c10_0 * s
            tile[11] = c11_0 * s
            tile[12] = c12_0 * s
            tile[13] = c13_0 * s
            let flat = UnsafeRawPointer(tile.baseAddress!).assumingMemoryBound(to: Float.self)
            for r in 0 ..< rows {
                let source = flat + r * 16, row = c + r * ldc
                if overwrite {
                    for j in 0 ..< cols { row[j] = source[j] }
                } else {
                    for j in 0 ..< cols { row[j] += source[j] }
                }
            }
        }
    }
}
