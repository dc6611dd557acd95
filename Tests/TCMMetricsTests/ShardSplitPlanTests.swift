import Testing
import TCMKernels
@testable import TCMMetrics

/// The tiles split, planned from the class sizes alone (as a shard plans it before it reads a
/// row): each shard holds about √2/√shards of the rows, and the shards' pairs are even.
@Suite struct ShardSplitPlanTests {
    struct Plan {
        var heldMax = 0, heldMean = 0.0, pairsMax = 0, pairsMean = 0.0
    }

    /// Each shard's pairs under a tiles assignment, their total (checked to be every pair once) and
    /// the largest tile's; every tile must have an owner among the shards.
    static func tilePairs(
        _ a: ShardAssignment, layout: ClassLayout, shards: Int
    ) -> (perShard: [Int], total: Int, largestTile: Int) {
        let g = a.bounds.count - 1
        func rows(_ i: Int) -> Int { layout.classStart[a.bounds[i + 1]] - layout.classStart[a.bounds[i]] }
        var pairs = [Int](repeating: 0, count: shards), total = 0, largest = 0
        for x in 0 ..< g {
            for y in x ..< g {
                let owner = Int(a.owner[x * g + y])
                #expect(owner >= 0 && owner < shards)
                let cost = x == y ? rows(x) * (rows(x) + 1) / 2 : rows(x) * rows(y)
                pairs[owner] += cost
                total += cost
                largest = max(largest, cost)
            }
        }
        #expect(total == layout.sampleCount * (layout.sampleCount + 1) / 2)
        return (pairs, total, largest)
    }

    /// Held rows (`MetricsPass.shardRows`) and pairs over the shards of `shards`.
    static func plan(_ layout: ClassLayout, shards: Int) -> Plan {
        let a = ShardAssignment.make(layout: layout, shards: shards, retrievalKs: nil)
        #expect(a.layout == .tiles)
        let (pairs, total, _) = tilePairs(a, layout: layout, shards: shards)
        let held = (0 ..< shards).map { k in
            MetricsPass.shardRows(layout: layout, retrievalKs: nil, shard: ShardSpec(index: k, count: shards))!
                .reduce(0) { $0 + $1.count }
        }
        return Plan(
            heldMax: held.max()!, heldMean: Double(held.reduce(0, +)) / Double(shards), pairsMax: pairs.max()!,
            pairsMean: Double(total) / Double(shards))
    }

    /// 200,000 × 64 of 2,000 classes of 100 and 10,000,000 × 256 of 10,000 classes of 1,000 (the
    /// issue-35 sets, Benchmarks/shard_rows_data.py): every shard within 10 % of the mean pairs, and
    /// none holding more than 2/√shards of the rows (the least for a shard's share of pairs is
    /// 1/√shards, a triangle of rows; a rectangle of them, √2/√shards). Prints the plan.
    @Test(arguments: [(200_000, 2_000), (10_000_000, 10_000)])
    func shardsHoldAboutTheirShareOfRowsAndEvenPairs(samples: Int, classes: Int) {
        let layout = ClassLayout(
            planningSizes: [Int](repeating: samples / classes, count: classes), names: (0 ..< classes).map { "\($0)" })
        for shards in [8, 16, 64, 80, 128] {
            let p = Self.plan(layout, shards: shards)
            let n = Double(samples), root = Double(shards).squareRoot()
            print(
                "split \(samples) rows, \(shards) shards: held rows max \(p.heldMax) (\(p.heldMax * 1000 / samples) ‰, "
                    + "√N·max/rows \(Double(p.heldMax) * root / n)), mean \(Int(p.heldMean)); "
                    + "pairs max/mean \(Double(p.pairsMax) / p.pairsMean)")
            #expect(Double(p.pairsMax) <= 1.10 * p.pairsMean, "\(shards) shards: \(p)")
            #expect(Double(p.heldMax) <= 2 * n / root, "\(shards) shards: \(p)")
        }
    }
}
