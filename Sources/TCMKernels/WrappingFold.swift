/// The similarity → histogram fold into 16-bit counters that may wrap.
///
/// Why: the half-product pass for many classes keeps every class's negative histogram alive for
/// the whole pass (each class meets every other in some tile). At 32 bits that is 746 MB for
/// 9,331 classes; at 16 bits half. A bin that wraps past 65,535 is rare (a class's negatives
/// spread over thousands of bins), so each wrap is recorded as one entry in `spill` and added back
/// as 65,536 when the pass ends: exact counts at half the memory.
extension ThresholdBins {
    /// Adds precomputed bins (`stride` apart: a column of a tile) to one 16-bit histogram, four per
    /// iteration, appending the spill index `base + bin` of every counter that wraps to zero.
    @inlinable @inline(__always)
    public static func addWrapping(
        bins: UnsafePointer<UInt16>, count n: Int, stride: Int = 1,
        into histogram: UnsafeMutablePointer<UInt16>, base: Int, spill: inout [Int]
    ) {
        var p = bins
        var j = 0
        while j + 4 <= n {
            let a = Int(p[0]), b = Int(p[stride]), c = Int(p[2 * stride]), d = Int(p[3 * stride])
            let x = histogram[a] &+ 1
            histogram[a] = x
            let y = histogram[b] &+ 1
            histogram[b] = y
            let z = histogram[c] &+ 1
            histogram[c] = z
            let w = histogram[d] &+ 1
            histogram[d] = w
            if x == 0 || y == 0 || z == 0 || w == 0 {
                // Each increment that gave 0 is one wrap of that counter (repeated bins included:
                // each increment reads what the one before it stored).
                if x == 0 { spill.append(base + a) }
                if y == 0 { spill.append(base + b) }
                if z == 0 { spill.append(base + c) }
                if w == 0 { spill.append(base + d) }
            }
            p += 4 * stride
            j += 4
        }
        while j < n {
            let k = Int(p[0])
            let x = histogram[k] &+ 1
            histogram[k] = x
            if x == 0 { spill.append(base + k) }
            p += stride
            j += 1
        }
    }
}
