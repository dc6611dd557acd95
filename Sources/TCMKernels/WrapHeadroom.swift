import CBins

/// For each 16-bit histogram of the half-product pass, how many more increments cannot wrap any
/// of its counters: while a block's increments fit in that room, they run without the wrap test.
///
/// Why: testing every increment for a wrap was ~6 % of a SOP-sized analyze's CPU time (the same
/// pass timed with the test and without it), and wraps are rare there. A histogram's highest
/// counter bounds all of them, so one vectorised max over its span (only bins in the span are
/// nonzero, `HistogramSpans`) clears the next 65,535 − max increments. A histogram too near a wrap
/// is counted with the test for the next 65,536 increments before its max is read again, so a set
/// whose counters wrap often (10M rows) does not rescan its spans at every block.
///
/// Concurrency: as `HistogramSpans`, histogram c's room is read and written only by the worker
/// that owns the histogram.
public struct WrapHeadroom: @unchecked Sendable {
    /// Increments histogram c can take with no counter wrapping.
    @usableFromInline let room: UnsafeMutablePointer<Int>
    /// Increments still to count with the test before the max is read again.
    @usableFromInline let testedLeft: UnsafeMutablePointer<Int>

    /// `count` histograms, all zero (each has room for 65,535 increments).
    public init(count: Int) {
        room = .allocate(capacity: max(count, 1))
        testedLeft = .allocate(capacity: max(count, 1))
        room.initialize(repeating: Int(UInt16.max), count: max(count, 1))
        testedLeft.initialize(repeating: 0, count: max(count, 1))
    }

    public func deallocate() {
        room.deallocate()
        testedLeft.deallocate()
    }

    /// Adds a `rows` × `columns` block of bins (rows `stride` apart) to histogram c, whose nonzero
    /// bins (these included: `HistogramSpans.prepare` first) all lie in `span`; each counter that
    /// wraps appends `base + bin` to `spill`. `wrapped`: scratch of `ThresholdBins.wrapChunk`.
    @inlinable
    public func add(
        _ c: Int, block bins: UnsafePointer<UInt16>, rows: Int, columns: Int, stride: Int,
        into histogram: UnsafeMutablePointer<UInt16>, span: Range<Int>, base: Int, spill: inout [Int],
        wrapped: UnsafeMutablePointer<UInt32>
    ) {
        let m = rows * columns
        if room[c] >= m || refill(c, adding: m, histogram: histogram, span: span) {
            room[c] -= m
            tcm_add_unchecked_block(bins, rows, columns, stride, histogram)
        } else {
            ThresholdBins.addWrapping(
                block: bins, rows: rows, columns: columns, stride: stride, into: histogram, base: base,
                spill: &spill, wrapped: wrapped)
        }
    }

    /// Reads histogram c's highest counter again, unless it is still being counted with the
    /// test; true when `m` increments now fit.
    @usableFromInline @inline(never)
    func refill(_ c: Int, adding m: Int, histogram: UnsafePointer<UInt16>, span: Range<Int>) -> Bool {
        if testedLeft[c] > 0 {
            testedLeft[c] -= m
            return false
        }
        let highest = ThresholdBins.range(of: histogram + span.lowerBound, count: span.count).highest
        room[c] = Int(UInt16.max) - highest
        if room[c] >= m { return true }
        room[c] = 0
        testedLeft[c] = 1 << 16 - m
        return false
    }
}
