import Foundation
import TCMKernels

/// OPIS, ε-OPIS and the per-class and global rates, computed from pair counts. Every call is a
/// query on the cumulative counts: changing the range or the threshold never rescans pairs.
public struct ThresholdAnalyzer: Sendable {
    public let counts: PairCounts

    public init(counts: PairCounts) { self.counts = counts }

    /// (TPR, FAR) of class `c` at bin edge `edge`.
    public func classRates(_ c: Int, edge: Int) -> (tpr: Double, far: Double) {
        let p = counts.positives[c], n = counts.negatives[c]
        let tpr = p.total > 0 ? Double(p.countAtOrAbove(edge)) / Double(p.total) : 0
        let far = n.total > 0 ? Double(n.countAtOrAbove(edge)) / Double(n.total) : 0
        return (tpr, far)
    }

    /// U_c at bin edge `edge`.
    public func utility(_ c: Int, edge: Int, spec: UtilitySpec) -> Double {
        let p = counts.positives[c], n = counts.negatives[c]
        return spec.utility(
            acceptedPositives: p.countAtOrAbove(edge), positives: p.total,
            acceptedNegatives: n.countAtOrAbove(edge), negatives: n.total)
    }

    /// Global (FAR, TPR) at bin edge `edge`, over all pairs of all classes.
    public func globalRates(edge: Int) -> (far: Double, tpr: Double) {
        let far =
            counts.totalNegatives > 0 ? Double(counts.globalNegativeAtOrAbove[edge]) / Double(counts.totalNegatives) : 0
        let tpr =
            counts.totalPositives > 0 ? Double(counts.globalPositiveAtOrAbove[edge]) / Double(counts.totalPositives) : 0
        return (far, tpr)
    }

    /// The classes that have positive pairs (n_c ≥ 2).
    public var classesWithPositives: [Int] {
        (0 ..< counts.classCount).filter { counts.classSizes[$0] >= 2 }
    }

    /// Utility curves of the classes with positives on a grid: `[class][grid point]`.
    /// Classes are split over `threads` (it pays from a few hundred classes on).
    public func curves(
        grid: ThresholdGrid, spec: UtilitySpec, threads: Int = defaultThreadCount
    ) -> (classes: [Int], values: [[Double]]) {
        let included = classesWithPositives
        let chunk = 256
        let chunks = (included.count + chunk - 1) / chunk
        let out = SharedBuffer<[Double]>(count: included.count)
        parallelForEach(count: chunks, threads: threads) { part in
            for j in part * chunk ..< min(included.count, (part + 1) * chunk) {
                let p = counts.positives[included[j]], n = counts.negatives[included[j]]
                let accepted = p.countsAtOrAbove(ascending: grid.edges),
                    falseAccepts = n.countsAtOrAbove(ascending: grid.edges)
                out.initialize(
                    j,
                    to: grid.edges.indices.map {
                        spec.utility(
                            acceptedPositives: accepted[$0], positives: p.total,
                            acceptedNegatives: falseAccepts[$0], negatives: n.total)
                    })
            }
        }
        return (included, out.moveToArray())
    }

    /// The full report.
    public func report(_ options: OPISOptions) -> ThresholdReport {
        let grid = ThresholdGrid(spec: options.range, points: options.points, counts: counts)
        let (included, u) = curves(grid: grid, spec: options.utility)
        let w = grid.weights
        let k = grid.edges.count
        let classCount = included.count

        // OPIS: mean over classes of avg_range[(U_c − Ū)²].
        var mean = [Double](repeating: 0, count: k)
        for row in u { for i in 0 ..< k { mean[i] += row[i] } }
        if classCount > 0 { for i in 0 ..< k { mean[i] /= Double(classCount) } }
        var terms = [Double](repeating: 0, count: classCount)
        var averages = [Double](repeating: 0, count: classCount)
        for (j, row) in u.enumerated() {
            var t = 0.0, a = 0.0
            for i in 0 ..< k {
                let dev = row[i] - mean[i]
                t += w[i] * dev * dev
                a += w[i] * row[i]
            }
            terms[j] = t
            averages[j] = a
        }
        let opis = classCount > 0 ? terms.reduce(0, +) / Double(classCount) : 0

        let m = Self.groupSize(epsilon: options.epsilon, classes: classCount)
        let epsilonOPIS = Self.epsilonOPIS(u, weights: w, groupSize: m, ranking: options.ranking, averages: averages)

        let operatingEdge =
            options.operatingThreshold.map { counts.bins.edge(nearest: $0) } ?? (grid.lowEdge + grid.highEdge) / 2
        var termOf = [Int: Double](), averageOf = [Int: Double]()
        for (j, c) in included.enumerated() {
            termOf[c] = terms[j]
            averageOf[c] = averages[j]
        }
        let rows = (0 ..< counts.classCount).map { c -> ClassSummary in
            let rates = classRates(c, edge: operatingEdge)
            return ClassSummary(
                name: counts.classNames[c], size: counts.classSizes[c], inOPIS: termOf[c] != nil,
                opisTerm: termOf[c], meanUtility: averageOf[c],
                utility: utility(c, edge: operatingEdge, spec: options.utility),
                tpr: rates.tpr, far: rates.far, frr: 1 - rates.tpr,
                positivePairs: counts.positives[c].total, negativePairs: counts.negatives[c].total)
        }
        let operating = globalRates(edge: operatingEdge)
        let settings = ReportSettings(
            thresholdResolution: counts.bins.width, rangeSpec: options.range.description,
            rangeLow: grid.low, rangeHigh: grid.high,
            globalFARAtLow: globalRates(edge: grid.lowEdge).far, globalFARAtHigh: globalRates(edge: grid.highEdge).far,
            points: k, thresholds: grid.thresholds, utility: options.utility.kind.rawValue, beta: options.utility.beta,
            epsilon: options.epsilon, classesPerGroup: m, ranking: options.ranking.rawValue,
            operatingThreshold: counts.bins.threshold(atEdge: operatingEdge),
            similarity: "cosine of L2-normalised embeddings; a pair is accepted when s ≥ t")
        let eer = equalErrorRate()
        let global = GlobalSummary(
            positivePairs: counts.totalPositives, negativePairs: counts.totalNegatives,
            far: operating.far, tpr: operating.tpr,
            eer: eer.rate, eerThreshold: eer.threshold,
            tarAtFAR: options.tarAtFAR.map(tar(atFAR:)))
        return ThresholdReport(
            settings: settings, opis: opis, epsilonOPIS: epsilonOPIS, classesInOPIS: classCount,
            excludedClasses: (0 ..< counts.classCount).filter { counts.classSizes[$0] < 2 }.map {
                counts.classNames[$0]
            },
            global: global, classes: rows, curves: u, curveClasses: included)
    }

    /// m = max(1, ⌈ε·C⌉), guarded against ε·C landing a rounding error above a whole number.
    public static func groupSize(epsilon: Double, classes: Int) -> Int {
        max(1, min(classes, Int((epsilon * Double(classes) - 1e-9).rounded(.up))))
    }

    /// avg_range[(U_high − U_low)²] with groups of `groupSize` best and worst classes.
    public static func epsilonOPIS(
        _ u: [[Double]], weights: [Double], groupSize m: Int,
        ranking: OPISOptions.Ranking, averages: [Double]
    ) -> Double {
        guard !u.isEmpty else { return 0 }
        let k = weights.count, classes = u.count
        if ranking == .rangeAverage {
            let fixedOrder = averages.indices.sorted { averages[$0] < averages[$1] }
            var total = 0.0
            for i in 0 ..< k {
                let low = fixedOrder.prefix(m).reduce(0) { $0 + u[$1][i] } / Double(m)
                let high = fixedOrder.suffix(m).reduce(0) { $0 + u[$1][i] } / Double(m)
                total += weights[i] * (high - low) * (high - low)
            }
            return total
        }
        // Per threshold: the mean of the m smallest and of the m largest U_c. The curves are
        // transposed once (one column per threshold, contiguous), and thresholds are split over
        // threads: with 10,000 classes this was the largest part of a range change.
        let columns = SharedBuffer<Double>(count: k * classes)  // each thread reorders its own columns
        defer { columns.base.deallocate() }
        for (j, row) in u.enumerated() { for i in 0 ..< k { (columns.base + i * classes + j).initialize(to: row[i]) } }
        let gaps = SharedBuffer<Double>(count: k)
        parallelForEach(count: k, threads: classes >= 1_000 ? defaultThreadCount : 1) { i in
            let column = UnsafeMutableBufferPointer(start: columns.base + i * classes, count: classes)
            let low = Selection.meanOfSmallest(column, m)
            let high = Selection.meanOfLargest(column, m)
            gaps.initialize(i, to: (high - low) * (high - low))
        }
        let gap = gaps.moveToArray()
        return weights.indices.reduce(0.0) { $0 + weights[$1] * gap[$1] }
    }

    /// The edge where global FAR and FRR are closest, and their mean there.
    public func equalErrorRate() -> (rate: Double, threshold: Double) {
        var best = (gap: Double.infinity, rate: 0.0, edge: 0)
        for e in 0 ..< counts.bins.count {
            let r = globalRates(edge: e)
            let frr = 1 - r.tpr
            let gap = abs(r.far - frr)
            if gap < best.gap { best = (gap, (r.far + frr) / 2, e) }
        }
        return (best.rate, counts.bins.threshold(atEdge: best.edge))
    }

    /// True-accept rate at the smallest threshold whose global FAR is ≤ `far`.
    public func tar(atFAR far: Double) -> TARPoint {
        let e = ThresholdGrid.edge(forGlobalFAR: far, counts: counts)
        let r = globalRates(edge: e)
        return TARPoint(targetFAR: far, threshold: counts.bins.threshold(atEdge: e), far: r.far, tar: r.tpr)
    }
}

extension ThresholdAnalyzer {
    /// `report` with its operating point moved to bin edge `edge`: the per-class and global
    /// rates at the new threshold. OPIS, ε-OPIS, the range and the curves do not depend on the
    /// operating point and are kept, so moving the threshold costs O(classes), not a report.
    public func report(_ report: ThresholdReport, movedTo edge: Int, spec: UtilitySpec) -> ThresholdReport {
        let rows = report.classes.enumerated().map { c, row -> ClassSummary in
            let rates = classRates(c, edge: edge)
            return ClassSummary(
                name: row.name, size: row.size, inOPIS: row.inOPIS, opisTerm: row.opisTerm,
                meanUtility: row.meanUtility,
                utility: utility(c, edge: edge, spec: spec), tpr: rates.tpr, far: rates.far, frr: 1 - rates.tpr,
                positivePairs: row.positivePairs, negativePairs: row.negativePairs)
        }
        let rates = globalRates(edge: edge)
        let g = report.global, s = report.settings
        let global = GlobalSummary(
            positivePairs: g.positivePairs, negativePairs: g.negativePairs, far: rates.far, tpr: rates.tpr,
            eer: g.eer, eerThreshold: g.eerThreshold, tarAtFAR: g.tarAtFAR)
        let settings = ReportSettings(
            thresholdResolution: s.thresholdResolution, rangeSpec: s.rangeSpec, rangeLow: s.rangeLow,
            rangeHigh: s.rangeHigh,
            globalFARAtLow: s.globalFARAtLow, globalFARAtHigh: s.globalFARAtHigh, points: s.points,
            thresholds: s.thresholds,
            utility: s.utility, beta: s.beta, epsilon: s.epsilon, classesPerGroup: s.classesPerGroup,
            ranking: s.ranking,
            operatingThreshold: counts.bins.threshold(atEdge: edge), similarity: s.similarity)
        return ThresholdReport(
            settings: settings, opis: report.opis, epsilonOPIS: report.epsilonOPIS, classesInOPIS: report.classesInOPIS,
            excludedClasses: report.excludedClasses, global: global, classes: rows,
            curves: report.curves, curveClasses: report.curveClasses)
    }

    /// Ū(t) at ascending bin edges: the mean utility of the classes with positives. Batched
    /// per class (one sweep of its histogram), classes split over `threads`.
    public func meanUtility(
        ascendingEdges edges: [Int], spec: UtilitySpec, threads: Int = defaultThreadCount
    ) -> [Double] {
        let included = classesWithPositives
        guard !included.isEmpty, !edges.isEmpty else { return [Double](repeating: 0, count: edges.count) }
        let parts = max(1, min(threads, included.count / 64))
        let sums = SharedBuffer<[Double]>(count: parts)
        parallelForEach(count: parts, threads: parts) { part in
            var sum = [Double](repeating: 0, count: edges.count)
            var j = part
            while j < included.count {
                let p = counts.positives[included[j]], n = counts.negatives[included[j]]
                let accepted = p.countsAtOrAbove(ascending: edges), falseAccepts = n.countsAtOrAbove(ascending: edges)
                for i in edges.indices {
                    sum[i] += spec.utility(
                        acceptedPositives: accepted[i], positives: p.total, acceptedNegatives: falseAccepts[i],
                        negatives: n.total)
                }
                j += parts
            }
            sums.initialize(part, to: sum)
        }
        var mean = [Double](repeating: 0, count: edges.count)
        for sum in sums.moveToArray() { for i in edges.indices { mean[i] += sum[i] } }
        return mean.map { $0 / Double(included.count) }
    }
}
