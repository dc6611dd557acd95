import CBins

/// The similarity → histogram fold into 16-bit counters that may wrap.
///
/// Why: the half-product pass for many classes keeps every class's negative histogram alive for
/// the whole pass (each class meets every other in some tile). At 32 bits that is 746 MB for
/// 9,331 classes; at 16 bits half. A bin that wraps past 65,535 is rare (a class's negatives
/// spread over thousands of bins), so each wrap is recorded as one entry in `spill` and added back
/// as 65,536 when the pass ends: exact counts at half the memory. Where no counter can wrap,
/// `WrapHeadroom` skips the test.
extension ThresholdBins {
    /// Increments per C call, and so the capacity of the `wrapped` scratch the caller passes.
    public static let wrapChunk = 1024

    /// Adds a `rows` × `columns` block of precomputed bins (rows `stride` apart) to one 16-bit
    /// histogram, a row at a time, appending the spill index `base + bin` of every counter that
    /// wraps to zero. Short rows go several to a C call, a row longer than `wrapChunk` in pieces.
    @inlinable
    public static func addWrapping(
        block bins: UnsafePointer<UInt16>, rows: Int, columns: Int, stride: Int,
        into histogram: UnsafeMutablePointer<UInt16>, base: Int, spill: inout [Int],
        wrapped: UnsafeMutablePointer<UInt32>
    ) {
        guard columns > 0 else { return }
        let rowsPerCall = max(1, wrapChunk / columns), columnsPerCall = min(columns, wrapChunk)
        var r = 0
        while r < rows {
            let m = min(rowsPerCall, rows - r)
            var j = 0
            while j < columns {
                let n = min(columnsPerCall, columns - j)
                let w = tcm_add_wrapping_block(bins + r * stride + j, m, n, stride, histogram, wrapped)
                for i in 0 ..< w { spill.append(base + Int(wrapped[i])) }
                j += n
            }
            r += m
        }
    }
}
