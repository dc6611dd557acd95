import Testing
@testable import TCMKernels
import TCMTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// The spans of written bins that let the half-product pass fault each histogram page in with one
/// write (no zero-page copy) and compact only what it counted: spans grow to the union of what was
/// prepared, prepared bins stay counts (never reset), and pages outside every span stay untouched.
@Suite struct HistogramSpansTests {
    static let page = HistogramSpans.pageBytes / 2  // bins per page

    /// Whether each page of `count` bins at `base` is resident (mincore), one flag per page.
    static func resident(_ base: UnsafeMutablePointer<UInt16>, count: Int) -> [Bool] {
        let pages = (count + page - 1) / page
        var flags = [UInt8](repeating: 0, count: pages)
        let rc = mincore(UnsafeMutableRawPointer(base), count * 2, &flags)
        #expect(rc == 0)
        return flags.map { $0 & 1 == 1 }
    }

    @Test func spansGrowToTheUnionAndKeepCounts() {
        let bins = 20 * Self.page
        let spans = HistogramSpans(count: 3)
        defer { spans.deallocate() }
        let histogram = ZeroPages.allocate(UInt16.self, count: 3 * bins)
        defer { ZeroPages.deallocate(histogram, count: 3 * bins) }
        #expect(spans.span(0) == 0 ..< 0 && spans.span(2) == 0 ..< 0)

        let h1 = histogram + bins
        spans.prepare(1, lowest: 5 * Self.page + 3, highest: 5 * Self.page + 9, histogram: h1)
        for b in (5 * Self.page + 3) ... (5 * Self.page + 9) { h1[b] &+= UInt16(b % 7 + 1) }
        #expect(spans.span(1) == (5 * Self.page + 3) ..< (5 * Self.page + 10))
        // Inside the span: nothing to do, counts untouched.
        spans.prepare(1, lowest: 5 * Self.page + 4, highest: 5 * Self.page + 8, histogram: h1)
        // Either side: the span becomes the union and the counted bins keep their counts.
        spans.prepare(1, lowest: 2 * Self.page, highest: 5 * Self.page + 5, histogram: h1)
        spans.prepare(1, lowest: 5 * Self.page + 6, highest: 9 * Self.page + 1, histogram: h1)
        #expect(spans.span(1) == (2 * Self.page) ..< (9 * Self.page + 2))
        for b in (5 * Self.page + 3) ... (5 * Self.page + 9) { #expect(h1[b] == UInt16(b % 7 + 1)) }
        var total = 0
        for b in 0 ..< bins { total += Int(h1[b]) }
        #expect(total == ((5 * Self.page + 3) ... (5 * Self.page + 9)).reduce(0) { $0 + $1 % 7 + 1 })
        // Other histograms' spans are their own.
        #expect(spans.span(0) == 0 ..< 0 && spans.span(2) == 0 ..< 0)
    }

    @Test func onlyThePagesOfASpanBecomeResident() {
        let bins = 32 * Self.page
        let spans = HistogramSpans(count: 1)
        defer { spans.deallocate() }
        let histogram = ZeroPages.allocate(UInt16.self, count: bins)
        defer { ZeroPages.deallocate(histogram, count: bins) }
        #expect(Self.resident(histogram, count: bins).allSatisfy { !$0 })
        // Bins from the middle of page 10 to the start of page 13: pages 10 to 13.
        spans.prepare(0, lowest: 10 * Self.page + Self.page / 2, highest: 13 * Self.page, histogram: histogram)
        let flags = Self.resident(histogram, count: bins)
        #expect(flags.indices.filter { flags[$0] } == [10, 11, 12, 13])
        // Growing downwards by one bin makes page 9 resident and nothing else.
        spans.prepare(0, lowest: 10 * Self.page - 1, highest: 10 * Self.page, histogram: histogram)
        let grown = Self.resident(histogram, count: bins)
        #expect(grown.indices.filter { grown[$0] } == [9, 10, 11, 12, 13])
    }

    @Test func binRangeIsTheBruteForceMinimumAndMaximum() {
        var rng = SplitMix64(state: 21)
        for (rows, count, stride) in [(1, 1, 0), (1, 17, 0), (3, 5, 9), (4, 33, 40), (7, 1, 2)] {
            let values = (0 ..< max(1, (rows - 1) * stride + count)).map { _ in
                UInt16(truncatingIfNeeded: rng.next() % 20_001)
            }
            var used: [UInt16] = []
            for r in 0 ..< rows { used += values[(r * stride) ..< (r * stride + count)] }
            let range = values.withUnsafeBufferPointer {
                ThresholdBins.range(of: $0.baseAddress!, count: count, rows: rows, stride: stride)
            }
            #expect(range.lowest == Int(used.min()!) && range.highest == Int(used.max()!))
        }
    }
}
