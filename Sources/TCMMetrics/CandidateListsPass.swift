import TCMData
import TCMKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Counts and retrieval for large classes from the half product: each unordered pair's
/// similarity is computed once and feeds the counts and the candidate lists of both its ends.
///
/// A query of a class of 1,000 in 10,000 rows keeps its ~1,000 nearest; bounded heaps churn at
/// that size, so the class-owned pass used to compute whole rows (the full product, ordered pairs
/// folded) just to rank them. Here instead:
/// 1. every query's similarities to a strided sample of ~1,000 columns set its cut (as
///    `Retrieval.outcomeBySelection` guesses it from its row, with the same margin) and the
///    capacity of its list;
/// 2. the upper triangle runs in tiles of row groups (g, h), handed out so that no two running
///    tiles share a group (`TileSchedule`: each list has one writer at a time);
///    a tile folds its pairs into per-worker histograms as the symmetric pass does, and appends
///    s(a, b) to a's list when it reaches a's cut and to b's when it reaches b's;
/// 3. each query is ranked from its list (`Retrieval.outcome(same:…)`, order-independent).
///    A list that overflowed its capacity or holds fewer than `need` items (the sample misled)
///    falls back to the query's whole row and `outcomeBySelection` (such rows computed together).
/// The similarities are the same bits in every tile shape and in either order of the pair
/// (the kernels sum the same products in the same order), so the report is the one the
/// class-owned pass gives, digit for digit.
enum CandidateListsPass {
    static let scale = Float(SelectionScratch.buckets / 2)

    /// Every query's candidates, in two lists of one allocation each and 4 bytes an item: same-class
    /// items by their similarity alone (`Retrieval.outcome(same:…)` needs no index for them, the
    /// class range settles ties with other items) and the others by `Retrieval.otherKey` (their
    /// similarity, plus one when they come after the query's class: all that ranking needs of
    /// them; capacity from the sample, past it the list has overflowed and is only counted).
    /// 4 bytes instead of 8 (a full key) for the ~1,000 candidates a query halves the pages the
    /// kernel clears and the lists' memory traffic.
    struct Lists: @unchecked Sendable {
        /// Where a query's lists end so far: one record a query, so that an append reads and writes
        /// one place (with sizes and offsets in four arrays, an append touched four cache lines).
        struct Tail {
            var same: UnsafeMutablePointer<UInt32>
            /// Past `otherEnd` the list has overflowed: items are counted, not stored.
            var other: UnsafeMutablePointer<UInt32>
            let otherEnd: UnsafeMutablePointer<UInt32>
        }

        let count: Int
        let sameOffsets: UnsafeMutablePointer<Int>, same: UnsafeMutablePointer<UInt32>
        let otherOffsets: UnsafeMutablePointer<Int>, others: UnsafeMutablePointer<UInt32>
        let tails: UnsafeMutablePointer<Tail>
        /// A similarity x is a candidate of q when (x + 1) · scale ≥ floors[q] (+∞: needs none).
        let floors: UnsafeMutablePointer<Float>

        init(floors f: [Float], sameCapacities: [Int], otherCapacities: [Int]) {
            count = f.count
            sameOffsets = .allocate(capacity: count + 1)
            otherOffsets = .allocate(capacity: count + 1)
            tails = .allocate(capacity: max(count, 1))
            floors = .allocate(capacity: max(count, 1))
            sameOffsets[0] = 0
            otherOffsets[0] = 0
            for q in 0 ..< count {
                sameOffsets[q + 1] = sameOffsets[q] + sameCapacities[q]
                otherOffsets[q + 1] = otherOffsets[q] + otherCapacities[q]
            }
            same = ZeroPages.allocate(UInt32.self, count: max(sameOffsets[count], 1), hugePages: true)
            others = ZeroPages.allocate(UInt32.self, count: max(otherOffsets[count], 1), hugePages: true)
            for q in 0 ..< count {
                (tails + q).initialize(
                    to: Tail(
                        same: same + sameOffsets[q], other: others + otherOffsets[q],
                        otherEnd: others + otherOffsets[q + 1]))
            }
            f.withUnsafeBufferPointer { floors.initialize(from: $0.baseAddress!, count: count) }
        }

        func deallocate() {
            ZeroPages.deallocate(same, count: max(sameOffsets[count], 1))
            ZeroPages.deallocate(others, count: max(otherOffsets[count], 1))
            sameOffsets.deallocate()
            otherOffsets.deallocate()
            tails.deallocate()
            floors.deallocate()
        }

        /// Same-class items offered to q so far.
        func sameSize(_ q: Int) -> Int { tails[q].same - (same + sameOffsets[q]) }

        /// Other items offered to q so far, stored or not (more than the capacity: overflowed).
        func otherSize(_ q: Int) -> Int { tails[q].other - (others + otherOffsets[q]) }

        /// Offers an item of q's class at similarity `value` to query `q`.
        @inline(__always)
        func appendSame(_ q: Int, value: Float) {
            // At most class size − 1 of them: the capacity.
            let tail = tails + q
            tail.pointee.same.pointee = descendingKey(value)
            tail.pointee.same += 1
        }

        /// Offers an item of another class at similarity `value` to query `q`, an item that comes
        /// `after` q's class (or before it).
        @inline(__always)
        func appendOther(_ q: Int, value: Float, after: Bool) {
            let tail = tails + q, end = tail.pointee.other
            if end < tail.pointee.otherEnd { end.pointee = Retrieval.otherKey(descendingKey(value), after: after) }
            // Past the end only as an address, never written through: the overflow's count.
            tail.pointee.other = end + 1
        }
    }

    /// An upper estimate of the lists' bytes before sampling (for the plan), as if every candidate took
    /// 8 bytes: 1.5 × need + 40 a query.
    static func bytes(layout: ClassLayout, kmax: Int) -> Int {
        let n = layout.sampleCount
        var keys = 0
        for c in 0 ..< layout.classCount {
            let need = Retrieval.need(classSize: layout.size(of: c), kmax: kmax, samples: n)
            keys += layout.size(of: c) * min(n, Int(Double(need) * 1.5) + 40)
        }
        return keys * 8 + n * 24
    }

    static func run<Counter: FixedWidthInteger & UnsignedInteger & SendableMetatype>(
        _: Counter.Type, layout: ClassLayout, bins: ThresholdBins, tiling: PairCounts.Tiling, kmax: Int,
        progress: (@Sendable (Double) -> Void)?
    ) -> (positives: [CountHistogram], negatives: [CountHistogram], outcomes: SharedBuffer<QueryOutcome>) {
        let n = layout.sampleCount
        let packed = PackedRows(layout.unitRows)
        let lists = sampledLists(layout: layout, tiling: tiling, kmax: kmax)
        defer { lists.deallocate() }
        let (pos, neg) = foldTiles(
            Counter.self, layout: layout, packed: packed, bins: bins, tiling: tiling, lists: lists, progress: progress)
        let outcomes = SharedBuffer<QueryOutcome>(count: n)
        let block = Retrieval.reductionBlock, blocks = (n + block - 1) / block
        // Each block's queries whose lists cannot say, ranked from whole rows afterwards.
        let short = SharedBuffer<[Int]>(count: blocks)
        parallelForEach(count: blocks, threads: tiling.threads) { b in
            short.initialize(
                b,
                to: rank(
                    queries: b * block ..< min(n, (b + 1) * block), layout: layout, lists: lists, kmax: kmax,
                    into: outcomes))
        }
        rankWholeRows(
            short.moveToArray().flatMap { $0 }, layout: layout, packed: packed, kmax: kmax, threads: tiling.threads,
            into: outcomes)
        return (pos, neg, outcomes)
    }

    /// Step 1: each query's cut and list capacity from its similarities to a strided sample of columns.
    static func sampledLists(layout: ClassLayout, tiling: PairCounts.Tiling, kmax: Int) -> Lists {
        let n = layout.sampleCount, d = layout.unitRows.cols
        let step = max(1, n / 1024)
        let columns = Array(stride(from: 0, to: n, by: step))
        var sample = [Float](repeating: 0, count: columns.count * d)
        for (t, j) in columns.enumerated() {
            for k in 0 ..< d { sample[t * d + k] = layout.unitRows.values[j * d + k] }
        }
        let packedSample = PackedRows(Matrix(rows: columns.count, cols: d, values: sample))
        let floors = SharedBuffer<Float>(count: n), sameCapacities = SharedBuffer<Int>(count: n)
        let otherCapacities = SharedBuffer<Int>(count: n)
        let rowBlock = max(1, tiling.rowBlock), blocks = (n + rowBlock - 1) / rowBlock
        let margin = tiling.candidateMargin, slack = tiling.candidateCapacity
        parallelForEach(count: blocks, threads: tiling.threads) { b in
            let r0 = b * rowBlock, rows = min(rowBlock, n - r0), m = columns.count
            let tile = UnsafeMutablePointer<Float>.allocate(capacity: rows * m)
            // Buckets of `Retrieval.outcomeBySelection` (x = 1 falls in one past the last), computed
            // in C (vectorised).
            let buckets = ThresholdBins(binsPerUnit: SelectionScratch.buckets / 2)
            let binned = UnsafeMutablePointer<UInt16>.allocate(capacity: m)
            defer {
                tile.deallocate()
                binned.deallocate()
            }
            layout.unitRows.values.withUnsafeBufferPointer { x in
                packedSample.multiply(
                    a: x.baseAddress! + r0 * d, m: rows, lda: d, columns: 0, count: m, c: tile, ldc: m)
            }
            var cls = layout.classOfRow(r0)
            for r in 0 ..< rows {
                let q = r0 + r
                while layout.classStart[cls + 1] <= q { cls += 1 }
                let need = Retrieval.need(classSize: layout.size(of: cls), kmax: kmax, samples: n)
                let lo = layout.classStart[cls], hi = layout.classStart[cls + 1]
                sameCapacities.initialize(q, to: hi - lo - 1)
                if need == 0 {
                    floors.initialize(q, to: .infinity)
                    otherCapacities.initialize(q, to: 0)
                    continue
                }
                buckets.bins(of: tile + r * m, count: m, into: binned)
                let selfSampled = q % step == 0 && q / step < m
                let selfBin = selfSampled ? Int(binned[q / step]) : -1
                let sampled = selfSampled ? m - 1 : m
                let target = Double(need) * Double(sampled) / Double(n - 1) * margin + 4
                // The highest cut c < 2,048 with at least `target` sampled similarities (the query's
                // own left out) in buckets ≥ c, or 0 if none (`outcomeBySelection`'s rule; the
                // bucket of x = 1 counts with the last). The count falls as c rises, so bisect it,
                // counting sixteen buckets a step in C (a histogram of 2,049 buckets a query, filled
                // and walked, was two thirds of this step).
                func above(_ c: Int) -> Int {
                    ThresholdBins.count(binned, count: m, atLeast: c) - (selfBin >= c ? 1 : 0)
                }
                var c = 0, high = SelectionScratch.buckets - 1
                while c < high {
                    let mid = (c + high + 1) / 2
                    if Double(above(mid)) >= target { c = mid } else { high = mid - 1 }
                }
                let aboveCut = above(c)
                floors.initialize(q, to: c == 0 ? -.infinity : Float(c))
                // Sampled other-class items at or above the cut: all of them less the class's own
                // (a contiguous range of the strided sample, which holds the query if sampled).
                let tLo = min(m, (lo + step - 1) / step), tHi = min(m, (hi + step - 1) / step)
                var ownAbove = 0
                for t in tLo ..< tHi where Int(binned[t]) >= c { ownAbove += 1 }
                if selfSampled && Int(binned[q / step]) >= c { ownAbove -= 1 }
                let othersAbove = aboveCut - ownAbove
                // Other-class items are few, so their sampled count is noisy: room for 4 standard
                // deviations of it (1.3 × the estimate overflowed for 1.6 % of the 10k set's queries).
                let k = Double(othersAbove), perSample = Double(n - 1) / Double(max(sampled, 1))
                let room = (k + 4 * k.squareRoot() + 4) * perSample * slack
                otherCapacities.initialize(q, to: min(n - 1, Int(room) + 32))
            }
        }
        return Lists(
            floors: floors.moveToArray(), sameCapacities: sameCapacities.moveToArray(),
            otherCapacities: otherCapacities.moveToArray())
    }

    /// Step 2: the upper triangle in tiles of group pairs; counts into per-worker histograms,
    /// candidates into the lists of both ends.
    static func foldTiles<Counter: FixedWidthInteger & UnsignedInteger & SendableMetatype>(
        _: Counter.Type, layout: ClassLayout, packed: PackedRows, bins: ThresholdBins, tiling: PairCounts.Tiling,
        lists: Lists, progress: (@Sendable (Double) -> Void)?
    ) -> ([CountHistogram], [CountHistogram]) {
        let n = layout.sampleCount, d = layout.unitRows.cols, nb = bins.count, classes = layout.classCount
        let workers = max(1, tiling.threads)
        // About 8 groups per worker (G/2 tiles a round), each a whole number of row blocks (which
        // are whole panels at the default 96 rows): fewer part-filled tiles of the kernel.
        let rowBlock = max(1, tiling.rowBlock)
        let wanted = max(1, min(8 * workers, n / rowBlock))
        let groupRows = (n + wanted - 1) / wanted
        let rounded = (groupRows + rowBlock - 1) / rowBlock * rowBlock
        let groups = (n + rounded - 1) / rounded
        let bounds = (0 ... groups).map { min(n, $0 * rounded) }
        let perWorker = classes * 2 * nb
        let scratch = SharedBuffer<Counter>(count: workers * perWorker)
        scratch.base.initialize(repeating: 0, count: workers * perWorker)
        let counter = ProgressCounter(total: n * (n + 1) / 2, callback: progress)
        let width = tiling.columns
        let schedule = TileSchedule(groups: groups)
        parallelForEach(count: workers, threads: workers) { worker, _ in
            let histograms = scratch.base + worker * perWorker
            let tile = UnsafeMutablePointer<Float>.allocate(capacity: tiling.rowBlock * width)
            let found = UnsafeMutablePointer<Int32>.allocate(capacity: width + 8)
            let foundTheirs = UnsafeMutablePointer<Int32>.allocate(capacity: width + 8)
            defer {
                tile.deallocate()
                found.deallocate()
                foundTheirs.deallocate()
            }
            while let (g, h) = schedule.next() {
                defer { schedule.finish(g, h) }
                let columnsLo = bounds[h], columnsHi = bounds[h + 1]
                var r0 = bounds[g]
                layout.unitRows.values.withUnsafeBufferPointer { x in
                    while r0 < bounds[g + 1] {
                        let rows = min(tiling.rowBlock, bounds[g + 1] - r0)
                        var c0 =
                            (g == h ? max(columnsLo, r0) : columnsLo) / PackedRows.columnAlignment
                            * PackedRows.columnAlignment
                        var done = 0
                        while c0 < columnsHi {
                            let cols = min(width, columnsHi - c0), c1 = c0 + cols
                            packed.multiply(
                                a: x.baseAddress! + r0 * d, m: rows, lda: d, columns: c0, count: cols, c: tile,
                                ldc: cols)
                            var ca = layout.classOfRow(r0)
                            for r in 0 ..< rows {
                                let a = r0 + r
                                while layout.classStart[ca + 1] <= a { ca += 1 }
                                let j0 = max(c0, columnsLo, g == h ? a + 1 : 0)
                                if j0 >= c1 { continue }
                                done += c1 - j0
                                let row = tile + r * cols - c0
                                fold(
                                    row, a: a, ca: ca, from: j0, to: c1, histograms: histograms, layout: layout,
                                    bins: bins)
                                // a's candidates, then a as a candidate of each column's query.
                                // j > a, so j is of a's class exactly when it is below the class's
                                // end; otherwise j comes after a's class, and a before j's.
                                let classEnd = layout.classStart[ca + 1]
                                let (own, theirs) = ColumnsAtLeast.gather(
                                    row + j0, count: c1 - j0, scale: scale, floor: lists.floors[a],
                                    floors: lists.floors + j0, own: found, theirs: foundTheirs)
                                for t in 0 ..< own {
                                    let j = j0 + Int(found[t])
                                    if j < classEnd {
                                        lists.appendSame(a, value: row[j])
                                    } else {
                                        lists.appendOther(a, value: row[j], after: true)
                                    }
                                }
                                for t in 0 ..< theirs {
                                    let j = j0 + Int(foundTheirs[t])
                                    if j < classEnd {
                                        lists.appendSame(j, value: row[j])
                                    } else {
                                        lists.appendOther(j, value: row[j], after: false)
                                    }
                                }
                            }
                            c0 = c1
                        }
                        counter.advance(by: done)
                        r0 += rows
                    }
                }
            }
        }
        return PairCounts.sumAndCompact(scratch, workers: workers, classes: classes, bins: bins)
    }

    /// Folds s(a, j), j in `j0 ..< j1` (all j > a), as the symmetric pass does: a pair of one
    /// class adds to its unordered positives, a pair of two classes one negative to each.
    @inline(__always)
    static func fold<Counter: FixedWidthInteger & UnsignedInteger>(
        _ row: UnsafePointer<Float>, a: Int, ca: Int, from j0: Int, to j1: Int,
        histograms: UnsafeMutablePointer<Counter>, layout: ClassLayout, bins: ThresholdBins
    ) {
        let nb = bins.count
        let own = histograms + ca * 2 * nb
        var j = j0, cb = j0 < layout.classStart[ca + 1] ? ca : layout.classOfRow(j0)
        while j < j1 {
            while layout.classStart[cb + 1] <= j { cb += 1 }
            let end = min(layout.classStart[cb + 1], j1)
            if cb == ca {
                bins.accumulate(row + j, count: end - j, into: own)
            } else {
                bins.accumulate(row + j, count: end - j, into: own + nb, and: histograms + cb * 2 * nb + nb)
            }
            j = end
        }
    }

    /// Step 3: each query's outcome from its list; returns the queries whose list cannot say
    /// (short of `need`, or overflowed), left for `rankWholeRows`.
    static func rank(
        queries: Range<Int>, layout: ClassLayout, lists: Lists, kmax: Int, into outcomes: SharedBuffer<QueryOutcome>
    ) -> [Int] {
        let n = layout.sampleCount
        let scratch = SelectionScratch(count: n)
        defer { scratch.deallocate() }
        var short: [Int] = []
        var cls = layout.classOfRow(queries.lowerBound)
        for q in queries {
            while layout.classStart[cls + 1] <= q { cls += 1 }
            let lo = layout.classStart[cls], hi = layout.classStart[cls + 1]
            let need = Retrieval.need(classSize: hi - lo, kmax: kmax, samples: n)
            if need == 0 {
                outcomes.initialize(q, to: .skipped)
                continue
            }
            let r = lists.sameSize(q), o = lists.otherSize(q)
            guard r + o >= need && o <= lists.otherOffsets[q + 1] - lists.otherOffsets[q] else {
                short.append(q)
                continue
            }
            outcomes.initialize(
                q,
                to: Retrieval.outcome(
                    same: lists.same + lists.sameOffsets[q], r, others: lists.others + lists.otherOffsets[q], o,
                    need: need, classLo: lo, classHi: hi, scratch: scratch))
        }
        return short
    }

    /// The queries the lists could not rank, from their whole rows and `outcomeBySelection`,
    /// several rows a product (up to 32, ~8 MB of rows a worker): one row at a time, the kernel
    /// ran its tiles one row full, and on overlapping classes (~5 % of the queries short of
    /// `need`) that was ~9 % of the whole process (perf). A row's similarities are the same bits
    /// in any tile shape, so the outcomes are too.
    static func rankWholeRows(
        _ queries: [Int], layout: ClassLayout, packed: PackedRows, kmax: Int, threads: Int,
        into outcomes: SharedBuffer<QueryOutcome>
    ) {
        let n = layout.sampleCount, d = layout.unitRows.cols
        let chunk = max(1, min(32, (8 << 20) / (4 * max(n, 1))))
        let chunks = (queries.count + chunk - 1) / chunk
        parallelForEach(count: chunks, threads: threads) { c in
            let batch = queries[c * chunk ..< min(queries.count, (c + 1) * chunk)]
            let scratch = SelectionScratch(count: n)
            let a = UnsafeMutablePointer<Float>.allocate(capacity: batch.count * d)
            let rows = UnsafeMutablePointer<Float>.allocate(capacity: batch.count * n)
            defer {
                scratch.deallocate()
                a.deallocate()
                rows.deallocate()
            }
            layout.unitRows.values.withUnsafeBufferPointer { x in
                for (t, q) in batch.enumerated() { (a + t * d).update(from: x.baseAddress! + q * d, count: d) }
            }
            packed.multiply(a: a, m: batch.count, lda: d, columns: 0, count: n, c: rows, ldc: n)
            for (t, q) in batch.enumerated() {
                let cls = layout.classOfRow(q)
                let lo = layout.classStart[cls], hi = layout.classStart[cls + 1]
                let need = Retrieval.need(classSize: hi - lo, kmax: kmax, samples: n)
                outcomes.initialize(
                    q,
                    to: Retrieval.outcomeBySelection(
                        row: rows + t * n, count: n, excluding: q, need: need, classLo: lo, classHi: hi,
                        scratch: scratch))
            }
        }
    }
}

/// Hands out the tiles (g, h), g ≤ h, of `groups` row groups so that no two running tiles share
/// a group, without waiting for rounds to end (on a shared machine, one delayed worker held up
/// each round): a worker takes the first pending tile whose groups are both free. The order of
/// tiles varies from run to run; what the tiles produce does not depend on it (integer counts,
/// candidate lists ranked by their keys).
final class TileSchedule: @unchecked Sendable {
    // A pthread mutex, not `Synchronization.Mutex`: on Linux the latter locks with futex calls
    // ThreadSanitizer does not see, so the groups' hand-over between tiles looked like races to
    // it (CI runs this pass under TSan). `pending` and `busy` are touched only under `lock`.
    private var pending: [(Int, Int)]
    private var busy: [Bool]
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    init(groups: Int) {
        pending = HalfRoundsPass.rounds(groups: groups).flatMap { $0 }
        busy = .init(repeating: false, count: groups)
        pthread_mutex_init(lock, nil)
    }

    deinit {
        pthread_mutex_destroy(lock)
        lock.deallocate()
    }

    private func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return body()
    }

    /// The next tile, waiting while every pending tile shares a group with a running one; `nil` when none is left.
    func next() -> (Int, Int)? {
        while true {
            let taken: (Int, Int)?? = locked {
                if pending.isEmpty { return .some(nil) }
                guard let i = pending.firstIndex(where: { !busy[$0.0] && !busy[$0.1] }) else { return nil }
                let (g, h) = pending.remove(at: i)
                busy[g] = true
                busy[h] = true
                return .some((g, h))
            }
            if let taken { return taken }
            sched_yield()
        }
    }

    func finish(_ g: Int, _ h: Int) {
        locked {
            busy[g] = false
            busy[h] = false
        }
    }
}
