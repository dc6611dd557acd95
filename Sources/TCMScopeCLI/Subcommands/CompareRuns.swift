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
            "  intervals: "
            + (intervals.map { "\(level)\(escapingControlCharacters($0))" }
                ?? "none (analyze --bootstrap B, or give embeddings)")
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
    /// Whether `files` name three or more runs (rather than `A B LABELS`). Three files are runs
    /// when all are reports, or when the third holds embeddings, not labels (three `.npz` runs,
    /// each with its labels, were read as A B LABELS: C's labels for A and B, C never analysed).
    var comparesRuns: Bool {
        files.count >= 4 || labelsForRuns != nil
            || (files.count == 3
                && (files.allSatisfy(Self.isJSONReport) || Self.holdsEmbeddings(files[2], options: input.loaderOptions)))
    }

    /// Whether `path` holds embeddings (a 2-D array of at least two columns) rather than labels
    /// (1-D, or N × 1). The row-stream formats (`.npy`, a stored `.npz` member, an F32
    /// safetensors tensor) answer from their header; another container (a deflated `.npz`,
    /// another dtype) is loaded. Anything that cannot be read is left to the loaders' messages.
    static func holdsEmbeddings(_ path: String, options: EmbeddingLoader.Options) -> Bool {
        if let rows = try? FloatRowFile.open(path, embeddingsKey: options.embeddingsKey) { return rows.cols >= 2 }
        guard ["npz", "safetensors"].contains((path as NSString).pathExtension.lowercased()) else { return false }
        var embeddingsOnly = options
        embeddingsOnly.labelsFromSameFile = false
        return ((try? EmbeddingLoader.load(path, options: embeddingsOnly))?.0.cols ?? 0) >= 2
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
        var firstRows: RunRows?
        var firstLevel: Double?
        for path in files {
            let document: AnalysisDocument
            var summary: BootstrapSummary?
            if reports[0] {
                document = try Self.loadReport(path)
                summary = document.bootstrap
                if plot != nil && document.retrieval?.recallAtK.contains(where: { $0.k == 1 }) != true {
                    // A figure of Recall@1 against OPIS without a run's Recall@1 would leave the run
                    // out (or, for all of them, be empty) at exit 0.
                    throw DataError(
                        path,
                        "has no Recall@1 (analysed with --no-retrieval, or --recall-k without 1), and --plot draws Recall@1 against OPIS: analyze it again with retrieval, or leave out --plot"
                    )
                }
            } else {
                let run = try AnalysisRun.compute(
                    embeddings: path, labels: labelsForRuns, input: input, options: try analysis.options(),
                    retrievalKs: [1], threads: threads, progressLabel: "\(Self.runName(path)): pair pass + retrieval"
                ) { layout, input in
                    // The runs are compared class by class: they must hold the same rows and labels.
                    let rows = RunRows(layout: layout, input: input)
                    guard let first = firstRows else {
                        firstRows = rows
                        return
                    }
                    if let difference = rows.difference(from: first, named: files[0]) {
                        throw DataError(path, "\(difference): compare needs the same rows and labels")
                    }
                }
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
            if let summary {
                method = summary.method
                if let level = firstLevel, level != summary.level {
                    throw DataError(
                        path,
                        "has \(Self.percent(summary.level)) intervals, an earlier run \(Self.percent(level)): analyze the runs with one --ci-level"
                    )
                }
                firstLevel = summary.level
            }
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

    static func percent(_ level: Double) -> String { String(format: "%g%%", level * 100) }

    /// An `analyze --out` report, every value validated.
    static func loadReport(_ path: String) throws -> AnalysisDocument {
        try AnalysisDocument.read(bytes: FileBytes.read(path), file: path)
    }
}

/// What must agree between the runs of `compare RUN…` on embeddings: the usable rows, and how
/// the labels split them into classes (names and sizes; OPIS does not depend on the row order).
struct RunRows: Equatable {
    let samples: Int
    let droppedZeroVectorRows: [Int]
    let classNames: [String]
    let classSizes: [Int]

    init(layout: ClassLayout, input: AnalysisDocument.Input) {
        samples = input.samples
        droppedZeroVectorRows = input.droppedZeroVectorRows
        classNames = layout.classNames
        classSizes = (0 ..< layout.classCount).map(layout.size(of:))
    }

    /// "holds 120 usable rows of 120, A.npy 100 of 100", or nil when the rows agree.
    func difference(from first: RunRows, named firstName: String) -> String? {
        let usable = classSizes.reduce(0, +), firstUsable = first.classSizes.reduce(0, +)
        if samples != first.samples || usable != firstUsable {
            return "holds \(usable) usable rows of \(samples), \(firstName) \(firstUsable) of \(first.samples)"
        }
        if droppedZeroVectorRows != first.droppedZeroVectorRows {
            return "drops other zero-vector rows than \(firstName)"
        }
        if classNames != first.classNames || classSizes != first.classSizes {
            return
                "has other classes than \(firstName) (\(classNames.count) classes of sizes \(classSizes.prefix(5).map(String.init).joined(separator: ", "))\(classSizes.count > 5 ? ", …" : ""), \(firstName) \(first.classNames.count))"
        }
        return nil
    }
}
