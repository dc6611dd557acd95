import TCMKernels

/// Which part of the pair pass one task of a sharded analysis computes.
///
/// Shards split the same work the single process does, never redo it: the pair counts are
/// integer sums, so any partition of the pairs merges exactly, and each query's retrieval either
/// lives entirely in one shard (`classRuns`: whole similarity rows) or is a top-`need` list that
/// merges by taking the `need` smallest keys of the union (`tiles`: each pair is in one tile).
public struct ShardSpec: Sendable, Equatable, CustomStringConvertible {
    public let index: Int
    public let count: Int
    public init(index: Int, count: Int) {
        precondition(count >= 1 && index >= 0 && index < count)
        self.index = index
        self.count = count
    }
    public var description: String { "\(index)/\(count)" }
}

public enum ShardLayout: UInt8, Sendable, CaseIterable {
    /// Tiles (group g × group h, g ≤ h) of the half-product pass: each unordered pair once. Used
    /// where the single process runs `halfRounds`, or `symmetric` on small classes.
    case tiles = 1
    /// Runs of whole classes, each row against all columns (the class-owned pass): used for large
    /// classes, where the single process also computes whole rows.
    case classRuns = 2
}

/// The half-product tiles one shard owns.
struct TileSelection: Sendable {
    /// Class indices of the groups: group g is classes `bounds[g] ..< bounds[g + 1]`.
    let bounds: [Int]
    /// Owner shard of tile (g, h), g ≤ h, at `g * groups + h`.
    let owner: [Int32]
    let shard: Int
    var groups: Int { bounds.count - 1 }
    func owns(_ g: Int, _ h: Int) -> Bool { owner[g * groups + h] == Int32(shard) }
}

/// The deterministic split of the work into shards: the same on every task, whatever its
/// thread count, since it depends only on the layout, the shard count and the retrieval setting.
struct ShardAssignment: Sendable {
    let layout: ShardLayout
    /// `tiles`: group bounds (class indices). `classRuns`: run bounds (class indices).
    let bounds: [Int]
    /// `tiles`: owner of tile (g, h) at `g * groups + h` (−1 below the diagonal). `classRuns`: owner of each run.
    let owner: [Int32]

    static func make(
        layout classes: ClassLayout, shards: Int, retrievalKs: [Int]?, bins: ThresholdBins = .standard
    ) -> ShardAssignment {
        let kind = Self.kind(layout: classes, retrievalKs: retrievalKs, bins: bins)
        switch kind {
        case .tiles:
            // Groups as the single process makes them on a 4-core machine (about 1,000 rows on large
            // sets); more and smaller groups only when there would be fewer than 8 tiles a shard.
            var bounds = HalfRoundsPass.groups(layout: classes, workers: 4, rowBlock: PairCounts.Tiling().rowBlock)
            if (bounds.count - 1) * bounds.count / 2 < 8 * shards {
                // G groups make G(G + 1)/2 tiles: G = ⌈√(16·shards)⌉ gives at least 8 a shard.
                let wanted = Int(Double(16 * shards).squareRoot().rounded(.up))
                bounds = HalfRoundsPass.groups(layout: classes, targetRows: max(1, classes.sampleCount / wanted))
            }
            let g = bounds.count - 1
            func rows(_ i: Int) -> Int { classes.classStart[bounds[i + 1]] - classes.classStart[bounds[i]] }
            func cost(_ a: Int, _ b: Int) -> Int { a == b ? rows(a) * (rows(a) + 1) / 2 : rows(a) * rows(b) }
            var owner = [Int32](repeating: -1, count: g * g)
            for (item, shard) in blockSplit(groups: g, rows: rows, cost: cost, shards: shards) {
                owner[item] = Int32(shard)
            }
            return ShardAssignment(layout: .tiles, bounds: bounds, owner: owner)
        case .classRuns:
            // Runs of whole classes of at least one row block, as the class-owned pass makes them.
            let rowBlock = PairCounts.Tiling().rowBlock
            var bounds = [0], c = 0
            while c < classes.classCount {
                var end = c + 1
                while end < classes.classCount && classes.classStart[end] - classes.classStart[c] < rowBlock {
                    end += 1
                }
                bounds.append(end)
                c = end
            }
            let costs = (0 ..< bounds.count - 1).map {
                (classes.classStart[bounds[$0 + 1]] - classes.classStart[bounds[$0]], $0)
            }
            var owner = [Int32](repeating: -1, count: costs.count)
            for (item, shard) in balance(costs, shards: shards) { owner[item] = Int32(shard) }
            return ShardAssignment(layout: .classRuns, bounds: bounds, owner: owner)
        }
    }

    /// Tiles where the single process shares tiles between both ends of a pair (or could: small
    /// classes); whole class rows where it computes whole rows.
    static func kind(layout: ClassLayout, retrievalKs: [Int]?, bins: ThresholdBins) -> ShardLayout {
        let plan = MetricsPass.plan(layout: layout, bins: bins, retrievalKs: retrievalKs)
        // Candidate lists rank whole queries as whole rows do: shards keep whole class rows there.
        if plan.strategy == .classOwned || plan.retrieval == .candidateLists { return .classRuns }
        return PairCounts.halfRoundsFits(layout: layout, bins: bins, tiling: .init()) ? .tiles : .classRuns
    }

    /// Tile (a, b), a ≤ b, of `groups` groups, to shards, so that each shard's tiles touch few
    /// groups: a shard counts negatives into (and zeroes, compacts and writes) the histograms of
    /// every class its tiles touch, so with tiles spread one by one over 8 shards every shard
    /// touched every class, and the histogram work and the count file were the single pass's size
    /// in each shard.
    ///
    /// The groups are cut into P parts of about equal rows, P = ⌊√(2·shards)⌋, and the tiles into
    /// the P(P + 1)/2 blocks part × part. Of N rows, an off-diagonal block holds (N/P)² pairs and a
    /// shard's share is N²/(2·shards): one share when P² = 2·shards (8 shards: 4 parts, 6
    /// off-diagonal blocks of one share, 4 diagonal ones of half). Blocks go whole, largest first, to
    /// the least loaded shard while they fit in its share (+1/64); of a block that does not fit, the
    /// shard takes the rows of tiles that do (whole rows, so they touch few groups) and leaves the
    /// rest, tile by tile, to `balance` from the loads so far. Each of 8 shards then touches about
    /// half the classes.
    static func blockSplit(
        groups g: Int, rows: (Int) -> Int, cost: (Int, Int) -> Int, shards: Int
    ) -> [(item: Int, shard: Int)] {
        let total = (0 ..< g).reduce(0) { sum, a in (a ..< g).reduce(sum) { $0 + cost(a, $1) } }
        let share = (total + shards - 1) / shards
        let fits = share + share / 64
        // Parts: a group starts the next part when its middle row is past that part's start.
        let parts = max(1, min(g, Int(Double(2 * shards).squareRoot())))
        let rowsTotal = (0 ..< g).reduce(0) { $0 + rows($1) }
        var partStart = [0], before = 0
        for a in 0 ..< g {
            let next = partStart.count
            if next < parts && a > partStart[next - 1] && before + rows(a) / 2 >= rowsTotal * next / parts {
                partStart.append(a)
            }
            before += rows(a)
        }
        partStart.append(g)
        let p = partStart.count - 1
        var blocks: [(cost: Int, item: Int)] = []
        for x in 0 ..< p {
            for y in x ..< p {
                var c = 0
                for a in partStart[x] ..< partStart[x + 1] {
                    for b in max(a, partStart[y]) ..< partStart[y + 1] { c += cost(a, b) }
                }
                blocks.append((c, x * p + y))
            }
        }
        blocks.sort { $0.cost != $1.cost ? $0.cost > $1.cost : $0.item < $1.item }
        var loads = ShardLoads(shards: shards)
        var out: [(item: Int, shard: Int)] = [], rest: [(cost: Int, item: Int)] = []
        for block in blocks {
            let x = block.item / p, y = block.item % p
            let (shard, load) = loads.least
            let whole = load + block.cost <= fits
            var taken = 0
            for a in partStart[x] ..< partStart[x + 1] {
                let row = max(a, partStart[y]) ..< partStart[y + 1]
                let rowCost = row.reduce(0) { $0 + cost(a, $1) }
                if whole || load + taken + rowCost <= share {
                    for b in row { out.append((a * g + b, shard)) }
                    taken += rowCost
                } else {
                    for b in row { rest.append((cost(a, b), a * g + b)) }
                }
            }
            loads.addToLeast(taken)
        }
        return out + balance(rest, loads: &loads)
    }

    /// Longest processing time first: items by cost (descending, then by item), each to the least
    /// loaded shard (lowest index on ties). Deterministic, and within 4/3 of the best split.
    static func balance(_ items: [(cost: Int, item: Int)], shards: Int) -> [(item: Int, shard: Int)] {
        var loads = ShardLoads(shards: shards)
        return balance(items, loads: &loads)
    }

    /// `balance` from the loads so far.
    static func balance(_ items: [(cost: Int, item: Int)], loads: inout ShardLoads) -> [(item: Int, shard: Int)] {
        let sorted = items.sorted { $0.cost != $1.cost ? $0.cost > $1.cost : $0.item < $1.item }
        var out: [(item: Int, shard: Int)] = []
        out.reserveCapacity(sorted.count)
        for (cost, item) in sorted {
            out.append((item, loads.least.shard))
            loads.addToLeast(cost)
        }
        return out
    }

    func tileSelection(shard: Int) -> TileSelection { TileSelection(bounds: bounds, owner: owner, shard: shard) }

    /// `classRuns`: the class ranges shard `shard` owns.
    func runs(of shard: Int) -> [Range<Int>] {
        (0 ..< owner.count).filter { owner[$0] == Int32(shard) }.map { bounds[$0] ..< bounds[$0 + 1] }
    }
}

/// The shards' loads as a binary min-heap of (load, shard), least load first, lowest index on
/// ties: the least-loaded shard in O(1), an update in O(log shards) (up to 65,536 shards).
struct ShardLoads {
    private var heap: [(load: Int, shard: Int)]

    /// All shards at zero: in index order, which is a heap.
    init(shards: Int) { heap = (0 ..< shards).map { (0, $0) } }

    var least: (shard: Int, load: Int) { (heap[0].shard, heap[0].load) }

    mutating func addToLeast(_ cost: Int) {
        heap[0].load += cost
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < heap.count && Self.less(heap[l], heap[m]) { m = l }
            if r < heap.count && Self.less(heap[r], heap[m]) { m = r }
            if m == i { return }
            heap.swapAt(i, m)
            i = m
        }
    }

    private static func less(_ a: (load: Int, shard: Int), _ b: (load: Int, shard: Int)) -> Bool {
        a.load != b.load ? a.load < b.load : a.shard < b.shard
    }
}
