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
            // sets); more and smaller groups only when a strip of √share rows (`stripSplit`), G/√(2·shards)
            // groups, would be fewer than about 8 groups high: its end could not be placed finely.
            var bounds = HalfRoundsPass.groups(layout: classes, workers: 4, rowBlock: PairCounts.Tiling().rowBlock)
            let wanted = Int((12 * Double(shards).squareRoot()).rounded(.up))
            if bounds.count - 1 < wanted {
                bounds = HalfRoundsPass.groups(layout: classes, targetRows: max(1, classes.sampleCount / wanted))
            }
            let g = bounds.count - 1
            let rows = (0 ..< g).map { classes.classStart[bounds[$0 + 1]] - classes.classStart[bounds[$0]] }
            var owner = [Int32](repeating: -1, count: g * g)
            for (item, shard) in stripSplit(groupRows: rows, shards: shards) { owner[item] = Int32(shard) }
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

    /// Tile (a, b), a ≤ b, of groups of `groupRows[i]` rows, to shards, so that each shard holds
    /// few rows and the shards' pairs are even: a shard reads, screens and packs the rows of every
    /// group its tiles touch (`MetricsPass.shardRows`), and counts into their classes' histograms.
    ///
    /// The groups are cut into strips of consecutive groups, each of about √share rows (a share
    /// is the pairs over the shards). Strip s's tiles are (a, b), a in s, b ≥ a: its own triangle,
    /// then every column after it. A strip goes to m shards (m by how many shares it holds), each a
    /// run of its tiles column by column (the triangle first), cut at equal pairs. A run then holds
    /// the strip's h rows and the w columns it sweeps, h · w ≈ share, so h + w is near its least,
    /// 2√share = √2/√shards of the rows (a run in the triangle, fewer). The strip ends are moved
    /// within 0.7 to 1.4 of √share rows (h + w at most 7 % above the least) to the end with the
    /// least sum of the two excesses: the rows above the least, and the pairs of the strip's shards
    /// off a share (they share its pairs equally, so the pairs up to a strip's end are as near a
    /// whole number of shares as the groups allow).
    /// Deterministic: integers, and doubles computed the same way on every task.
    static func stripSplit(groupRows rows: [Int], shards: Int) -> [(item: Int, shard: Int)] {
        let g = rows.count
        // Rows after group a, and group a's tiles' pairs (a, a) and (a, b > a).
        var after = [Int](repeating: 0, count: g + 1)
        for a in stride(from: g - 1, through: 0, by: -1) { after[a] = after[a + 1] + rows[a] }
        func cost(_ a: Int, _ b: Int) -> Int { a == b ? rows[a] * (rows[a] + 1) / 2 : rows[a] * rows[b] }
        let rowCost = (0 ..< g).map { cost($0, $0) + rows[$0] * after[$0 + 1] }
        let total = rowCost.reduce(0, +)
        let share = Double(max(total, 1)) / Double(shards)
        let height = share.squareRoot()
        var out: [(item: Int, shard: Int)] = []
        out.reserveCapacity(g * (g + 1) / 2)
        var used = 0, before = 0, s = 0
        while s < g {
            // The strip's end e and the shards up to its end, j.
            var best = (end: g, shards: shards, misfit: Double.infinity)
            if used < shards - 1 {
                var stripRows = 0, stripCost = 0
                for e in s + 1 ... g {
                    stripRows += rows[e - 1]
                    stripCost += rowCost[e - 1]
                    if e < g && Double(stripRows) < 0.7 * height { continue }
                    let pairs = before + stripCost
                    let j = e == g ? shards : min(shards - 1, max(used + 1, Int((Double(pairs) / share).rounded())))
                    // The shards' pairs off their share, plus the rows a run holds above the least,
                    // h + share/h over 2√share (none for the last strip: it has no columns after it).
                    let uneven = abs(Double(pairs) - Double(j) * share) / (Double(j - used) * share)
                    let h = Double(stripRows)
                    let misfit = uneven + (e == g ? 0 : (h + share / h) / (2 * height) - 1)
                    if misfit < best.misfit { best = (e, j, misfit) }
                    // Past 1.4 √share rows, unless that would leave a sliver of a strip.
                    if Double(stripRows) >= 1.4 * height && Double(after[e]) >= 0.7 * height { break }
                }
            }
            let e = best.end, m = best.shards - used
            let stripCost = (s ..< e).reduce(0) { $0 + rowCost[$1] }
            // Column by column, the strip's triangle first: tile t goes to the run its middle falls in.
            var done = 0
            for b in s ..< g {
                for a in s ... min(b, e - 1) {
                    let c = cost(a, b)
                    let middle = Double(2 * done + c) / Double(2 * max(stripCost, 1))
                    out.append((a * g + b, used + min(m - 1, Int(middle * Double(m)))))
                    done += c
                }
            }
            used = best.shards
            before += stripCost
            s = e
        }
        return out
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
