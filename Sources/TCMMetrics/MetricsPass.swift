import TCMData
import TCMKernels

/// The whole report from one product of the embeddings with themselves: per-class pair counts
/// and, when asked, retrieval, whose neighbours come from the same similarity tiles.
///
/// How retrieval rides along (`plan`):
/// - `sharedTiles`: the half-product pass (`HalfRoundsPass`) offers each similarity s(a, b) to
///   the bounded heaps of both a and b, so every pair is computed once. Used when every query
///   needs few neighbours (k_max and class sizes small against N: SOP, iNaturalist, faces) and
///   the heaps fit `Tiling.heapMemoryLimit`.
/// - `candidateLists`: for large classes (a query keeps hundreds of neighbours, too many for
///   heaps), the upper triangle again (`CandidateListsPass`): each similarity is appended to the
///   candidate lists of both ends when it reaches their cut (sampled first), and each query is
///   ranked from its list. Used while the lists fit `Tiling.heapMemoryLimit` and the symmetric
///   pass's per-worker histograms fit theirs.
/// - `fullRows`: the class-owned pass computes whole rows (both triangles, one full product)
///   and ranks each row as it is folded: large classes beyond those bounds.
/// - `separate`: only when a test forces the symmetric strategy: retrieval runs its own pass.
/// Every mode ranks with the same keys and sums the same way, so the digits match exactly.
public enum MetricsPass {
    public enum RetrievalMode: String, Sendable, CaseIterable {
        case sharedTiles, candidateLists, fullRows, separate
    }

    public struct Plan: Sendable, Equatable {
        public var strategy: PairCounts.Strategy
        public var retrieval: RetrievalMode?
    }

    public static func plan(
        layout: ClassLayout, bins: ThresholdBins = .standard, tiling: PairCounts.Tiling = .init(),
        retrievalKs: [Int]?
    ) -> Plan {
        guard let ks = retrievalKs else {
            return Plan(strategy: PairCounts.strategy(for: layout, bins: bins, tiling: tiling), retrieval: nil)
        }
        let n = layout.sampleCount, kmax = ks.max() ?? 1
        switch tiling.retrievalMode {
        case .candidateLists?: return Plan(strategy: .symmetric, retrieval: .candidateLists)
        case .fullRows?: return Plan(strategy: .classOwned, retrieval: .fullRows)
        case .sharedTiles?: return Plan(strategy: .halfRounds, retrieval: .sharedTiles)
        case .separate?: return Plan(strategy: .symmetric, retrieval: .separate)
        case nil: break
        }
        switch tiling.strategy {
        case .symmetric?: return Plan(strategy: .symmetric, retrieval: .separate)
        case .classOwned?: return Plan(strategy: .classOwned, retrieval: .fullRows)
        case .halfRounds?: return Plan(strategy: .halfRounds, retrieval: .sharedTiles)
        case nil: break
        }
        var heapKeys = 0, largestNeed = 0
        for c in 0 ..< layout.classCount {
            let need = Retrieval.need(classSize: layout.size(of: c), kmax: kmax, samples: n)
            heapKeys += need * layout.size(of: c)
            largestNeed = max(largestNeed, need)
        }
        // A heap is worth it while most candidates fail one comparison: need ≤ N/32, as in `Retrieval.nearest`.
        let heapsPay =
            largestNeed * 32 <= n
            && NeighbourHeaps.bytes(capacities: heapKeys, queries: n) <= tiling.heapMemoryLimit
            && PairCounts.halfRoundsFits(layout: layout, bins: bins, tiling: tiling)
        if heapsPay { return Plan(strategy: .halfRounds, retrieval: .sharedTiles) }
        var free = tiling
        free.strategy = nil
        if CandidateListsPass.bytes(layout: layout, kmax: kmax) <= tiling.heapMemoryLimit
            && PairCounts.strategy(for: layout, bins: bins, tiling: free) == .symmetric
        {
            return Plan(strategy: .symmetric, retrieval: .candidateLists)
        }
        return Plan(strategy: .classOwned, retrieval: .fullRows)
    }

    /// Counts (and retrieval at `retrievalKs`, `nil` for none) in one pass.
    public static func compute(
        layout: ClassLayout, bins: ThresholdBins = .standard, tiling: PairCounts.Tiling = .init(),
        retrievalKs: [Int]?, progress: (@Sendable (Double) -> Void)? = nil
    )
        -> (counts: PairCounts, retrieval: RetrievalReport?)
    {
        if layout.sampleCount < 1 << 16 {
            return compute(
                UInt32.self, layout: layout, bins: bins, tiling: tiling, retrievalKs: retrievalKs, progress: progress)
        }
        return compute(
            UInt64.self, layout: layout, bins: bins, tiling: tiling, retrievalKs: retrievalKs, progress: progress)
    }

    /// Counts and retrieval at `ks`, in one pass.
    public static func countsAndRetrieval(
        layout: ClassLayout, tiling: PairCounts.Tiling = .init(), ks: [Int],
        progress: (@Sendable (Double) -> Void)? = nil
    ) -> (counts: PairCounts, retrieval: RetrievalReport) {
        let (counts, retrieval) = compute(layout: layout, tiling: tiling, retrievalKs: ks, progress: progress)
        guard let retrieval else { preconditionFailure("a pass asked for retrieval returns it") }
        return (counts, retrieval)
    }

    static func compute<Counter: FixedWidthInteger & UnsignedInteger & SendableMetatype>(
        _: Counter.Type, layout: ClassLayout, bins: ThresholdBins, tiling: PairCounts.Tiling, retrievalKs: [Int]?,
        progress: (@Sendable (Double) -> Void)?
    ) -> (counts: PairCounts, retrieval: RetrievalReport?) {
        let plan = plan(layout: layout, bins: bins, tiling: tiling, retrievalKs: retrievalKs)
        guard let ks = retrievalKs, let mode = plan.retrieval else {
            return (
                PairCounts.compute(Counter.self, layout: layout, bins: bins, tiling: tiling, progress: progress), nil
            )
        }
        var forced = tiling
        forced.strategy = plan.strategy
        let n = layout.sampleCount, kmax = ks.max() ?? 1
        let (pos, neg): ([CountHistogram], [CountHistogram])
        let retrieval: RetrievalReport
        switch mode {
        case .separate:
            let counts = PairCounts.compute(
                Counter.self, layout: layout, bins: bins, tiling: forced, progress: progress)
            return (counts, Retrieval.compute(layout: layout, ks: ks, threads: tiling.threads))
        case .sharedTiles:
            var capacities = [Int](repeating: 0, count: n)
            for c in 0 ..< layout.classCount {
                let need = Retrieval.need(classSize: layout.size(of: c), kmax: kmax, samples: n)
                for q in layout.classStart[c] ..< layout.classStart[c + 1] { capacities[q] = need }
            }
            let heaps = NeighbourHeaps(capacities: capacities)
            defer { heaps.deallocate() }
            (pos, neg) = HalfRoundsPass.run(
                Counter.self, layout: layout, bins: bins, tiling: forced,
                heaps: heaps, progress: progress)
            retrieval = report(heaps: heaps, layout: layout, ks: ks, threads: tiling.threads)
        case .candidateLists:
            let outcomes: SharedBuffer<QueryOutcome>
            (pos, neg, outcomes) = CandidateListsPass.run(
                Counter.self, layout: layout, bins: bins, tiling: forced, kmax: kmax, progress: progress)
            retrieval = Retrieval.report(outcomes, ks: ks, count: n)
        case .fullRows:
            let packed = PackedRows(layout.unitRows)
            // Whole rows per tile, at most ~32 MB of them per worker.
            forced.columnBlock = (n + 15) / 16 * 16
            forced.rowBlock = max(1, min(tiling.rowBlock, (32 << 20) / (4 * max(n, 1))))
            let outcomes = SharedBuffer<QueryOutcome>(count: n)
            (pos, neg) = PairCounts.classOwnedPass(
                Counter.self, layout: layout, packed: packed, bins: bins, tiling: forced,
                progress: progress
            ) { tile, r0, rows in
                Retrieval.scoreRows(
                    tile: tile, ldc: n, firstRow: r0, rows: rows, layout: layout, kmax: kmax, into: outcomes)
            }
            retrieval = Retrieval.report(outcomes, ks: ks, count: n)
        }
        let counts = PairCounts(
            bins: bins, classNames: layout.classNames,
            classSizes: (0 ..< layout.classCount).map(layout.size(of:)), positives: pos, negatives: neg)
        return (counts, retrieval)
    }

    /// Scores every query from its heap (heaps sorted in place, in parallel).
    static func report(heaps: NeighbourHeaps, layout: ClassLayout, ks: [Int], threads: Int) -> RetrievalReport {
        let n = layout.sampleCount
        let outcomes = SharedBuffer<QueryOutcome>(count: n)
        let block = Retrieval.reductionBlock
        parallelForEach(count: (n + block - 1) / block, threads: threads) { b in
            var cls = layout.classOfRow(b * block)
            for q in b * block ..< min(n, (b + 1) * block) {
                while layout.classStart[cls + 1] <= q { cls += 1 }
                let lo = layout.classStart[cls], hi = layout.classStart[cls + 1]
                if hi - lo <= 1 {
                    outcomes.initialize(q, to: .skipped)
                    continue
                }
                let ranked = heaps.ranked(q).lazy.map { Int($0 & 0xFFFF_FFFF) }
                outcomes.initialize(q, to: QueryOutcome(ranked: ranked, classLo: lo, classHi: hi))
            }
        }
        return Retrieval.report(outcomes, ks: ks, count: n)
    }
}
