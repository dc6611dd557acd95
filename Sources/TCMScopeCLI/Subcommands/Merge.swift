import ArgumentParser
import Foundation
import TCMData
import TCMKernels
import TCMMetrics

/// `tcmscope merge part-*.tcmc`: the report of a sharded analysis, from its count files.
struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: """
            Merge the count files of a sharded analysis (analyze --shard) into its report.
            """,
        discussion: """
            Every part of one run is needed, each once; parts of another data set or other settings are \
            refused. The report equals the one `tcmscope analyze` prints for the same files and options \
            (apart from the time it took). The range, grid and ranking options apply here.
            """
    )

    @Argument(help: "Count files: every part of one analysis (or a merged count file).")
    var parts: [String] = []

    @OptionGroup var analysis: AnalysisOptions
    @OptionGroup var reportOptions: ReportOptions

    @Option(help: ArgumentHelp("Also keep the merged counts as one count file.", valueName: "file"))
    var countsOut: String?

    @Option(help: Bounds.threads.help("Threads (default: all cores)."))
    var threads: Int?

    func validate() throws {
        if parts.isEmpty { throw ValidationError("give the count files to merge (part-*.tcmc)") }
        try reportOptions.check()
        try analysis.check()
        try Bounds.threads.check(threads)
    }

    func run() throws {
        let started = Date()
        try OutputTransaction.check(reportOptions.targets + [countsOut].compactMap { $0 })
        OutputTransaction.removeTemporariesOnSignals()
        let files = try parts.map { try CountFile(bytes: FileBytes.read($0), path: $0) }
        let merged = try MergedCounts.merge(files, threads: threads ?? defaultThreadCount)
        let h = merged.header
        try OPISCoverage.requireAClassWithTwoSamples(classSizes: h.classSizes, file: parts[0])
        let input = AnalysisDocument.Input(
            embeddings: h.embeddingsPath, labels: h.labelsDescription, samples: h.samples,
            dimension: h.dimension, classes: h.classNames.count, droppedZeroVectorRows: h.droppedZeroVectorRows)
        let options = try analysis.options()
        let report = ThresholdAnalyzer(counts: merged.counts).report(options)
        let document = AnalysisDocument(
            input: input, report: report, retrieval: merged.retrieval(), seconds: Date().timeIntervalSince(started),
            classFRRAtFAR: options.tarAtFAR.map { ClassFRRAtFAR(counts: merged.counts, targetFAR: $0) })
        try reportOptions.emit(
            document, counts: merged.counts, utility: options.utility, gateFile: parts[0],
            extra: countsOut.map { [(merged.encoded(), $0)] } ?? [])
    }
}

extension CountFileHeader {
    /// The header of a count file written by `analyze`.
    init(
        input: AnalysisDocument.Input, fingerprint: (labels: UInt64, embeddings: UInt64), layout: ClassLayout,
        retrievalKs: [Int]?, split: ShardLayout, shard: ShardSpec
    ) {
        self.init(
            samples: input.samples, dimension: input.dimension, classNames: layout.classNames,
            classSizes: (0 ..< layout.classCount).map(layout.size(of:)), labelsHash: fingerprint.labels,
            embeddingsHash: fingerprint.embeddings, embeddingsPath: input.embeddings, labelsDescription: input.labels,
            droppedZeroVectorRows: input.droppedZeroVectorRows, binsPerUnit: ThresholdBins.standard.binsPerUnit,
            retrievalKs: retrievalKs, layout: split, shardCount: shard.count, shards: [shard.index])
    }
}
