import Foundation
import TCMData
import TCMKernels
@testable import TCMMetrics
import TCMTestSupport

/// Clustered embeddings: class centres at random, samples = centre + noise, so classes differ in spread.
func clusteredData(sizes: [Int], dimension: Int, seed: UInt64) -> (Matrix, Labels) {
    var rng = SplitMix64(state: seed)
    var values: [Float] = []
    var labels: [Int64] = []
    for (c, n) in sizes.enumerated() {
        let centre = (0 ..< dimension).map { _ in rng.gaussian() }
        let spread = 0.3 + 1.2 * rng.unitDouble()
        for _ in 0 ..< n {
            values += centre.map { Float($0 + spread * rng.gaussian()) }
            labels.append(Int64(c * 7 % 1000))  // names not equal to indices
        }
    }
    // Shuffle rows so classes are not contiguous in the input.
    var order = Array(0 ..< labels.count)
    for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
    let m = Matrix(rows: labels.count, cols: dimension, values: values).gatherRows(order)
    return (m, Labels(integers: order.map { labels[$0] }))
}

/// Everything computed the slow, obvious way: the full similarity matrix in Double and pair
/// counts by looping over every ordered pair.
struct BruteForce {
    let n: Int
    let sims: [[Double]]
    let label: [Int]
    let classCount: Int

    init(_ m: Matrix, _ labels: Labels) {
        n = m.rows
        let rows = (0 ..< n).map { i -> [Double] in
            let r = m.row(i).map(Double.init)
            let norm = r.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return r.map { $0 / norm }
        }
        sims = rows.map { a in rows.map { b in zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } } }
        label = labels.classOf.map(Int.init)
        classCount = labels.classCount
    }

    func size(_ c: Int) -> Int { label.filter { $0 == c }.count }

    /// (accepted positives, positives, accepted negatives, negatives) of class c at t.
    func counts(_ c: Int, _ t: Double) -> (Int, Int, Int, Int) {
        var ap = 0, p = 0, an = 0, ng = 0
        for a in 0 ..< n where label[a] == c {
            for b in 0 ..< n where b != a {
                if label[b] == c {
                    p += 1
                    if sims[a][b] >= t { ap += 1 }
                } else {
                    ng += 1
                    if sims[a][b] >= t { an += 1 }
                }
            }
        }
        return (ap, p, an, ng)
    }

    func utility(_ c: Int, _ t: Double, kind: UtilitySpec.Kind, beta: Double) -> Double {
        let (ap, p, an, ng) = counts(c, t)
        let tpr = Double(ap) / Double(p)
        let b2 = beta * beta
        switch kind {
        case .tprTnr:
            let tnr = 1 - Double(an) / Double(ng)
            return tpr + tnr == 0 ? 0 : (1 + b2) * tpr * tnr / (b2 * tnr + tpr)
        case .precisionRecall:
            let tp = Double(ap) / 2
            let precision = tp + Double(an) == 0 ? 0 : tp / (tp + Double(an))
            return precision + tpr == 0 ? 0 : (1 + b2) * precision * tpr / (b2 * precision + tpr)
        }
    }

    /// Trapezoid rule over the grid, divided by the range width.
    static func rangeAverage(_ f: [Double], _ t: [Double]) -> Double {
        var s = 0.0
        for i in 0 ..< f.count - 1 { s += (f[i] + f[i + 1]) / 2 * (t[i + 1] - t[i]) }
        return s / (t.last! - t.first!)
    }

    func opis(
        grid: [Double], kind: UtilitySpec.Kind = .tprTnr, beta: Double = 1, epsilon: Double = 0.05,
        perThreshold: Bool = true
    ) -> (opis: Double, epsilonOPIS: Double, terms: [Int: Double]) {
        let classes = (0 ..< classCount).filter { size($0) >= 2 }
        let u = classes.map { c in grid.map { utility(c, $0, kind: kind, beta: beta) } }
        let mean = grid.indices.map { i in u.map { $0[i] }.reduce(0, +) / Double(classes.count) }
        var terms: [Int: Double] = [:]
        for (j, c) in classes.enumerated() {
            terms[c] = Self.rangeAverage(grid.indices.map { i in (u[j][i] - mean[i]) * (u[j][i] - mean[i]) }, grid)
        }
        let opis = terms.values.reduce(0, +) / Double(classes.count)
        let m = max(1, Int((epsilon * Double(classes.count)).rounded(.up)))
        let gaps: [Double]
        if perThreshold {
            gaps = grid.indices.map { i in
                let col = u.map { $0[i] }.sorted()
                let gap = col.suffix(m).reduce(0, +) / Double(m) - col.prefix(m).reduce(0, +) / Double(m)
                return gap * gap
            }
        } else {
            let averages = u.map { Self.rangeAverage($0, grid) }
            let order = averages.indices.sorted { averages[$0] < averages[$1] }
            gaps = grid.indices.map { i in
                let gap =
                    order.suffix(m).map { u[$0][i] }.reduce(0, +) / Double(m) - order.prefix(m).map { u[$0][i] }.reduce(
                        0, +) / Double(m)
                return gap * gap
            }
        }
        return (opis, Self.rangeAverage(gaps, grid), terms)
    }

    /// Distance from t to the nearest pair similarity: grids are chosen away from every pair so
    /// that float32-vs-float64 rounding cannot move a pair across a threshold.
    func clearance(_ t: Double) -> Double {
        var best = Double.infinity
        for a in 0 ..< n { for b in 0 ..< n where a != b { best = min(best, abs(sims[a][b] - t)) } }
        return best
    }

    /// A grid of `points` thresholds from about `lo` to `hi`, every one a 1e-4 bin edge and at
    /// least `margin` from every pair similarity.
    func cleanGrid(lo: Double, hi: Double, points: Int, margin: Double = 2e-6) -> [Double] {
        for shift in 0 ..< 200 {
            let l = ((lo * 1e4).rounded() + Double(shift * 3)) / 1e4
            let stepBins = ((hi - lo) * 1e4 / Double(points - 1)).rounded()
            let grid = (0 ..< points).map { (l * 1e4 + Double($0) * stepBins) / 1e4 }
            if grid.allSatisfy({ clearance($0) >= margin }) { return grid }
        }
        fatalError("no clean grid found")
    }

    /// Retrieval by sorting every query's neighbours (ties by index).
    func retrieval(ks: [Int]) -> (recall: [Double], rPrecision: Double, mapAtR: Double, queries: Int) {
        var recall = [Double](repeating: 0, count: ks.count), rp = 0.0, map = 0.0, queries = 0
        for q in 0 ..< n {
            let r = size(label[q]) - 1
            if r == 0 { continue }
            queries += 1
            let ranked = (0 ..< n).filter { $0 != q }.sorted {
                sims[q][$0] > sims[q][$1] || (sims[q][$0] == sims[q][$1] && $0 < $1)
            }
            let rel = ranked.map { label[$0] == label[q] }
            for (i, k) in ks.enumerated() where rel.prefix(k).contains(true) { recall[i] += 1 }
            rp += Double(rel.prefix(r).filter { $0 }.count) / Double(r)
            var hits = 0, sum = 0.0
            for i in 0 ..< r where rel[i] {
                hits += 1
                sum += Double(hits) / Double(i + 1)
            }
            map += sum / Double(r)
        }
        let d = Double(queries)
        return (recall.map { $0 / d }, rp / d, map / d, queries)
    }
}
