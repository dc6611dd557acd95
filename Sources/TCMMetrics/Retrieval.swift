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
}

public enum Retrieval {
    /// One tiled pass: for each block of query rows, the similarity row against all items, a
    /// selection of the `max(k_max, R)` nearest, and the hits among them. Ties are broken by
    /// input order, so results are deterministic.
    public static func compute(layout: ClassLayout, ks: [Int] = [1, 2, 4, 8], threads: Int = defaultThreadCount,
                               progress: (@Sendable (Double) -> Void)? = nil) -> RetrievalReport {
        let n = layout.sampleCount, d = layout.unitRows.cols
        let kmax = ks.max() ?? 1
        let blockRows = 64
        let blocks = (n + blockRows - 1) / blockRows
        // Per block: [hits@k for each k] + rPrecision sum + MAP sum + queries.
        let stats = SharedBuffer<[Double]>(count: blocks)
        let counter = ProgressCounter(total: n, callback: progress)
        let packed = PackedRows(layout.unitRows)
        parallelForEach(count: blocks, threads: threads) { b in
            let r0 = b * blockRows, rows = min(blockRows, n - r0)
            var acc = [Double](repeating: 0, count: ks.count + 3)
            let tile = UnsafeMutablePointer<Float>.allocate(capacity: rows * n)
            defer { tile.deallocate() }
            layout.unitRows.values.withUnsafeBufferPointer { x in
                packed.multiply(a: x.baseAddress! + r0 * d, m: rows, lda: d, columns: 0, count: n, c: tile, ldc: n)
            }
            var scratch = [Float](repeating: 0, count: n)
            var cls = layout.classOfRow(r0)
            for r in 0 ..< rows {
                let a = r0 + r
                while layout.classStart[cls + 1] <= a { cls += 1 }
                let classLo = layout.classStart[cls], classHi = layout.classStart[cls + 1]
                let relevant = classHi - classLo - 1
                if relevant == 0 { continue }
                let need = min(n - 1, max(kmax, relevant))
                let ranked = nearest(row: tile + r * n, count: n, excluding: a, need: need, scratch: &scratch)
                var hits = 0, precisionSum = 0.0, firstHit = Int.max
                for (i, j) in ranked.enumerated() where j >= classLo && j < classHi {
                    firstHit = min(firstHit, i)
                    if i < relevant {
                        hits += 1
                        precisionSum += Double(hits) / Double(i + 1)
                    }
                }
                for (q, k) in ks.enumerated() where firstHit < k { acc[q] += 1 }
                acc[ks.count] += Double(hits) / Double(relevant)
                acc[ks.count + 1] += precisionSum / Double(relevant)
                acc[ks.count + 2] += 1
            }
            counter.advance(by: rows)
            stats.initialize(b, to: acc)
        }
        var total = [Double](repeating: 0, count: ks.count + 3)
        for s in stats.moveToArray() { for i in s.indices { total[i] += s[i] } }
        let queries = Int(total[ks.count + 2])
        let denominator = Double(max(queries, 1))
        return RetrievalReport(recallAtK: ks.enumerated().map { .init(k: $1, recall: total[$0] / denominator) },
                               rPrecision: total[ks.count] / denominator, mapAtR: total[ks.count + 1] / denominator,
                               queries: queries, skippedQueries: n - queries)
    }

    /// Column indices of the `need` largest entries of `row` (excluding `excluding`), best first,
    /// ties in column order.
    static func nearest(row: UnsafePointer<Float>, count n: Int, excluding self_: Int, need: Int,
                        scratch: inout [Float]) -> [Int] {
        for j in 0 ..< n { scratch[j] = row[j] }
        scratch[self_] = -.infinity
        // The need-th largest value, by selection on a copy.
        let cut = Selection.kthLargest(&scratch, k: need)
        var picked: [Int] = []
        picked.reserveCapacity(need)
        for j in 0 ..< n where j != self_ && row[j] > cut { picked.append(j) }
        var j = 0
        while picked.count < need && j < n {
            if j != self_ && row[j] == cut { picked.append(j) }
            j += 1
        }
        // Sort by one integer key each (similarity descending, then index ascending): a plain
        // integer sort, measured several times faster than a closure comparing floats by index.
        var keys = picked.map { (UInt64(descendingKey(row[$0])) << 32) | UInt64($0) }
        keys.sort()
        return keys.map { Int($0 & 0xFFFF_FFFF) }
    }
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
        for v in values where v < cut { sum += v; below += 1 }
        return (sum + Double(m - below) * cut) / Double(m)
    }

    static func kthSmallest<T: Comparable>(_ values: inout [T], k: Int) -> T {
        precondition(k >= 1 && k <= values.count)
        let target = k - 1
        var lo = 0, hi = values.count - 1
        return values.withUnsafeMutableBufferPointer { v in
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
                    if i <= j { v.swapAt(i, j); i += 1; j -= 1 }
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
