import ArgumentParser
import Foundation
import TCMData
import TCMKernels
import TCMMetrics

/// `tcmscope analyze`: the headless threshold-consistency report.
struct Analyze: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Report OPIS, ε-OPIS, per-class rates and retrieval metrics for embeddings and labels.",
        discussion: """
        With no files, analyses the bundled baseline: a contrastive-loss MLP's 128-D embeddings of \
        the MNIST test set (sample-data/baseline). \
        EMBEDDINGS: .npy (N×D), CSV/TSV/whitespace text, or MNIST IDX (.gz). \
        LABELS: .npy, IDX, or text with one label per line; or use --label-column for a CSV/TSV.
        """
    )

    @Argument(help: "Embeddings file (N×D).")
    var embeddings: String?

    @Argument(help: "Labels file (N labels). Omit with --label-column.")
    var labels: String?

    @OptionGroup var input: InputOptions
    @OptionGroup var analysis: AnalysisOptions

    @Option(name: .customLong("k"), parsing: .upToNextOption,
            help: Bounds.recallK.help("Recall@k values to report (at most \(Bounds.recallKCount.high)).", valueName: "k"))
    var recallKs: [Int] = [1, 2, 4, 8]

    @Flag(help: "Skip Recall@k, R-Precision and MAP@R (they need a second pass).")
    var noRetrieval = false

    @OptionGroup var reportOptions: ReportOptions
    @OptionGroup var sharding: ShardOptions

    @Option(help: Bounds.threads.help("Compute threads (default: all cores)."))
    var threads: Int?

    func validate() throws {
        if labels != nil && input.labelColumn != nil { throw ValidationError("give either a LABELS file or --label-column, not both") }
        try Bounds.recallK.check(recallKs)
        try Bounds.recallKCount.check(recallKs.count)
        try Bounds.threads.check(threads)
        try reportOptions.check()
        try analysis.check()
        try sharding.check()
        if sharding.shard != nil && reportOptions.asksForReport {
            throw ValidationError("--shard writes partial counts only: the report options belong to `tcmscope merge`")
        }
    }

    func run() throws {
        let started = Date()
        // Refuse a target that is a device, a directory or a FIFO before any work.
        try OutputTransaction.check(reportOptions.targets + [sharding.countsOut].compactMap { $0 })
        OutputTransaction.removeTemporariesOnSignals()
        let shard = try sharding.spec()
        let embeddingPath = try embeddings ?? SampleData.path(SampleData.baselineEmbeddings)
        let labelPath: String? = embeddings == nil ? try SampleData.path(SampleData.baselineLabels) : labels
        // The loaded matrix is dropped once regrouped by class (124 MB on SOP-sized sets): the pass
        // needs only the layout (and, for a count file, the data set's fingerprint).
        let (layout, inputSummary, fingerprint) = try { () throws -> (ClassLayout, AnalysisDocument.Input, (labels: UInt64, embeddings: UInt64)?) in
            let dataset = try Dataset.load(embeddings: embeddingPath, labels: labelPath,
                                           options: input.loaderOptions, dropZeroVectors: input.dropZeroVectors)
            return (ClassLayout(dataset: dataset),
                    .init(embeddings: embeddingPath, labels: labelPath ?? "column \(input.labelColumn ?? "")",
                          samples: dataset.count, dimension: dataset.dimension, classes: dataset.labels.classCount,
                          droppedZeroVectorRows: dataset.droppedZeroRows),
                    sharding.countsOut == nil ? nil : dataset.fingerprint)
        }()
        var tiling = PairCounts.Tiling()
        if let threads { tiling.threads = threads }
        let ks = noRetrieval ? nil : recallKs

        if let countsOut = sharding.countsOut, let fingerprint {
            // A count file: this task's shard, or the whole pass as shard 0/1 (then reported from
            // the merged counts, which equal the single pass's).
            let spec = shard ?? ShardSpec(index: 0, count: 1)
            let bar = ProgressBar("pair pass, shard \(spec)")
            let partial = MetricsPass.computeShard(layout: layout, tiling: tiling, retrievalKs: ks, shard: spec, progress: bar.callback)
            bar.finish()
            let header = CountFileHeader(input: inputSummary, fingerprint: fingerprint, layout: layout, retrievalKs: ks,
                                         split: partial.layout, shard: spec)
            let bytes = CountFile.encode(header: header, partial: partial)
            if shard != nil {
                let transaction = OutputTransaction()
                try transaction.stage(bytes, to: countsOut)
                try transaction.commit()
                print("shard \(spec) (\(partial.layout)): \(bytes.count) bytes to \(countsOut) in \(String(format: "%.2f", Date().timeIntervalSince(started))) s")
                return
            }
            let merged = try MergedCounts.merge([CountFile(bytes: bytes, path: countsOut)], threads: tiling.threads)
            let report = ThresholdAnalyzer(counts: merged.counts).report(try analysis.options())
            let document = AnalysisDocument(input: inputSummary, report: report, retrieval: merged.retrieval(),
                                            seconds: Date().timeIntervalSince(started))
            try reportOptions.emit(document, counts: merged.counts, gateFile: labelPath ?? embeddingPath, extra: [(bytes, countsOut)])
            return
        }

        // One pass: the pair counts and, unless --no-retrieval, the neighbours from the same tiles.
        let bar = ProgressBar(noRetrieval ? "pair pass" : "pair pass + retrieval")
        let (counts, retrieval) = MetricsPass.compute(layout: layout, tiling: tiling, retrievalKs: ks, progress: bar.callback)
        bar.finish()
        let report = ThresholdAnalyzer(counts: counts).report(try analysis.options())
        let document = AnalysisDocument(
            input: inputSummary, report: report, retrieval: retrieval, seconds: Date().timeIntervalSince(started))
        try reportOptions.emit(document, counts: counts, gateFile: labelPath ?? embeddingPath)
    }
}

/// How to read the input files.
struct InputOptions: ParsableArguments {
    // Unconditional parsing: "-1" is a value here, not an option.
    @Option(parsing: .unconditional,
            help: ArgumentHelp("CSV/TSV column holding the labels: header name or 0-based index (-1 = last).", valueName: "column"))
    var labelColumn: String?

    @Flag(inversion: .prefixedNo, help: "Whether CSV/TSV files start with a header row (default: detect).")
    var header: Bool? = nil

    @Flag(help: "Drop all-zero embedding rows (reported) instead of failing on them.")
    var dropZeroVectors = false

    var loaderOptions: EmbeddingLoader.Options { .init(labelColumn: labelColumn, hasHeader: header) }
}

/// The choices the spec leaves open: range, grid, utility, ε, ranking, operating threshold.
struct AnalysisOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Calibration range by global FAR at its ends (default 1e-1:1e-2).", valueName: "far:far"))
    var farRange: String?

    @Option(help: ArgumentHelp("Calibration range as cosine similarities.", valueName: "lo:hi"))
    var range: String?

    @Option(help: Bounds.points.help("Number of grid thresholds K in the range, both ends included."))
    var points = 101

    @Option(help: "Utility: f-tpr-tnr (F-score of TPR and TNR) or f-precision-recall.")
    var utility: UtilitySpec.Kind = .tprTnr

    @Option(help: Bounds.beta.help("β of the F-score."))
    var beta = 1.0

    @Option(help: Bounds.epsilon.help("ε of ε-OPIS: share of classes in the best and worst groups."))
    var epsilon = 0.05

    @Option(help: "ε-OPIS ranking: per-threshold or range-average.")
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
            let (a, b) = try pair(farRange, option: "--far-range")
            guard a > 0, a <= 1, b > 0, b <= 1, a != b else { throw ValidationError("--far-range values must be distinct FARs in (0, 1], e.g. 1e-1:1e-2") }
            o.range = .far(farAtLow: max(a, b), farAtHigh: min(a, b))
        }
        if let range {
            let (a, b) = try pair(range, option: "--range")
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

    private func pair(_ text: String, option: String) throws -> (Double, Double) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let a = Double(parts[0]), let b = Double(parts[1]), a.isFinite, b.isFinite else {
            throw ValidationError("\(option) takes two numbers separated by a colon, got '\(text)'")
        }
        return (a, b)
    }
}

extension UtilitySpec.Kind: ExpressibleByArgument {}
extension OPISOptions.Ranking: ExpressibleByArgument {}
