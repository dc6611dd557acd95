import Foundation
import TCMData
import TCMMetrics

/// Two models' reports side by side: what `compare` prints and writes. Changes are B − A, so a
/// positive change in OPIS, an OPIS term or an FRR means B is worse.
public struct ComparisonDocument: Codable, Equatable {
    public struct Side: Codable, Equatable {
        public let source: String
        public let opis: Double
        public let epsilonOPIS: Double
        public let recallAt1: Double?
        public let mapAtR: Double?
        /// The threshold at which this model's global FAR reaches the common FAR.
        public let thresholdAtFAR: Double?
    }
    public struct Change: Codable, Equatable {
        public let opis: Double
        public let epsilonOPIS: Double
        public let recallAt1: Double?
        public let mapAtR: Double?
    }
    public struct ClassRow: Codable, Equatable {
        public let name: String
        public let opisTermA: Double?
        public let opisTermB: Double?
        public let opisTermChange: Double?
        public let frrA: Double?
        public let frrB: Double?
        public let frrChange: Double?
    }

    public let a: Side
    public let b: Side
    public let change: Change
    /// The global FAR at which each model's per-class FRR is taken.
    public let commonFAR: Double
    public let settings: String
    /// Classes in both, the largest rise of the OPIS term first (then of FRR).
    public let classes: [ClassRow]
    public let onlyInA: [String]
    public let onlyInB: [String]
    /// The paired bootstrap of Δ OPIS (compare --bootstrap, or --fail-if-worse on embeddings files).
    public var bootstrap: PairedBootstrap? = nil
    /// α the gate holds the p-value to, when the test ran.
    public var significance: Double? = nil

    /// One model as `compare` sees it: its report, retrieval, and per-class FRR at the common FAR.
    public struct Model {
        public let source: String
        public let report: ThresholdReport
        public let retrieval: RetrievalReport?
        public let frrAtFAR: ClassFRRAtFAR?
        public init(source: String, report: ThresholdReport, retrieval: RetrievalReport?, frrAtFAR: ClassFRRAtFAR?) {
            self.source = source
            self.report = report
            self.retrieval = retrieval
            self.frrAtFAR = frrAtFAR
        }
    }

    public init(a: Model, b: Model, commonFAR: Double) {
        func side(_ m: Model) -> Side {
            Side(
                source: m.source, opis: m.report.opis, epsilonOPIS: m.report.epsilonOPIS,
                recallAt1: m.retrieval?.recallAtK.first { $0.k == 1 }?.recall, mapAtR: m.retrieval?.mapAtR,
                thresholdAtFAR: m.frrAtFAR?.threshold)
        }
        func difference(_ x: Double?, _ y: Double?) -> Double? { x.flatMap { x in y.map { $0 - x } } }
        self.a = side(a)
        self.b = side(b)
        change = Change(
            opis: b.report.opis - a.report.opis, epsilonOPIS: b.report.epsilonOPIS - a.report.epsilonOPIS,
            recallAt1: difference(self.a.recallAt1, self.b.recallAt1), mapAtR: difference(self.a.mapAtR, self.b.mapAtR))
        self.commonFAR = commonFAR
        let s = a.report.settings
        settings =
            "\(s.rangeSpec); \(s.points) thresholds; utility \(s.utility), β = \(s.beta); ε = \(s.epsilon), ranking \(s.ranking)"
        var indexInB: [String: Int] = [:]
        for (i, c) in b.report.classes.enumerated() { indexInB[c.name] = i }
        let namesInA = Set(a.report.classes.map(\.name))
        var rows: [ClassRow] = []
        for (i, ca) in a.report.classes.enumerated() {
            guard let j = indexInB[ca.name] else { continue }
            let cb = b.report.classes[j]
            let frrA = a.frrAtFAR?.frr[i] ?? nil, frrB = b.frrAtFAR?.frr[j] ?? nil
            rows.append(
                ClassRow(
                    name: ca.name, opisTermA: ca.opisTerm, opisTermB: cb.opisTerm,
                    opisTermChange: difference(ca.opisTerm, cb.opisTerm),
                    frrA: frrA, frrB: frrB, frrChange: difference(frrA, frrB)))
        }
        // Worse first; rows without a change (a class left out of OPIS in either) last, by name.
        rows.sort { x, y in
            switch (x.opisTermChange, y.opisTermChange) {
            case let (p?, q?): return p != q ? p > q : (x.frrChange ?? -.infinity) > (y.frrChange ?? -.infinity)
            case (.some, .none): return true
            case (.none, .some): return false
            case (.none, .none): return x.name < y.name
            }
        }
        classes = rows
        onlyInA = a.report.classes.map(\.name).filter { indexInB[$0] == nil }
        onlyInB = b.report.classes.map(\.name).filter { !namesInA.contains($0) }
    }

    /// The settings two JSON reports must share to be compared, as (name, A's value, B's value) for each that differs.
    public static func settingDifferences(_ a: ReportSettings, _ b: ReportSettings) -> [String] {
        let pairs: [(String, String, String)] = [
            ("range", a.rangeSpec, b.rangeSpec), ("points", "\(a.points)", "\(b.points)"),
            ("utility", a.utility, b.utility), ("beta", "\(a.beta)", "\(b.beta)"),
            ("epsilon", "\(a.epsilon)", "\(b.epsilon)"),
            ("ranking", a.ranking, b.ranking),
            ("threshold resolution", "\(a.thresholdResolution)", "\(b.thresholdResolution)"),
        ]
        return pairs.filter { $0.1 != $0.2 }.map { "\($0.0) \($0.1) vs \($0.2)" }
    }

    public func json() -> String { prettyJSON(self) }

    public func csv() -> String {
        var out = "class,opis_term_a,opis_term_b,opis_term_change,frr_a,frr_b,frr_change\n"
        func field(_ x: Double?) -> String { x.map { "\($0)" } ?? "" }
        for r in classes {
            out += CSVWriter.row([
                r.name, field(r.opisTermA), field(r.opisTermB), field(r.opisTermChange), field(r.frrA), field(r.frrB),
                field(r.frrChange),
            ])
        }
        return out
    }

    public func text(rows limit: Int = 20) -> String {
        var out = ""
        // Columns of 12; trailing blanks trimmed.
        func line(_ text: String = "") {
            var t = Substring(text)
            while t.last == " " { t = t.dropLast() }
            out += t + "\n"
        }
        let safe = escapingControlCharacters
        func pad(_ text: String, _ width: Int = 12) -> String {
            text.padding(toLength: max(width, text.count + 1), withPad: " ", startingAt: 0)
        }
        func cell(_ x: Double?, _ digits: Int = 5) -> String { pad(x.map { format($0, digits) } ?? "-") }
        func signed(_ x: Double?, _ digits: Int = 5) -> String {
            guard let x else { return pad("-") }
            return pad((x > 0 ? "+" : "") + format(x, digits))
        }
        line("TCMScope comparison: B against A (a positive change in OPIS, a term or FRR means B is worse)")
        line("  A  \(safe(a.source))")
        line("  B  \(safe(b.source))")
        line("  settings  \(settings)")
        line(
            "  FRR at global FAR \(String(format: "%g", commonFAR))"
                + (a.thresholdAtFAR.map { "  (A at t = \(format($0)), B at t = \(format(b.thresholdAtFAR ?? .nan)))" }
                    ?? ""))
        line()
        line("  " + pad("", 12) + pad("A") + pad("B") + "change")
        var opisTest = ""
        if let t = bootstrap {
            let level = String(format: "%g", t.level * 100), oneSided = String(format: "%g", (1 - t.alpha) * 100)
            opisTest =
                "  \(level)% CI [\(format(t.opisChangeInterval.low, 5)), \(format(t.opisChangeInterval.high, 5))], one-sided p (B worse) = \(format(t.pValueWorse, 4))"
            if let bound = t.oneSidedLowerBound {
                opisTest += ", one-sided \(oneSided)% lower bound \(format(bound, 5))"
            }
        }
        line("  " + pad("OPIS") + cell(a.opis) + cell(b.opis) + signed(change.opis) + opisTest)
        line("  " + pad("ε-OPIS") + cell(a.epsilonOPIS) + cell(b.epsilonOPIS) + signed(change.epsilonOPIS))
        line("  " + pad("R@1") + cell(a.recallAt1, 4) + cell(b.recallAt1, 4) + signed(change.recallAt1, 4))
        line("  " + pad("MAP@R") + cell(a.mapAtR, 4) + cell(b.mapAtR, 4) + signed(change.mapAtR, 4))
        if let t = bootstrap {
            line(
                "  paired bootstrap: \(t.replicates) resamples of the \(t.sharedClasses) shared classes (seed \(t.seed)); p = (1 + #{Δ* ≤ 0}) / (B + 1)"
                    + (significance.map { ", α = \(String(format: "%g", $0))" } ?? ""))
        }
        line()
        line(
            "  " + pad("class", 18) + pad("OPIS term A") + pad("OPIS term B") + pad("change") + pad("FRR A")
                + pad("FRR B") + "change")
        for r in classes.prefix(limit) {
            let escaped = safe(r.name)
            let name = escaped.count > 16 ? String(escaped.prefix(15)) + "…" : escaped
            line(
                "  " + pad(name, 18) + cell(r.opisTermA) + cell(r.opisTermB) + signed(r.opisTermChange)
                    + cell(r.frrA, 4) + cell(r.frrB, 4) + signed(r.frrChange, 4))
        }
        if classes.count > limit { line("  … \(classes.count - limit) more classes (--csv for all)") }
        if !onlyInA.isEmpty {
            line("  only in A: \(onlyInA.count) class(es): \(onlyInA.prefix(10).map(safe).joined(separator: ", "))")
        }
        if !onlyInB.isEmpty {
            line("  only in B: \(onlyInB.count) class(es): \(onlyInB.prefix(10).map(safe).joined(separator: ", "))")
        }
        return out
    }
}
