import TCMKernels

/// Retrieval metrics as pytorch-metric-learning's `AccuracyCalculator` defines them, with every
/// sample a query against all others (the query itself excluded from its gallery).
public struct RetrievalReport: Sendable, Codable, Equatable {
    public struct RecallAtK: Sendable, Codable, Equatable {
        public let k: Int
        public let recall: Double
    }
    /// Recall@k in the DML sense: share of queries with a same-class item among the k nearest.
    public let recallAtK: [RecallAtK]
    /// Mean over queries of (same-class items among the R nearest) / R, R = other items of the class.
    public let rPrecision: Double
    /// Mean over queries of (1/R) Σ_{i ≤ R} precision@i · relevant(i).
    public let mapAtR: Double
    /// Queries used (those whose class has at least one other item).
    public let queries: Int
    /// Queries left out because their class has a single sample.
    public let skippedQueries: Int
    /// Per query, in the layout's row order (classes in turn): whether its nearest item is of its
    /// class. What the bootstrap resamples Recall@1 from; not written to JSON (empty when read
    /// back) and not compared by `==`.
    public var hitAt1: [Bool] = []

    enum CodingKeys: String, CodingKey {
        case recallAtK, rPrecision, mapAtR, queries, skippedQueries
    }

    public static func == (x: RetrievalReport, y: RetrievalReport) -> Bool {
        x.recallAtK == y.recallAtK && x.rPrecision == y.rPrecision && x.mapAtR == y.mapAtR && x.queries == y.queries
            && x.skippedQueries == y.skippedQueries
    }
}

public enum Retrieval {
    /// One tiled pass: for each block of query rows, the similarity row against all items, a
    /// selection of the `max(k_max, R)` nearest, and the hits among them. Ties are broken by
    /// input order, so results are deterministic.
    public static func compute(
        layout: ClassLayout, ks: [Int] = [1, 2, 4, 8], threads: Int = defaultThreadCount,
        progress: (@Sendable (Double) -> Void)? = nil
    ) -> RetrievalReport {
        let n = layout.sampleCount, d = layout.unitRows.cols
        let kmax = ks.max() ?? 1
        let blockRows = reductionBlock
        let blocks = (n + blockRows - 1) / blockRows
        let outcomes = SharedBuffer<QueryOutcome>(count: n)
        let counter = ProgressCounter(total: n, callback: progress)
        let packed = PackedRows(layout.unitRows)
        parallelForEach(count: blocks, threads: threads) { b in
            let r0 = b * blockRows, rows = min(blockRows, n - r0)
            let tile = UnsafeMutablePointer<Float>.allocate(capacity: rows * n)
            defer { tile.deallocate() }
            layout.unitRows.values.withUnsafeBufferPointer { x in
                packed.multiply(a: x.baseAddress! + r0 * d, m: rows, lda: d, columns: 0, count: n, c: tile, ldc: n)
            }
            scoreRows(tile: tile, ldc: n, firstRow: r0, rows: rows, layout: layout, kmax: kmax, into: outcomes)
            counter.advance(by: rows)
        }
        return report(outcomes, ks: ks, count: n)
    }

    /// Queries per partial sum: the report adds outcomes in blocks of this many queries, then the
    /// blocks in order, whichever pass produced them, so every pass prints the same digits.
    static let reductionBlock = 64

    /// How many nearest items query rows of a class of `classSize` need: `max(k_max, R)`, at most
    /// the other items; 0 for a class of one (its queries are skipped).
    static func need(classSize: Int, kmax: Int, samples n: Int) -> Int {
        classSize <= 1 ? 0 : min(n - 1, max(kmax, classSize - 1))
    }

    /// Ranks and scores full similarity rows `firstRow ..< firstRow + rows` (row r of `tile` holds
    /// query `firstRow + r` against all `n` items).
    static func scoreRows(
        tile: UnsafePointer<Float>, ldc: Int, firstRow r0: Int, rows: Int, layout: ClassLayout,
        kmax: Int, into outcomes: SharedBuffer<QueryOutcome>
    ) {
        let n = layout.sampleCount
        var scratch: SelectionScratch?
        defer { scratch?.deallocate() }
        var cls = layout.classOfRow(r0)
        for r in 0 ..< rows {
            let a = r0 + r
            while layout.classStart[cls + 1] <= a { cls += 1 }
            let classLo = layout.classStart[cls], classHi = layout.classStart[cls + 1]
            let need = need(classSize: classHi - classLo, kmax: kmax, samples: n)
            if need == 0 {
                outcomes.initialize(a, to: .skipped)
                continue
            }
            // Large needs (as `nearest` decides): the ranks without sorting the class's own items.
            if need * 32 > n {
                if scratch == nil { scratch = SelectionScratch(count: n) }
                outcomes.initialize(
                    a,
                    to: outcomeBySelection(
                        row: tile + r * ldc, count: n, excluding: a, need: need, classLo: classLo, classHi: classHi,
                        scratch: scratch!))
                continue
            }
            let ranked = nearest(row: tile + r * ldc, count: n, excluding: a, need: need)
            outcomes.initialize(a, to: QueryOutcome(ranked: ranked, classLo: classLo, classHi: classHi))
        }
    }

    /// The report from every query's outcome, summed in `reductionBlock`s.
    static func report(_ outcomes: SharedBuffer<QueryOutcome>, ks: [Int], count n: Int) -> RetrievalReport {
        report(outcomes.moveToArray(), ks: ks)
    }

    /// The same from an array of every query's outcome (merged count files).
    static func report(_ all: [QueryOutcome], ks: [Int]) -> RetrievalReport {
        let n = all.count
        // Per block: [hits@k for each k] + rPrecision sum + MAP sum + queries.
        var total = [Double](repeating: 0, count: ks.count + 3)
        var b0 = 0
        while b0 < n {
            var acc = [Double](repeating: 0, count: ks.count + 3)
            for o in all[b0 ..< min(n, b0 + reductionBlock)] where o.relevant > 0 {
                for (q, k) in ks.enumerated() where o.firstHit < k { acc[q] += 1 }
                acc[ks.count] += Double(o.hits) / Double(o.relevant)
                acc[ks.count + 1] += o.precisionSum / Double(o.relevant)
                acc[ks.count + 2] += 1
            }
            for i in acc.indices { total[i] += acc[i] }
            b0 += reductionBlock
        }
        let queries = Int(total[ks.count + 2])
        let denominator = Double(max(queries, 1))
        return RetrievalReport(
            recallAtK: ks.enumerated().map { .init(k: $1, recall: total[$0] / denominator) },
            rPrecision: total[ks.count] / denominator, mapAtR: total[ks.count + 1] / denominator,
            queries: queries, skippedQueries: n - queries,
            hitAt1: all.map { $0.relevant > 0 && $0.firstHit == 0 })
    }

    /// Column indices of the `need` largest entries of `row` (excluding `excluding`), best first,
    /// ties in column order.
    ///
    /// One streaming pass with a max-heap of the `need` best so far (its root is the worst kept),
    /// eight columns at a time tested against the root's value: most columns fail that one
    /// comparison. It replaced a copy of the row and a quickselect per query, which made the
    /// pass 3.5× slower than its matrix products on 60,000 rows of 10,000 classes (13.7 s).
    /// Order is exact: each entry is one integer, (similarity descending, column ascending).
    static func nearest(row: UnsafePointer<Float>, count n: Int, excluding self_: Int, need: Int) -> [Int] {
        precondition(need >= 1 && need <= n - 1)
        // Large classes (R of a thousand in 10,000 rows) would keep replacing the heap's root:
        // there a selection on a copy of the row is faster (measured: 0.60 s against 0.95 s for
        // the bundled baseline's analysis).
        if need * 32 > n { return nearestBySelection(row: row, count: n, excluding: self_, need: need) }
        var heap: [UInt64] = []
        heap.reserveCapacity(need)
        @inline(__always) func entry(_ j: Int) -> UInt64 { (UInt64(descendingKey(row[j])) << 32) | UInt64(j) }
        var j = 0
        // Fill with the first `need` columns.
        while heap.count < need {
            if j != self_ { heap.append(entry(j)) }
            j += 1
        }
        heap.withUnsafeMutableBufferPointer { h in
            let base = h.baseAddress!
            // Heapify (max at the root).
            for i in stride(from: need / 2 - 1, through: 0, by: -1) {
                KeyHeap.siftDown(base, count: need, from: i, placing: h[i])
            }
            var worst = row[Int(h[0] & 0xFFFF_FFFF)]
            var c = j
            while c < n {
                // Eight columns at a time while none can enter (plain loop, no captured state:
                // this is the hot path).
                if c % 8 == 0 {
                    let raw = UnsafeRawPointer(row)
                    while c + 16 <= n {
                        let w = SIMD8<Float>(repeating: worst)
                        let a = raw.loadUnaligned(fromByteOffset: 4 * c, as: SIMD8<Float>.self)
                        let b = raw.loadUnaligned(fromByteOffset: 4 * c + 32, as: SIMD8<Float>.self)
                        if any((a .>= w) .| (b .>= w)) { break }
                        c += 16
                    }
                    while c + 8 <= n
                        && !any(
                            raw.loadUnaligned(fromByteOffset: 4 * c, as: SIMD8<Float>.self)
                                .>= SIMD8<Float>(repeating: worst))
                    { c += 8 }
                    if c >= n { break }
                }
                // Equal values need the exact key: a later column loses a tie, but +0 beats -0.
                if c != self_ && row[c] >= worst {
                    let e = (UInt64(descendingKey(row[c])) << 32) | UInt64(c)
                    if e < h[0] {
                        KeyHeap.siftDown(base, count: need, from: 0, placing: e)
                        worst = row[Int(h[0] & 0xFFFF_FFFF)]
                    }
                }
                c += 1
            }
        }
        heap.sort()
        return heap.map { Int($0 & 0xFFFF_FFFF) }
    }

    /// The same result by bucket selection: a cut (a lower edge of one of 2,048 equal-width
    /// similarity buckets) that leaves at least `need` items at or above it; those items are keyed
    /// (similarity descending, column ascending) and radix-sorted, the first `need` kept. The cut
    /// is first guessed from a strided sample of the row (about 1,000 values, with 10 % to spare),
    /// and found exactly from a histogram of the whole row only when the guess keeps too few.
    ///
    /// Why not quickselect and a comparison sort: for a query of a large class (R ≈ 1,000 of
    /// 10,000 rows) those took 220 µs a query, three quarters of a 10k × 128 analysis
    /// (measured with perf); this does the same work in about 40 µs.
    static func nearestBySelection(row: UnsafePointer<Float>, count n: Int, excluding self_: Int, need: Int) -> [Int] {
        let buckets = 2048, scale = Float(buckets / 2)
        @inline(__always) func bucket(_ s: Float) -> Int { min(max(Int((s + 1) * scale), 0), buckets - 1) }
        /// The highest cut with at least `target` counts at or above it.
        func cut(_ histogram: UnsafeMutableBufferPointer<Int32>, _ target: Double) -> Int {
            var c = buckets - 1, above = Double(histogram[c])
            while above < target && c > 0 {
                c -= 1
                above += Double(histogram[c])
            }
            return c
        }
        let histogram = UnsafeMutableBufferPointer<Int32>.allocate(capacity: buckets)
        defer { histogram.deallocate() }
        histogram.initialize(repeating: 0)
        let step = max(1, n / 1024)
        var sampled = 0
        for j in stride(from: 0, to: n, by: step) where j != self_ {
            histogram[bucket(row[j])] &+= 1
            sampled += 1
        }
        var keys = candidates(
            row: row, count: n, excluding: self_,
            cut: cut(histogram, Double(need) * Double(sampled) / Double(n - 1) * 1.1 + 4), scale: scale)
        if keys.count < need {
            histogram.update(repeating: 0)
            for j in 0 ..< n where j != self_ { histogram[bucket(row[j])] &+= 1 }
            keys = candidates(row: row, count: n, excluding: self_, cut: cut(histogram, Double(need)), scale: scale)
        }
        keys.withUnsafeMutableBufferPointer { RadixSort.sortByHighWord($0) }
        return keys.prefix(need).map { Int($0 & 0xFFFF_FFFF) }
    }

    /// Keys of the items in buckets ≥ `cut`, in column order; eight columns at a time are skipped
    /// when none reaches the cut. bucket(s) ≥ cut ⇔ (s + 1)·scale ≥ cut (the same float
    /// expression; cut 0 takes all).
    static func candidates(
        row: UnsafePointer<Float>, count n: Int, excluding self_: Int, cut: Int, scale: Float
    ) -> [UInt64] {
        let floor = cut == 0 ? -Float.infinity : Float(cut)
        var keys: [UInt64] = []
        let raw = UnsafeRawPointer(row)
        let one = SIMD8<Float>(repeating: 1), s8 = SIMD8<Float>(repeating: scale), f8 = SIMD8<Float>(repeating: floor)
        var j = 0
        while j < n {
            if j + 8 <= n && !any((raw.loadUnaligned(fromByteOffset: 4 * j, as: SIMD8<Float>.self) + one) * s8 .>= f8) {
                j += 8
                continue
            }
            let end = min(j + 8, n)
            while j < end {
                if j != self_ && (row[j] + 1) * scale >= floor {
                    keys.append((UInt64(descendingKey(row[j])) << 32) | UInt64(j))
                }
                j += 1
            }
        }
        return keys
    }
}

/// One query's ranking, reduced to what the metrics need.
struct QueryOutcome: Sendable {
    /// Same-class items among the first R (R = `relevant`); 0 relevant = a skipped query.
    var hits = 0
    var relevant = 0
    /// Rank (0-based) of the first same-class item among those kept, `Int.max` if none.
    var firstHit = Int.max
    /// Σ over relevant ranks i < R of precision@(i + 1).
    var precisionSum = 0.0

    static let skipped = QueryOutcome()

    /// Scores item indices ranked nearest first (at least `max(k_max, R)` of them).
    init<Items: Sequence>(ranked: Items, classLo: Int, classHi: Int) where Items.Element: BinaryInteger {
        relevant = classHi - classLo - 1
        for (i, item) in ranked.enumerated() {
            let j = Int(item)
            guard j >= classLo && j < classHi else { continue }
            firstHit = min(firstHit, i)
            if i < relevant {
                hits += 1
                precisionSum += Double(hits) / Double(i + 1)
            }
        }
    }

    private init() {}
}

/// An unsigned key whose ascending order is the float's descending order.
@inline(__always)
func descendingKey(_ x: Float) -> UInt32 {
    let bits = x.bitPattern
    let ascending = bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
    return ~ascending
}

enum Selection {
    /// Mean of the `m` smallest values (of the negated values with `negated`), in linear
    /// expected time: ranking every class at every grid threshold by sorting cost 40 ms at
    /// 10,000 classes; selection makes it a few.
    static func meanOfSmallest(_ values: inout [Double], _ m: Int, negated: Bool = false) -> Double {
        if negated { for i in values.indices { values[i] = -values[i] } }
        defer { if negated { for i in values.indices { values[i] = -values[i] } } }
        if m >= values.count { return values.reduce(0, +) / Double(values.count) }
        // The m-th smallest, then everything strictly below it plus enough copies of it.
        let cut = kthSmallest(&values, k: m)
        var sum = 0.0, below = 0
        for v in values where v < cut {
            sum += v
            below += 1
        }
        return (sum + Double(m - below) * cut) / Double(m)
    }

    /// Mean of the `m` smallest values of a buffer (reordered), without copying.
    static func meanOfSmallest(_ v: UnsafeMutableBufferPointer<Double>, _ m: Int) -> Double {
        if m >= v.count { return v.reduce(0, +) / Double(v.count) }
        let cut = kthSmallest(v, k: m)
        var sum = 0.0, below = 0
        for x in v where x < cut {
            sum += x
            below += 1
        }
        return (sum + Double(m - below) * cut) / Double(m)
    }

    /// Mean of the `m` largest values of a buffer (reordered), without copying.
    static func meanOfLargest(_ v: UnsafeMutableBufferPointer<Double>, _ m: Int) -> Double {
        if m >= v.count { return v.reduce(0, +) / Double(v.count) }
        let cut = kthSmallest(v, k: v.count - m + 1)
        var sum = 0.0, above = 0
        for x in v where x > cut {
            sum += x
            above += 1
        }
        return (sum + Double(m - above) * cut) / Double(m)
    }

    static func kthSmallest<T: Comparable>(_ values: inout [T], k: Int) -> T {
        values.withUnsafeMutableBufferPointer { kthSmallest($0, k: k) }
    }

    static func kthSmallest<T: Comparable>(_ v: UnsafeMutableBufferPointer<T>, k: Int) -> T {
        precondition(k >= 1 && k <= v.count)
        let target = k - 1
        var lo = 0, hi = v.count - 1
        do {
            while lo < hi {
                let mid = lo + (hi - lo) / 2
                if v[mid] < v[lo] { v.swapAt(mid, lo) }
                if v[hi] < v[lo] { v.swapAt(hi, lo) }
                if v[hi] < v[mid] { v.swapAt(hi, mid) }
                let pivot = v[mid]
                var i = lo, j = hi
                while i <= j {
                    while v[i] < pivot { i += 1 }
                    while v[j] > pivot { j -= 1 }
                    if i <= j {
                        v.swapAt(i, j)
                        i += 1
                        j -= 1
                    }
                }
                if target <= j { hi = j } else if target >= i { lo = i } else { return v[target] }
            }
            return v[target]
        }
    }

    /// The k-th largest value (1-based) of `values`, reordering them (quickselect, median-of-three pivot).
    static func kthLargest(_ values: inout [Float], k: Int) -> Float {
        kthSmallest(&values, k: values.count - k + 1)
    }
}
