import Testing
import TCMData
import TCMKernels
@testable import TCMMetrics
import TCMTestSupport

/// The one-pass report (counts + retrieval from the same tiles) against the separate passes,
/// which the other suites check against brute force: every strategy, thread count and tiling
/// must give the same histograms and the same retrieval report, bit for bit.
@Suite struct MetricsPassTests {
    static func expectSameCounts(_ a: PairCounts, _ b: PairCounts) {
        #expect(a.globalNegativeAtOrAbove == b.globalNegativeAtOrAbove)
        #expect(a.globalPositiveAtOrAbove == b.globalPositiveAtOrAbove)
        for c in 0 ..< a.classCount {
            #expect(a.positives[c].total == b.positives[c].total && a.negatives[c].total == b.negatives[c].total)
            for k in stride(from: 0, to: a.bins.count, by: 37) {
                #expect(a.positives[c].countAtOrAbove(k) == b.positives[c].countAtOrAbove(k))
                #expect(a.negatives[c].countAtOrAbove(k) == b.negatives[c].countAtOrAbove(k))
            }
        }
    }

    /// Many small classes (the shape fused heaps are for), a singleton, duplicated rows (exact ties).
    static func manySmallClasses(seed: UInt64) -> ClassLayout {
        var sizes = (0 ..< 60).map { 2 + $0 % 5 }
        sizes[7] = 1
        let (m, labels) = clusteredData(sizes: sizes, dimension: 9, seed: seed)
        // Copy a few rows over others: identical vectors tie exactly, across and within classes.
        var values = m.values
        for (dst, src) in [(3, 40), (11, 12), (100, 5)] {
            for p in 0 ..< m.cols { values[dst * m.cols + p] = values[src * m.cols + p] }
        }
        return ClassLayout(embeddings: Matrix(rows: m.rows, cols: m.cols, values: values), labels: labels)
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func everyStrategyMatchesTheSeparatePasses(seed: UInt64) {
        let layout = Self.manySmallClasses(seed: seed)
        let ks = [1, 2, 4, 8]
        var reference = PairCounts.Tiling()
        reference.threads = 1
        reference.strategy = .classOwned
        let counts = PairCounts.compute(layout: layout, tiling: reference)
        let retrieval = Retrieval.compute(layout: layout, ks: ks, threads: 1)
        for strategy in PairCounts.Strategy.allCases {
            for (threads, rows, columns) in [(1, 96, 1024), (2, 5, 17), (2, 7, 48), (3, 1, 16)] {
                var t = PairCounts.Tiling()
                t.threads = threads
                t.rowBlock = rows
                t.columnBlock = columns
                t.strategy = strategy
                let (c, r) = MetricsPass.compute(layout: layout, tiling: t, retrievalKs: ks)
                Self.expectSameCounts(counts, c)
                #expect(r == retrieval, "\(strategy) threads \(threads) tile \(rows)×\(columns)")
                let (alone, none) = MetricsPass.compute(layout: layout, tiling: t, retrievalKs: nil)
                Self.expectSameCounts(counts, alone)
                #expect(none == nil)
            }
        }
    }

    @Test func fusedRetrievalMatchesBruteForce() {
        let (m, labels) = clusteredData(sizes: (0 ..< 40).map { 2 + $0 % 4 }, dimension: 7, seed: 77)
        let expected = BruteForce(m, labels).retrieval(ks: [1, 4])
        var t = PairCounts.Tiling()
        t.strategy = .halfRounds
        t.threads = 2
        let (_, got) = MetricsPass.compute(
            layout: ClassLayout(embeddings: m, labels: labels), tiling: t, retrievalKs: [1, 4])
        let r = try! #require(got)
        #expect(r.queries == expected.queries)
        for (a, b) in zip(r.recallAtK.map(\.recall), expected.recall) { #expect(abs(a - b) < 1e-12) }
        #expect(abs(r.rPrecision - expected.rPrecision) < 1e-12)
        #expect(abs(r.mapAtR - expected.mapAtR) < 1e-12)
    }

    /// `rows` rows at two points (the first half at one, the rest a hair away), so that every
    /// cross-class pair lands in the top bin; counted with wide counters (`classOwned`) and with
    /// the half product's 16-bit ones, two threads each.
    static func wideAndHalfCounts(
        rows n: Int, className: (Int) -> String
    ) -> (layout: ClassLayout, wide: PairCounts, half: PairCounts) {
        var values = [Float](repeating: 0, count: n * 3)
        for i in 0 ..< n {
            values[i * 3] = 1
            values[i * 3 + 1] = i < n / 2 ? 0 : 1e-9
        }
        let labels = Labels(names: (0 ..< n).map(className))
        let layout = ClassLayout(embeddings: Matrix(rows: n, cols: 3, values: values), labels: labels)
        var t = PairCounts.Tiling()
        t.threads = 2
        t.strategy = .classOwned
        let wide = PairCounts.compute(layout: layout, tiling: t)
        t.strategy = .halfRounds
        return (layout, wide, PairCounts.compute(layout: layout, tiling: t))
    }

    /// 300 × 300 identical cross-class pairs land in one bin: 90,000 > 65,535, so each class's
    /// 16-bit counter wraps once and must be added back.
    @Test func sixteenBitCountersThatWrapAreRestored() {
        let (_, reference, half) = Self.wideAndHalfCounts(rows: 600) { $0 < 300 ? "a" : "b" }
        Self.expectSameCounts(reference, half)
        #expect(half.negatives[0].total == 300 * 300 && half.negatives[1].total == 300 * 300)
        #expect(half.negatives[0].countAtOrAbove(half.bins.count - 1) == 90_000)
    }

    /// 8 classes of 600 at two points: every class's 2,520,000 negatives land in one bin, whose
    /// 16-bit counter wraps 38 times (counted per bin as each tile ends, `WrapCounters`); the half
    /// product, and 1, 3 and 5 shards of it merged, count what wide counters count.
    @Test func countersThatWrapManyTimesAreRestoredAlsoInShards() throws {
        let (layout, reference, half) = Self.wideAndHalfCounts(rows: 4800) { "c\($0 / 600)" }
        Self.expectSameCounts(reference, half)
        for c in 0 ..< 8 {
            #expect(half.negatives[c].total == 600 * 4200)
            #expect(half.negatives[c].countAtOrAbove(half.bins.count - 1) == 600 * 4200)
        }
        #expect(ShardAssignment.kind(layout: layout, retrievalKs: nil, bins: .standard) == .tiles)
        for shards in [1, 3, 5] {
            let merged = try MergedCounts.merge(ShardMergeTests.parts(layout, ks: nil, shards: shards))
            Self.expectSameCounts(reference, merged.counts)
        }
    }

    @Test(arguments: [1, 2, 3, 4, 7, 8, 33])
    func roundsCoverEveryGroupPairOnceWithoutSharing(groups: Int) {
        let rounds = HalfRoundsPass.rounds(groups: groups)
        var seen = Set<[Int]>()
        for round in rounds {
            var used = Set<Int>()
            for (g, h) in round {
                #expect(g <= h && h < groups)
                #expect(seen.insert([g, h]).inserted)
                #expect(used.insert(g).inserted)
                if h != g { #expect(used.insert(h).inserted) }
            }
        }
        #expect(seen.count == groups * (groups + 1) / 2)
    }

    @Test func groupsAreWholeClassesInOrder() {
        let layout = Self.manySmallClasses(seed: 4)
        for rowBlock in [1, 16, 96] {
            let bounds = HalfRoundsPass.groups(layout: layout, workers: 2, rowBlock: rowBlock)
            #expect(bounds.first == 0 && bounds.last == layout.classCount)
            #expect(zip(bounds, bounds.dropFirst()).allSatisfy { $0 < $1 })
        }
    }

    @Test func planPicksSharedTilesForSmallClassesAndCandidateListsForLargeOnes() {
        let small = Self.manySmallClasses(seed: 5)
        // 240 rows, at most 5 neighbours a query: 5 · 32 ≤ 240.
        #expect(
            MetricsPass.plan(layout: small, retrievalKs: [1, 2, 4])
                == .init(strategy: .halfRounds, retrieval: .sharedTiles))
        #expect(MetricsPass.plan(layout: small, retrievalKs: [1, 2, 4, 8]).retrieval == .candidateLists)
        #expect(MetricsPass.plan(layout: small, retrievalKs: nil).retrieval == nil)
        let (m, labels) = clusteredData(sizes: [200, 150, 120], dimension: 5, seed: 6)
        let large = ClassLayout(embeddings: m, labels: labels)
        #expect(
            MetricsPass.plan(layout: large, retrievalKs: [1]) == .init(strategy: .symmetric, retrieval: .candidateLists)
        )
        #expect(MetricsPass.plan(layout: large, retrievalKs: nil) == .init(strategy: .symmetric, retrieval: nil))
        // Heaps and candidate lists over their budget, or per-worker histograms over theirs: whole rows.
        var tight = PairCounts.Tiling()
        tight.heapMemoryLimit = 100
        #expect(MetricsPass.plan(layout: small, tiling: tight, retrievalKs: [1]).retrieval == .fullRows)
        #expect(
            MetricsPass.plan(layout: large, tiling: tight, retrievalKs: [1])
                == .init(strategy: .classOwned, retrieval: .fullRows))
        var fewHistograms = PairCounts.Tiling()
        fewHistograms.symmetricMemoryLimit = 100
        #expect(MetricsPass.plan(layout: large, tiling: fewHistograms, retrievalKs: [1]).retrieval == .fullRows)
    }

    @Test func keysDecodeToTheirSimilarity() {
        let values: [Float] = [
            -1, -0.5, -0.0, 0.0, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, 0.25, 1, 1.0000001, .infinity,
            -.infinity,
        ]
        for v in values {
            let key = UInt64(descendingKey(v)) << 32 | 12345
            #expect(valueOfKey(key).bitPattern == v.bitPattern)
        }
    }

    @Test func heapsKeepTheNearestWithTiesInIndexOrder() {
        var rng = SplitMix64(state: 9)
        let row: [Float] = (0 ..< 200).map { _ in Float(Int(rng.unitDouble() * 7) - 3) / 3 }
        let heaps = NeighbourHeaps(capacities: [0, 13])
        defer { heaps.deallocate() }
        for (j, v) in row.enumerated() where v >= heaps.worst[1] { heaps.offer(1, value: v, index: j) }
        #expect(heaps.worst[0] == .infinity)
        let got = heaps.ranked(1).map { Int($0 & 0xFFFF_FFFF) }
        let expected = Array(row.indices.sorted { row[$0] != row[$1] ? row[$0] > row[$1] : $0 < $1 }.prefix(13))
        #expect(got == expected)
    }
}

@Suite struct SelectionTests {
    @Test(arguments: [1, 2, 7, 100, 1000, 5000])
    func radixSortByHighWordIsAStableKeySort(count: Int) {
        var rng = SplitMix64(state: UInt64(count))
        // Few distinct high words (ties resolved by the low word, already ascending) and wide ones.
        let keys: [UInt64] = (0 ..< count).map { i in
            let high = rng.unitDouble() < 0.5 ? UInt64(rng.next() % 5) : rng.next() >> 32
            return high << 32 | UInt64(i)
        }
        var sorted = keys
        sorted.withUnsafeMutableBufferPointer { RadixSort.sortByHighWord($0) }
        #expect(sorted == keys.sorted())
    }

    /// Every sampled column (even ones, step 2) is high, the rest lower: the guessed cut keeps only
    /// the 1,024 high items, fewer than needed, so the exact histogram must take over.
    @Test func aSampleThatMisleadsFallsBackToTheExactCut() {
        let n = 2048, need = 1500
        let row: [Float] = (0 ..< n).map { $0 % 2 == 0 ? 0.9 : 0.5 - Float($0) * 1e-5 }
        let got = row.withUnsafeBufferPointer {
            Retrieval.nearestBySelection(row: $0.baseAddress!, count: n, excluding: 3, need: need)
        }
        let expected = Array(
            row.indices.filter { $0 != 3 }.sorted { row[$0] != row[$1] ? row[$0] > row[$1] : $0 < $1 }.prefix(need))
        #expect(got == expected)
    }

    @Test func bucketSelectionEqualsTheHeapOnLargeNeeds() {
        var rng = SplitMix64(state: 3)
        for n in [40, 333, 2000] {
            let row: [Float] = (0 ..< n).map { _ in
                let r = rng.unitDouble()
                return r < 0.2 ? Float(Int(r * 20)) / 4 - 0.5 : Float(2 * rng.unitDouble() - 1) * 1.0000001
            }
            for need in [1, n / 3, n - 1] where need >= 1 {
                let a = row.withUnsafeBufferPointer {
                    Retrieval.nearestBySelection(row: $0.baseAddress!, count: n, excluding: n / 2, need: need)
                }
                let expected = Array(
                    row.indices.filter { $0 != n / 2 }
                        .sorted { row[$0] != row[$1] ? row[$0] > row[$1] : $0 < $1 }.prefix(need))
                #expect(a == expected)
            }
        }
    }
}

/// Run under ThreadSanitizer by .ci/run: the half-product rounds share histograms and heaps
/// between workers only through the round schedule, so any overlap would be a race.
@Suite struct MetricsPassThreadingTests {
    @Test func halfRoundsWorkersShareNothing() {
        let layout = MetricsPassTests.manySmallClasses(seed: 11)
        var one = PairCounts.Tiling()
        one.threads = 1
        one.strategy = .halfRounds
        let (counts, retrieval) = MetricsPass.countsAndRetrieval(layout: layout, tiling: one, ks: [1, 4])
        for threads in [2, 3] {
            var t = PairCounts.Tiling()
            t.threads = threads
            t.strategy = .halfRounds
            t.rowBlock = 7
            t.columnBlock = 32
            let (c, r) = MetricsPass.countsAndRetrieval(layout: layout, tiling: t, ks: [1, 4])
            MetricsPassTests.expectSameCounts(counts, c)
            #expect(r == retrieval)
        }
    }
}
