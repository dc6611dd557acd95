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

    /// The studentised (bootstrap-t) interval: with t* = (θ* − θ̂)/se* over the replicates,
    /// [θ̂ − t*_(1+L)/2 · se, θ̂ − t*_(1−L)/2 · se], kept within [floor, ceiling] (OPIS, a mean
    /// of squared deviations of utilities in [0, 1], lies in [0, 1/4]). A replicate of a single
    /// class has se* = 0 and an infinite t*: it stays, as the extreme it is (no interpolation
    /// across an infinity); only NaN t* (nothing to compare) are dropped.
    public init(
        studentizedOf replicates: [(value: Double, standardError: Double)], estimate: Double, standardError: Double,
        level: Double, floor: Double = 0, ceiling: Double = 0.25
    ) {
        let t = replicates.map { ($0.value - estimate) / $0.standardError }.filter { !$0.isNaN }.sorted()
        guard standardError > 0, !t.isEmpty else {
            self.init(level: level, low: estimate, high: estimate, replicates: t.count)
            return
        }
        func quantile(_ p: Double) -> Double {
            let h = Double(t.count - 1) * p
            let lo = Int(h.rounded(.down)), hi = min(t.count - 1, lo + 1)
            guard t[lo].isFinite && t[hi].isFinite else { return h - Double(lo) < 0.5 ? t[lo] : t[hi] }
            return Bootstrap.quantile(t, p)
        }
        self.init(
            level: level, low: min(ceiling, max(floor, estimate - quantile((1 + level) / 2) * standardError)),
            high: min(ceiling, max(floor, estimate - quantile((1 - level) / 2) * standardError)), replicates: t.count)
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

    /// Replicates in batches of this many: OPIS reads the curves once per batch, not once per
    /// replicate (`WeightedOPIS.opisAndStandardErrors`).
    public static let batch = 16

    /// Runs `body(replicates, their weights)` for consecutive batches of replicates, split over `threads`.
    public static func batches(
        count: Int, classes: Int, seed: UInt64, threads: Int = defaultThreadCount,
        _ body: @Sendable (Range<Int>, [[Double]]) -> Void
    ) {
        let seeds = replicateSeeds(seed: seed, count: count)
        parallelForEach(count: (count + batch - 1) / batch, threads: threads) { chunk in
            let rs = chunk * batch ..< min(count, (chunk + 1) * batch)
            body(rs, rs.map { draw(classes: classes, seed: seeds[$0]) })
        }
    }
}

/// The replicates' class weights as bytes, kept from the first pass for the EER's search, which
/// reads every replicate's weights once per level: drawing them again (a 64-bit modulo per class)
/// was a cost of its own. A replicate with a class drawn more than 255 times (or a bootstrap too
/// large to keep, over 64 MB) is drawn again from its seed, which gives the same weights.
final class KeptDraws: @unchecked Sendable {
    static let byteBudget = 64 << 20
    let classes: Int
    private let counts: UnsafeMutablePointer<UInt8>?
    private let whole: UnsafeMutablePointer<Bool>?
    private let replicates: Int

    init(replicates: Int, classes: Int) {
        self.classes = classes
        self.replicates = replicates
        let fits = replicates * classes <= Self.byteBudget && classes > 0
        counts = fits ? .allocate(capacity: replicates * classes) : nil
        whole = fits ? .allocate(capacity: replicates) : nil
        whole?.initialize(repeating: false, count: replicates)
    }

    /// Called once per replicate, from any thread (each replicate writes only its own bytes).
    func keep(_ r: Int, _ w: [Double]) {
        guard let counts, let whole else { return }
        let row = counts + r * classes
        var fits = true
        for j in 0 ..< classes {
            fits = fits && w[j] <= 255
            row[j] = UInt8(min(255, w[j]))
        }
        whole[r] = fits
    }

    /// Replicate r's weights, or nil where they were not kept.
    func weights(_ r: Int) -> [Double]? {
        guard let counts, let whole, whole[r] else { return nil }
        let row = counts + r * classes
        return (0 ..< classes).map { Double(row[$0]) }
    }

    deinit {
        counts?.deallocate()
        whole?.deallocate()
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
    /// The same utilities in blocks of `lanes` classes, point by point (`[(block · points + i) · lanes
    /// + lane]`, zeros past the last class): OPIS's per-class terms then run `lanes` classes to a vector.
    let blocked: [Double]
    static let lanes = 8
    /// The grid's trapezoid weights divided by the range (sum 1).
    let gridWeights: [Double]
    /// ε-OPIS: the share of classes per group and how classes are ranked.
    public let epsilon: Double
    public let ranking: OPISOptions.Ranking
    /// Per grid point (or once, for `.rangeAverage`): class indices by ascending utility.
    let order: [Int32]
    /// Per grid point, the utilities in that point's ascending order (`[i · classes + rank]`): ε-OPIS's
    /// walk reads them in sequence instead of one row apart.
    let sortedColumns: [Double]

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
            // One sort per grid point, on a flat column, the points split over threads: with
            // thousands of classes this was most of the bootstrap's fixed cost.
            let all = SharedBuffer<Int32>(count: k * c)
            parallelForEach(count: k, threads: c >= 1_000 ? defaultThreadCount : 1) { i in
                let column = curves.map { $0[i] }
                for (rank, j) in (0 ..< c).sorted(by: { column[$0] < column[$1] }).enumerated() {
                    all.initialize(i * c + rank, to: Int32(j))
                }
            }
            order = all.moveToArray()
        }
        let perPoint = ranking != .rangeAverage
        var sorted = [Double](repeating: 0, count: k * c)
        for i in 0 ..< k {
            for rank in 0 ..< c { sorted[i * c + rank] = curves[Int(order[perPoint ? i * c + rank : rank])][i] }
        }
        sortedColumns = sorted
        let lanes = Self.lanes, blocks = (c + lanes - 1) / lanes
        var b = [Double](repeating: 0, count: blocks * k * lanes)
        for j in 0 ..< c {
            for i in 0 ..< k { b[((j / lanes) * k + i) * lanes + j % lanes] = curves[j][i] }
        }
        blocked = b
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
    public func opis(weights w: [Double]) -> Double { opisAndStandardError(weights: w).opis }

    /// OPIS of the weighted classes and its standard error as an average of per-class terms
    /// d_c = avg_range[(U_c − Ū_w)²]: √(Σ w (d − OPIS)² / Σ w / (Σ w − 1)), the spread of what
    /// the classes contribute (0 with fewer than two units of weight). The studentised interval
    /// divides each replicate's deviation by its own.
    public func opisAndStandardError(weights w: [Double]) -> (opis: Double, standardError: Double) {
        precondition(w.count == classes)
        return opisAndStandardErrors(weights: w, replicates: 1)[0]
    }

    /// `opisAndStandardError` of `replicates` sets of weights at once (`weights[r · classes + c]`).
    ///
    /// Each class's term is a sequential sum over the grid (the report's order, so weights of 1
    /// give its digits), and the terms are added in class order, so every replicate gets the bits
    /// it would alone (`opisAndStandardErrorOneByOne`, which the tests hold it to). Two things make
    /// it fast. The curves are read once for all the replicates (a row, or a block of classes, stays
    /// in cache while each replicate uses it): at thousands of classes they are megabytes, and
    /// reading them once per replicate was bound by memory. And the terms run sixteen classes side by
    /// side in vectors of the blocked copy, each lane one class's operations in its order; undrawn
    /// classes are computed too, and add w · d = 0 exactly.
    public func opisAndStandardErrors(weights w: [Double], replicates: Int) -> [(opis: Double, standardError: Double)] {
        precondition(w.count == classes * replicates)
        let c = classes, k = points, lanes = Self.lanes, blocks = (c + lanes - 1) / lanes
        guard c > 0 else { return Array(repeating: (0, 0), count: replicates) }
        let totals = (0 ..< replicates).map { r in w[r * c ..< (r + 1) * c].reduce(0, +) }
        let means = weightedMeans(w, totals: totals)
        typealias V = SIMD8<Double>
        // Per replicate Σ w d and Σ w d², through a pointer: a nested function adding into
        // captured arrays paid a dynamic exclusivity check per class.
        let sums = UnsafeMutablePointer<Double>.allocate(capacity: 2 * replicates)
        defer { sums.deallocate() }
        sums.initialize(repeating: 0, count: 2 * replicates)
        let squares = sums + replicates
        w.withUnsafeBufferPointer { w in
            blocked.withUnsafeBufferPointer { u in
                means.withUnsafeBufferPointer { means in
                    gridWeights.withUnsafeBufferPointer { a in
                        let base = UnsafeRawPointer(u.baseAddress!), stride = k * lanes * 8
                        var b = 0
                        // Two blocks at a time: four vector chains (two per SIMD8 on AVX2) hide the add's latency.
                        while b < blocks {
                            let two = b + 2 <= blocks
                            let r0 = base + b * stride, r1 = two ? r0 + stride : r0
                            // Lanes past the last class hold zeros and are not added.
                            let first = min(lanes, c - b * lanes), second = two ? min(lanes, c - (b + 1) * lanes) : 0
                            for r in 0 ..< replicates {
                                let m = means.baseAddress! + r * k
                                var t0 = V(), t1 = V()
                                for i in 0 ..< k {
                                    let d0 = r0.loadUnaligned(fromByteOffset: i * lanes * 8, as: V.self) - m[i]
                                    let d1 = r1.loadUnaligned(fromByteOffset: i * lanes * 8, as: V.self) - m[i]
                                    t0 += a[i] * d0 * d0
                                    t1 += a[i] * d1 * d1
                                }
                                let wr = w.baseAddress! + r * c + b * lanes
                                var sum = sums[r], square = squares[r]
                                for lane in 0 ..< first {
                                    let wj = wr[lane], tj = t0[lane]
                                    sum += wj * tj
                                    square += wj * tj * tj
                                }
                                for lane in 0 ..< second {
                                    let wj = wr[lanes + lane], tj = t1[lane]
                                    sum += wj * tj
                                    square += wj * tj * tj
                                }
                                sums[r] = sum
                                squares[r] = square
                            }
                            b += two ? 2 : 1
                        }
                    }
                }
            }
        }
        return (0 ..< replicates).map { r in
            totals[r] > 0 ? Self.fromSums(sums[r], squares[r], total: totals[r]) : (0, 0)
        }
    }

    /// Ū_w = Σ_c w_c U_c / Σ_c w_c of each replicate (`[r · points + i]`), each point summed in
    /// class order; a class's row is read once for all the replicates.
    func weightedMeans(_ w: [Double], totals: [Double]) -> [Double] {
        let k = points, c = classes, replicates = totals.count
        var means = [Double](repeating: 0, count: replicates * k)
        values.withUnsafeBufferPointer { u in
            w.withUnsafeBufferPointer { w in
                means.withUnsafeMutableBufferPointer { m in
                    for j in 0 ..< c {
                        let row = u.baseAddress! + j * k
                        for r in 0 ..< replicates {
                            let wj = w[r * c + j]
                            guard wj != 0 else { continue }
                            let mr = m.baseAddress! + r * k
                            for i in 0 ..< k { mr[i] += wj * row[i] }
                        }
                    }
                    for r in 0 ..< replicates where totals[r] > 0 {
                        for i in 0 ..< k { m[r * k + i] /= totals[r] }
                    }
                }
            }
        }
        return means
    }

    /// OPIS and its standard error from Σ w d, Σ w d² and Σ w.
    static func fromSums(_ sum: Double, _ squares: Double, total: Double) -> (opis: Double, standardError: Double) {
        let opis = sum / total
        let variance = max(0, squares / total - opis * opis)
        return (opis, total > 1 ? (variance / (total - 1)).squareRoot() : 0)
    }

    /// The definition, one drawn class at a time from the row-major curves: what
    /// `opisAndStandardError` must equal bit for bit (the tests compare them).
    func opisAndStandardErrorOneByOne(weights w: [Double]) -> (opis: Double, standardError: Double) {
        precondition(w.count == classes)
        let total = w.reduce(0, +)
        guard classes > 0, total > 0 else { return (0, 0) }
        let mean = weightedMeans(w, totals: [total]), k = points
        var sum = 0.0, squares = 0.0
        for j in 0 ..< classes where w[j] != 0 {
            var t = 0.0
            for i in 0 ..< k {
                let dev = values[j * k + i] - mean[i]
                t += gridWeights[i] * dev * dev
            }
            sum += w[j] * t
            squares += w[j] * t * t
        }
        return Self.fromSums(sum, squares, total: total)
    }

    /// avg_range[(U_high − U_low)²], the groups being the m = max(1, ⌈ε·C⌉) lowest and highest
    /// units of weight (a class of weight 2 fills two places), C = Σ w.
    ///
    /// The walk from each end reads the point's sorted column in sequence and takes
    /// min(w, what is left) of every class it passes, without a branch: an undrawn class adds
    /// 0 · u = 0 exactly, so the sums are those of skipping it (`epsilonOPISOneByOne`).
    public func epsilonOPIS(weights w: [Double]) -> Double {
        precondition(w.count == classes)
        guard classes > 0 else { return 0 }
        let draws = Int(w.reduce(0, +).rounded())
        let m = ThresholdAnalyzer.groupSize(epsilon: epsilon, classes: draws)
        let k = points, c = classes
        var total = 0.0
        sortedColumns.withUnsafeBufferPointer { s in
            order.withUnsafeBufferPointer { o in
                w.withUnsafeBufferPointer { w in
                    for i in 0 ..< k {
                        let ranked = ranking == .rangeAverage ? o.baseAddress! : o.baseAddress! + i * c
                        let column = s.baseAddress! + i * c
                        // The m lowest units.
                        var left = Double(m), low = 0.0, p = 0
                        while left > 0 && p < c {
                            let take = min(w[Int(ranked[p])], left)
                            low += take * column[p]
                            left -= take
                            p += 1
                        }
                        left = Double(m)
                        var high = 0.0
                        p = c - 1
                        while left > 0 && p >= 0 {
                            let take = min(w[Int(ranked[p])], left)
                            high += take * column[p]
                            left -= take
                            p -= 1
                        }
                        let gap = (high - low) / Double(m)
                        total += gridWeights[i] * gap * gap
                    }
                }
            }
        }
        return total
    }

    /// The definition of ε-OPIS over weights, one class at a time from the row-major curves,
    /// skipping undrawn classes: what `epsilonOPIS` must equal bit for bit.
    func epsilonOPISOneByOne(weights w: [Double]) -> Double {
        precondition(w.count == classes)
        guard classes > 0 else { return 0 }
        let m = ThresholdAnalyzer.groupSize(epsilon: epsilon, classes: Int(w.reduce(0, +).rounded()))
        let k = points, c = classes
        var total = 0.0
        for i in 0 ..< k {
            let ranked = (0 ..< c).map { Int(order[ranking == .rangeAverage ? $0 : i * c + $0]) }
            func group(_ classes: [Int]) -> Double {
                var left = Double(m), sum = 0.0
                for j in classes where left > 0 && w[j] > 0 {
                    let take = min(w[j], left)
                    sum += take * values[j * k + i]
                    left -= take
                }
                return sum
            }
            let gap = (group(ranked.reversed()) - group(ranked)) / Double(m)
            total += gridWeights[i] * gap * gap
        }
        return total
    }
}

/// Global rates and Recall@1 of weighted classes: per-class counts at the operating threshold,
/// per-class pair histograms for the EER, and per-class hits at rank 1.
public struct WeightedRates: Sendable {
    /// Rows = the report's `curveClasses` (the classes in OPIS), in that order.
    let acceptedPositives: [Double], positives: [Double], acceptedNegatives: [Double], negatives: [Double]
    /// Negatives of the classes left out of OPIS (one sample): never resampled, weight 1.
    let fixedAcceptedNegatives: Double, fixedNegatives: Double
    /// The pair counts and which of their classes are resampled (`included`) or fixed (`others`):
    /// the EER search reads their histograms at the edges it needs.
    let counts: PairCounts
    let included: [Int], others: [Int]
    /// Per class in OPIS: queries whose nearest item is of its class, and its queries; nil without retrieval.
    let hits: [Double]?, queries: [Double]?

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
        self.counts = counts
        self.included = included
        self.others = others

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

    /// Σ_j w_j · x[offset + j], in four lanes and without a branch on w_j = 0 (a third of the
    /// weights, at random: mispredicted). Every term is an integer (a multiplicity times a count,
    /// far below 2^53), so the order of the sum does not change it.
    private func dot(_ w: [Double], _ x: [Double], offset: Int = 0) -> Double {
        let n = w.count
        guard n > 0 else { return 0 }
        return w.withUnsafeBufferPointer { w in
            x.withUnsafeBufferPointer { x in
                let a = UnsafeRawPointer(w.baseAddress!), b = UnsafeRawPointer(x.baseAddress! + offset)
                var acc = SIMD4<Double>(repeating: 0)
                var j = 0
                while j + 4 <= n {
                    acc +=
                        a.loadUnaligned(fromByteOffset: j * 8, as: SIMD4<Double>.self)
                        * b.loadUnaligned(fromByteOffset: j * 8, as: SIMD4<Double>.self)
                    j += 4
                }
                var s = acc.sum()
                while j < n {
                    s += w[j] * x[offset + j]
                    j += 1
                }
                return s
            }
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

    /// Per-class pairs at or above a few ascending bin edges: `[edge * classes + class]`.
    struct EdgeTable {
        let edges: [Int]
        let positives: [Double], negatives: [Double], fixedNegatives: [Double]
    }

    /// Edges a table may hold: its two per-class columns stay under 64 MB.
    static func tableEdges(classes: Int) -> Int { max(4, min(1024, (64 << 20) / (16 * max(1, classes)))) }

    func table(_ edges: [Int]) -> EdgeTable {
        let c = included.count
        var p = [Double](repeating: 0, count: edges.count * c), n = p
        for (j, cls) in included.enumerated() {
            let pc = counts.positives[cls].countsAtOrAbove(ascending: edges)
            let nc = counts.negatives[cls].countsAtOrAbove(ascending: edges)
            for e in edges.indices {
                p[e * c + j] = Double(pc[e])
                n[e * c + j] = Double(nc[e])
            }
        }
        var fixed = [Double](repeating: 0, count: edges.count)
        for cls in others {
            let nc = counts.negatives[cls].countsAtOrAbove(ascending: edges)
            for e in edges.indices { fixed[e] += Double(nc[e]) }
        }
        return EdgeTable(edges: edges, positives: p, negatives: n, fixedNegatives: fixed)
    }

    /// Global (FAR, FRR) of weighted classes at a table's edge `e` (`p`, `n`: the weighted totals).
    private func errorRates(_ t: EdgeTable, _ e: Int, _ w: [Double], p: Double, n: Double) -> (far: Double, frr: Double)
    {
        let c = classes
        let far = n > 0 ? (dot(w, t.negatives, offset: e * c) + t.fixedNegatives[e]) / n : 0
        let tpr = p > 0 ? dot(w, t.positives, offset: e * c) / p : 0
        return (far, 1 - tpr)
    }

    /// The EER of one set of weights (see `equalErrorRates`).
    public func equalErrorRate(weights w: [Double]) -> Double {
        equalErrorRates(count: 1, threads: 1) { _ in w }[0]
    }

    /// The EER of each replicate's weights, by the report's rule: the bin edge where the global
    /// FAR and FRR are closest (the lower edge on a tie), and their mean there, searched over the
    /// whole axis. FAR − FRR falls as the edge rises, so the answer is the first edge where it is
    /// ≤ 0 or the one before: found level by level, each level a table of per-class counts at a
    /// few edges (at most `tableEdges`), refined within the block each replicate's crossing fell
    /// in. A level costs a binary search of weighted sums per replicate, and a table per block
    /// hit: the whole 20,001-bin axis is two levels up to about 29,000 classes, three beyond.
    /// `weights(r)` must give the same weights each time it is called with r.
    /// `tableEdges` overrides the per-table limit (tests use a small one to take many levels).
    public func equalErrorRates(
        count: Int, threads: Int = defaultThreadCount, tableEdges: Int? = nil, weights: @Sendable (Int) -> [Double]
    ) -> [Double] {
        let bins = counts.bins.count, limit = max(4, tableEdges ?? Self.tableEdges(classes: classes))
        let out = SharedBuffer<Double>(count: count)
        // Work: replicates whose first edge with FAR − FRR ≤ 0 lies in lo ... hi (hi = bins: none).
        var work: [(lo: Int, hi: Int, replicates: [Int])] = [(0, bins, Array(0 ..< count))]
        while let (lo, hi, members) = work.popLast() {
            if hi - lo + 2 <= limit {
                // Last level: every edge from lo − 1 to hi, so both candidates are in the table.
                let edges = Array(max(0, lo - 1) ... min(hi, bins - 1))
                let t = table(edges)
                parallelForEach(count: members.count, threads: threads) { i in
                    let w = weights(members[i])
                    let p = dot(w, positives), n = dot(w, negatives) + fixedNegatives
                    // First table index at or past lo where FAR − FRR ≤ 0.
                    var a = lo - edges[0], b = edges.count
                    while a < b {
                        let mid = (a + b) / 2
                        let r = errorRates(t, mid, w, p: p, n: n)
                        if r.far - r.frr <= 0 { b = mid } else { a = mid + 1 }
                    }
                    var best: (far: Double, frr: Double)? = a < edges.count ? errorRates(t, a, w, p: p, n: n) : nil
                    if a > 0 {
                        let before = errorRates(t, a - 1, w, p: p, n: n)
                        if best == nil || abs(before.far - before.frr) <= abs(best!.far - best!.frr) { best = before }
                    }
                    out.initialize(members[i], to: best.map { ($0.far + $0.frr) / 2 } ?? .nan)
                }
                continue
            }
            // A coarser level: edges lo, lo + step, … below hi; each replicate's block below its first ≤ 0.
            let step = (hi - lo + limit - 1) / limit
            let edges = Array(stride(from: lo, to: hi, by: step))
            let t = table(edges)
            let found = SharedBuffer<Int>(count: members.count)
            parallelForEach(count: members.count, threads: threads) { i in
                let w = weights(members[i])
                let p = dot(w, positives), n = dot(w, negatives) + fixedNegatives
                var a = 0, b = edges.count
                while a < b {
                    let mid = (a + b) / 2
                    let r = errorRates(t, mid, w, p: p, n: n)
                    if r.far - r.frr <= 0 { b = mid } else { a = mid + 1 }
                }
                found.initialize(i, to: a)
            }
            var blocks = [Int: [Int]]()
            for (i, a) in found.moveToArray().enumerated() { blocks[a, default: []].append(members[i]) }
            for (a, rs) in blocks.sorted(by: { $0.key < $1.key }) {
                // a = 0: the answer is lo itself; otherwise it lies after edges[a − 1], up to edges[a] (or hi).
                let subLo = a == 0 ? lo : edges[a - 1] + 1, subHi = a == 0 ? lo : (a < edges.count ? edges[a] : hi)
                work.append((subLo, subHi, rs))
            }
        }
        return out.moveToArray()
    }

    /// Recall@1 of the weighted classes; nil without retrieval.
    public func recallAt1(weights w: [Double]) -> Double? {
        guard let hits, let queries else { return nil }
        let q = dot(w, queries)
        return q > 0 ? dot(w, hits) / q : 0
    }
}

/// What `analyze --bootstrap` adds to the report: intervals of its figures.
public struct BootstrapSummary: Codable, Sendable, Equatable {
    public let method: String
    public let seed: UInt64
    public let replicates: Int
    public let level: Double
    /// Classes resampled (those in OPIS).
    public let classes: Int
    /// Studentised (bootstrap-t) interval.
    public let opis: ConfidenceInterval
    /// Percentile interval; nil where none holds its level (too few classes per group), and why.
    public let epsilonOPIS: ConfidenceInterval?
    public let epsilonOPISWithheld: String?
    /// Global FAR and TPR at the operating threshold (percentile intervals, as are EER and R@1).
    public let far: ConfidenceInterval?
    public let tpr: ConfidenceInterval?
    public let eer: ConfidenceInterval?
    public let recallAt1: ConfidenceInterval?
    public let seconds: Double

    public static let methodDescription =
        "bootstrap over classes (cluster bootstrap): the classes in OPIS drawn with replacement, calibration range and grid fixed at the full sample's; OPIS studentised (bootstrap-t on the per-class terms' standard error); ε-OPIS, FAR, TPR, EER and R@1 percentile; ε-OPIS none under \(EpsilonOPISInterval.minimumClasses) classes"

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
        let withInterval = EpsilonOPISInterval.hasInterval(classes: c)
        let kept = KeptDraws(replicates: replicates, classes: c)
        // Per replicate: OPIS, its standard error, ε-OPIS, FAR, TPR, R@1; the
        // EER in a second pass (`equalErrorRates`), from the draws kept here.
        let fields = 6
        let out = SharedBuffer<Double>(count: replicates * fields)
        Bootstrap.batches(count: replicates, classes: c, seed: seed, threads: threads) { rs, draws in
            let o = curves.opisAndStandardErrors(weights: draws.flatMap { $0 }, replicates: rs.count)
            for (i, r) in rs.enumerated() {
                let w = draws[i]
                kept.keep(r, w)
                let g = rates.rates(weights: w)
                let e = withInterval ? curves.epsilonOPIS(weights: w) : .nan
                let row: [Double] = [
                    o[i].opis, o[i].standardError, e, g.far, g.tpr, rates.recallAt1(weights: w) ?? .nan,
                ]
                for f in 0 ..< fields { out.initialize(r * fields + f, to: row[f]) }
            }
        }
        let all = out.moveToArray()
        func column(_ f: Int) -> [Double] { (0 ..< replicates).map { all[$0 * fields + f] } }
        func interval(_ values: [Double]) -> ConfidenceInterval {
            ConfidenceInterval(percentileOf: values, level: level)
        }
        let ones = [Double](repeating: 1, count: c)
        let full = curves.opisAndStandardError(weights: ones)
        let opis = ConfidenceInterval(
            studentizedOf: Array(zip(column(0), column(1))).map { (value: $0.0, standardError: $0.1) },
            estimate: full.opis, standardError: full.standardError, level: level)
        let hasRates = c > 0
        let eer =
            hasRates
            ? interval(
                rates.equalErrorRates(count: replicates, threads: threads) {
                    kept.weights($0) ?? Bootstrap.draw(classes: c, seed: seeds[$0])
                })
            : nil
        return BootstrapSummary(
            method: methodDescription, seed: seed, replicates: replicates, level: level, classes: c,
            opis: opis, epsilonOPIS: withInterval ? interval(column(2)) : nil,
            epsilonOPISWithheld: withInterval ? nil : EpsilonOPISInterval.withheld(classes: c),
            far: hasRates ? interval(column(3)) : nil, tpr: hasRates ? interval(column(4)) : nil, eer: eer,
            recallAt1: rates.hits != nil && hasRates ? interval(column(5)) : nil, seconds: clock() - started)
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
    /// α of the one-sided test.
    public let alpha: Double
    /// The one-sided (1 − α) lower bound of Δ that inverts the test: the (k + 1)-th smallest Δ*,
    /// k the most replicates ≤ 0 with which p < α. The test rejects "B is not worse" exactly when
    /// this bound is above 0. Nil when B is too small for any p to fall below α (B + 1 ≤ 1/α).
    public let oneSidedLowerBound: Double?

    /// The gate of `compare --fail-if-worse delta`: B is worse by more than `delta` and the
    /// paired test rejects "B is not worse" at level `alpha` (its lower bound is above 0).
    public func trips(delta: Double, alpha: Double) -> Bool { opisChange > delta && pValueWorse < alpha }

    /// The p-value of `k` replicates at or below 0 out of `replicates`.
    static func pValue(notWorse k: Int, replicates: Int) -> Double { Double(1 + k) / Double(replicates + 1) }

    /// Paired replicates of Δ OPIS from two models' curves of the same shared classes (row j of
    /// `a` and `b` is the same class).
    public static func compute(
        a: WeightedOPIS, b: WeightedOPIS, replicates: Int, seed: UInt64, level: Double, alpha: Double = 0.05,
        threads: Int = defaultThreadCount
    ) -> PairedBootstrap {
        precondition(a.classes == b.classes)
        let ones = [Double](repeating: 1, count: a.classes)
        let observed = b.opis(weights: ones) - a.opis(weights: ones)
        let out = SharedBuffer<Double>(count: replicates)
        Bootstrap.batches(count: replicates, classes: a.classes, seed: seed, threads: threads) { rs, draws in
            let w = draws.flatMap { $0 }
            let oa = a.opisAndStandardErrors(weights: w, replicates: rs.count)
            let ob = b.opisAndStandardErrors(weights: w, replicates: rs.count)
            for (i, r) in rs.enumerated() { out.initialize(r, to: ob[i].opis - oa[i].opis) }
        }
        let deltas = out.moveToArray()
        let notWorse = deltas.filter { $0 <= 0 }.count
        // The test at a shift δ rejects when #{Δ* ≤ δ} ≤ k, k the largest count with p < α: every
        // δ below the (k + 1)-th smallest Δ*. Counted with the p-value's own arithmetic, so that
        // "bound > 0" and "p < α" never disagree by a rounding.
        var k = -1
        while k + 1 < replicates && pValue(notWorse: k + 1, replicates: replicates) < alpha { k += 1 }
        let sorted = deltas.sorted()
        return PairedBootstrap(
            seed: seed, replicates: replicates, level: level, sharedClasses: a.classes, opisChange: observed,
            opisChangeInterval: ConfidenceInterval(percentileOf: deltas, level: level),
            pValueWorse: pValue(notWorse: notWorse, replicates: replicates), alpha: alpha,
            oneSidedLowerBound: k >= 0 ? sorted[k] : nil)
    }
}
