/// Triplet margin loss in similarity form (PML `TripletMarginLoss` with `CosineSimilarity`):
/// `relu(s_an − s_ap + margin)` over triplets (a, p, n), averaged over the non-zero ones.
/// Triplets come from `mining` (PML `TripletMarginMiner` semantics, with the loss's margin):
/// all; semi-hard, `s_ap − margin ≤ s_an < s_ap`; hard, `s_an ≥ s_ap`.
///
/// Why not loop over triplets: B = 256 has ~2·10⁶ of them per anchor set. Per anchor, the
/// negatives' similarities are sorted once; each positive then finds its violating negatives
/// (a range) and their sum by binary search on prefix sums, and each negative finds how many
/// positives it violates the same way: O(B² log B) per batch.
public struct TripletMarginLoss: SimilarityLoss {
    public enum Mining: String, Sendable, CaseIterable, Codable { case all, semihard, hard }
    public var margin = 0.05
    public var mining = Mining.all
    public var name: String { "triplet-\(mining.rawValue)" }
    public init(margin: Double = 0.05, mining: Mining = .all) {
        self.margin = margin
        self.mining = mining
    }

    public func evaluate(_ batch: SimilarityBatch, gradient: inout [Double]) -> Double {
        var total = 0.0, nonZero = 0
        // Per anchor, the (count, sum) of each positive's triplets, and each negative's count.
        var perAnchor: [(positives: [(Int, Int)], negatives: [(Int, Int)])] = []
        perAnchor.reserveCapacity(batch.rows)
        for a in 0 ..< batch.rows {
            var negatives: [(Double, Int)] = [], positives: [(Double, Int)] = []
            for j in 0 ..< batch.columns where !batch.isSelf(a, j) {
                if batch.same(a, j) {
                    positives.append((batch.s(a, j), j))
                } else {
                    negatives.append((batch.s(a, j), j))
                }
            }
            negatives.sort { $0.0 < $1.0 }
            positives.sort { $0.0 < $1.0 }
            var prefix = [0.0]
            for n in negatives { prefix.append(prefix.last! + n.0) }
            var positiveCounts: [(Int, Int)] = []
            for (x, p) in positives {
                // The negatives of this (a, p) that are mined and have a non-zero loss
                // (s_an > x − margin): all: s_an > x − m; semi-hard: x − m < s_an < x; hard: s_an ≥ x.
                let lo: Int, hi: Int
                switch mining {
                case .all: (lo, hi) = (upperBound(negatives, x - margin), negatives.count)
                case .semihard: (lo, hi) = (upperBound(negatives, x - margin), lowerBound(negatives, x))

                case .hard: (lo, hi) = (lowerBound(negatives, x), negatives.count)
                }
                let k = max(0, hi - lo)
                if k > 0 {
                    total += (prefix[hi] - prefix[lo]) - Double(k) * (x - margin)
                    nonZero += k
                }
                positiveCounts.append((p, k))
            }
            // For each negative, the positives whose window contains it.
            let xs = positives.map(\.0)
            var negativeCounts: [(Int, Int)] = []
            for (y, n) in negatives {
                // Positives x with: all: y > x − m ⇔ x < y + m; semihard: x − m < y < x ⇔ y < x < y + m; hard: x ≤ y.
                let k: Int
                switch mining {
                case .all: k = lowerBoundValues(xs, y + margin)
                case .semihard: k = max(0, lowerBoundValues(xs, y + margin) - upperBoundValues(xs, y))
                case .hard: k = upperBoundValues(xs, y)
                }
                negativeCounts.append((n, k))
            }
            perAnchor.append((positiveCounts, negativeCounts))
        }
        guard nonZero > 0 else { return 0 }
        let weight = 1 / Double(nonZero)
        for a in 0 ..< batch.rows {
            for (p, k) in perAnchor[a].positives where k > 0 { gradient[batch.index(a, p)] -= Double(k) * weight }
            for (n, k) in perAnchor[a].negatives where k > 0 { gradient[batch.index(a, n)] += Double(k) * weight }
        }
        return total * weight
    }

    private func lowerBound(_ v: [(Double, Int)], _ x: Double) -> Int {
        var lo = 0, hi = v.count
        while lo < hi {
            let m = (lo + hi) / 2
            if v[m].0 < x { lo = m + 1 } else { hi = m }
        }
        return lo
    }
    private func upperBound(_ v: [(Double, Int)], _ x: Double) -> Int {
        var lo = 0, hi = v.count
        while lo < hi {
            let m = (lo + hi) / 2
            if v[m].0 <= x { lo = m + 1 } else { hi = m }
        }
        return lo
    }
    private func lowerBoundValues(_ v: [Double], _ x: Double) -> Int {
        var lo = 0, hi = v.count
        while lo < hi {
            let m = (lo + hi) / 2
            if v[m] < x { lo = m + 1 } else { hi = m }
        }
        return lo
    }
    private func upperBoundValues(_ v: [Double], _ x: Double) -> Int {
        var lo = 0, hi = v.count
        while lo < hi {
            let m = (lo + hi) / 2
            if v[m] <= x { lo = m + 1 } else { hi = m }
        }
        return lo
    }
}
