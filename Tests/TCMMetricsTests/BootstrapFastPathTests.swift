import Foundation
import Testing
import TCMKernels
@testable import TCMMetrics

/// The bootstrap's fast paths (OPIS's terms sixteen classes to a vector, ε-OPIS's branch-free
/// walk on sorted columns, the draws kept for the EER) give the same bits as one class at a time,
/// and the same values as a brute-force replicate that repeats each drawn class's curve.
@Suite struct BootstrapFastPathTests {
    /// Utilities in [0, 1] with ties (a coarse grid of values), so the ranking's tie order matters.
    static func curves(classes: Int, points: Int, seed: UInt64) -> [[Double]] {
        var g = SplitMix64(seed: seed)
        return (0 ..< classes).map { _ in (0 ..< points).map { _ in Double(g.below(41)) / 40 } }
    }

    /// The replicate the slow way: each class's curve repeated as often as it was drawn; OPIS, the
    /// standard error of its per-row terms and ε-OPIS from the repeated rows, sorted per point.
    static func bruteForce(
        _ curves: [[Double]], _ a: [Double], _ w: [Double], epsilon: Double, ranking: OPISOptions.Ranking
    ) -> (opis: Double, standardError: Double, epsilonOPIS: Double) {
        var rows: [[Double]] = []
        for (j, times) in w.enumerated() { rows += Array(repeating: curves[j], count: Int(times)) }
        let n = Double(rows.count), k = a.count
        let mean = (0 ..< k).map { i in rows.reduce(0) { $0 + $1[i] } / n }
        let terms = rows.map { row in (0 ..< k).reduce(0.0) { $0 + a[$1] * pow(row[$1] - mean[$1], 2) } }
        let opis = terms.reduce(0, +) / n
        let variance = terms.reduce(0) { $0 + pow($1 - opis, 2) } / n
        let m = ThresholdAnalyzer.groupSize(epsilon: epsilon, classes: rows.count)
        let average = rows.map { row in (0 ..< k).reduce(0.0) { $0 + a[$1] * row[$1] } }
        let byAverage = rows.indices.sorted { average[$0] < average[$1] }
        var eps = 0.0
        for i in 0 ..< k {
            let column = ranking == .rangeAverage ? byAverage.map { rows[$0][i] } : rows.map { $0[i] }.sorted()
            let gap = (column.suffix(m).reduce(0, +) - column.prefix(m).reduce(0, +)) / Double(m)
            eps += a[i] * gap * gap
        }
        return (opis, n > 1 ? (variance / (n - 1)).squareRoot() : 0, eps)
    }

    /// Class counts around the vector widths (8 lanes, two blocks at a time) and ε's group sizes.
    @Test(arguments: [1, 2, 7, 8, 9, 15, 16, 17, 40, 123])
    func fastPathsEqualOneClassAtATimeAndABruteForceReplicate(_ classes: Int) {
        let points = 11
        let a = ThresholdGrid.trapezoidWeights(points: points, collapsed: false)
        let u = Self.curves(classes: classes, points: points, seed: UInt64(classes))
        for (ranking, epsilon) in [
            (OPISOptions.Ranking.perThreshold, 0.05), (.rangeAverage, 0.2), (.perThreshold, 0.3),
        ] {
            let weighted = WeightedOPIS(curves: u, gridWeights: a, epsilon: epsilon, ranking: ranking)
            var weightSets = Bootstrap.replicateSeeds(seed: 11, count: 20).map {
                Bootstrap.draw(classes: classes, seed: $0)
            }
            weightSets.append([Double](repeating: 1, count: classes))
            // The batched form (the bootstrap's) and one replicate at a time give the same bits.
            let batched = weighted.opisAndStandardErrors(
                weights: weightSets.flatMap { $0 }, replicates: weightSets.count)
            for (r, w) in weightSets.enumerated() {
                let fast = weighted.opisAndStandardError(weights: w)
                let slow = weighted.opisAndStandardErrorOneByOne(weights: w)
                #expect(batched[r].opis.bitPattern == slow.opis.bitPattern)
                #expect(batched[r].standardError.bitPattern == slow.standardError.bitPattern)
                #expect(fast.opis.bitPattern == slow.opis.bitPattern)
                #expect(fast.standardError.bitPattern == slow.standardError.bitPattern)
                let e = weighted.epsilonOPIS(weights: w)
                #expect(e.bitPattern == weighted.epsilonOPISOneByOne(weights: w).bitPattern)
                // Ranking ties between classes can order a range-average group differently, so the
                // brute force is held to ε-OPIS only where no two classes share an average.
                let brute = Self.bruteForce(u, a, w, epsilon: epsilon, ranking: ranking)
                #expect(abs(fast.opis - brute.opis) <= 1e-12)
                #expect(abs(fast.standardError - brute.standardError) <= 1e-12)
                if ranking == .perThreshold { #expect(abs(e - brute.epsilonOPIS) <= 1e-12) }
            }
        }
    }

    /// The draws kept for the EER's search are the replicate's own; a class drawn more than 255
    /// times, or a bootstrap past the byte budget, is not kept (and is drawn again from its seed).
    @Test func keptDrawsAreTheDrawsOrNothing() {
        let seeds = Bootstrap.replicateSeeds(seed: 3, count: 4)
        let kept = KeptDraws(replicates: 4, classes: 300)
        for (r, s) in seeds.enumerated() { kept.keep(r, Bootstrap.draw(classes: 300, seed: s)) }
        for (r, s) in seeds.enumerated() { #expect(kept.weights(r) == Bootstrap.draw(classes: 300, seed: s)) }
        var heavy = [Double](repeating: 0, count: 300)
        heavy[5] = 256
        heavy[6] = 44
        kept.keep(2, heavy)
        #expect(kept.weights(2) == nil)
        let tooLarge = KeptDraws(replicates: KeptDraws.byteBudget / 300 + 1, classes: 300)
        tooLarge.keep(0, Bootstrap.draw(classes: 300, seed: seeds[0]))
        #expect(tooLarge.weights(0) == nil)
    }
}
