import TCMData
import TCMKernels

/// Stratified, seeded subsampling: every class keeps its share of the sample (largest-remainder
/// rounding, at least one sample per class), so a projection of 10k of 60k points still shows
/// every class in proportion. The caller always reports that it subsampled.
public enum StratifiedSample {
    /// Sorted row indices, `limit` of them (all rows when there are no more than `limit`).
    public static func indices(labels: Labels, limit: Int, seed: UInt64) -> [Int] {
        let n = labels.count
        guard limit < n else { return Array(0 ..< n) }
        var members = [[Int]](repeating: [], count: labels.classCount)
        for (i, c) in labels.classOf.enumerated() { members[Int(c)].append(i) }
        let exact = members.map { Double($0.count) * Double(limit) / Double(n) }
        var quota = exact.enumerated().map { c, x in members[c].isEmpty ? 0 : max(1, Int(x)) }
        var remaining = limit - quota.reduce(0, +)
        let byRemainder = exact.indices.sorted {
            exact[$0] - exact[$0].rounded(.down) > exact[$1] - exact[$1].rounded(.down)
        }
        var cursor = 0
        while remaining > 0 && cursor < byRemainder.count * 2 {
            let c = byRemainder[cursor % byRemainder.count]
            if quota[c] < members[c].count {
                quota[c] += 1
                remaining -= 1
            }
            cursor += 1
        }
        var generator = SeededGenerator(seed: seed)
        var chosen: [Int] = []
        for (c, rows) in members.enumerated() {
            var pool = rows
            for k in 0 ..< quota[c] {  // partial Fisher–Yates
                let j = k + Int(generator.next() % UInt64(pool.count - k))
                pool.swapAt(k, j)
            }
            chosen += pool.prefix(quota[c])
        }
        return chosen.sorted()
    }
}

/// The projection code's seeded generator: the project's one SplitMix64.
public typealias SeededGenerator = SplitMix64
