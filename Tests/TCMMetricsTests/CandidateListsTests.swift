import Testing
import TCMData
import TCMKernels
@testable import TCMMetrics
import TCMTestSupport

/// Retrieval for large classes without sorting each class's items (`outcomeBySelection`,
/// `Retrieval.outcome(keys:…)`) and on the half product (`CandidateListsPass`): checked against
/// an independent reference that sorts every query's whole row of the same float similarities
/// (so the expected report is exact, not within a tolerance), and against every other mode.
@Suite struct CandidateListsTests {
    /// Every query ranked by a full sort of its row (similarity descending, column ascending),
    /// scored by `QueryOutcome(ranked:)` and summed as every pass sums.
    static func reference(_ layout: ClassLayout, ks: [Int]) -> RetrievalReport {
        let n = layout.sampleCount, d = layout.unitRows.cols, kmax = ks.max()!
        let packed = PackedRows(layout.unitRows)
        var rows = [Float](repeating: 0, count: n * n)
        layout.unitRows.values.withUnsafeBufferPointer { x in
            rows.withUnsafeMutableBufferPointer { c in
                packed.multiply(a: x.baseAddress!, m: n, lda: d, columns: 0, count: n, c: c.baseAddress!, ldc: n)
            }
        }
        var outcomes: [QueryOutcome] = []
        for c in 0 ..< layout.classCount {
            let lo = layout.classStart[c], hi = layout.classStart[c + 1]
            let need = Retrieval.need(classSize: hi - lo, kmax: kmax, samples: n)
            for q in lo ..< hi {
                if need == 0 {
                    outcomes.append(.skipped)
                    continue
                }
                let key = { (j: Int) in (UInt64(descendingKey(rows[q * n + j])) << 32) | UInt64(j) }
                let ranked = (0 ..< n).filter { $0 != q }.sorted { key($0) < key($1) }.prefix(need)
                outcomes.append(QueryOutcome(ranked: ranked, classLo: lo, classHi: hi))
            }
        }
        return Retrieval.report(outcomes, ks: ks)
    }

    /// Large classes of odd sizes, a singleton and a pair, rows copied over others (exact ties
    /// within and across classes) and embeddings rounded to a coarse grid (many equal similarities).
    static func largeClassesWithTies(seed: UInt64, rounded: Bool) -> ClassLayout {
        let (m, labels) = clusteredData(sizes: [97, 1, 133, 2, 61, 150, 45], dimension: 5, seed: seed)
        var values = m.values
        if rounded { values = values.map { ($0 * 2).rounded() / 2 } }
        for i in 0 ..< m.rows where (0 ..< m.cols).allSatisfy({ values[i * m.cols + $0] == 0 }) {
            values[i * m.cols] = 1
        }
        for (dst, src) in [(3, 40), (11, 12), (100, 5), (200, 201), (250, 7)] {
            for p in 0 ..< m.cols { values[dst * m.cols + p] = values[src * m.cols + p] }
        }
        return ClassLayout(embeddings: Matrix(rows: m.rows, cols: m.cols, values: values), labels: labels)
    }

    @Test(arguments: [(UInt64(1), false), (2, true), (3, true)])
    func everyModeEqualsTheFullSort(seed: UInt64, rounded: Bool) {
        let layout = Self.largeClassesWithTies(seed: seed, rounded: rounded)
        let ks = [1, 2, 4, 8]
        let expected = Self.reference(layout, ks: ks)
        var base = PairCounts.Tiling()
        base.threads = 1
        base.strategy = .classOwned
        let counts = PairCounts.compute(layout: layout, tiling: base)
        #expect(MetricsPass.plan(layout: layout, retrievalKs: ks).retrieval == .candidateLists)
        #expect(Retrieval.compute(layout: layout, ks: ks, threads: 2) == expected)
        for mode in MetricsPass.RetrievalMode.allCases {
            for (threads, rows, columns) in [(1, 96, 1024), (2, 5, 17), (3, 7, 48), (2, 1, 16)] {
                var t = PairCounts.Tiling()
                t.threads = threads
                t.rowBlock = rows
                t.columnBlock = columns
                t.retrievalMode = mode
                let (c, r) = MetricsPass.compute(layout: layout, tiling: t, retrievalKs: ks)
                MetricsPassTests.expectSameCounts(counts, c)
                #expect(r == expected, "\(mode) threads \(threads) tile \(rows)×\(columns)")
                #expect(r?.hitAt1 == expected.hitAt1)
            }
        }
    }

    /// Cuts set too high (lists short of `need`) or lists too small (overflow): those queries
    /// are ranked from their whole rows, with the same result.
    @Test(arguments: [(0.2, 1.3), (1.1, 0.05), (0.5, 0.5)])
    func listsThatFallShortOrOverflowRankTheWholeRow(margin: Double, capacity: Double) {
        let layout = Self.largeClassesWithTies(seed: 4, rounded: true)
        let ks = [1, 4]
        let expected = Self.reference(layout, ks: ks)
        var t = PairCounts.Tiling()
        t.threads = 2
        t.retrievalMode = .candidateLists
        t.candidateMargin = margin
        t.candidateCapacity = capacity
        let (_, r) = MetricsPass.compute(layout: layout, tiling: t, retrievalKs: ks)
        #expect(r == expected)
    }

    /// Heavily overlapping classes (centres at 0.3 of the noise): most of a query's nearest are of
    /// other classes, so ranking places hundreds of them among the same-class items, and the
    /// sample's cut often leaves a list short (ranked from whole rows, several at a time). Every
    /// tile shape and margin equals the full sort, and the brute force in Double.
    @Test func overlappingClassesEqualTheFullSort() {
        var rng = SplitMix64(state: 35)
        let sizes = [180, 150, 211, 97, 160, 1, 140], dimension = 12
        var values: [Float] = [], labels: [Int64] = []
        for (c, size) in sizes.enumerated() {
            let centre = (0 ..< dimension).map { _ in 0.3 * rng.gaussian() }
            for _ in 0 ..< size {
                values += centre.map { Float($0 + rng.gaussian()) }
                labels.append(Int64(c))
            }
        }
        let m = Matrix(rows: labels.count, cols: dimension, values: values)
        let layout = ClassLayout(embeddings: m, labels: Labels(integers: labels))
        let ks = [1, 2, 4, 8]
        let expected = Self.reference(layout, ks: ks)
        #expect(MetricsPass.plan(layout: layout, retrievalKs: ks).retrieval == .candidateLists)
        #expect(expected.rPrecision < 0.5, "the classes overlap")
        for (threads, rows, margin) in [(1, 96, 1.1), (2, 5, 1.1), (2, 7, 0.9), (3, 16, 1.5)] {
            var t = PairCounts.Tiling()
            t.threads = threads
            t.rowBlock = rows
            t.candidateMargin = margin
            t.retrievalMode = .candidateLists
            let (_, r) = MetricsPass.compute(layout: layout, tiling: t, retrievalKs: ks)
            #expect(r == expected, "threads \(threads) rows \(rows) margin \(margin)")
        }
        let brute = BruteForce(m, Labels(integers: labels)).retrieval(ks: ks)
        #expect(expected.queries == brute.queries)
        for (a, b) in zip(expected.recallAtK.map(\.recall), brute.recall) { #expect(abs(a - b) < 1e-12) }
        #expect(abs(expected.mapAtR - brute.mapAtR) < 1e-12)
    }

    /// The same against the brute force of the other suites (similarities in Double, so within a tolerance).
    @Test func candidateListsMatchBruteForce() {
        let (m, labels) = clusteredData(sizes: [81, 64, 3, 120, 1], dimension: 11, seed: 31)
        let expected = BruteForce(m, labels).retrieval(ks: [1, 2, 8])
        var t = PairCounts.Tiling()
        t.threads = 2
        t.retrievalMode = .candidateLists
        let (_, got) = MetricsPass.compute(
            layout: ClassLayout(embeddings: m, labels: labels), tiling: t, retrievalKs: [1, 2, 8])
        let r = try! #require(got)
        #expect(r.queries == expected.queries && r.skippedQueries == 1)
        for (a, b) in zip(r.recallAtK.map(\.recall), expected.recall) { #expect(abs(a - b) < 1e-12) }
        #expect(abs(r.rPrecision - expected.rPrecision) < 1e-12)
        #expect(abs(r.mapAtR - expected.mapAtR) < 1e-12)
    }

    /// One row at a time: ties, ±0, class ranges at the ends and in the middle, lane-unaligned
    /// lengths, every need from 1 to all.
    @Test func outcomeBySelectionEqualsTheFullSortOfARow() {
        var rng = SplitMix64(state: 12)
        for n in [2, 3, 9, 17, 64, 333, 2050] {
            var row: [Float] = []
            for _ in 0 ..< n {
                let r = Int(rng.unitDouble() * 9)
                let tie: Float = r == 0 ? -0.0 : r == 1 ? 0.0 : Float(r - 4) / 4
                row.append(r < 5 ? tie : Float(rng.unitDouble()))
            }
            let scratch = SelectionScratch(count: n)
            defer { scratch.deallocate() }
            let key = { (j: Int) in (UInt64(descendingKey(row[j])) << 32) | UInt64(j) }
            let ranges: [(Int, Int)] = [(0, max(1, n / 3)), (n / 2, n), (n / 4, n / 4 + max(1, n / 5)), (0, n)]
            for (lo, hi) in ranges {
                let queries: Set<Int> = [lo, (lo + hi) / 2, hi - 1]
                for excluding in queries {
                    let full = (0 ..< n).filter { $0 != excluding }.sorted { key($0) < key($1) }
                    let needs: Set<Int> = [1, 2, max(1, hi - lo - 1), max(1, (n - 1) / 2), n - 1]
                    for need in needs where need <= n - 1 {
                        let expected = QueryOutcome(ranked: full.prefix(need), classLo: lo, classHi: hi)
                        let got = row.withUnsafeBufferPointer {
                            Retrieval.outcomeBySelection(
                                row: $0.baseAddress!, count: n, excluding: excluding, need: need, classLo: lo,
                                classHi: hi, scratch: scratch)
                        }
                        #expect(
                            got.hits == expected.hits && got.relevant == expected.relevant
                                && got.firstHit == expected.firstHit
                                && got.precisionSum.bitPattern == expected.precisionSum.bitPattern,
                            "n \(n), class \(lo)..<\(hi), excluding \(excluding), need \(need)")
                    }
                }
            }
        }
    }

    /// Ranking from candidates split by class, in each of its ways of placing the same-class
    /// items among the others: a few others among the nearest (counted), many others and few
    /// same-class items after the nearest other (bisected), many of both (merged), and every
    /// item among the nearest (none left out by the cut); with ties on a coarse grid. Checked
    /// against the full sort of the row, to the bit.
    @Test(arguments: [(20, 5, 0), (300, 40, 2), (400, 400, 1), (60, 3, 200), (2, 700, 0)])
    func outcomeFromCandidatesEqualsTheFullSort(sameCount: Int, interleaved: Int, farOthers: Int) {
        var rng = SplitMix64(state: UInt64(sameCount * 7 + interleaved))
        for rounded in [false, true] {
            // The query's class at the front, then the others; the query is item 0.
            var row: [Float] = [1]
            for _ in 0 ..< sameCount { row.append(0.2 + 0.8 * Float(rng.unitDouble())) }
            for _ in 0 ..< interleaved { row.append(0.2 + 0.8 * Float(rng.unitDouble())) }
            for _ in 0 ..< farOthers { row.append(-0.5 + 0.6 * Float(rng.unitDouble())) }
            if rounded { row = row.map { ($0 * 16).rounded() / 16 } }
            let n = row.count, lo = 0, hi = sameCount + 1
            let key = { (j: Int) in (UInt64(descendingKey(row[j])) << 32) | UInt64(j) }
            let full = (1 ..< n).sorted { key($0) < key($1) }
            let scratch = SelectionScratch(count: n)
            defer { scratch.deallocate() }
            for need in Set([1, 2, sameCount / 2 + 1, sameCount, sameCount + interleaved / 2, n - 1])
            where need <= n - 1 {
                let expected = QueryOutcome(ranked: full.prefix(need), classLo: lo, classHi: hi)
                // Every item but the query, in column order (as the lists hold them), then ranked.
                for (t, j) in (1 ..< n).enumerated() { scratch.keys[t] = key(j) }
                let got = Retrieval.outcome(
                    keys: scratch.keys, n - 1, need: need, classLo: lo, classHi: hi, scratch: scratch)
                #expect(
                    got.hits == expected.hits && got.firstHit == expected.firstHit
                        && got.precisionSum.bitPattern == expected.precisionSum.bitPattern,
                    "same \(sameCount) interleaved \(interleaved) far \(farOthers) need \(need) rounded \(rounded)")
            }
        }
    }

    /// Keys in any order (as candidate lists fill) sort as the full key order, equal high words included.
    @Test func sortKeysOrdersAnyInput() {
        var rng = SplitMix64(state: 8)
        for count in [0, 1, 2, 50, 700] {
            var keys: [UInt64] = []
            for _ in 0 ..< count {
                let high: UInt64 = rng.next() % 4, low: UInt64 = rng.next() % 1000
                keys.append(high << 32 | low)
            }
            let expected = keys.sorted()
            keys.withUnsafeMutableBufferPointer { Retrieval.sortKeys($0) }
            #expect(keys == expected)
        }
    }

    /// The tile schedule hands out every tile once (that running tiles share no group is what
    /// the multi-threaded passes above and ThreadSanitizer check).
    @Test func scheduleHandsOutEveryTileOnce() {
        for groups in [1, 2, 5, 16] {
            let schedule = TileSchedule(groups: groups)
            var seen = Set<[Int]>()
            while let (g, h) = schedule.next() {
                #expect(g <= h && h < groups)
                #expect(seen.insert([g, h]).inserted)
                schedule.finish(g, h)
            }
            #expect(seen.count == groups * (groups + 1) / 2)
        }
    }
}
