import Foundation
import TCMData
import TCMKernels
import TCMMetrics

/// One embeddings file through the pair pass: what `analyze` reports and `compare` compares.
struct AnalysisRun {
    let input: AnalysisDocument.Input
    let counts: PairCounts
    let report: ThresholdReport
    let retrieval: RetrievalReport?

    /// Reads the data set and regroups it by class: the pass needs only the layout (and, for a
    /// count file, the data set's fingerprint, computed only when asked). Float32 rows with a
    /// labels file — a `.npy`, a safetensors tensor or a stored `.npz` member — are read as a row
    /// stream straight into the layout (`FloatRowFile`: no size ceiling, one copy of the rows at
    /// the peak); anything else through a `Dataset`, whose input-order matrix is dropped once
    /// regrouped. Data where no class has two samples are refused here, before any pass: nothing
    /// that reads them could report OPIS (`OPISCoverage`).
    ///
    /// Before the rows are held, what the pass will hold is checked against what the machine can
    /// give (`requireMemory`): one line, not an allocation failure.
    static func load(
        embeddings: String, labels: String?, input: InputOptions, fingerprint: Bool = false, sharded: Bool = false
    ) throws
        -> (layout: ClassLayout, input: AnalysisDocument.Input, fingerprint: (labels: UInt64, embeddings: UInt64)?)
    {
        let options = input.loaderOptions
        if let labels, options.labelColumn == nil, !input.dropZeroVectors,
            let rows = try FloatRowFile.open(embeddings, embeddingsKey: options.embeddingsKey)
        {
            let classes = try LabelLoader.load(labels, key: options.labelsKey)
            try Dataset.requireCounts(
                rows: rows.rows, cols: rows.cols, labels: classes, embeddingFile: embeddings, labelFile: labels)
            // The labels alone decide these: refused before the rows are read.
            try OPISCoverage.requireAClassWithTwoSamples(classSizes: classes.classSizes, file: labels)
            try requireMemory(rows: rows.rows, cols: rows.cols, file: embeddings, sharded: sharded)
            let (layout, hash) = try ClassLayout.streaming(
                rows, labels: classes, labelFile: labels, fingerprint: fingerprint)
            let summary = AnalysisDocument.Input(
                embeddings: embeddings, labels: labels, samples: rows.rows, dimension: rows.cols,
                classes: classes.classCount, droppedZeroVectorRows: [])
            return (layout, summary, hash.map { (Dataset.fingerprint(of: classes), $0) })
        }
        let dataset = try Dataset.load(
            embeddings: embeddings, labels: labels, options: input.loaderOptions, dropZeroVectors: input.dropZeroVectors
        )
        try requireMemory(rows: dataset.count, cols: dataset.dimension, file: embeddings, sharded: sharded)
        let summary = AnalysisDocument.Input(
            embeddings: embeddings,
            labels: labels ?? input.labelColumn.map { "column \($0)" } ?? "\(embeddings) (same file)",
            samples: dataset.count, dimension: dataset.dimension, classes: dataset.labels.classCount,
            droppedZeroVectorRows: dataset.droppedZeroRows)
        try OPISCoverage.requireAClassWithTwoSamples(
            classSizes: dataset.labels.classSizes, file: labels ?? embeddings)
        return (ClassLayout(dataset: dataset), summary, fingerprint ? dataset.fingerprint : nil)
    }

    /// Refuses, in one line naming the size, a pass whose rows cannot be held: the class layout
    /// and the packed copy every pass makes (`ClassLayout.passBytes`). A shard holds every row
    /// today (it reads the whole file and packs every row), so the message says that `--shard`
    /// does not lower the figure.
    static func requireMemory(rows: Int, cols: Int, file: String, sharded: Bool) throws {
        let layout = MemoryBudget.product(rows, cols, 4)
        try MemoryBudget.current().check(
            bytes: ClassLayout.passBytes(rows: rows, cols: cols),
            needs:
                "the pair pass over \(rows) × \(cols) float32 rows (\(describeSize(layout)) class-ordered, and a packed copy)",
            file: file,
            advice: sharded
                ? "each --shard task still holds every row, so more shards do not lower this; use a machine with more memory"
                : "--shard K/N would not lower this (each shard still holds every row); use a machine with more memory")
    }

    /// - Parameter beforePass: called with what was read, before the pass: may refuse the data
    ///   (`compare RUN…` refuses a run of other rows than the first) without the pass's cost.
    static func compute(
        embeddings: String, labels: String?, input: InputOptions, options: OPISOptions,
        retrievalKs: [Int]?, threads: Int?, progressLabel: String,
        beforePass: (ClassLayout, AnalysisDocument.Input) throws -> Void = { _, _ in }
    ) throws -> AnalysisRun {
        let (layout, summary, _) = try load(embeddings: embeddings, labels: labels, input: input)
        try beforePass(layout, summary)
        var tiling = PairCounts.Tiling()
        if let threads { tiling.threads = threads }
        // One pass: the pair counts and, when asked, the neighbours from the same tiles.
        let bar = ProgressBar(progressLabel)
        let (counts, retrieval) = MetricsPass.compute(
            layout: layout, tiling: tiling, retrievalKs: retrievalKs, progress: bar.callback)
        bar.finish()
        return AnalysisRun(
            input: summary, counts: counts, report: ThresholdAnalyzer(counts: counts).report(options),
            retrieval: retrieval)
    }
}
