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
