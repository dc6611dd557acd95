import TCMKernels

/// What one query's retrieval looks like in a partial result.
enum QueryPartial: Sendable {
    /// The shard computed none of this query's pairs (or the query needs no neighbours).
    case none
    /// The shard's best keys for this query (ascending = nearest first; at most `need`): merged
    /// with the other shards' by keeping the `need` smallest of the union.
    case keys([UInt64])
    /// The query's whole ranking was in this shard: its final outcome.
    case outcome(QueryOutcome)
}

/// One shard's (or several merged shards') pair counts and retrieval partials, in the class
/// layout's row order.
public struct PartialCounts: Sendable {
    public let layout: ShardLayout
    public let positives: [CountHistogram]
    public let negatives: [CountHistogram]
    /// One per query when retrieval was asked for, else none.
    let queries: QueryPartials

    init(layout: ShardLayout, positives: [CountHistogram], negatives: [CountHistogram], queries: [QueryPartial]) {
        self.init(layout: layout, positives: positives, negatives: negatives, partials: .listed(queries))
    }

    init(layout: ShardLayout, positives: [CountHistogram], negatives: [CountHistogram], partials: QueryPartials) {
        self.layout = layout
        self.positives = positives
        self.negatives = negatives
        queries = partials
    }
}

/// A pass's retrieval partials: listed, or still in a shard's heaps, from which the count file
/// encodes them (`CountFile.write`): a query's keys are never held twice (a shard of 200k × 64
/// held them in its heaps, in an array a query and in the file's bytes at once: its peak).
enum QueryPartials: Sendable {
    case listed([QueryPartial])
    case heaps(OwnedHeaps)

    var count: Int {
        switch self {
        case .listed(let all): return all.count
        case .heaps(let owned): return owned.heaps.count
        }
    }
}

/// Heaps freed with their last reference. Encoding sorts each heap in place (`ranked`): one
/// encoding at a time (a shard writes its file once).
final class OwnedHeaps: @unchecked Sendable {
    let heaps: NeighbourHeaps
    init(_ heaps: NeighbourHeaps) { self.heaps = heaps }
    deinit { heaps.deallocate() }
}

extension MetricsPass {
    /// The class-ordered rows shard `shard` reads (sorted, disjoint ranges): with the split in
    /// tiles, the rows of the groups its tiles touch (at most about √2/√N of them for N shards:
    /// `ShardAssignment.stripSplit`, docs/scaling-out.md);
    /// `nil` for runs of whole classes, where each query is ranked against every row. Depends on
    /// the class sizes only (`layout` may be `init(planningSizes:names:)`'s).
    public static func shardRows(
        layout: ClassLayout, bins: ThresholdBins = .standard, retrievalKs: [Int]?, shard: ShardSpec
    ) -> [Range<Int>]? {
        let assignment = ShardAssignment.make(layout: layout, shards: shard.count, retrievalKs: retrievalKs, bins: bins)
        guard assignment.layout == .tiles else { return nil }
        let selection = assignment.tileSelection(shard: shard.index)
        let untouched = HalfRoundsPass.untouchedGroups(selection)
        var ranges: [Range<Int>] = []
        for g in 0 ..< selection.groups where !untouched.contains(g) {
            let rows = layout.classStart[selection.bounds[g]] ..< layout.classStart[selection.bounds[g + 1]]
            if let last = ranges.last, last.upperBound == rows.lowerBound {
                ranges[ranges.count - 1] = last.lowerBound ..< rows.upperBound
            } else if !rows.isEmpty {
                ranges.append(rows)
            }
        }
        return ranges
    }

    /// Whether shards of this data set split the pass in tiles, and so hold only their rows
    /// (`shardRows`); false for runs of whole classes. Cheap: the split's kind, not the split.
    public static func shardsHoldTheirRowsOnly(
        layout: ClassLayout, bins: ThresholdBins = .standard, retrievalKs: [Int]?
    ) -> Bool {
        ShardAssignment.kind(layout: layout, retrievalKs: retrievalKs, bins: bins) == .tiles
    }

    /// Shard `shard`'s part of `compute`: its pairs' counts and its retrieval partials.
    public static func computeShard(
        layout: ClassLayout, bins: ThresholdBins = .standard, tiling: PairCounts.Tiling = .init(),
        retrievalKs: [Int]?, shard: ShardSpec,
        progress: (@Sendable (Double) -> Void)? = nil
    ) -> PartialCounts {
        if layout.sampleCount < 1 << 16 {
            return computeShard(
                UInt32.self, layout: layout, bins: bins, tiling: tiling, retrievalKs: retrievalKs, shard: shard,
                progress: progress)
        }
        return computeShard(
            UInt64.self, layout: layout, bins: bins, tiling: tiling, retrievalKs: retrievalKs, shard: shard,
            progress: progress)
    }

    static func computeShard<Counter: FixedWidthInteger & UnsignedInteger & SendableMetatype>(
        _: Counter.Type, layout: ClassLayout, bins: ThresholdBins, tiling: PairCounts.Tiling, retrievalKs: [Int]?,
        shard: ShardSpec, progress: (@Sendable (Double) -> Void)?
    ) -> PartialCounts {
        let assignment = ShardAssignment.make(layout: layout, shards: shard.count, retrievalKs: retrievalKs, bins: bins)
        let n = layout.sampleCount, kmax = retrievalKs?.max() ?? 1
        switch assignment.layout {
        case .tiles:
            var heaps: NeighbourHeaps?
            if retrievalKs != nil {
                // Heaps for the rows of the shard's tiles only: no other query is offered a pair.
                var capacities = [Int](repeating: 0, count: n)
                let touched = HalfRoundsPass.untouchedGroups(assignment.tileSelection(shard: shard.index))
                    .reduce(into: [Bool](repeating: true, count: layout.classCount)) { out, g in
                        for c in assignment.bounds[g] ..< assignment.bounds[g + 1] { out[c] = false }
                    }
                for c in 0 ..< layout.classCount where touched[c] {
                    let need = Retrieval.need(classSize: layout.size(of: c), kmax: kmax, samples: n)
                    for q in layout.classStart[c] ..< layout.classStart[c + 1] { capacities[q] = need }
                }
                heaps = NeighbourHeaps(capacities: capacities)
            }
            // Kept past the pass: the count file is encoded from them.
            let owned = heaps.map(OwnedHeaps.init)
            let (pos, neg) = HalfRoundsPass.run(
                Counter.self, layout: layout, bins: bins, tiling: tiling, heaps: heaps,
                selection: assignment.tileSelection(shard: shard.index),
                progress: progress.map { p in { @Sendable f in p(min(1, f * Double(shard.count))) } })
            return PartialCounts(
                layout: .tiles, positives: pos, negatives: neg, partials: owned.map { .heaps($0) } ?? .listed([]))
        case .classRuns:
            let runs = assignment.runs(of: shard.index)
            // Whole rows need every column: a layout of only a shard's rows cannot serve them.
            precondition(layout.packedRows == nil, "runs of whole classes need every row (MetricsPass.shardRows)")
            let packed = PackedRows(layout.unitRows)
            var forced = tiling
            if retrievalKs != nil {
                // Whole rows per tile, as the single process's `fullRows` mode.
                forced.columnBlock = (n + 15) / 16 * 16
                forced.rowBlock = max(1, min(tiling.rowBlock, (32 << 20) / (4 * max(n, 1))))
            }
            let rowTiling = forced
            let positives = SharedBuffer<CountHistogram>(count: layout.classCount)
            let negatives = SharedBuffer<CountHistogram>(count: layout.classCount)
            for c in 0 ..< layout.classCount {
                positives.initialize(c, to: .none)
                negatives.initialize(c, to: .none)
            }
            let outcomes = SharedBuffer<QueryOutcome>(count: retrievalKs == nil ? 0 : n)
            for q in 0 ..< outcomes.count { outcomes.initialize(q, to: .skipped) }
            let ownRows = runs.reduce(0) { $0 + layout.classStart[$1.upperBound] - layout.classStart[$1.lowerBound] }
            let counter = ProgressCounter(total: max(ownRows, 1), callback: progress)
            let scoring: (@Sendable (UnsafePointer<Float>, Int, Int) -> Void)? =
                retrievalKs == nil
                ? nil
                : { @Sendable (tile: UnsafePointer<Float>, r0: Int, rows: Int) in
                    Retrieval.scoreRows(
                        tile: tile, ldc: n, firstRow: r0, rows: rows, layout: layout, kmax: kmax, into: outcomes)
                }
            parallelForEach(count: runs.count, threads: tiling.threads) { i in
                PairCounts.foldClasses(
                    Counter.self, runs[i], layout: layout, packed: packed, bins: bins, tiling: rowTiling,
                    counter: counter, fullRows: scoring
                ) { cls, pos, neg in
                    positives.base[cls] = CountHistogram(counts: pos)
                    negatives.base[cls] = CountHistogram(counts: neg)
                }
            }
            var queries: [QueryPartial] = []
            if retrievalKs != nil {
                let all = outcomes.moveToArray()
                queries = [QueryPartial](repeating: .none, count: n)
                for run in runs {
                    for q in layout.classStart[run.lowerBound] ..< layout.classStart[run.upperBound] {
                        queries[q] = .outcome(all[q])
                    }
                }
            }
            return PartialCounts(
                layout: .classRuns, positives: positives.moveToArray(), negatives: negatives.moveToArray(),
                queries: queries)
        }
    }
}
