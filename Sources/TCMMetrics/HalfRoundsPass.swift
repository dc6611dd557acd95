import CBins
import TCMData
import TCMKernels

/// The pass that computes each unordered pair's similarity once for any number of classes, and
/// can hand every similarity to the retrieval heaps of both its ends.
///
/// The rows are cut into groups of whole classes. A tile is a pair of groups (g ≤ h): every row
/// of g against every row of h (for g = h, the pairs above the diagonal). Tiles run in rounds
/// in which no two tiles share a group (a round-robin tournament), so the tile running on a
/// worker owns the negative histograms of its classes and the heaps of its rows outright: one
/// shared copy of each, no locks, no per-worker copies. Positive pairs all sit in the diagonal
/// tiles and are compacted there. Negatives stay in 16-bit counters for the whole pass
/// (`ThresholdBins.addWrapping`): 2 bytes × classes × bins, the bound the caller checks.
enum HalfRoundsPass {
    /// Groups of whole classes: `bounds[g] ..< bounds[g + 1]` are class indices.
    static func groups(layout: ClassLayout, workers: Int, rowBlock: Int) -> [Int] {
        let n = layout.sampleCount
        // At least 8 tiles per worker and round, and groups near 1,000 rows on large sets.
        return groups(layout: layout, targetRows: max(rowBlock, min(n / max(1, 16 * workers), 1024), n / 256, 1))
    }

    /// Groups of whole classes of at least `target` rows each (the last may be smaller).
    static func groups(layout: ClassLayout, targetRows target: Int) -> [Int] {
        var bounds = [0]
        var rows = 0
        for c in 0 ..< layout.classCount {
            rows += layout.size(of: c)
            if rows >= target {
                bounds.append(c + 1)
                rows = 0
            }
        }
        if bounds.last! != layout.classCount { bounds.append(layout.classCount) }
        return bounds
    }

    /// Rounds of disjoint group pairs: first all diagonal tiles, then the circle method.
    static func rounds(groups g: Int) -> [[(Int, Int)]] {
        var out: [[(Int, Int)]] = [(0 ..< g).map { ($0, $0) }]
        let m = g % 2 == 0 ? g : g + 1
        guard m >= 2 else { return out }
        for r in 0 ..< m - 1 {
            var round: [(Int, Int)] = []
            for i in 0 ..< m / 2 {
                let a = i == 0 ? m - 1 : (r + i) % (m - 1)
                let b = (r + m - 1 - i) % (m - 1)
                let (lo, hi) = (min(a, b), max(a, b))
                if hi < g { round.append((lo, hi)) }
            }
            if !round.isEmpty { out.append(round) }
        }
        return out
    }

    /// A shard's own tiles in rounds of tiles that share no group, packed greedily (the diagonal
    /// tiles first, then each round takes every remaining tile whose groups are both free): the
    /// global rounds filtered to a shard's tiles would leave a few tiles a round and idle workers.
    static func ownRounds(_ selection: TileSelection) -> [[(Int, Int)]] {
        let g = selection.groups
        var out: [[(Int, Int)]] = [(0 ..< g).filter { selection.owns($0, $0) }.map { ($0, $0) }]
        var left: [(Int, Int)] = []
        for a in 0 ..< g { for b in a + 1 ..< g where selection.owns(a, b) { left.append((a, b)) } }
        var busy = [Int](repeating: -1, count: g)
        var r = 0
        while !left.isEmpty {
            var round: [(Int, Int)] = [], rest: [(Int, Int)] = []
            for (a, b) in left {
                if busy[a] != r && busy[b] != r {
                    busy[a] = r
                    busy[b] = r
                    round.append((a, b))
                } else {
                    rest.append((a, b))
                }
            }
            out.append(round)
            left = rest
            r += 1
        }
        return out.filter { !$0.isEmpty }
    }

    /// Memory of the shared negative histograms.
    static func histogramBytes(classes: Int, bins: ThresholdBins) -> Int { classes * bins.count * 2 }

    static func run<Counter: FixedWidthInteger & UnsignedInteger & SendableMetatype>(
        _: Counter.Type, layout: ClassLayout, bins: ThresholdBins, tiling: PairCounts.Tiling,
        heaps: NeighbourHeaps?, selection: TileSelection? = nil,
        progress: (@Sendable (Double) -> Void)?
    ) -> ([CountHistogram], [CountHistogram]) {
        let nb = bins.count, classes = layout.classCount
        let workers = max(1, tiling.threads)
        let bounds = selection?.bounds ?? groups(layout: layout, workers: workers, rowBlock: tiling.rowBlock)
        // One block of 16-bit negative histograms per group, freed as soon as the group is compacted
        // (so the compact copies never coexist with all the wide ones); `histogram[c]` points into it.
        let blocks = SharedBuffer<UnsafeMutablePointer<UInt16>>(count: bounds.count - 1)
        let histogram = SharedBuffer<UnsafeMutablePointer<UInt16>>(count: classes)
        for g in 0 ..< bounds.count - 1 {
            let size = (bounds[g + 1] - bounds[g]) * nb
            // Untouched bins stay unbacked zero pages: a data set's negatives fill a band of the
            // bins, and a shard counts into its tiles' classes only.
            let block = ZeroPages.allocate(UInt16.self, count: size)
            blocks.initialize(g, to: block)
            for c in bounds[g] ..< bounds[g + 1] { histogram.initialize(c, to: block + (c - bounds[g]) * nb) }
        }
        let positives = SharedBuffer<CountHistogram>(count: classes)
        let spans = HistogramSpans(count: classes)
        let headroom = WrapHeadroom(count: classes)
        defer {
            spans.deallocate()
            headroom.deallocate()
        }
        let wrapCounts = WrapCounters(bounds: bounds, bins: nb, workers: workers)
        foldAllTiles(
            Counter.self, layout: layout, bins: bins, tiling: tiling, heaps: heaps, bounds: bounds,
            selection: selection, histogram: histogram, spans: spans, headroom: headroom, wrapCounts: wrapCounts,
            positives: positives, progress: progress)
        // A shard that does not own a group's diagonal tile has none of its classes' positives.
        if let selection {
            for g in 0 ..< bounds.count - 1 where !selection.owns(g, g) {
                for c in bounds[g] ..< bounds[g + 1] { positives.initialize(c, to: .none) }
            }
        }

        // Negatives, group by group: widen each class, add back the wraps (counted per bin as each
        // tile ended, `WrapCounters`; a 32-bit count's own wraps, 2^48 pairs each, from the
        // sorted list), compact, free the group.
        let wraps = wrapCounts.sortedOverflows()
        var wrapStart = [Int](repeating: wraps.count, count: classes + 1)
        var w = wraps.count
        for c in stride(from: classes, through: 0, by: -1) {
            while w > 0 && wraps[w - 1] >= c * nb { w -= 1 }
            wrapStart[c] = w
        }
        let sortedWraps = wraps, wrapsOfClass = wrapStart
        let compacted = SharedBuffer<CountHistogram>(count: classes)
        // A shard's groups that none of its tiles touch have all-zero negatives: one compacted
        // zero histogram serves them all, instead of a scan of every bin of every class.
        let untouched = selection.map { Self.untouchedGroups($0) } ?? []
        let zeros = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: nb)
        zeros.initialize(repeating: 0)
        let noNegatives = CountHistogram(counts: UnsafeBufferPointer(zeros))
        zeros.deallocate()
        for g in 0 ..< bounds.count - 1 {
            let first = bounds[g]
            if untouched.contains(g) {
                for c in first ..< bounds[g + 1] { compacted.initialize(c, to: noNegatives) }
                ZeroPages.deallocate(blocks.base[g], count: (bounds[g + 1] - first) * nb)
                continue
            }
            parallelForEach(count: bounds[g + 1] - first, threads: workers) { i in
                let c = first + i
                // Only the span between the first and last counted bin is widened: a data set's
                // negatives fill a band of the bins. Nothing outside the fold's span was counted
                // (and its pages were never touched: reading them would fault in zero pages).
                let narrow = histogram.base[c]
                let span = spans.span(c)
                // Every wrap is of a counted bin, so within the span too.
                let wrapped = wrapCounts.wraps(of: c)
                func empty(_ k: Int) -> Bool { narrow[k] == 0 && (wrapped?[k] ?? 0) == 0 }
                var lo = span.isEmpty ? nb : span.lowerBound, hi = span.isEmpty ? nb : span.upperBound
                while lo < hi && empty(lo) { lo += 1 }
                while hi > lo && empty(hi - 1) { hi -= 1 }
                for w in wrapsOfClass[c] ..< wrapsOfClass[c + 1] {
                    lo = min(lo, sortedWraps[w] - c * nb)
                    hi = max(hi, sortedWraps[w] - c * nb + 1)
                }
                let wide = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: max(hi - lo, 1))
                defer { wide.deallocate() }
                if let wrapped {
                    for k in lo ..< hi { wide[k - lo] = UInt64(narrow[k]) | UInt64(wrapped[k]) << 16 }
                } else {
                    for k in lo ..< hi { wide[k - lo] = UInt64(narrow[k]) }
                }
                for w in wrapsOfClass[c] ..< wrapsOfClass[c + 1] { wide[sortedWraps[w] - c * nb - lo] += 1 << 48 }
                compacted.initialize(
                    c,
                    to: CountHistogram(
                        counts: UnsafeBufferPointer(rebasing: wide[0 ..< max(hi - lo, 0)]), offset: lo, length: nb))
            }
            ZeroPages.deallocate(blocks.base[g], count: (bounds[g + 1] - bounds[g]) * nb)
            wrapCounts.release(group: g)
        }
        blocks.base.deallocate()
        histogram.base.deallocate()
        return (positives.moveToArray(), compacted.moveToArray())
    }

    /// Groups in none of the selection's tiles.
    static func untouchedGroups(_ selection: TileSelection) -> Set<Int> {
        var touched = Set<Int>()
        for a in 0 ..< selection.groups {
            for b in a ..< selection.groups where selection.owns(a, b) {
                touched.insert(a)
                touched.insert(b)
            }
        }
        return Set(0 ..< selection.groups).subtracting(touched)
    }

    /// The rounds of tiles. The packed operand lives only here, so it is freed before compaction.
    static func foldAllTiles<Counter: FixedWidthInteger & UnsignedInteger & SendableMetatype>(
        _: Counter.Type, layout: ClassLayout, bins: ThresholdBins, tiling: PairCounts.Tiling, heaps: NeighbourHeaps?,
        bounds: [Int], selection: TileSelection?, histogram: SharedBuffer<UnsafeMutablePointer<UInt16>>,
        spans: HistogramSpans, headroom: WrapHeadroom, wrapCounts: WrapCounters,
        positives: SharedBuffer<CountHistogram>, progress: (@Sendable (Double) -> Void)?
    ) {
        let n = layout.sampleCount, nb = bins.count
        // A shard's layout holds its rows packed only: packing them again would hold them twice.
        let packed = layout.packedRows ?? PackedRows(layout.unitRows)
        let counter = ProgressCounter(total: n * (n + 1) / 2, callback: progress)
        // Each worker's positive counts for a diagonal tile: one zero-page buffer per worker, reused
        // and left zeroed by every tile. Allocating and zeroing it per tile kept ~50 MB of freed
        // heap on SOP-sized sets; fresh zero pages per tile cost 13 times the tiles' time in faults.
        let largestGroup = (0 ..< bounds.count - 1).map { bounds[$0 + 1] - bounds[$0] }.max() ?? 0
        let workers = max(1, tiling.threads)
        let scratch = SharedBuffer<UnsafeMutablePointer<Counter>>(count: workers)
        for w in 0 ..< workers { scratch.initialize(w, to: ZeroPages.allocate(Counter.self, count: largestGroup * nb)) }
        defer {
            for w in 0 ..< workers { ZeroPages.deallocate(scratch.base[w], count: largestGroup * nb) }
            scratch.base.deallocate()
        }
        for round in selection.map({ ownRounds($0) }) ?? rounds(groups: bounds.count - 1) {
            parallelForEach(count: round.count, threads: tiling.threads) { worker, item in
                let (g, h) = round[item]
                let tile = Tile(
                    layout: layout, packed: packed, bins: bins, tiling: tiling, heaps: heaps,
                    negatives: histogram.base, spans: spans, headroom: headroom,
                    rows: layout.classStart[bounds[g]] ..< layout.classStart[bounds[g + 1]],
                    columns: layout.classStart[bounds[h]] ..< layout.classStart[bounds[h + 1]])
                if g == h {
                    tile.diagonal(
                        classes: bounds[g] ..< bounds[g + 1], own: scratch.base[worker],
                        spill: &wrapCounts.spills.base[worker], counter: counter
                    ) { c, span, offset in
                        positives.initialize(c, to: CountHistogram(counts: span, offset: offset, length: nb))
                    }
                } else {
                    tile.offDiagonal(spill: &wrapCounts.spills.base[worker], counter: counter)
                }
                // The tile's wraps, all of its two groups' classes, counted while it still owns them.
                wrapCounts.flush(worker: worker)
            }
        }
    }

    /// One tile: rows of one group against columns of another (or the same) group.
    struct Tile {
        let layout: ClassLayout, packed: PackedRows, bins: ThresholdBins, tiling: PairCounts.Tiling
        let heaps: NeighbourHeaps?
        /// `negatives[c]`: class c's 16-bit negative histogram (zero pages, made writable through `spans`).
        let negatives: UnsafeMutablePointer<UnsafeMutablePointer<UInt16>>
        let spans: HistogramSpans
        let headroom: WrapHeadroom
        let rows: Range<Int>, columns: Range<Int>

        /// Walks the similarity blocks of the tile: `body(block, ldc, c0, firstRow, rowCount)`,
        /// row r of `block` holding columns `c0 ..< c0 + ldc` (c0 a multiple of the panel width).
        func blocks(upperOnly: Bool, _ body: (UnsafePointer<Float>, Int, Int, Int, Int) -> Void) {
            let d = layout.dimension, width = tiling.columns
            let block = UnsafeMutablePointer<Float>.allocate(capacity: tiling.rowBlock * width)
            defer { block.deallocate() }
            // Where only the packed copy holds the rows (a shard), each row block's left operand is
            // unpacked from it: the same floats, so the same products, bit for bit.
            let unpacked = layout.packedRows.map { _ in
                UnsafeMutablePointer<Float>.allocate(capacity: tiling.rowBlock * d)
            }
            defer { unpacked?.deallocate() }
            // Each row block is packed once for all the column blocks it meets.
            var left = LeftOperand(maxRows: tiling.rowBlock, dimension: d)
            defer { left.deallocate() }
            layout.unitRows.values.withUnsafeBufferPointer { x in
                var r0 = rows.lowerBound
                while r0 < rows.upperBound {
                    let count = min(tiling.rowBlock, rows.upperBound - r0)
                    let a: UnsafePointer<Float>
                    if let unpacked {
                        packed.copyRows(r0, count: count, into: unpacked)
                        a = UnsafePointer(unpacked)
                    } else {
                        a = x.baseAddress! + r0 * d
                    }
                    left.pack(a, rows: count, lda: d)
                    // Panel-aligned start; columns left of the tile (or of the diagonal) are skipped.
                    var c0 =
                        (upperOnly ? max(columns.lowerBound, r0) : columns.lowerBound) / PackedRows.columnAlignment
                        * PackedRows.columnAlignment
                    while c0 < columns.upperBound {
                        let cols = min(width, columns.upperBound - c0)
                        packed.multiply(left, columns: c0, count: cols, c: block, ldc: cols)
                        body(block, cols, c0, r0, count)
                        c0 += cols
                    }
                    r0 += count
                }
            }
        }

        /// Every row of g against every column of h: all pairs are negatives. Folded in two sweeps, one
        /// per end of the pair, so that each sweep adds into one class's histogram at a time (one
        /// sweep that added each pair to both ends jumped between 40 KB histograms of a hundred
        /// classes and spent its time in cache misses).
        func offDiagonal(spill: inout [Int], counter: ProgressCounter) {
            // 8 bins of slack: the fold of a class's few columns reads 8 from each row (`tcm_add_unchecked_block`).
            let binned = UnsafeMutablePointer<UInt16>.allocate(capacity: tiling.rowBlock * tiling.columns + 8)
            let columnLowest = UnsafeMutablePointer<UInt16>.allocate(capacity: tiling.columns)
            let columnHighest = UnsafeMutablePointer<UInt16>.allocate(capacity: tiling.columns)
            let wrapped = UnsafeMutablePointer<UInt32>.allocate(capacity: ThresholdBins.wrapChunk)
            defer {
                binned.deallocate()
                columnLowest.deallocate()
                columnHighest.deallocate()
                wrapped.deallocate()
            }
            blocks(upperOnly: false) { block, ldc, c0, r0, count in
                let j0 = max(c0, columns.lowerBound), j1 = c0 + ldc
                // Each similarity's bin once (vectorised), then one sweep per end of the pair.
                bins.bins(of: block, count: count * ldc, into: binned)
                var ca = layout.classOfRow(r0)
                for r in 0 ..< count {
                    let a = r0 + r
                    while layout.classStart[ca + 1] <= a { ca += 1 }
                    let row = binned + r * ldc + (j0 - c0)
                    let (lowest, highest) = ThresholdBins.range(of: row, count: j1 - j0)
                    spans.prepare(ca, lowest: lowest, highest: highest, histogram: negatives[ca])
                    headroom.add(
                        ca, block: row, rows: 1, columns: j1 - j0, stride: 0, into: negatives[ca],
                        span: spans.span(ca), base: ca * bins.count, spill: &spill, wrapped: wrapped)
                }
                // Class by class: each class's columns of the block, a row at a time.
                tcm_column_bin_ranges(binned + (j0 - c0), count, j1 - j0, ldc, columnLowest, columnHighest)
                var j = j0, cb = layout.classOfRow(j0)
                while j < j1 {
                    while layout.classStart[cb + 1] <= j { cb += 1 }
                    let end = min(layout.classStart[cb + 1], j1)
                    // The class's columns in this block: their range, before any is counted.
                    var lowest = UInt16.max, highest: UInt16 = 0
                    for t in j - j0 ..< end - j0 {
                        lowest = min(lowest, columnLowest[t])
                        highest = max(highest, columnHighest[t])
                    }
                    spans.prepare(cb, lowest: Int(lowest), highest: Int(highest), histogram: negatives[cb])
                    headroom.add(
                        cb, block: binned + (j - c0), rows: count, columns: end - j, stride: ldc,
                        into: negatives[cb], span: spans.span(cb), base: cb * bins.count, spill: &spill,
                        wrapped: wrapped)
                    j = end
                }
                if let heaps {
                    for r in 0 ..< count { offer(block + r * ldc - c0, query: r0 + r, from: j0, to: j1, heaps: heaps) }
                }
                counter.advance(by: count * (j1 - j0))
            }
        }

        /// The tile of a group against itself. `own` holds the group's positive counts (zeros on
        /// entry, zeros again on return); `emit(c, span, offset)` gets class c's counted span,
        /// bins `offset ..< offset + span.count` (every other bin is zero).
        func diagonal<Counter: FixedWidthInteger & UnsignedInteger>(
            classes: Range<Int>, own: UnsafeMutablePointer<Counter>, spill: inout [Int], counter: ProgressCounter,
            emit: (Int, UnsafeBufferPointer<Counter>, Int) -> Void
        ) {
            let nb = bins.count
            let wrapped = UnsafeMutablePointer<UInt32>.allocate(capacity: ThresholdBins.wrapChunk)
            defer { wrapped.deallocate() }
            blocks(upperOnly: true) { block, ldc, c0, r0, count in
                let j1 = c0 + ldc
                var ca = layout.classOfRow(r0)
                var done = 0
                for r in 0 ..< count {
                    let a = r0 + r
                    while layout.classStart[ca + 1] <= a { ca += 1 }
                    let j0 = max(c0, a + 1)
                    guard j0 < j1 else { continue }
                    done += j1 - j0
                    let row = block + r * ldc - c0
                    var j = j0, cb = ca
                    while j < j1 {
                        while layout.classStart[cb + 1] <= j { cb += 1 }
                        let end = min(layout.classStart[cb + 1], j1)
                        if cb == ca {
                            bins.accumulate(
                                row + j, count: end - j, into: own + (ca - classes.lowerBound) * nb)
                        } else {
                            // Each bin once, for both ends of the pair.
                            bins.forEachBinChunk(row + j, count: end - j) { k, m in
                                let (lowest, highest) = ThresholdBins.range(of: k, count: m)
                                spans.prepare(ca, lowest: lowest, highest: highest, histogram: negatives[ca])
                                spans.prepare(cb, lowest: lowest, highest: highest, histogram: negatives[cb])
                                headroom.add(
                                    ca, block: k, rows: 1, columns: m, stride: 0, into: negatives[ca],
                                    span: spans.span(ca), base: ca * nb, spill: &spill, wrapped: wrapped)
                                headroom.add(
                                    cb, block: k, rows: 1, columns: m, stride: 0, into: negatives[cb],
                                    span: spans.span(cb), base: cb * nb, spill: &spill, wrapped: wrapped)
                            }
                        }
                        j = end
                    }
                    if let heaps { offer(row, query: a, from: j0, to: j1, heaps: heaps) }
                }
                counter.advance(by: done)
            }
            for c in classes {
                let pos = own + (c - classes.lowerBound) * nb
                // Only the counted span is doubled (both orders of each unordered positive pair),
                // emitted and zeroed again: a write elsewhere would back a zero page.
                var lo = 0, hi = nb
                while lo < hi && pos[lo] == 0 { lo += 1 }
                while hi > lo && pos[hi - 1] == 0 { hi -= 1 }
                for k in lo ..< hi { pos[k] &*= 2 }
                emit(c, UnsafeBufferPointer(start: pos + lo, count: hi - lo), lo)
                (pos + lo).update(repeating: 0, count: hi - lo)
            }
        }

        /// Offers s(a, j) for j in `j0 ..< j1` (all j > a) to query a's heap and each s(j, a) = s(a, j)
        /// to query j's heap: eight columns at a time are tested against both thresholds first.
        @inline(__always)
        func offer(_ row: UnsafePointer<Float>, query a: Int, from j0: Int, to j1: Int, heaps: NeighbourHeaps) {
            let worst = heaps.worst
            var j = j0
            let raw = UnsafeRawPointer(row), rawWorst = UnsafeRawPointer(worst)
            while j + 8 <= j1 {
                let v = raw.loadUnaligned(fromByteOffset: 4 * j, as: SIMD8<Float>.self)
                let w = rawWorst.loadUnaligned(fromByteOffset: 4 * j, as: SIMD8<Float>.self)
                if any((v .>= SIMD8<Float>(repeating: worst[a])) .| (v .>= w)) {
                    for t in j ..< j + 8 { offerPair(row[t], a, t, heaps) }
                }
                j += 8
            }
            while j < j1 {
                offerPair(row[j], a, j, heaps)
                j += 1
            }
        }

        @inline(__always)
        func offerPair(_ s: Float, _ a: Int, _ b: Int, _ heaps: NeighbourHeaps) {
            if s >= heaps.worst[a] { heaps.offer(a, value: s, index: b) }
            if s >= heaps.worst[b] { heaps.offer(b, value: s, index: a) }
        }
    }
}
