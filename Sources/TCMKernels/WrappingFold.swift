/// The similarity → histogram fold into 16-bit counters that may wrap.
///
/// Why: the half-product pass for many classes keeps every class's negative histogram alive for
/// the whole pass (each class meets every other in some tile). At 32 bits that is 746 MB for
/// 9,331 classes; at 16 bits half. A bin that wraps past 65,535 is rare (a class's negatives
/// spread over thousands of bins), so each wrap is recorded as one entry in `spill` and added back
/// as 65,536 when the pass ends: exact counts at half the memory.
extension ThresholdBins {
    /// Adds each similarity's bin to two 16-bit histograms (`first` at spill index `firstBase + bin`,
    /// `second` at `secondBase + bin`), appending the index of every counter that wrapped to zero.
    @inlinable
    public func accumulateWrapping(_ values: UnsafePointer<Float>, count n: Int,
                                   into first: UnsafeMutablePointer<UInt16>, firstBase: Int,
                                   and second: UnsafeMutablePointer<UInt16>, secondBase: Int,
                                   spill: inout [Int]) {
        let scale = Float(binsPerUnit), top = count - 1
        for j in 0 ..< n {
            let k = min(max(Int((values[j] + 1) * scale), 0), top)
            let x = first[k] &+ 1, y = second[k] &+ 1
            first[k] = x
            second[k] = y
            if x == 0 || y == 0 {
                if x == 0 { spill.append(firstBase + k) }
                if y == 0 { spill.append(secondBase + k) }
            }
        }
    }
}

extension ThresholdBins {
    /// Adds each similarity's bin to one 16-bit histogram (spill index `base + bin` on a wrap).
    /// Values `stride` apart (a column of a tile); four per iteration, as in `accumulate`, so
    /// increments do not wait on each other.
    @inlinable @inline(__always)
    public func accumulateWrapping(_ values: UnsafePointer<Float>, count n: Int, stride: Int = 1,
                                   into histogram: UnsafeMutablePointer<UInt16>, base: Int, spill: inout [Int]) {
        let scale = Float(binsPerUnit), top = count - 1
        @inline(__always) func add(_ s: Float, _ spill: inout [Int]) {
            let k = min(max(Int((s + 1) * scale), 0), top)
            let x = histogram[k] &+ 1
            histogram[k] = x
            if x == 0 { spill.append(base + k) }
        }
        var j = 0, p = values
        while j + 4 <= n {
            add(p[0], &spill); add(p[stride], &spill); add(p[2 * stride], &spill); add(p[3 * stride], &spill)
            p += 4 * stride
            j += 4
        }
        while j < n { add(p[0], &spill); p += stride; j += 1 }
    }
}

import CBins

extension ThresholdBins {
    /// The bin of each of `n` similarities into `out` (vectorised in C; the same bins as `accumulate`).
    @inlinable
    public func bins(of values: UnsafePointer<Float>, count n: Int, into out: UnsafeMutablePointer<UInt16>) {
        tcm_threshold_bins(values, n, Float(binsPerUnit), Int32(count - 1), out)
    }

    /// Adds precomputed bins (`stride` apart) to one 16-bit histogram, recording wraps as
    /// `accumulateWrapping` does.
    @inlinable @inline(__always)
    public static func addWrapping(bins: UnsafePointer<UInt16>, count n: Int, stride: Int = 1,
                                   into histogram: UnsafeMutablePointer<UInt16>, base: Int, spill: inout [Int]) {
        var p = bins
        var j = 0
        while j + 4 <= n {
            let a = Int(p[0]), b = Int(p[stride]), c = Int(p[2 * stride]), d = Int(p[3 * stride])
            let x = histogram[a] &+ 1; histogram[a] = x
            let y = histogram[b] &+ 1; histogram[b] = y
            let z = histogram[c] &+ 1; histogram[c] = z
            let w = histogram[d] &+ 1; histogram[d] = w
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
