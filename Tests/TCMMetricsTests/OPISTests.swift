import Testing
import TCMData
import TCMKernels
@testable import TCMMetrics
import TCMTestSupport

/// A CountHistogram from a list of (bin, count).
func histogram(_ entries: [(Int, UInt32)], bins: ThresholdBins = .standard) -> CountHistogram {
    var full = [UInt32](repeating: 0, count: bins.count)
    for (b, c) in entries { full[b] += c }
    return full.withUnsafeBufferPointer { CountHistogram(counts: $0) }
}

@Suite struct HandWorkedTests {
    /// The spec's worked check: two classes, grid {0, 1}; U_A = (1, 0), U_B = (0, 0)
    /// ⇒ OPIS = 0.125, each class term 0.125, ε-OPIS (m = 1) = 0.5.
    @Test func specWorkedExample() {
        let bins = ThresholdBins.standard
        let half = bins.bin(of: 0.5), minusHalf = bins.bin(of: -0.5)
        // A: positives at 0.5, negatives at -0.5 → at t=0 TPR=1, TNR=1 (U=1); at t=1 TPR=0 (U=0).
        // B: positives at -0.5 → TPR=0 at both thresholds (U=0).
        let counts = PairCounts(
            bins: bins, classNames: ["A", "B"], classSizes: [2, 2],
            positives: [histogram([(half, 2)]), histogram([(minusHalf, 2)])],
            negatives: [histogram([(minusHalf, 4)]), histogram([(minusHalf, 4)])])
        var options = OPISOptions()
        options.range = .similarity(low: 0, high: 1)
        options.points = 2
        let report = ThresholdAnalyzer(counts: counts).report(options)
        #expect(report.settings.thresholds == [0, 1])
        #expect(abs(report.opis - 0.125) < 1e-12)
        #expect(abs(report.classes[0].opisTerm! - 0.125) < 1e-12)
        #expect(abs(report.classes[1].opisTerm! - 0.125) < 1e-12)
        #expect(abs(report.epsilonOPIS - 0.5) < 1e-12)
        #expect(report.settings.classesPerGroup == 1)
    }

    @Test func utilityFormulas() {
        let f1 = UtilitySpec()
        // TPR = 3/4, TNR = 1 - 1/4 = 3/4 → F1 = 3/4.
        #expect(abs(f1.utility(acceptedPositives: 3, positives: 4, acceptedNegatives: 1, negatives: 4) - 0.75) < 1e-12)
        #expect(f1.utility(acceptedPositives: 0, positives: 4, acceptedNegatives: 4, negatives: 4) == 0)
        // β = 2: TPR = 1/2, TNR = 1 → 5·0.5·1 / (4·1 + 0.5) = 2.5/4.5
        let f2 = UtilitySpec(kind: .tprTnr, beta: 2)
        #expect(
            abs(f2.utility(acceptedPositives: 2, positives: 4, acceptedNegatives: 0, negatives: 8) - 2.5 / 4.5) < 1e-12)
        // Precision/recall: 4 ordered accepted positives = 2 pairs, 2 accepted negatives → P = 1/2; R = 4/8.
        let pr = UtilitySpec(kind: .precisionRecall)
        #expect(abs(pr.utility(acceptedPositives: 4, positives: 8, acceptedNegatives: 2, negatives: 10) - 0.5) < 1e-12)
        #expect(pr.utility(acceptedPositives: 0, positives: 8, acceptedNegatives: 0, negatives: 10) == 0)
    }

    @Test func meanOfExtremesBySelectionMatchesSorting() {
        var rng = SplitMix64(state: 5)
        for n in [1, 2, 9, 300] {
            let values = (0 ..< n).map { _ in (rng.unitDouble() * 8).rounded() / 8 }  // ties
            let sorted = values.sorted()
            for m in Set([1, 2, n]).filter({ $0 <= n }) {
                var copy = values
                let low = Selection.meanOfSmallest(&copy, m), high = -Selection.meanOfSmallest(&copy, m, negated: true)
                #expect(abs(low - sorted.prefix(m).reduce(0, +) / Double(m)) < 1e-12)
                #expect(abs(high - sorted.suffix(m).reduce(0, +) / Double(m)) < 1e-12)
                #expect(copy.sorted() == sorted, "values are only reordered")
            }
        }
    }

    @Test func groupSizeRoundsUpButNotOnRoundingNoise() {
        #expect(ThresholdAnalyzer.groupSize(epsilon: 0.05, classes: 10) == 1)
        #expect(ThresholdAnalyzer.groupSize(epsilon: 0.05, classes: 20) == 1)
        #expect(ThresholdAnalyzer.groupSize(epsilon: 0.05, classes: 21) == 2)
        #expect(ThresholdAnalyzer.groupSize(epsilon: 0.1, classes: 30) == 3)
        #expect(ThresholdAnalyzer.groupSize(epsilon: 0.05, classes: 10_000) == 500)
    }

    @Test func countHistogramStoragesAnswerLikeANaiveSuffixSum() {
        var rng = SplitMix64(state: 11)
        let bins = ThresholdBins(binsPerUnit: 500)
        for (scale, fill) in [(3.0, 0.01), (200.0, 0.5), (60_000.0, 0.5), (5_000_000.0, 0.9), (0, 0)] {
            var full = [UInt32](repeating: 0, count: bins.count)
            for k in 0 ..< bins.count where rng.unitDouble() < fill { full[k] = UInt32(rng.unitDouble() * scale) }
            let h = full.withUnsafeBufferPointer { CountHistogram(counts: $0) }
            var suffix = 0
            for k in stride(from: bins.count - 1, through: 0, by: -1) {
                suffix += Int(full[k])
                #expect(h.countAtOrAbove(k) == suffix, "scale \(scale) bin \(k)")
                if h.countAtOrAbove(k) != suffix { return }
            }
            #expect(h.countAtOrAbove(bins.count) == 0)
            let edges = [0, 3, 4, 100, 101, 517, 800, bins.count - 1, bins.count]
            #expect(h.countsAtOrAbove(ascending: edges) == edges.map { h.countAtOrAbove($0) })
            #expect(h.total == suffix)
        }
    }
}

@Suite struct BruteForceComparisonTests {
    struct Shape: Sendable, CustomTestStringConvertible {
        let sizes: [Int]
        let dimension: Int
        let seed: UInt64
        var testDescription: String { "\(sizes.count) classes, N=\(sizes.reduce(0, +)), D=\(dimension)" }
    }

    static let shapes: [Shape] = [
        Shape(sizes: [20, 20], dimension: 3, seed: 1),
        Shape(sizes: [30, 5, 12, 1, 40, 2, 9], dimension: 16, seed: 2),  // unequal, a one-sample class
        Shape(sizes: Array(repeating: 4, count: 60) + [3, 2], dimension: 8, seed: 3),  // many classes
        Shape(sizes: [150, 7], dimension: 33, seed: 4),
    ]

    @Test(arguments: shapes)
    func countsOPISAndEpsilonOPISMatchBruteForce(shape: Shape) {
        let (m, labels) = clusteredData(sizes: shape.sizes, dimension: shape.dimension, seed: shape.seed)
        let brute = BruteForce(m, labels)
        let layout = ClassLayout(embeddings: m, labels: labels)
        var tiling = PairCounts.Tiling()
        tiling.rowBlock = 7
        tiling.columnBlock = 13  // odd tiles exercise every edge of the fold
        let counts = PairCounts.compute(layout: layout, tiling: tiling)
        let analyzer = ThresholdAnalyzer(counts: counts)

        let grid = brute.cleanGrid(lo: 0.05, hi: 0.65, points: 13)
        // Pair counts at every grid threshold, per class, exactly.
        for c in 0 ..< brute.classCount {
            for t in grid {
                let (ap, p, an, ng) = brute.counts(c, t)
                let e = counts.bins.edge(nearest: t)
                #expect(counts.positives[c].countAtOrAbove(e) == ap && counts.positives[c].total == p)
                #expect(counts.negatives[c].countAtOrAbove(e) == an && counts.negatives[c].total == ng)
            }
        }
        for kind in UtilitySpec.Kind.allCases {
            for perThreshold in [true, false] {
                var options = OPISOptions()
                options.range = .similarity(low: grid.first!, high: grid.last!)
                options.points = grid.count
                options.utility = UtilitySpec(kind: kind, beta: kind == .tprTnr ? 1 : 0.5)
                options.epsilon = 0.1
                options.ranking = perThreshold ? .perThreshold : .rangeAverage
                let report = analyzer.report(options)
                #expect(zip(report.settings.thresholds, grid).allSatisfy { abs($0 - $1) < 1e-9 })
                let expected = brute.opis(
                    grid: grid, kind: kind, beta: options.utility.beta, epsilon: 0.1, perThreshold: perThreshold)
                #expect(abs(report.opis - expected.opis) < 1e-12, "\(kind) OPIS \(report.opis) vs \(expected.opis)")
                #expect(
                    abs(report.epsilonOPIS - expected.epsilonOPIS) < 1e-12,
                    "\(kind) ε-OPIS \(report.epsilonOPIS) vs \(expected.epsilonOPIS)")
                for (c, row) in report.classes.enumerated() {
                    if let term = expected.terms[c] {
                        #expect(abs(row.opisTerm! - term) < 1e-12)
                    } else {
                        #expect(row.opisTerm == nil && !row.inOPIS)
                    }
                }
            }
        }
        #expect(analyzer.report(OPISOptions()).excludedClasses.count == shape.sizes.filter { $0 < 2 }.count)
    }

    /// ε-OPIS by selection (threaded from 1,000 classes) against sorting each threshold's column.
    @Test(arguments: [(30, 1), (30, 4), (1_500, 1), (1_500, 75)])
    func epsilonOPISMatchesSortingEveryColumn(classes: Int, m: Int) {
        var rng = SplitMix64(state: UInt64(classes * 31 + m))
        let k = 37
        // Many ties.
        let u: [[Double]] = (0 ..< classes).map { _ in (0 ..< k).map { _ in (rng.unitDouble() * 50).rounded() / 50 } }
        let raw = (0 ..< k).map { _ in rng.unitDouble() + 0.1 }
        let weights = raw.map { $0 / raw.reduce(0, +) }
        var expected = 0.0
        for i in 0 ..< k {
            let column = u.map { $0[i] }.sorted()
            let low = column.prefix(m).reduce(0, +) / Double(m), high = column.suffix(m).reduce(0, +) / Double(m)
            expected += weights[i] * (high - low) * (high - low)
        }
        let got = ThresholdAnalyzer.epsilonOPIS(u, weights: weights, groupSize: m, ranking: .perThreshold, averages: [])
        #expect(abs(got - expected) < 1e-12, "\(got) vs \(expected)")
    }

    @Test func strategiesThreadsTilesAndCounterWidthsAgree() {
        let (m, labels) = clusteredData(sizes: [50, 3, 70, 1, 25, 2, 2], dimension: 20, seed: 9)
        let layout = ClassLayout(embeddings: m, labels: labels)
        var one = PairCounts.Tiling()
        one.threads = 1
        one.strategy = .classOwned
        let a = PairCounts.compute(layout: layout, tiling: one)
        var variants: [PairCounts] = []
        for strategy in PairCounts.Strategy.allCases {
            for (threads, rows, columns) in [(1, 96, 1024), (2, 5, 17), (2, 7, 48), (3, 1, 16)] {
                var t = PairCounts.Tiling()
                t.threads = threads
                t.rowBlock = rows
                t.columnBlock = columns
                t.strategy = strategy
                variants.append(PairCounts.compute(layout: layout, tiling: t))
                variants.append(
                    PairCounts.compute(UInt64.self, layout: layout, bins: .standard, tiling: t, progress: nil))
            }
        }
        for b in variants {
            #expect(a.globalNegativeAtOrAbove == b.globalNegativeAtOrAbove)
            #expect(a.globalPositiveAtOrAbove == b.globalPositiveAtOrAbove)
            for c in 0 ..< a.classCount {
                for k in stride(from: 0, to: a.bins.count, by: 97) {
                    #expect(a.positives[c].countAtOrAbove(k) == b.positives[c].countAtOrAbove(k))
                    #expect(a.negatives[c].countAtOrAbove(k) == b.negatives[c].countAtOrAbove(k))
                }
            }
        }
        // The automatic choice: few classes go symmetric, many (by memory) class-owned.
        #expect(PairCounts.strategy(for: layout, bins: .standard, tiling: PairCounts.Tiling()) == .symmetric)
        var small = PairCounts.Tiling()
        small.symmetricMemoryLimit = 1 << 20
        #expect(PairCounts.strategy(for: layout, bins: .standard, tiling: small) == .classOwned)
        // Ordered pairs: n_c(n_c − 1) positives and n_c(N − n_c) negatives.
        let n = layout.sampleCount
        for (c, size) in layout.classStart.indices.dropLast().map({ ($0, layout.size(of: $0)) }) {
            #expect(a.positives[c].total == size * (size - 1))
            #expect(a.negatives[c].total == size * (n - size))
        }
    }

    @Test func defaultRangeIsTheFARQuantiles() {
        let (m, labels) = clusteredData(sizes: [40, 30, 35], dimension: 10, seed: 5)
        let brute = BruteForce(m, labels)
        let counts = PairCounts.compute(layout: ClassLayout(embeddings: m, labels: labels))
        let grid = ThresholdGrid(spec: .standard, points: 101, counts: counts)
        var negatives: [Double] = []
        for a in 0 ..< brute.n {
            for b in 0 ..< brute.n where brute.label[a] != brute.label[b] { negatives.append(brute.sims[a][b]) }
        }
        func far(_ t: Double) -> Double { Double(negatives.filter { $0 >= t }.count) / Double(negatives.count) }
        // lo is the smallest edge with FAR ≤ 0.1: FAR(lo) ≤ 0.1 < FAR(lo − 1e-4) (up to float rounding at the edge).
        #expect(far(grid.low + 1e-6) <= 0.1 && far(grid.low - 1e-4 - 1e-6) > 0.1)
        #expect(far(grid.high + 1e-6) <= 0.01 && far(grid.high - 1e-4 - 1e-6) > 0.01)
        #expect(grid.edges.count == 101 && grid.edges.first == grid.lowEdge && grid.edges.last == grid.highEdge)
        #expect(abs(grid.weights.reduce(0, +) - 1) < 1e-12)

        // Global rates and TAR@FAR against brute force.
        let analyzer = ThresholdAnalyzer(counts: counts)
        let tar = analyzer.tar(atFAR: 0.05)
        var positives: [Double] = []
        for a in 0 ..< brute.n {
            for b in 0 ..< brute.n where a != b && brute.label[a] == brute.label[b] {
                positives.append(brute.sims[a][b])
            }
        }
        let t = tar.threshold
        #expect(far(t + 1e-6) <= 0.05)
        let expectedTAR = Double(positives.filter { $0 >= t + 1e-6 }.count) / Double(positives.count)
        let expectedTARLoose = Double(positives.filter { $0 >= t - 1e-6 }.count) / Double(positives.count)
        #expect(tar.tar >= expectedTAR && tar.tar <= expectedTARLoose)
        let eer = analyzer.equalErrorRate()
        let farAtEER = far(eer.threshold),
            frrAtEER = 1 - Double(positives.filter { $0 >= eer.threshold }.count) / Double(positives.count)
        #expect(abs(eer.rate - (farAtEER + frrAtEER) / 2) < 0.01)
    }
}
