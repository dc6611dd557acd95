import ArgumentParser
import Foundation
import TCMData
import TCMFigures
import TCMKernels
import TCMMetrics

/// `tcmscope analyze`: the headless threshold-consistency report.
struct Analyze: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Report OPIS, ε-OPIS, per-class rates and retrieval metrics for embeddings and labels.",
        discussion: """
        With no files, analyses the bundled baseline: a contrastive-loss MLP's 128-D embeddings of \
        the MNIST test set (sample-data/baseline). \
        EMBEDDINGS: .npy (N×D), .npz or safetensors (--embeddings-key), CSV/TSV/whitespace text, \
        or MNIST IDX (.gz). LABELS: .npy, .npz/safetensors (--labels-key), IDX, or text with one \
        label per line; or use --label-column for a CSV/TSV; omit it when the .npz/safetensors \
        holds the labels too.
        """
    )

    @OptionGroup var data: DataSetArguments
    var input: InputOptions { data.input }
    @OptionGroup var analysis: AnalysisOptions

    @Option(name: .customLong("recall-k"), parsing: .upToNextOption,
            help: Bounds.recallK.help("Recall@k values to report (at most \(Bounds.recallKCount.high)).", valueName: "k"))
    var recallKs: [Int] = [1, 2, 4, 8]

    @Flag(help: "Skip Recall@k, R-Precision and MAP@R (they need a second pass).")
    var noRetrieval = false

    @Flag(help: "Print the report as JSON on stdout.")
    var json = false

    @Flag(help: "Print the per-class table as CSV on stdout.")
    var csv = false

    @Option(name: .customLong("out"), help: ArgumentHelp("Also write the JSON report to this file (with --curves: both or neither).", valueName: "file"))
    var output: String?

    // The spellings before the CLI's names were unified, kept as hidden aliases for one release.
    @Option(name: .customLong("k"), parsing: .upToNextOption, help: .hidden) var recallKsOldSpelling: [Int] = []
    @Option(name: .customLong("output"), help: .hidden) var outputOldSpelling: String?

    @Option(help: ArgumentHelp("Write per-class curves on the grid (class, threshold, utility, TPR, FAR) as CSV.", valueName: "file"))
    var curves: String?

    @Option(help: ArgumentHelp("Write the per-class utility curves as an SVG figure (range shaded, operating threshold, worst classes named).", valueName: "file.svg"))
    var plot: String?

    @Option(help: Bounds.failAboveOpis.help("Exit with status 1 when OPIS is above this value (a CI gate).", valueName: "x"))
    var failAboveOpis: Double?

    @Option(help: Bounds.failAboveEpsilonOpis.help("Exit with status 1 when ε-OPIS is above this value.", valueName: "x"))
    var failAboveEpsilonOpis: Double?

    @Option(help: Bounds.threads.help("Compute threads (default: all cores)."))
    var threads: Int?

    mutating func validate() throws {
        if !recallKsOldSpelling.isEmpty {
            try Bounds.recallK.named("--k").check(recallKsOldSpelling)
            try Bounds.recallKCount.named("--k (number of values)").check(recallKsOldSpelling.count)
            recallKs = recallKsOldSpelling
        }
        if let old = outputOldSpelling { output = old }
        if json && csv { throw ValidationError("choose one of --json and --csv") }
        try Bounds.recallK.check(recallKs)
        try Bounds.recallKCount.check(recallKs.count)
        try Bounds.threads.check(threads)
        try Bounds.failAboveOpis.check(failAboveOpis)
        try Bounds.failAboveEpsilonOpis.check(failAboveEpsilonOpis)
        try analysis.check()
    }

    func run() throws {
        let started = Date()
        // Refuse a target that is a device, a directory or a FIFO before any work.
        let targets = [output, curves, plot].compactMap { $0 }
        try OutputTransaction.check(targets)
        OutputTransaction.removeTemporariesOnSignals()
        let (embeddingPath, labelPath) = try data.paths()
        let options = try analysis.options()
        let run = try AnalysisRun.compute(embeddings: embeddingPath, labels: labelPath, input: input, options: options,
                                          retrievalKs: noRetrieval ? nil : recallKs, threads: threads,
                                          progressLabel: noRetrieval ? "pair pass" : "pair pass + retrieval")
        let (report, counts) = (run.report, run.counts)
        let document = AnalysisDocument(
            input: run.input, report: report, retrieval: run.retrieval, seconds: Date().timeIntervalSince(started),
            classFRRAtFAR: options.tarAtFAR.map { ClassFRRAtFAR(counts: counts, targetFAR: $0) })

        let gated = failAboveOpis != nil || failAboveEpsilonOpis != nil
        if gated && report.classesInOPIS == 0 {
            // OPIS of no class is 0, which would pass any gate: a gate on it proves nothing.
            throw DataError(labelPath ?? embeddingPath, "no class has two samples, so OPIS measures nothing and the --fail-above-* gate cannot be checked")
        }
        // All files or none: a failure writing one leaves the others as they were.
        let transaction = OutputTransaction()
        if let output { try transaction.stage(document.json(), to: output) }
        if let curves { try transaction.stage(ReportFormat.curvesCSV(report, counts: counts), to: curves) }
        if let plot {
            let figure = CurvesFigureData(report: report, counts: counts, spec: options.utility)
            try transaction.stage(CurvesFigure.svg(figure), to: plot)
        }
        try transaction.commit()
        if json { print(document.json()) } else if csv { print(ReportFormat.classCSV(report), terminator: "") } else { print(ReportFormat.text(document), terminator: "") }

        if let limit = failAboveOpis, report.opis > limit {
            throw GateFailure(message: "OPIS \(format(report.opis)) is above --fail-above-opis \(format(limit))")
        }
        if let limit = failAboveEpsilonOpis, report.epsilonOPIS > limit {
            throw GateFailure(message: "ε-OPIS \(format(report.epsilonOPIS)) is above --fail-above-epsilon-opis \(format(limit))")
        }
    }
}

/// How to read the input files (analyze, project, train, dash).
struct InputOptions: ParsableArguments {
    @OptionGroup var files: FileOptions

    @Flag(help: "Drop all-zero embedding rows (reported) instead of failing on them.")
    var dropZeroVectors = false

    var labelColumn: String? { files.labelColumn }
    var loaderOptions: EmbeddingLoader.Options { files.loaderOptions }
}

/// How to read an embeddings file and find its arrays (every command that reads embeddings).
struct FileOptions: ParsableArguments {
    // Unconditional parsing: "-1" is a value here, not an option.
    @Option(parsing: .unconditional,
            help: ArgumentHelp("CSV/TSV column holding the labels: header name or 0-based index (-1 = last).", valueName: "column"))
    var labelColumn: String?

    @Flag(inversion: .prefixedNo, help: "Whether CSV/TSV files start with a header row (default: detect).")
    var header: Bool? = nil

    @Option(help: ArgumentHelp("Array of a .npz/safetensors file holding the embeddings (default: embeddings, emb, features, x…, else the only 2-D array).", valueName: "name"))
    var embeddingsKey: String?

    @Option(help: ArgumentHelp("Array holding the labels, in the LABELS file or else the embeddings file (default: labels, y, targets…, else the only 1-D array).", valueName: "name"))
    var labelsKey: String?

    var loaderOptions: EmbeddingLoader.Options {
        .init(labelColumn: labelColumn, hasHeader: header, embeddingsKey: embeddingsKey, labelsKey: labelsKey)
    }
}

/// The choices the spec leaves open: range, grid, utility, ε, ranking, operating threshold.
struct AnalysisOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Calibration range by global FAR at its ends (default 1e-1:1e-2).", valueName: "far:far"))
    var farRange: NumberPair?

    @Option(help: ArgumentHelp("Calibration range as cosine similarities.", valueName: "lo:hi"))
    var range: NumberPair?

    @Option(help: Bounds.points.help("Number of grid thresholds K in the range, both ends included."))
    var points = 101

    @Option(help: "Utility: the F-score of TPR and TNR, or of precision and recall.")
    var utility: UtilitySpec.Kind = .tprTnr

    @Option(help: Bounds.beta.help("β of the F-score."))
    var beta = 1.0

    @Option(help: Bounds.epsilon.help("ε of ε-OPIS: share of classes in the best and worst groups."))
    var epsilon = 0.05

    @Option(help: "ε-OPIS ranking of the classes: at each threshold, or by their average over the range.")
    var ranking: OPISOptions.Ranking = .perThreshold

    @Option(help: Bounds.threshold.help("Operating threshold for the at-threshold columns (default: centre of the range).", valueName: "t"))
    var threshold: Double?

    func check() throws {
        if farRange != nil && range != nil { throw ValidationError("give either --far-range or --range, not both") }
        try Bounds.points.check(points)
        try Bounds.beta.check(beta)
        try Bounds.epsilon.check(epsilon)
        try Bounds.threshold.check(threshold)
        _ = try options()
    }

    func options() throws -> OPISOptions {
        var o = OPISOptions()
        if let farRange {
            let (a, b) = (farRange.first, farRange.second)
            guard a > 0, a <= 1, b > 0, b <= 1, a != b else { throw ValidationError("--far-range values must be distinct FARs in (0, 1], e.g. 1e-1:1e-2") }
            o.range = .far(farAtLow: max(a, b), farAtHigh: min(a, b))
        }
        if let range {
            let (a, b) = (range.first, range.second)
            guard a >= -1, b <= 1, a < b else { throw ValidationError("--range needs -1 ≤ lo < hi ≤ 1, e.g. 0.3:0.6") }
            o.range = .similarity(low: a, high: b)
        }
        o.points = points
        o.utility = UtilitySpec(kind: utility, beta: beta)
        o.epsilon = epsilon
        o.ranking = ranking
        o.operatingThreshold = threshold
        return o
    }
}

extension UtilitySpec.Kind: ExpressibleByArgument {}
extension OPISOptions.Ranking: ExpressibleByArgument {}
