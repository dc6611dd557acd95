import Foundation
import TCMData
import TCMFigures
import TCMMetrics
import TCMScopeSupport

/// `compare RUN…` with three or more runs: each run's OPIS, ε-OPIS, Recall@1 and MAP@R with their
/// bootstrap intervals, side by side, and the accuracy-versus-consistency figure (`--plot`).
struct RunsComparison: Encodable {
    struct Run: Encodable {
        let name: String
        let source: String
        let opis: Double
        let opisInterval: ConfidenceInterval?
        let epsilonOPIS: Double
        let epsilonOPISInterval: ConfidenceInterval?
        let recallAt1: Double?
        let recallAt1Interval: ConfidenceInterval?
        let mapAtR: Double?
    }
    let runs: [Run]
    let settings: ReportSettings
    /// How the intervals were made (nil: none of the runs has them).
    let intervals: String?

    /// A run's name: its file name without the extension.
    static func name(_ path: String) -> String {
        ((path as NSString).lastPathComponent as NSString).deletingPathExtension
    }

    init(runs: [Run], settings: ReportSettings, intervals: String?) {
        self.runs = runs
        self.settings = settings
        self.intervals = intervals
    }

    func text() -> String {
        func ci(_ value: Double?, _ c: ConfidenceInterval?) -> String {
            guard let value else { return "–" }
            return format(value, 4) + (c.map { " [\(format($0.low, 3)), \(format($0.high, 3))]" } ?? "")
        }
        var out =
            "TCMScope comparison of \(runs.count) runs (lower OPIS is more consistent; higher R@1 is more accurate)\n"
        let level = runs.compactMap(\.opisInterval).first.map { "\(Int(($0.level * 100).rounded()))% " } ?? ""
        out +=
            "  intervals: " + (intervals.map { "\(level)\($0)" } ?? "none (analyze --bootstrap B, or give embeddings)")
            + "\n"
        let width = max(4, runs.map { escapingControlCharacters($0.name).count }.max() ?? 4)
        func pad(_ s: String, _ n: Int) -> String { s + String(repeating: " ", count: max(0, n - s.count)) }
        out += "  " + pad("run", width) + "  " + pad("OPIS", 30) + pad("ε-OPIS", 30) + pad("R@1", 28) + "MAP@R\n"
        for r in runs {
            out +=
                "  " + pad(escapingControlCharacters(r.name), width) + "  " + pad(ci(r.opis, r.opisInterval), 30)
                + pad(ci(r.epsilonOPIS, r.epsilonOPISInterval), 30) + pad(ci(r.recallAt1, r.recallAt1Interval), 28)
                + (r.mapAtR.map { format($0, 4) } ?? "–") + "\n"
        }
        return out
    }

    func json() -> String { prettyJSON(self) }

    func svg() -> String {
        let points = runs.map { r in
            RunFigurePoint(
                name: r.name, opis: r.opis, opisInterval: r.opisInterval.map { ($0.low, $0.high) },
                recallAt1: r.recallAt1 ?? .nan, recallInterval: r.recallAt1Interval.map { ($0.low, $0.high) })
        }
        return RunsFigure.svg(
            points, title: "Recall@1 against OPIS, \(runs.count) runs",
            level: runs.compactMap(\.opisInterval).first?.level)
    }
}

extension Compare {
    /// Whether `files` name three or more runs (rather than `A B LABELS`).
    var comparesRuns: Bool {
        files.count >= 4 || labelsForRuns != nil || (files.count == 3 && files.allSatisfy(Self.isJSONReport))
    }

    func compareRuns() throws -> RunsComparison {
        let reports = files.map(Self.isJSONReport)
        guard reports.allSatisfy({ $0 }) || !reports.contains(true) else {
            let odd = files[reports.firstIndex(of: !reports[0])!]
            throw DataError(odd, "mixes JSON reports and embeddings files: give runs of one kind")
        }
        var runs: [RunsComparison.Run] = []
        var settings: ReportSettings?
        var method: String?
        for path in files {
            let document: AnalysisDocument
            var summary: BootstrapSummary?
            if reports[0] {
                document = try Self.loadReport(path)
                summary = document.bootstrap
            } else {
                let run = try AnalysisRun.compute(
                    embeddings: path, labels: labelsForRuns, input: input, options: try analysis.options(),
                    retrievalKs: [1], threads: threads, progressLabel: "\(Self.runName(path)): pair pass + retrieval")
                document = AnalysisDocument(input: run.input, report: run.report, retrieval: run.retrieval, seconds: 0)
                summary = BootstrapSummary.compute(
                    report: run.report, counts: run.counts, retrieval: run.retrieval, options: bootstrapOptions,
                    replicates: bootstrapOptions.bootstrap ?? 1000, threads: threads)
            }
            if let first = settings {
                let differences = ComparisonDocument.settingDifferences(first, document.report.settings)
                guard differences.isEmpty else {
                    throw DataError(
                        path,
                        "analysed with other settings than \(files[0]) (\(differences.joined(separator: "; "))): compare runs analysed alike"
                    )
                }
            } else {
                settings = document.report.settings
            }
            if let summary { method = summary.method }
            runs.append(
                .init(
                    name: RunsComparison.name(path), source: path, opis: document.report.opis,
                    opisInterval: summary?.opis,
                    epsilonOPIS: document.report.epsilonOPIS, epsilonOPISInterval: summary?.epsilonOPIS,
                    recallAt1: document.retrieval?.recallAtK.first { $0.k == 1 }?.recall,
                    recallAt1Interval: summary?.recallAt1, mapAtR: document.retrieval?.mapAtR))
        }
        return RunsComparison(runs: runs, settings: settings!, intervals: method)
    }

    static func runName(_ path: String) -> String { escapingControlCharacters(RunsComparison.name(path)) }

    /// An `analyze --out` report, every value validated.
    static func loadReport(_ path: String) throws -> AnalysisDocument {
        let document: AnalysisDocument
        do {
            document = try JSONDecoder().decode(AnalysisDocument.self, from: Data(FileBytes.read(path)))
        } catch let error as DataError {
            throw error
        } catch {
            throw DataError(path, "is not an analyze --out JSON report")
        }
        try document.validate(file: path)
        return document
    }
}
