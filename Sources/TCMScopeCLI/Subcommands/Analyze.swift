import ArgumentParser
import Foundation
import TCMData
import TCMFigures
import TCMKernels
import TCMMetrics

/// `tcmscope analyze`: the headless threshold-consistency report.
struct Analyze: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: """
            Report OPIS, ε-OPIS, per-class rates and retrieval metrics for embeddings and labels.
            """,
        discussion: """
            With no files, analyses the bundled baseline: a contrastive-loss MLP's 128-D embeddings of \
            the MNIST test set (sample-data/baseline). \
            EMBEDDINGS: .npy (N×D), .npz or safetensors (--embeddings-key), CSV/TSV/whitespace text, \
            or MNIST IDX (.gz). LABELS: .npy, .npz/safetensors (--labels-key), IDX, or text with one \
            label per line; or use --label-column for a CSV/TSV; omit it when the .npz/safetensors \
            holds the labels too. \
            OPIS and ε-OPIS average a curve over the calibration range by the trapezoid rule on its \
            grid divided by the range's width (weights 1/(K−1) inside, half that at the two ends). The EER is \
            taken at the bin edge where the global FAR and FRR are closest (the lower edge on a tie), \
            as (FAR + FRR)/2 there. Both rules are written into the report's settings.
            """
    )

    @OptionGroup var data: DataSetArguments
    var input: InputOptions { data.input }
    @OptionGroup var analysis: AnalysisOptions

    @Option(
        name: .customLong("recall-k"), parsing: .upToNextOption,
        help: Bounds.recallK.help("Recall@k values to report (at most \(Bounds.recallKCount.high)).", valueName: "k"))
    var recallKs: [Int] = [1, 2, 4, 8]

    // The spelling before the CLI's names were unified, kept as a hidden alias for one release
    // (like --output, in ReportOptions).
    @Option(name: .customLong("k"), parsing: .upToNextOption, help: .hidden) var recallKsOldSpelling: [Int] = []

    @Flag(help: "Skip Recall@k, R-Precision and MAP@R (they need a second pass).")
    var noRetrieval = false

    @OptionGroup var reportOptions: ReportOptions
    @OptionGroup var bootstrap: BootstrapOptions
    @OptionGroup var sharding: ShardOptions
    @OptionGroup(title: "Watching a training run") var watching: WatchOptions

    @Option(help: Bounds.threads.help("Compute threads (default: all cores)."))
    var threads: Int?

    mutating func validate() throws {
        if !recallKsOldSpelling.isEmpty {
            try Bounds.recallK.named("--k").check(recallKsOldSpelling)
            try Bounds.recallKCount.named("--k (number of values)").check(recallKsOldSpelling.count)
            recallKs = recallKsOldSpelling
        }
        try Bounds.recallK.check(recallKs)
        try Bounds.recallKCount.check(recallKs.count)
        try Bounds.threads.check(threads)
        try reportOptions.check()
        try analysis.check()
        try sharding.check()
        let files = input.files
        let ignored: [(Bool, String)] = [
            (noRetrieval, "--no-retrieval"), (recallKs != [1, 2, 4, 8], "--recall-k"),
            (input.dropZeroVectors, "--drop-zero-vectors"), (files.labelColumn != nil, "--label-column"),
            (files.header != nil, "--header/--no-header"), (files.embeddingsKey != nil, "--embeddings-key"),
            (files.labelsKey != nil, "--labels-key"),
        ]
        // With --watch, --plot FILE is the timeline's figure; every other report option is refused.
        var watchAsks = reportOptions
        watchAsks.plot = nil
        try watching.check(
            hasFiles: !data.bundled,
            asksForReport: watchAsks.asksForReport || sharding.countsOut != nil,
            ignored: ignored.filter(\.0).map(\.1))
        try bootstrap.check()
        if sharding.shard != nil && (reportOptions.asksForReport || bootstrap.bootstrap != nil) {
            throw ValidationError("--shard writes partial counts only: the report options belong to `tcmscope merge`")
        }
    }

    func run() throws {
        if watching.active {
            return try AnalyzeWatch.run(
                watching, plot: reportOptions.plot, options: try analysis.options(), bootstrap: bootstrap,
                threads: threads)
        }
        let started = Date()
        // Refuse a target that is a device, a directory or a FIFO before any work.
        try OutputTransaction.check(reportOptions.targets + [sharding.countsOut].compactMap { $0 })
        OutputTransaction.removeTemporariesOnSignals()
        let shard = try sharding.spec()
        let (embeddingPath, labelPath) = try data.paths()
        let options = try analysis.options()
        let ks = noRetrieval ? nil : recallKs
        let gateFile = labelPath ?? embeddingPath
        func document(
            _ input: AnalysisDocument.Input, _ counts: PairCounts, _ retrieval: RetrievalReport?
        ) -> AnalysisDocument {
            let report = ThresholdAnalyzer(counts: counts).report(options)
            // Intervals from the per-class quantities just computed: no second pair pass.
            let intervals = bootstrap.bootstrap.map {
                BootstrapSummary.compute(
                    report: report, counts: counts, retrieval: retrieval, options: bootstrap,
                    replicates: $0, threads: threads)
            }
            return AnalysisDocument(
                input: input, report: report, retrieval: retrieval,
                seconds: Date().timeIntervalSince(started),
                classFRRAtFAR: options.tarAtFAR.map { ClassFRRAtFAR(counts: counts, targetFAR: $0) },
                bootstrap: intervals)
        }

        if let countsOut = sharding.countsOut {
            // A count file: this task's shard, or the whole pass as shard 0/1 (then reported from
            // the merged counts, which equal the single pass's).
            let (layout, inputSummary, fingerprint) = try AnalysisRun.load(
                embeddings: embeddingPath, labels: labelPath, input: input, fingerprint: true, shard: shard,
                retrievalKs: ks)
            #if canImport(Glibc)
            // The labels, freed with `load`'s return, stay resident on the heap (80 MB at 10M rows,
            // beside a shard's 1.84 GB of packed rows): given back before the pass, its peak.
            if shard != nil { releaseFreeHeap() }
            #endif
            var tiling = PairCounts.Tiling()
            if let threads { tiling.threads = threads }
            let spec = shard ?? ShardSpec(index: 0, count: 1)
            let bar = ProgressBar("pair pass, shard \(spec)")
            let partial = MetricsPass.computeShard(
                layout: layout, tiling: tiling, retrievalKs: ks, shard: spec, progress: bar.callback)
            bar.finish()
            let header = CountFileHeader(
                input: inputSummary, fingerprint: fingerprint!, layout: layout, retrievalKs: ks,
                split: partial.layout, shard: spec)
            if shard != nil {
                // The rows this shard read and packed: its tiles' classes, or every row.
                let held =
                    MetricsPass.shardRows(layout: layout, retrievalKs: ks, shard: spec)?.reduce(0) { $0 + $1.count }
                    ?? layout.sampleCount
                // Written as it is encoded, its keys straight from the pass's heaps: never held whole.
                let transaction = OutputTransaction()
                var length = 0
                try transaction.stage(to: countsOut) { write in
                    length = try CountFile.write(header: header, partial: partial, to: write)
                }
                try transaction.commit()
                print(
                    "shard \(spec) (\(partial.layout)): \(length) bytes to \(countsOut) in \(String(format: "%.2f", Date().timeIntervalSince(started))) s; held \(held) of \(layout.sampleCount) rows"
                )
                return
            }
            let bytes = CountFile.encode(header: header, partial: partial)
            let merged = try MergedCounts.merge([CountFile(bytes: bytes, path: countsOut)], threads: tiling.threads)
            try reportOptions.emit(
                document(inputSummary, merged.counts, merged.retrieval()), counts: merged.counts,
                utility: options.utility, gateFile: gateFile, extra: [(bytes, countsOut)])
            return
        }

        let run = try AnalysisRun.compute(
            embeddings: embeddingPath, labels: labelPath, input: input, options: options,
            retrievalKs: ks, threads: threads,
            progressLabel: noRetrieval ? "pair pass" : "pair pass + retrieval")
        try reportOptions.emit(
            document(run.input, run.counts, run.retrieval), counts: run.counts,
            utility: options.utility, gateFile: gateFile)
    }
}
