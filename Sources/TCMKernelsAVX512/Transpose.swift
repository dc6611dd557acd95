// Packing transposes: the operands stored with k contiguous (A as given, B transposed) must be
// packed k-major, which is a transposition. Element by element that cost about as much as the
// multiply on the 256×784·784×256 shape; 16×16 blocks through registers (4 rounds of even/odd
// deinterleaves, each a vpermt2ps) move 256 values with 32 loads/stores and 64 permutes.

extension AVX512Kernels {
    /// The 16 rows × 16 values at `src` (row stride `ld`) transposed: `out(p)` receives the 16
    /// values of column p, for p = 0 ..< 16 in ascending order.
    @inline(__always)
    static func transpose16(_ src: UnsafePointer<Float>, ld: Int, _ out: (Int, SIMD16<Float>) -> Void) {
        var r0 = load16(src), r1 = load16(src + ld), r2 = load16(src + 2 * ld), r3 = load16(src + 3 * ld)
        var r4 = load16(src + 4 * ld), r5 = load16(src + 5 * ld), r6 = load16(src + 6 * ld), r7 = load16(src + 7 * ld)
        var r8 = load16(src + 8 * ld), r9 = load16(src + 9 * ld), r10 = load16(src + 10 * ld),
            r11 = load16(src + 11 * ld)
        var r12 = load16(src + 12 * ld), r13 = load16(src + 13 * ld), r14 = load16(src + 14 * ld),
            r15 = load16(src + 15 * ld)
        // Each round moves element (row, column) to (c0 r3 r2 r1, r0 c3 c2 c1): a rotation of the
        // 8-bit index by one; four rounds swap row and column.
        for _ in 0 ..< 4 {
            (r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11, r12, r13, r14, r15) =
                (
                    even(r0, r1), even(r2, r3), even(r4, r5), even(r6, r7),
                    even(r8, r9), even(r10, r11), even(r12, r13), even(r14, r15),
                    odd(r0, r1), odd(r2, r3), odd(r4, r5), odd(r6, r7),
                    odd(r8, r9), odd(r10, r11), odd(r12, r13), odd(r14, r15)
                )
        }
        out(0, r0)
        out(1, r1)
        out(2, r2)
        out(3, r3)
        out(4, r4)
        out(5, r5)
        out(6, r6)
        out(7, r7)
        out(8, r8)
        out(9, r9)
        out(10, r10)
        out(11, r11)
        out(12, r12)
        out(13, r13)
        out(14, r14)
        out(15, r15)
    }

    @inline(__always)
    static func even(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> {
        SIMD32(lowHalf: a, highHalf: b).evenHalf
    }

    @inline(__always)
    static func odd(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> { SIMD32(lowHalf: a, highHalf: b).oddHalf }
}
