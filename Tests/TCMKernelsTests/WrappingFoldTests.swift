import Testing
@testable import TCMKernels

/// The half-product pass's fold into 16-bit counters that wrap, against exact 64-bit counts:
/// every increment lands and each wrap is one spill entry, whether a block runs with the wrap
/// test (`ThresholdBins.addWrapping`) or without it (`WrapHeadroom` clears it).
@Suite struct WrappingFoldTests {
    /// Blocks of every shape the pass folds (one row; narrow blocks of 1–7 columns, whose rows
    /// are read 8 bins at a time; wide blocks; rows longer than one C call) from bins in a narrow
    /// band (counters wrap many times, so the headroom runs out and the test takes over) or a
    /// wide one (low counters: the test is skipped), into three histograms.
    @Test func everyIncrementAndEachWrapIsCounted() {
        let nb = 301, classes = 3
        let fold = Fold(histograms: classes, bins: nb)
        var exact = [Int](repeating: 0, count: classes * nb)
        var rng = SplitMix64(state: 35)
        var tested = 0, skipped = 0
        let shapes = [(1, 1000), (1, 37), (200, 3), (150, 7), (96, 1), (64, 8), (100, 40), (1, 2500), (3, 1500)]
        for step in 0 ..< 4000 {
            let c = step % classes, (rows, columns) = shapes[rng.below(shapes.count)]
            let stride = rows == 1 ? 0 : columns + rng.below(5)
            let narrow = rng.below(3) > 0
            let lowest = narrow ? 140 + rng.below(2) : rng.below(100), width = narrow ? 2 : 200
            var bins = [UInt16](repeating: 0, count: (rows - 1) * stride + columns + 8)
            for r in 0 ..< rows {
                for j in 0 ..< columns {
                    let k = lowest + rng.below(width)
                    bins[r * stride + j] = UInt16(k)
                    exact[c * nb + k] += 1
                }
            }
            // Bins beyond a narrow row are read, never counted: make them count if they were.
            for i in bins.indices where i % max(stride, 1) >= columns || i >= (rows - 1) * stride + columns {
                bins[i] = UInt16(nb - 1)
            }
            fold.add(c, bins, rows: rows, columns: columns, stride: stride, lowest: lowest, highest: lowest + width - 1)
            // Room left after a block: it ran without the test. None: with it.
            if fold.headroom.room[c] > 0 { skipped += 1 } else { tested += 1 }
            if step % 1000 == 999 { fold.expectCounts(exact) }
        }
        fold.expectCounts(exact)
        #expect(fold.spill.count > 60, "the counters wrapped \(fold.spill.count) times")
        #expect(tested > 100 && skipped > 100, "tested \(tested), skipped \(skipped)")
    }

    /// A counter driven to exactly 65,535 without the test leaves no room: the next increment runs
    /// with the test and its wrap is spilled, once; so is the wrap after the tested stretch.
    @Test func aFullCounterIsTestedAtItsNextIncrement() {
        let fold = Fold(histograms: 1, bins: 16, base: 100)
        func add(_ count: Int) {
            fold.add(0, [UInt16](repeating: 5, count: count), rows: 1, columns: count, stride: 0, lowest: 5, highest: 5)
        }
        let histogram = fold.histograms
        add(65_535)
        #expect(histogram[5] == 65_535 && fold.spill.isEmpty && fold.headroom.room[0] == 0)
        add(1)
        #expect(histogram[5] == 0 && fold.spill == [105])
        add(65_535)
        #expect(histogram[5] == 65_535 && fold.spill == [105])
        add(2)
        #expect(histogram[5] == 1 && fold.spill == [105, 105])
    }

    /// Histograms of `bins` 16-bit counters (zero pages), their spans and headroom, and the
    /// fold's spill (histogram c's entries start at `base + c * bins`).
    final class Fold {
        let histograms: UnsafeMutablePointer<UInt16>
        let spans: HistogramSpans, headroom: WrapHeadroom
        let wrapped = UnsafeMutablePointer<UInt32>.allocate(capacity: ThresholdBins.wrapChunk)
        let count: Int, bins: Int, base: Int
        var spill: [Int] = []

        init(histograms count: Int, bins: Int, base: Int = 0) {
            (self.count, self.bins, self.base) = (count, bins, base)
            histograms = ZeroPages.allocate(UInt16.self, count: count * bins)
            spans = HistogramSpans(count: count)
            headroom = WrapHeadroom(count: count)
        }

        deinit {
            ZeroPages.deallocate(histograms, count: count * bins)
            spans.deallocate()
            headroom.deallocate()
            wrapped.deallocate()
        }

        /// Folds a block of `values` into histogram c, whose bins `lowest ... highest` are prepared first.
        func add(_ c: Int, _ values: [UInt16], rows: Int, columns: Int, stride: Int, lowest: Int, highest: Int) {
            let histogram = histograms + c * bins
            spans.prepare(c, lowest: lowest, highest: highest, histogram: histogram)
            values.withUnsafeBufferPointer {
                headroom.add(
                    c, block: $0.baseAddress!, rows: rows, columns: columns, stride: stride, into: histogram,
                    span: spans.span(c), base: base + c * bins, spill: &spill, wrapped: wrapped)
            }
        }

        /// The 16-bit counts plus 65,536 for each spill entry equal the exact counts (the first
        /// bin that differs is named).
        func expectCounts(_ exact: [Int]) {
            var restored = (0 ..< exact.count).map { Int(histograms[$0]) }
            for entry in spill { restored[entry - base] += 1 << 16 }
            guard let first = exact.indices.first(where: { restored[$0] != exact[$0] }) else { return }
            Issue.record("bin \(first): \(restored[first]) counted, \(exact[first]) exact")
        }
    }
}
