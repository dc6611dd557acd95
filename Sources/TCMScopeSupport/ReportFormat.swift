import Foundation
import TCMData
import TCMMetrics

/// What `analyze --json` prints: the input, the threshold report, retrieval, and the run time.
public struct AnalysisDocument: Codable, Sendable {
    public struct Input: Codable, Sendable {
        public let embeddings: String
        public let labels: String
        public let samples: Int
        public let dimension: Int
        public let classes: Int
        public let droppedZeroVectorRows: [Int]

        public init(
            embeddings: String, labels: String, samples: Int, dimension: Int, classes: Int, droppedZeroVectorRows: [Int]
        ) {
            self.embeddings = embeddings
            self.labels = labels
            self.samples = samples
            self.dimension = dimension
            self.classes = classes
            self.droppedZeroVectorRows = droppedZeroVectorRows
        }
    }
    public let input: Input
    public let report: ThresholdReport
    public let retrieval: RetrievalReport?
    public let seconds: Double
    /// Per-class FRR at each of the report's TAR@FAR targets, for `compare` (absent in reports
    /// written before it existed).
    public var classFRRAtFAR: [ClassFRRAtFAR]? = nil
    /// Percentile intervals from `analyze --bootstrap` (absent otherwise, and in older reports).
    public var bootstrap: BootstrapSummary? = nil

    public init(
        input: Input, report: ThresholdReport, retrieval: RetrievalReport?, seconds: Double,
        classFRRAtFAR: [ClassFRRAtFAR]? = nil, bootstrap: BootstrapSummary? = nil
    ) {
        self.input = input
        self.report = report
        self.retrieval = retrieval
        self.seconds = seconds
        self.classFRRAtFAR = classFRRAtFAR
        self.bootstrap = bootstrap
    }

    public func json() -> String { prettyJSON(self) }
}

/// Every class's false-reject rate at the threshold where the global FAR reaches `targetFAR`:
/// the per-class column two models can be compared on (each at its own threshold, same FAR).
public struct ClassFRRAtFAR: Codable, Equatable, Sendable {
    public let targetFAR: Double
    public let threshold: Double
    /// The global FAR actually reached (the smallest threshold with FAR ≤ target).
    public let far: Double
    /// In the order of the report's `classes`; nil (JSON null) for a class without a positive
    /// pair, whose FRR is undefined (issue 31: not written as 1).
    public let frr: [Double?]

    public init(counts: PairCounts, targetFAR: Double) {
        let analyzer = ThresholdAnalyzer(counts: counts)
        let edge = ThresholdGrid.edge(forGlobalFAR: targetFAR, counts: counts)
        self.targetFAR = targetFAR
        threshold = counts.bins.threshold(atEdge: edge)
        far = analyzer.globalRates(edge: edge).far
        frr = (0 ..< counts.classCount).map {
            counts.positives[$0].total > 0 ? 1 - analyzer.classRates($0, edge: edge).tpr : nil
        }
    }
}

/// The JSON the reports are written in: sorted keys, indented, non-finite numbers as strings.
public func prettyJSON(_ value: some Encodable) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
        positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return String(decoding: try! encoder.encode(value), as: UTF8.self)
}

/// The text, CSV and curve renderings of a threshold report shared by `analyze` and the dashboard's save.
public enum ReportFormat {
    public static func text(_ d: AnalysisDocument) -> String {
        let r = d.report, s = r.settings
        var out = ""
        func line(_ text: String = "") { out += text + "\n" }
        line("TCMScope threshold analysis")
        // File and class names come from the user's data: escaped, so none can steer the terminal.
        let safe = escapingControlCharacters
        line(
            "  embeddings  \(safe(d.input.embeddings))  (\(d.input.samples) × \(d.input.dimension), \(d.input.classes) classes)"
        )
        line("  labels      \(safe(d.input.labels))")
        if !d.input.droppedZeroVectorRows.isEmpty {
            line("  dropped     \(d.input.droppedZeroVectorRows.count) zero vectors")
        }
        line(
            "  range       [\(format(s.rangeLow)), \(format(s.rangeHigh))]  (\(s.rangeSpec); global FAR \(format(s.globalFARAtLow)) → \(format(s.globalFARAtHigh)))"
        )
        line(
            "  grid        \(s.points) thresholds, resolution \(s.thresholdResolution); utility \(s.utility), β = \(s.beta)"
        )
        line("  ε-OPIS      ε = \(s.epsilon), m = \(s.classesPerGroup) class(es) per group, ranking \(s.ranking)")
        if let rule = s.rangeAverage { line("  averaging   \(rule)") }
        if let rule = s.eerRule { line("  EER rule    \(rule)") }
        line()
        let ci = d.bootstrap
        func interval(_ i: ConfidenceInterval?, _ digits: Int = 4) -> String {
            i.map { "[\(format($0.low, digits)), \(format($0.high, digits))]" } ?? "-"
        }
        let level = ci.map { String(format: "%g%%", $0.level * 100) } ?? ""
        line(
            "  OPIS        \(format(r.opis, 5))" + (ci.map { "  \(level) CI \(interval($0.opis, 5))" } ?? "")
                + "   (\(r.classesInOPIS) classes; lower is better)")
        line(
            "  ε-OPIS      \(format(r.epsilonOPIS, 5))"
                + (ci.map { c in
                    c.epsilonOPIS.map { "  \(level) CI \(interval($0, 5))" }
                        ?? "  (\(c.epsilonOPISWithheld ?? "no interval"))"
                } ?? ""))
        if let ci {
            line(
                "  bootstrap   \(ci.replicates) class resamples (seed \(ci.seed), range fixed; OPIS studentised, the rest percentile): FAR \(interval(ci.far))  TPR \(interval(ci.tpr))  EER \(interval(ci.eer))"
                    + (ci.recallAt1.map { "  R@1 \(interval($0))" } ?? ""))
        }
        if !r.excludedClasses.isEmpty {
            line(
                "  left out    \(r.excludedClasses.count) one-sample class(es): \(r.excludedClasses.prefix(10).map(safe).joined(separator: ", "))\(r.excludedClasses.count > 10 ? ", …" : "")"
            )
        }
        let g = r.global
        line("  at t = \(format(s.operatingThreshold))  global FAR \(format(g.far)), TPR \(format(g.tpr))")
        line("  EER         \(format(g.eer)) at t = \(format(g.eerThreshold))")
        line(
            "  TAR@FAR     "
                + g.tarAtFAR.map {
                    "FAR \(String(format: "%g", $0.targetFAR)): \(format($0.tar)) (t=\(format($0.threshold)))"
                }.joined(separator: "  "))
        if let q = d.retrieval {
            line(
                "  retrieval   " + q.recallAtK.map { "R@\($0.k) \(format($0.recall))" }.joined(separator: "  ")
                    + "  R-Prec \(format(q.rPrecision))  MAP@R \(format(q.mapAtR))"
                    + (q.skippedQueries > 0 ? "  (\(q.skippedQueries) one-sample queries skipped)" : ""))
        }
        line()
        let sorted = r.classes.sorted { ($0.opisTerm ?? -1) > ($1.opisTerm ?? -1) }
        let shown = sorted.prefix(20)
        line("  class                 n   U@t     TPR     FAR      FRR     avg U   OPIS term")
        for c in shown {
            let escaped = safe(c.name)
            let name = escaped.count > 16 ? String(escaped.prefix(15)) + "…" : escaped
            // A one-sample class has no TPR, FRR or utility (no positive pair): "-", as in the JSON.
            func rated(_ value: Double) -> String { c.hasPositivePairs ? format(value) : "  -   " }
            line(
                "  " + name.padding(toLength: 16, withPad: " ", startingAt: 0)
                    + String(format: "%7d", c.size) + "  " + rated(c.utility) + "  " + rated(c.tpr)
                    + "  " + format(c.far).padding(toLength: 7, withPad: " ", startingAt: 0) + "  " + rated(c.frr)
                    + "  " + (c.meanUtility.map { format($0) } ?? "  -   ") + "  "
                    + (c.opisTerm.map { format($0, 5) } ?? "left out"))
        }
        if sorted.count > shown.count { line("  … \(sorted.count - shown.count) more classes (--csv for all)") }
        line(String(format: "  (%.2f s)", d.seconds))
        return out
    }

    public static func classCSV(_ r: ThresholdReport) -> String {
        var out = "class,n,in_opis,opis_term,mean_utility,utility,tpr,far,frr,positive_pairs,negative_pairs\n"
        for c in r.classes {
            // Undefined values (a one-sample class's OPIS term, utility, TPR, FRR) are empty fields.
            func rated(_ value: Double) -> String { c.hasPositivePairs ? "\(value)" : "" }
            out += CSVWriter.row([
                c.name, "\(c.size)", c.inOPIS ? "1" : "0", c.opisTerm.map { "\($0)" } ?? "",
                c.meanUtility.map { "\($0)" } ?? "", rated(c.utility), rated(c.tpr), "\(c.far)", rated(c.frr),
                "\(c.positivePairs)", "\(c.negativePairs)",
            ])
        }
        return out
    }

    public static func curvesCSV(_ r: ThresholdReport, counts: PairCounts) -> String {
        let analyzer = ThresholdAnalyzer(counts: counts)
        let grid = r.settings.thresholds
        var out = "class,threshold,utility,tpr,far\n"
        for (row, c) in r.curveClasses.enumerated() {
            for (i, t) in grid.enumerated() {
                let rates = analyzer.classRates(c, edge: counts.bins.edge(nearest: t))
                out += CSVWriter.row([r.classes[c].name, "\(t)", "\(r.curves[row][i])", "\(rates.tpr)", "\(rates.far)"])
            }
        }
        return out
    }
}
