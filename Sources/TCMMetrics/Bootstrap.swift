import TCMKernels

/// A percentile-bootstrap confidence interval: the `(1 − level)/2` and `(1 + level)/2` quantiles
/// of the replicates (linear interpolation between order statistics).
public struct ConfidenceInterval: Codable, Sendable, Equatable {
    public let level: Double
    public let low: Double
    public let high: Double
    public let replicates: Int

    public init(level: Double, low: Double, high: Double, replicates: Int) {
        self.level = level
        self.low = low
        self.high = high
        self.replicates = replicates
    }

    /// The percentile interval of `values` (any order; non-finite values are dropped).
    public init(percentileOf values: [Double], level: Double) {
        let sorted = values.filter(\.isFinite).sorted()
        self.init(
            level: level, low: Bootstrap.quantile(sorted, (1 - level) / 2),
            high: Bootstrap.quantile(sorted, (1 + level) / 2), replicates: sorted.count)
    }
}

/// The class-level (cluster) bootstrap: each replicate draws the C classes in OPIS with
/// replacement and recomputes the figures from quantities the report already holds (per-class
/// utility curves on the grid, per-class pair counts, per-query hits), as class weights = how
/// many times each class was drawn. No pair is looked at again; the calibration range and grid
/// stay those of the full sample.
///
/// Determinism: replicate r draws from `SplitMix64(seed: s_r)`, where s_r is the r-th output of
/// `SplitMix64(seed: seed)`, so the replicates do not depend on the number of threads.
public enum Bootstrap {
    /// The `p`-quantile of ascending `sorted` (R's type 7: linear between order statistics).
    public static func quantile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let h = Double(sorted.count - 1) * min(1, max(0, p))
        let lo = Int(h.rounded(.down)), hi = min(sorted.count - 1, lo + 1)
        return sorted[lo] + (h - Double(lo)) * (sorted[hi] - sorted[lo])
    }

    /// The seed of each replicate's own generator.
    public static func replicateSeeds(seed: UInt64, count: Int) -> [UInt64] {
        var g = SplitMix64(seed: seed)
        return (0 ..< count).map { _ in g.next() }
    }

    /// Multiplicities of `classes` draws with replacement among `classes` classes.
    public static func draw(classes: Int, seed: UInt64) -> [Double] {
        var g = SplitMix64(seed: seed)
        var w = [Double](repeating: 0, count: classes)
        for _ in 0 ..< classes { w[g.below(classes)] += 1 }
        return w
    }

    /// Runs `body(replicate, weights)` for every replicate, split over `threads`.
    public static func replicates(
        count: Int, classes: Int, seed: UInt64, threads: Int = defaultThreadCount,
        _ body: @Sendable (Int, [Double]) -> Double
    ) -> [Double] {
        let seeds = replicateSeeds(seed: seed, count: count)
        let out = SharedBuffer<Double>(count: count)
        parallelForEach(count: count, threads: threads) { r in
            out.initialize(r, to: body(r, draw(classes: classes, seed: seeds[r])))
        }
        return out.moveToArray()
    }
}

/// OPIS and ε-OPIS of weighted classes from fixed utility curves: what a bootstrap replicate
/// recomputes. Weights are multiplicities (a class drawn twice counts twice); with every weight
/// 1 the figures are the report's.
public struct WeightedOPIS: Sendable {
    public let classes: Int
    public let points: Int
    /// Row-major `classes × points` utilities.
    let values: [Double]
    /// The grid's trapezoid weights divided by the range (sum 1).
    let gridWeights: [Double]
    /// ε-OPIS: the share of classes per group and how classes are ranked.
    public let epsilon: Double
    public let ranking: OPISOptions.Ranking
    /// Per grid point (or once, for `.rangeAverage`): class indices by ascending utility.
    let order: [Int32]

    public init(curves: [[Double]], gridWeights: [Double], epsilon: Double, ranking: OPISOptions.Ranking) {
        classes = curves.count
        points = gridWeights.count
        values = curves.flatMap { $0 }
        self.gridWeights = gridWeights
        self.epsilon = epsilon
        self.ranking = ranking
        let k = gridWeights.count, c = curves.count
        if ranking == .rangeAverage {
            // The report's order: by range-averaged utility, same comparison.
            let averages = curves.map { row in row.indices.reduce(0.0) { $0 + gridWeights[$1] * row[$1] } }
            order = averages.indices.sorted { averages[$0] < averages[$1] }.map(Int32.init)
        } else {
            var all = [Int32]()
            all.reserveCapacity(k * c)
            for i in 0 ..< k {
                all += (0 ..< c).sorted { curves[$0][i] < curves[$1][i] }.map(Int32.init)
            }
            order = all
        }
    }

    /// The report's curves and grid.
    public init(report: ThresholdReport) {
        let t = report.settings.thresholds
        self.init(
            curves: report.curves,
            gridWeights: ThresholdGrid.trapezoidWeights(points: t.count, collapsed: t.first == t.last),
            epsilon: report.settings.epsilon,
            ranking: OPISOptions.Ranking(rawValue: report.settings.ranking) ?? .perThreshold)
    }

    /// Σ_c w_c avg_range[(U_c − Ū_w)²] / Σ_c w_c, with Ū_w = Σ_c w_c U_c / Σ_c w_c. Summed in the
    /// report's order, so weights of 1 give its digits exactly.
    public func opis(weights w: [Double]) -> Double {
        precondition(w.count == classes)
        guard classes > 0 else { return 0 }
        let k = points
        let total = w.reduce(0, +)
        guard total > 0 else { return 0 }
        var mean = [Double](repeating: 0, count: k)
        values.withUnsafeBufferPointer { u in
            mean.withUnsafeMutableBufferPointer { m in
                for j in 0 ..< classes where w[j] != 0 {
                    let row = u.baseAddress! + j * k, wj = w[j]
                    for i in 0 ..< k { m[i] += wj * row[i] }
                }
                for i in 0 ..< k { m[i] /= total }
            }
        }
        var sum = 0.0
        values.withUnsafeBufferPointer { u in
            mean.withUnsafeBufferPointer { m in
                gridWeights.withUnsafeBufferPointer { a in
                    for j in 0 ..< classes where w[j] != 0 {
                        let row = u.baseAddress! + j * k
                        var t = 0.0
                        for i in 0 ..< k {
                            let dev = row[i] - m[i]
                            t += a[i] * dev * dev
                        }
                        sum += w[j] * t
                    }
                }
            }
        }
        return sum / total
    }

    /// avg_range[(U_high − U_low)²], the groups being the m = max(1, ⌈ε·C⌉) lowest and highest
    /// units of weight (a class of weight 2 fills two places), C = Σ w.
    public func epsilonOPIS(weights w: [Double]) -> Double {
        precondition(w.count == classes)
        guard classes > 0 else { return 0 }
        let draws = Int(w.reduce(0, +).rounded())
        let m = ThresholdAnalyzer.groupSize(epsilon: epsilon, classes: draws)
        let k = points, c = classes
        var total = 0.0
        values.withUnsafeBufferPointer { u in
            order.withUnsafeBufferPointer { o in
                for i in 0 ..< k {
                    let ranked = ranking == .rangeAverage ? o.baseAddress! : o.baseAddress! + i * c
                    // The m lowest units.
                    var left = Double(m), low = 0.0, p = 0
                    while left > 0 && p < c {
                        let j = Int(ranked[p]), take = min(w[j], left)
                        if take > 0 {
                            low += take * u[j * k + i]
                            left -= take
                        }
                        p += 1
                    }
                    left = Double(m)
                    var high = 0.0
                    p = c - 1
                    while left > 0 && p >= 0 {
                        let j = Int(ranked[p]), take = min(w[j], left)
                        if take > 0 {
                            high += take * u[j * k + i]
                            left -= take
                        }
                        p -= 1
                    }
                    let gap = (high - low) / Double(m)
                    total += gridWeights[i] * gap * gap
                }
            }
        }
        return total
    }
}

/// Global rates and Recall@1 of weighted classes: per-class counts at the operating threshold,
/// at the edges around the full sample's EER threshold, and per-class hits at rank 1.
public struct WeightedRates: Sendable {
    /// Rows = the report's `curveClasses` (the classes in OPIS), in that order.
    let acceptedPositives: [Double], positives: [Double], acceptedNegatives: [Double], negatives: [Double]
    /// Negatives of the classes left out of OPIS (one sample): never resampled, weight 1.
    let fixedAcceptedNegatives: Double, fixedNegatives: Double
    /// EER window: bin edges `windowStart ..< windowStart + windowCount`; `[edge][class]`.
    let windowStart: Int, windowCount: Int, binCount: Int
    let windowPositives: [Double], windowNegatives: [Double]
    let windowFixedNegatives: [Double]
    /// Per class in OPIS: queries whose nearest item is of its class, and its queries; nil without retrieval.
    let hits: [Double]?, queries: [Double]?

    /// Bins each side of the full sample's EER edge a replicate's EER is searched in: 128, fewer
    /// (at least 16) when the window's table (16 bytes per class and edge) would pass 64 MB.
    public static func eerHalfWindow(classes: Int) -> Int {
        max(16, min(128, (64 << 20) / (16 * max(1, classes)) / 2))
    }

    public var classes: Int { positives.count }

    public init(counts: PairCounts, report: ThresholdReport, retrieval: RetrievalReport?) {
        let included = report.curveClasses
        let operatingEdge = counts.bins.edge(nearest: report.settings.operatingThreshold)
        func at(_ h: CountHistogram, _ e: Int) -> Double { Double(h.countAtOrAbove(e)) }
        acceptedPositives = included.map { at(counts.positives[$0], operatingEdge) }
        positives = included.map { Double(counts.positives[$0].total) }
        acceptedNegatives = included.map { at(counts.negatives[$0], operatingEdge) }
        negatives = included.map { Double(counts.negatives[$0].total) }
        let inOPIS = Set(included)
        let others = (0 ..< counts.classCount).filter { !inOPIS.contains($0) }
        fixedAcceptedNegatives = others.reduce(0) { $0 + at(counts.negatives[$1], operatingEdge) }
        fixedNegatives = others.reduce(0) { $0 + Double(counts.negatives[$1].total) }

        let eerEdge = counts.bins.edge(nearest: report.global.eerThreshold)
        let half = Self.eerHalfWindow(classes: included.count)
        let start = max(0, eerEdge - half), end = min(counts.bins.count - 1, eerEdge + half)
        windowStart = start
        binCount = counts.bins.count
        windowCount = end - start + 1
        let edges = Array(start ... end)
        var wp = [Double](repeating: 0, count: windowCount * included.count), wn = wp
        for (j, c) in included.enumerated() {
            let p = counts.positives[c].countsAtOrAbove(ascending: edges),
                n = counts.negatives[c].countsAtOrAbove(ascending: edges)
            for e in 0 ..< windowCount {
                wp[e * included.count + j] = Double(p[e])
                wn[e * included.count + j] = Double(n[e])
            }
        }
        var fixed = [Double](repeating: 0, count: windowCount)
        for c in others {
            let n = counts.negatives[c].countsAtOrAbove(ascending: edges)
            for e in 0 ..< windowCount { fixed[e] += Double(n[e]) }
        }
        windowPositives = wp
        windowNegatives = wn
        windowFixedNegatives = fixed

        if let retrieval, retrieval.hitAt1.count == counts.classSizes.reduce(0, +) {
            var start = [Int](repeating: 0, count: counts.classCount + 1)
            for c in 0 ..< counts.classCount { start[c + 1] = start[c] + counts.classSizes[c] }
            hits = included.map { c in Double((start[c] ..< start[c + 1]).filter { retrieval.hitAt1[$0] }.count) }
            queries = included.map { Double(counts.classSizes[$0]) }
        } else {
            hits = nil
            queries = nil
        }
    }

    private func dot(_ w: [Double], _ x: [Double], offset: Int = 0) -> Double {
        x.withUnsafeBufferPointer { x in
            var s = 0.0
            for j in 0 ..< w.count where w[j] != 0 { s += w[j] * x[offset + j] }
            return s
        }
    }

    /// Global (FAR, TPR) at the operating threshold.
    public func rates(weights w: [Double]) -> (far: Double, tpr: Double) {
        let n = dot(w, negatives) + fixedNegatives, p = dot(w, positives)
        return (
            n > 0 ? (dot(w, acceptedNegatives) + fixedAcceptedNegatives) / n : 0,
            p > 0 ? dot(w, acceptedPositives) / p : 0
        )
    }

    /// The EER (mean of FAR and FRR where they are closest), searched in the window; `clamped`
    /// when the crossing lies at or past the window's end.
    public func equalErrorRate(weights w: [Double]) -> (rate: Double, clamped: Bool) {
        let c = classes
        let p = dot(w, positives), n = dot(w, negatives) + fixedNegatives
        func rates(_ e: Int) -> (far: Double, frr: Double) {
            let far = n > 0 ? (dot(w, windowNegatives, offset: e * c) + windowFixedNegatives[e]) / n : 0
            let tpr = p > 0 ? dot(w, windowPositives, offset: e * c) / p : 0
            return (far, 1 - tpr)
        }
        // FAR − FRR falls with the edge: the first edge where it is ≤ 0, and the one before.
        var lo = 0, hi = windowCount
        while lo < hi {
            let mid = (lo + hi) / 2
            let r = rates(mid)
            if r.far - r.frr <= 0 { hi = mid } else { lo = mid + 1 }
        }
        // At the window's first edge or past its last: clamped, unless that is the end of the axis.
        let clamped = (lo == 0 && windowStart > 0) || (lo == windowCount && windowStart + windowCount < binCount)
        var best = rates(min(lo, windowCount - 1))
        if lo > 0 {
            let before = rates(lo - 1)
            if abs(before.far - before.frr) <= abs(best.far - best.frr) { best = before }
        }
        return ((best.far + best.frr) / 2, clamped)
    }

    /// Recall@1 of the weighted classes; nil without retrieval.
    public func recallAt1(weights w: [Double]) -> Double? {
        guard let hits, let queries else { return nil }
        let q = dot(w, queries)
        return q > 0 ? dot(w, hits) / q : 0
    }
}

/// What `analyze --bootstrap` adds to the report: percentile intervals of its figures.
public struct BootstrapSummary: Codable, Sendable, Equatable {
    public let method: String
    public let seed: UInt64
    public let replicates: Int
    public let level: Double
    /// Classes resampled (those in OPIS).
    public let classes: Int
    public let opis: ConfidenceInterval
    public let epsilonOPIS: ConfidenceInterval
    /// Global FAR and TPR at the operating threshold.
    public let far: ConfidenceInterval?
    public let tpr: ConfidenceInterval?
    public let eer: ConfidenceInterval?
    /// Replicates whose EER crossing fell at the edge of the searched window (±128 bins, fewer
    /// beyond 16,000 classes).
    public let eerWindowClamped: Int?
    public let recallAt1: ConfidenceInterval?
    public let seconds: Double

    public static let methodDescription =
        "percentile bootstrap over classes (cluster bootstrap): the classes in OPIS drawn with replacement, calibration range and grid fixed at the full sample's"

    /// Intervals of the report's figures from `replicates` class resamplings.
    public static func compute(
        report: ThresholdReport, counts: PairCounts, retrieval: RetrievalReport?,
        replicates: Int, seed: UInt64, level: Double, threads: Int = defaultThreadCount,
        clock: () -> Double = { 0 }
    ) -> BootstrapSummary {
        let started = clock()
        let curves = WeightedOPIS(report: report)
        let rates = WeightedRates(counts: counts, report: report, retrieval: retrieval)
        let c = curves.classes
        let seeds = Bootstrap.replicateSeeds(seed: seed, count: replicates)
        // Per replicate: OPIS, ε-OPIS, FAR, TPR, EER, clamped, R@1.
        let fields = 7
        let out = SharedBuffer<Double>(count: replicates * fields)
        parallelForEach(count: replicates, threads: threads) { r in
            let w = Bootstrap.draw(classes: c, seed: seeds[r])
            let g = rates.rates(weights: w), eer = rates.equalErrorRate(weights: w)
            let row: [Double] = [
                curves.opis(weights: w), curves.epsilonOPIS(weights: w), g.far, g.tpr, eer.rate,
                eer.clamped ? 1 : 0, rates.recallAt1(weights: w) ?? .nan,
            ]
            for f in 0 ..< fields { out.initialize(r * fields + f, to: row[f]) }
        }
        let all = out.moveToArray()
        func column(_ f: Int) -> [Double] { (0 ..< replicates).map { all[$0 * fields + f] } }
        func interval(_ f: Int) -> ConfidenceInterval { ConfidenceInterval(percentileOf: column(f), level: level) }
        let hasRates = c > 0
        return BootstrapSummary(
            method: methodDescription, seed: seed, replicates: replicates, level: level, classes: c,
            opis: interval(0), epsilonOPIS: interval(1),
            far: hasRates ? interval(2) : nil, tpr: hasRates ? interval(3) : nil, eer: hasRates ? interval(4) : nil,
            eerWindowClamped: hasRates ? Int(column(5).reduce(0, +)) : nil,
            recallAt1: rates.hits != nil && hasRates ? interval(6) : nil, seconds: clock() - started)
    }
}

/// The paired bootstrap of `compare`: the same classes drawn for both models.
public struct PairedBootstrap: Codable, Sendable, Equatable {
    public let seed: UInt64
    public let replicates: Int
    public let level: Double
    /// Classes in OPIS in both models, the ones resampled.
    public let sharedClasses: Int
    /// Δ OPIS = B − A on the shared classes (the full-sample value, and its interval).
    public let opisChange: Double
    public let opisChangeInterval: ConfidenceInterval
    /// One-sided p-value for "B is worse": (1 + #{Δ* ≤ 0}) / (B + 1).
    public let pValueWorse: Double

    /// The gate of `compare --fail-if-worse delta`: B is worse by more than `delta` and the
    /// paired test rejects "B is not worse" at level `alpha`.
    public func trips(delta: Double, alpha: Double) -> Bool { opisChange > delta && pValueWorse < alpha }

    /// Paired replicates of Δ OPIS from two models' curves of the same shared classes (row j of
    /// `a` and `b` is the same class).
    public static func compute(
        a: WeightedOPIS, b: WeightedOPIS, replicates: Int, seed: UInt64, level: Double,
        threads: Int = defaultThreadCount
    ) -> PairedBootstrap {
        precondition(a.classes == b.classes)
        let ones = [Double](repeating: 1, count: a.classes)
        let observed = b.opis(weights: ones) - a.opis(weights: ones)
        let deltas = Bootstrap.replicates(count: replicates, classes: a.classes, seed: seed, threads: threads) { _, w in
            b.opis(weights: w) - a.opis(weights: w)
        }
        let notWorse = deltas.filter { $0 <= 0 }.count
        return PairedBootstrap(
            seed: seed, replicates: replicates, level: level, sharedClasses: a.classes, opisChange: observed,
            opisChangeInterval: ConfidenceInterval(percentileOf: deltas, level: level),
            pValueWorse: Double(1 + notWorse) / Double(replicates + 1))
    }
}
