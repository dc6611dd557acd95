import TCMData
import TCMKernels

/// Per-class counts of positive and negative pairs over the threshold bins: the result of one
/// pass over all pairwise cosine similarities, from which every threshold metric is a query.
///
/// Pairs are ordered, as the spec defines them: class c has n_c(n_c − 1) positives and
/// n_c(N − n_c) negatives (pairs (a, b) with a in c). The pass never holds more of the
/// similarity matrix than one tile per thread.
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

    /// How the pass walks the similarity matrix.
    public enum Strategy: String, Sendable, CaseIterable {
        /// Upper triangle only (s(a, b) = s(b, a)): half the products. Each worker keeps full
        /// histograms of every class, so it is used when classes × bins × workers fits `symmetricMemoryLimit`.
        case symmetric
        /// Every row against every column, each class's rows handled by one worker, which then owns
        /// that class's histograms outright: memory O(classes × compact bins), for many classes.
        case classOwned
        /// Each unordered pair once for any number of classes: tiles of two groups of whole classes in
        /// rounds that share no group (`HalfRoundsPass`); one shared set of 16-bit negative
        /// histograms, 2 bytes × classes × bins.
        case halfRounds
    }

    /// Tuning of the pass (defaults measured with `tcmscope bench`, see Benchmarks/README.md).
    public struct Tiling: Sendable {
        public var rowBlock = 96
        /// Columns per tile; rounded down to a multiple of 16 (the packed panel width).
        public var columnBlock = 1024
        public var threads = defaultThreadCount
        /// `nil` chooses by memory.
        public var strategy: Strategy? = nil
        public var symmetricMemoryLimit = 128 << 20
        /// Bound on `halfRounds`' shared histograms; above it, many classes go `classOwned`.
        public var halfRoundsMemoryLimit = 512 << 20
        /// Bound on the retrieval heaps of the fused pass, and on the candidate lists of large
        /// classes; above it retrieval reads full rows.
        public var heapMemoryLimit = 256 << 20
        /// Forces how retrieval rides on the pass (tests); `nil` lets `MetricsPass.plan` choose.
        var retrievalMode: MetricsPass.RetrievalMode? = nil
        /// Candidate lists (`CandidateListsPass`): the cut keeps about this many times a query's
        /// need in its sample, and the other-class list holds this many times what the sample
        /// predicts with 4 standard deviations to spare (+ 32). Tests lower them to make lists
        /// fall short or overflow.
        var candidateMargin = 1.1
        var candidateCapacity = 1.0
        public init() {}

        // i9-avx512: the panel width comes from PackedRows (same on every kernel path).
        var columns: Int {
            let w = PackedRows.columnAlignment
            return max(w, columnBlock / w * w)
        }
    }

    /// Runs the pass.
    /// - Parameter progress: called with the fraction done (from worker threads).
    public static func compute(
        layout: ClassLayout, bins: ThresholdBins = .standard, tiling: Tiling = Tiling(),
        progress: (@Sendable (Double) -> Void)? = nil
    ) -> PairCounts {
        // A bin of one class can hold at most n_c · N pairs: 32-bit counters suffice below 65,536 samples.
        if layout.sampleCount < 1 << 16 {
            return compute(UInt32.self, layout: layout, bins: bins, tiling: tiling, progress: progress)
        }
        return compute(UInt64.self, layout: layout, bins: bins, tiling: tiling, progress: progress)
    }

    /// The strategy `compute` uses for this layout.
    public static func strategy(for layout: ClassLayout, bins: ThresholdBins, tiling: Tiling) -> Strategy {
        if let s = tiling.strategy { return s }
        let counterBytes = layout.sampleCount < 1 << 16 ? 4 : 8
        let workers = max(1, tiling.threads)
        if workers * layout.classCount * 2 * bins.count * counterBytes <= tiling.symmetricMemoryLimit {
            return .symmetric
        }
        return halfRoundsFits(layout: layout, bins: bins, tiling: tiling) ? .halfRounds : .classOwned
    }

    /// Whether the half-product pass fits its memory bound and can balance its tiles (no class
    /// larger than an eighth of the rows).
    static func halfRoundsFits(layout: ClassLayout, bins: ThresholdBins, tiling: Tiling) -> Bool {
        let largest = (0 ..< layout.classCount).map(layout.size(of:)).max() ?? 0
        return HalfRoundsPass.histogramBytes(classes: layout.classCount, bins: bins) <= tiling.halfRoundsMemoryLimit
            && largest * 8 <= layout.sampleCount
    }

    static func compute<Counter: FixedWidthInteger & UnsignedInteger & SendableMetatype>(
        _: Counter.Type, layout: ClassLayout, bins: ThresholdBins, tiling: Tiling,
        progress: (@Sendable (Double) -> Void)?
    ) -> PairCounts {
        let (pos, neg): ([CountHistogram], [CountHistogram])
        switch strategy(for: layout, bins: bins, tiling: tiling) {
        case .symmetric:
            (pos, neg) = symmetricPass(
                Counter.self, layout: layout, packed: PackedRows(layout.unitRows), bins: bins, tiling: tiling,
                progress: progress)
        case .classOwned:
            (pos, neg) = classOwnedPass(
                Counter.self, layout: layout, packed: PackedRows(layout.unitRows), bins: bins, tiling: tiling,
                progress: progress)
        case .halfRounds:
            (pos, neg) = HalfRoundsPass.run(
                Counter.self, layout: layout, bins: bins, tiling: tiling,
                heaps: nil, progress: progress)
        }
        return PairCounts(
            bins: bins, classNames: layout.classNames, classSizes: (0 ..< layout.classCount).map(layout.size(of:)),
            positives: pos, negatives: neg)
    }

    /// Builds counts straight from histograms (tests and synthetic inputs).
    public init(
        bins: ThresholdBins, classNames: [String], classSizes: [Int],
        positives: [CountHistogram], negatives: [CountHistogram]
    ) {
        self.bins = bins
        self.classNames = classNames
        self.classSizes = classSizes
        self.positives = positives
        self.negatives = negatives
        globalPositiveAtOrAbove = Self.suffixSums(positives, bins: bins)
        globalNegativeAtOrAbove = Self.suffixSums(negatives, bins: bins)
    }

    static func suffixSums(_ histograms: [CountHistogram], bins: ThresholdBins) -> [UInt64] {
        var full = [UInt64](repeating: 0, count: bins.count + 1)
        for h in histograms { h.add(into: &full) }
        for k in stride(from: bins.count - 1, through: 0, by: -1) { full[k] += full[k + 1] }
        return full
    }

    // MARK: - Symmetric pass

    /// Row blocks against the columns at and right of the diagonal. A pair (a, b), a < b, of one
    /// class adds 2 to that class's positives (both orders); of classes c ≠ c' it adds one
    /// negative to each.
    static func symmetricPass<Counter: FixedWidthInteger & UnsignedInteger & SendableMetatype>(
        _: Counter.Type, layout: ClassLayout, packed: PackedRows, bins: ThresholdBins, tiling: Tiling,
        progress: (@Sendable (Double) -> Void)?
    ) -> ([CountHistogram], [CountHistogram]) {
        let n = layout.sampleCount, d = layout.unitRows.cols, nb = bins.count, classes = layout.classCount
        let blocks = (n + tiling.rowBlock - 1) / tiling.rowBlock
        let workers = max(1, min(tiling.threads, blocks))
        // Per worker: [class][positives (unordered) | negatives][bin].
        let perWorker = classes * 2 * nb
        let scratch = SharedBuffer<Counter>(count: workers * perWorker)
        scratch.base.initialize(repeating: 0, count: workers * perWorker)
        let counter = ProgressCounter(total: n * (n + 1) / 2, callback: progress)
        let columnsPerTile = tiling.columns
        let tileSize = tiling.rowBlock * columnsPerTile
        parallelForEach(count: blocks, threads: workers) { worker, block in
            let histograms = scratch.base + worker * perWorker
            let tile = UnsafeMutablePointer<Float>.allocate(capacity: tileSize)
            defer { tile.deallocate() }
            let r0 = block * tiling.rowBlock, rows = min(tiling.rowBlock, n - r0)
            layout.unitRows.values.withUnsafeBufferPointer { x in
                var c0 = r0 / PackedRows.columnAlignment * PackedRows.columnAlignment  // i9-avx512: panel boundary
                while c0 < n {
                    let cols = min(columnsPerTile, n - c0), c1 = c0 + cols
                    packed.multiply(
                        a: x.baseAddress! + r0 * d, m: rows, lda: d, columns: c0, count: cols, c: tile, ldc: cols)
                    var ca = layout.classOfRow(r0)
                    for r in 0 ..< rows {
                        let a = r0 + r
                        while layout.classStart[ca + 1] <= a { ca += 1 }
                        var j = max(c0, a + 1)
                        if j >= c1 { continue }
                        let row = tile + r * cols - c0
                        let own = histograms + ca * 2 * nb
                        var cb = ca
                        while j < c1 {
                            while layout.classStart[cb + 1] <= j { cb += 1 }
                            let end = min(layout.classStart[cb + 1], c1)
                            if cb == ca {
                                bins.accumulate(row + j, count: end - j, into: own)
                            } else {
                                bins.accumulate(
                                    row + j, count: end - j, into: own + nb, and: histograms + cb * 2 * nb + nb)
                            }
                            j = end
                        }
                    }
                    c0 = c1
                }
            }
            counter.advance(by: rows * (n - r0))
        }
        return sumAndCompact(scratch, workers: workers, classes: classes, bins: bins)
    }

    /// Sums the workers' histograms ([class][unordered positives | negatives][bin] each) into worker
    /// 0's, doubles the positives (both orders of each pair), compacts each class, frees `scratch`.
    static func sumAndCompact<Counter: FixedWidthInteger & UnsignedInteger>(
        _ scratch: SharedBuffer<Counter>, workers: Int, classes: Int, bins: ThresholdBins
    ) -> ([CountHistogram], [CountHistogram]) {
        let nb = bins.count, perWorker = classes * 2 * nb
        let total = scratch.base
        for w in 1 ..< workers {
            let other = scratch.base + w * perWorker
            for i in 0 ..< perWorker { total[i] &+= other[i] }
        }
        var positives: [CountHistogram] = [], negatives: [CountHistogram] = []
        for c in 0 ..< classes {
            let pos = total + c * 2 * nb
            for k in 0 ..< nb { pos[k] &*= 2 }  // both orders of each unordered positive pair
            positives.append(CountHistogram(counts: UnsafeBufferPointer(start: pos, count: nb)))
            negatives.append(CountHistogram(counts: UnsafeBufferPointer(start: pos + nb, count: nb)))
        }
        scratch.base.deinitialize(count: workers * perWorker)
        scratch.base.deallocate()
        return (positives, negatives)
    }

    // MARK: - Class-owned pass

    /// Work items are runs of whole classes (at least `rowBlock` rows); a worker computes its
    /// classes' rows against all columns and folds them into histograms no one else touches.
    static func classOwnedPass<Counter: FixedWidthInteger & UnsignedInteger & SendableMetatype>(
        _: Counter.Type, layout: ClassLayout, packed: PackedRows, bins: ThresholdBins, tiling: Tiling,
        progress: (@Sendable (Double) -> Void)?,
        fullRows: (@Sendable (UnsafePointer<Float>, Int, Int) -> Void)? = nil
    ) -> ([CountHistogram], [CountHistogram]) {
        let classes = layout.classCount
        var items: [Range<Int>] = []
        var c = 0
        while c < classes {
            var end = c + 1
            while end < classes && layout.classStart[end] - layout.classStart[c] < tiling.rowBlock { end += 1 }
            items.append(c ..< end)
            c = end
        }
        func rows(_ r: Range<Int>) -> Int { layout.classStart[r.upperBound] - layout.classStart[r.lowerBound] }
        items.sort { rows($0) > rows($1) }  // biggest first balances the workers

        let positives = SharedBuffer<CountHistogram>(count: classes)
        let negatives = SharedBuffer<CountHistogram>(count: classes)
        let counter = ProgressCounter(total: layout.sampleCount, callback: progress)
        let work = items
        parallelForEach(count: work.count, threads: tiling.threads) { index in
            foldClasses(
                Counter.self, work[index], layout: layout, packed: packed, bins: bins, tiling: tiling,
                counter: counter, fullRows: fullRows
            ) { cls, pos, neg in
                positives.initialize(cls, to: CountHistogram(counts: pos))
                negatives.initialize(cls, to: CountHistogram(counts: neg))
            }
        }
        return (positives.moveToArray(), negatives.moveToArray())
    }

    static func foldClasses<Counter: FixedWidthInteger & UnsignedInteger & SendableMetatype>(
        _: Counter.Type, _ classRange: Range<Int>, layout: ClassLayout, packed: PackedRows, bins: ThresholdBins,
        tiling: Tiling, counter: ProgressCounter,
        fullRows: ((UnsafePointer<Float>, Int, Int) -> Void)? = nil,
        emit: (Int, UnsafeBufferPointer<Counter>, UnsafeBufferPointer<Counter>) -> Void
    ) {
        let n = layout.sampleCount, d = layout.unitRows.cols, nb = bins.count
        let rowStart = layout.classStart[classRange.lowerBound], rowEnd = layout.classStart[classRange.upperBound]
        let scratch = UnsafeMutableBufferPointer<Counter>.allocate(capacity: classRange.count * 2 * nb)
        scratch.initialize(repeating: 0)
        let columnsPerTile = tiling.columns
        let tile = UnsafeMutablePointer<Float>.allocate(capacity: tiling.rowBlock * columnsPerTile)
        defer {
            scratch.deallocate()
            tile.deallocate()
        }

        layout.unitRows.values.withUnsafeBufferPointer { x in
            let base = x.baseAddress!
            var r0 = rowStart
            while r0 < rowEnd {
                let rows = min(tiling.rowBlock, rowEnd - r0)
                var c0 = 0
                while c0 < n {
                    let cols = min(columnsPerTile, n - c0)
                    packed.multiply(a: base + r0 * d, m: rows, lda: d, columns: c0, count: cols, c: tile, ldc: cols)
                    var cls = layout.classOfRow(r0)
                    for r in 0 ..< rows {
                        let a = r0 + r
                        while layout.classStart[cls + 1] <= a { cls += 1 }
                        let pos = scratch.baseAddress! + (cls - classRange.lowerBound) * 2 * nb
                        let neg = pos + nb
                        let row = tile + r * cols - c0
                        // Columns c0 ..< c0 + cols: negatives | positives (minus the pair with itself) | negatives.
                        let ps = min(max(layout.classStart[cls], c0), c0 + cols)
                        let pe = min(max(layout.classStart[cls + 1], c0), c0 + cols)
                        bins.accumulate(row + c0, count: ps - c0, into: neg)
                        if a >= ps && a < pe {
                            bins.accumulate(row + ps, count: a - ps, into: pos)
                            bins.accumulate(row + a + 1, count: pe - a - 1, into: pos)
                        } else {
                            bins.accumulate(row + ps, count: pe - ps, into: pos)
                        }
                        bins.accumulate(row + pe, count: c0 + cols - pe, into: neg)
                    }
                    // A tile as wide as the matrix holds whole rows: retrieval ranks them here.
                    if let fullRows, cols == n { fullRows(tile, r0, rows) }
                    c0 += cols
                }
                counter.advance(by: rows)
                r0 += rows
            }
        }
        for cls in classRange {
            let local = (cls - classRange.lowerBound) * 2 * nb
            emit(
                cls, UnsafeBufferPointer(rebasing: scratch[local ..< local + nb]),
                UnsafeBufferPointer(rebasing: scratch[local + nb ..< local + 2 * nb]))
        }
    }
}
