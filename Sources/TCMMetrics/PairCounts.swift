import TCMData
import TCMKernels

/// Per-class counts of positive and negative pairs over the threshold bins: the result of one
/// pass over all pairwise cosine similarities, from which every threshold metric is a query.
///
/// Pairs are ordered, as the spec defines them: class c has n_c(n_c − 1) positives and
/// n_c(N − n_c) negatives (pairs (a, b) with a in c). The pass never holds more of the
/// similarity matrix than one tile, and each class's histograms are written by one thread only.
public struct PairCounts: Sendable {
    public let bins: ThresholdBins
    public let classNames: [String]
    public let classSizes: [Int]
    public let positives: [CountHistogram]
    public let negatives: [CountHistogram]
    /// `globalPositiveAtOrAbove[k]` = positive pairs of all classes with similarity ≥ edge k
    /// (one extra entry, 0, past the last bin). Likewise for negatives.
    public let globalPositiveAtOrAbove: [UInt64]
    public let globalNegativeAtOrAbove: [UInt64]

    public var classCount: Int { classNames.count }
    public var totalPositives: UInt64 { globalPositiveAtOrAbove[0] }
    public var totalNegatives: UInt64 { globalNegativeAtOrAbove[0] }

    /// Tuning of the pass (defaults measured in Benchmarks/README.md).
    public struct Tiling: Sendable {
        public var rowBlock = 96
        public var columnBlock = 1024
        public var threads = defaultThreadCount
        public init() {}
    }

    /// Runs the pass.
    /// - Parameter progress: called with the fraction done (from worker threads).
    public static func compute(layout: ClassLayout, bins: ThresholdBins = .standard, tiling: Tiling = Tiling(),
                               progress: (@Sendable (Double) -> Void)? = nil) -> PairCounts {
        let n = layout.sampleCount
        let classes = layout.classCount
        // Work items: runs of whole classes of at least `rowBlock` rows, biggest first.
        var items: [Range<Int>] = []
        var c = 0
        while c < classes {
            var end = c + 1
            while end < classes && layout.classStart[end] - layout.classStart[c] < tiling.rowBlock { end += 1 }
            items.append(c ..< end)
            c = end
        }
        items.sort { layout.classStart[$0.upperBound] - layout.classStart[$0.lowerBound] > layout.classStart[$1.upperBound] - layout.classStart[$1.lowerBound] }

        let positives = SharedBuffer<CountHistogram>(count: classes)
        let negatives = SharedBuffer<CountHistogram>(count: classes)
        let counter = ProgressCounter(total: n, callback: progress)
        let tileItems = items
        parallelForEach(count: tileItems.count, threads: tiling.threads) { itemIndex in
            let item = tileItems[itemIndex]
            foldClasses(item, layout: layout, bins: bins, tiling: tiling, counter: counter) { cls, pos, neg in
                positives.initialize(cls, to: CountHistogram(counts: pos))
                negatives.initialize(cls, to: CountHistogram(counts: neg))
            }
        }
        let pos = positives.moveToArray(), neg = negatives.moveToArray()
        return PairCounts(bins: bins, classNames: layout.classNames,
                          classSizes: (0 ..< classes).map(layout.size(of:)),
                          positives: pos, negatives: neg,
                          globalPositiveAtOrAbove: suffixSums(pos, bins: bins),
                          globalNegativeAtOrAbove: suffixSums(neg, bins: bins))
    }

    /// Builds counts straight from histograms (tests and synthetic inputs).
    public init(bins: ThresholdBins, classNames: [String], classSizes: [Int],
                positives: [CountHistogram], negatives: [CountHistogram]) {
        self.init(bins: bins, classNames: classNames, classSizes: classSizes, positives: positives, negatives: negatives,
                  globalPositiveAtOrAbove: Self.suffixSums(positives, bins: bins),
                  globalNegativeAtOrAbove: Self.suffixSums(negatives, bins: bins))
    }

    private init(bins: ThresholdBins, classNames: [String], classSizes: [Int], positives: [CountHistogram],
                 negatives: [CountHistogram], globalPositiveAtOrAbove: [UInt64], globalNegativeAtOrAbove: [UInt64]) {
        self.bins = bins
        self.classNames = classNames
        self.classSizes = classSizes
        self.positives = positives
        self.negatives = negatives
        self.globalPositiveAtOrAbove = globalPositiveAtOrAbove
        self.globalNegativeAtOrAbove = globalNegativeAtOrAbove
    }

    static func suffixSums(_ histograms: [CountHistogram], bins: ThresholdBins) -> [UInt64] {
        var full = [UInt64](repeating: 0, count: bins.count + 1)
        for h in histograms { h.add(into: &full) }
        for k in stride(from: bins.count - 1, through: 0, by: -1) { full[k] += full[k + 1] }
        return full
    }

    /// Computes the similarity tiles of the rows of `classRange` against all rows and folds each
    /// tile into the classes' histograms, then hands each finished class to `emit`.
    static func foldClasses(_ classRange: Range<Int>, layout: ClassLayout, bins: ThresholdBins, tiling: Tiling,
                            counter: ProgressCounter,
                            emit: (Int, UnsafeBufferPointer<UInt32>, UnsafeBufferPointer<UInt32>) -> Void) {
        let n = layout.sampleCount, d = layout.unitRows.cols, nb = bins.count
        let rowStart = layout.classStart[classRange.lowerBound], rowEnd = layout.classStart[classRange.upperBound]
        let scratch = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: classRange.count * 2 * nb)
        scratch.initialize(repeating: 0)
        let tile = UnsafeMutablePointer<Float>.allocate(capacity: tiling.rowBlock * tiling.columnBlock)
        defer { scratch.deallocate(); tile.deallocate() }

        layout.unitRows.values.withUnsafeBufferPointer { x in
            let base = x.baseAddress!
            var r0 = rowStart
            while r0 < rowEnd {
                let rows = min(tiling.rowBlock, rowEnd - r0)
                var c0 = 0
                while c0 < n {
                    let cols = min(tiling.columnBlock, n - c0)
                    GEMM.sgemm(transA: false, transB: true, m: rows, n: cols, k: d,
                               a: base + r0 * d, lda: d, b: base + c0 * d, ldb: d, c: tile, ldc: cols)
                    var cls = layout.classOfRow(r0)
                    for r in 0 ..< rows {
                        let a = r0 + r
                        while layout.classStart[cls + 1] <= a { cls += 1 }
                        let local = cls - classRange.lowerBound
                        let pos = scratch.baseAddress! + local * 2 * nb
                        let neg = pos + nb
                        let row = tile + r * cols
                        // Columns c0..<c0+cols split into: negatives | positives (minus self) | negatives.
                        let ps = min(max(layout.classStart[cls], c0), c0 + cols)
                        let pe = min(max(layout.classStart[cls + 1], c0), c0 + cols)
                        bins.accumulate(row, count: ps - c0, into: neg)
                        if a >= ps && a < pe {
                            bins.accumulate(row + (ps - c0), count: a - ps, into: pos)
                            bins.accumulate(row + (a + 1 - c0), count: pe - a - 1, into: pos)
                        } else {
                            bins.accumulate(row + (ps - c0), count: pe - ps, into: pos)
                        }
                        bins.accumulate(row + (pe - c0), count: c0 + cols - pe, into: neg)
                    }
                    c0 += cols
                }
                counter.advance(by: rows)
                r0 += rows
            }
        }
        for cls in classRange {
            let local = cls - classRange.lowerBound
            let pos = UnsafeBufferPointer(rebasing: scratch[(local * 2 * nb) ..< (local * 2 * nb + nb)])
            let neg = UnsafeBufferPointer(rebasing: scratch[(local * 2 * nb + nb) ..< (local * 2 + 2) * nb])
            emit(cls, pos, neg)
        }
    }
}
