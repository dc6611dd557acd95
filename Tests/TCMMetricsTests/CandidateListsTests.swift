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
    /// items among the others: a few others among the nearest (counted pair by pair), many
    /// others with few or many same-class items after the nearest other (laid out in buckets),
    /// and every item among the nearest (none left out by the cut); with ties on a coarse grid,
    /// others before and after the query's class. Checked against the full sort of the row, to the bit.
    @Test(arguments: [(20, 5, 0), (300, 40, 2), (400, 400, 1), (60, 3, 200), (2, 700, 0)])
    func outcomeFromCandidatesEqualsTheFullSort(sameCount: Int, interleaved: Int, farOthers: Int) {
        var rng = SplitMix64(state: UInt64(sameCount * 7 + interleaved))
        for rounded in [false, true] {
            // A third of the interleaved others before the query's class (ties with them go the
            // others' way), the query (the class's first item), its class, then the rest.
            let ahead = interleaved / 3
            var row: [Float] = []
            for _ in 0 ..< ahead { row.append(0.2 + 0.8 * Float(rng.unitDouble())) }
            row.append(1)
            for _ in 0 ..< sameCount { row.append(0.2 + 0.8 * Float(rng.unitDouble())) }
            for _ in ahead ..< interleaved { row.append(0.2 + 0.8 * Float(rng.unitDouble())) }
            for _ in 0 ..< farOthers { row.append(-0.5 + 0.6 * Float(rng.unitDouble())) }
            if rounded { row = row.map { ($0 * 16).rounded() / 16 } }
            let n = row.count, query = ahead, lo = ahead, hi = ahead + sameCount + 1
            let key = { (j: Int) in (UInt64(descendingKey(row[j])) << 32) | UInt64(j) }
            let items = (0 ..< n).filter { $0 != query }
            let full = items.sorted { key($0) < key($1) }
            let scratch = SelectionScratch(count: n)
            defer { scratch.deallocate() }
            for need in Set([1, 2, sameCount / 2 + 1, sameCount, sameCount + interleaved / 2, n - 1])
            where need <= n - 1 {
                let expected = QueryOutcome(ranked: full.prefix(need), classLo: lo, classHi: hi)
                // Every item but the query, in column order (as the lists hold them), then ranked.
                for (t, j) in items.enumerated() { scratch.keys[t] = key(j) }
                let got = Retrieval.outcome(
                    keys: scratch.keys, n - 1, need: need, classLo: lo, classHi: hi, scratch: scratch)
                #expect(
                    got.hits == expected.hits && got.firstHit == expected.firstHit
                        && got.precisionSum.bitPattern == expected.precisionSum.bitPattern,
                    "same \(sameCount) interleaved \(interleaved) far \(farOthers) need \(need) rounded \(rounded)")
            }
        }
    }

    /// The 32-bit keys of other items (`otherKey`) against same-class keys order as the full keys
    /// (similarity, column) do, on ties too: for every pair of an other before or after the class
    /// and a same-class item, over similarities with many equal keys, ±0 and the ends of the range.
    @Test func otherKeysOrderAsTheFullKeys() {
        let values: [Float] = [-.infinity, -1, -0.5, -0.0, 0, .leastNonzeroMagnitude, 0.25, 1, .infinity]
        let classLo = 10, classHi = 20
        for x in values {
            for y in values {
                let same = descendingKey(y)
                for (j, after) in [(3, false), (9, false), (20, true), (31, true)] {
                    for i in [classLo, 15, classHi - 1] {
                        let nearer = (UInt64(descendingKey(x)) << 32 | UInt64(j)) < (UInt64(same) << 32 | UInt64(i))
                        #expect(
                            (Retrieval.otherKey(descendingKey(x), after: after) <= same) == nearer,
                            "other \(x) at \(j), same-class \(y) at \(i)")
                    }
                }
            }
        }
    }

    /// `countNearer` (the others laid out in buckets of their keys, counted in C eight at a time)
    /// against counting every pair: keys spread wide and bunched (a few values: whole buckets
    /// equal, keys equal to others), keys past both ends, the top bit set, bounds tight and loose.
    @Test(arguments: [33, 34, 64, 100, 700, 1_027])
    func countNearerEqualsCountingEveryPair(o: Int) {
        var rng = SplitMix64(state: UInt64(o))
        let scratch = SelectionScratch(count: 2 * o + 64)
        defer { scratch.deallocate() }
        let spreads: [(UInt32, UInt32)] = [(0, .max), (0x3F80_0000, 0x3F80_0400), (0x8000_0000, 0x8000_0007), (5, 6)]
        for (low, high) in spreads {
            let draw = { (rng: inout SplitMix64) in
                low &+ UInt32(truncatingIfNeeded: rng.next() % (UInt64(high - low) + 1))
            }
            let others = (0 ..< o).map { _ in draw(&rng) }
            var keys = (0 ..< o / 2).map { _ in draw(&rng) } + others.prefix(5)
            keys += [low, high, low &- 1, high &+ 1, 0, .max]
            var expected = [Int](repeating: 0, count: o + 1)
            for key in keys { expected[others.filter { $0 <= key }.count] += 1 }
            let bounds = [(others.min()!, others.max()!), (low, high), (low / 2, high / 2 + .max / 2)]
            for (least, most) in bounds {
                var before = [Int](repeating: 0, count: o + 1)
                Retrieval.countNearer(
                    others, o, low: least, high: most, keys: keys, keys.count, into: &before, scratch: scratch)
                #expect(before == expected, "o \(o), keys in \(low)...\(high), bounds \(least)...\(most)")
            }
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
