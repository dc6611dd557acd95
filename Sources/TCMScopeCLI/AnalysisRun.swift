import Foundation
import TCMData
import TCMKernels
import TCMMetrics
#if canImport(Glibc)
import Glibc
#endif

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
    ///
    /// A shard (`shard`) whose split is in tiles keeps only the rows of its tiles' classes
    /// (`MetricsPass.shardRows`, from the labels alone): a row stream is still read to its end,
    /// hashed whole for the fingerprint, but only those rows are screened and packed; rows read
    /// whole (`Dataset`) are packed the same way and the input-order copy is dropped.
    static func load(
        embeddings: String, labels: String?, input: InputOptions, fingerprint: Bool = false,
        shard: ShardSpec? = nil, retrievalKs: [Int]? = nil
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
            let kept = try requireMemory(
                rows: rows.rows, cols: rows.cols, labels: classes, file: embeddings, shard: shard,
                retrievalKs: retrievalKs)
            #if canImport(Glibc)
            // Reading the labels (the file's bytes, 64-bit values, the class numbers) leaves ~30 bytes
            // a row of freed heap that glibc keeps resident (300 MB at 10M rows): given back before
            // the rows, so that a shard's peak is its rows, not its rows and the labels' leftovers.
            if kept != nil { releaseFreeHeap() }
            #endif
            let (layout, hash) =
                try kept.map {
                    try ClassLayout.streaming(
                        rows, labels: classes, labelFile: labels, fingerprint: fingerprint, keeping: $0)
                } ?? ClassLayout.streaming(rows, labels: classes, labelFile: labels, fingerprint: fingerprint)
            let summary = AnalysisDocument.Input(
                embeddings: embeddings, labels: labels, samples: rows.rows, dimension: rows.cols,
                classes: classes.classCount, droppedZeroVectorRows: [])
            return (layout, summary, hash.map { (Dataset.fingerprint(of: classes), $0) })
        }
        let dataset = try Dataset.load(
            embeddings: embeddings, labels: labels, options: input.loaderOptions, dropZeroVectors: input.dropZeroVectors
        )
        let kept = try requireMemory(
            rows: dataset.count, cols: dataset.dimension, labels: dataset.labels, file: embeddings, shard: shard,
            retrievalKs: retrievalKs)
        let summary = AnalysisDocument.Input(
            embeddings: embeddings,
            labels: labels ?? input.labelColumn.map { "column \($0)" } ?? "\(embeddings) (same file)",
            samples: dataset.count, dimension: dataset.dimension, classes: dataset.labels.classCount,
            droppedZeroVectorRows: dataset.droppedZeroRows)
        try OPISCoverage.requireAClassWithTwoSamples(
            classSizes: dataset.labels.classSizes, file: labels ?? embeddings)
        let layout =
            kept.map { ClassLayout(embeddings: dataset.embeddings, labels: dataset.labels, keeping: $0) }
            ?? ClassLayout(dataset: dataset)
        return (layout, summary, fingerprint ? dataset.fingerprint : nil)
    }

    /// Refuses, in one line naming the size, a pass whose rows cannot be held, and returns the
    /// rows a shard keeps (`nil`: every row). The whole pass holds the class layout and its packed
    /// copy (`ClassLayout.passBytes`); a shard of tiles holds only its rows, packed
    /// (`ClassLayout.shardBytes`); a shard of runs of whole classes ranks its queries against every
    /// row, so it holds them all. The advice says which of these `--shard` can change.
    static func requireMemory(
        rows: Int, cols: Int, labels: Labels, file: String, shard: ShardSpec?, retrievalKs: [Int]?
    ) throws -> [Range<Int>]? {
        let planning = ClassLayout(
            planningSizes: labels.classSizes, names: labels.classNames)
        let layout = MemoryBudget.product(rows, cols, 4)
        let whole =
            "the pair pass over \(rows) × \(cols) float32 rows (\(describeSize(layout)) class-ordered, and a packed copy)"
        let budget = MemoryBudget.current()
        guard let shard else {
            let split = MetricsPass.shardsHoldTheirRowsOnly(layout: planning, retrievalKs: retrievalKs)
            try budget.check(
                bytes: ClassLayout.passBytes(rows: rows, cols: cols), needs: whole, file: file,
                advice: split
                    ? "split it with --shard K/N: each shard holds only the rows of its classes (docs/scaling-out.md)"
                    : "--shard K/N would not lower this (runs of whole classes: each shard ranks its queries against every row); use a machine with more memory"
            )
            return nil
        }
        guard let kept = MetricsPass.shardRows(layout: planning, retrievalKs: retrievalKs, shard: shard) else {
            try budget.check(
                bytes: ClassLayout.passBytes(rows: rows, cols: cols), needs: whole, file: file,
                advice:
                    "each --shard task of runs of whole classes ranks its queries against every row and holds them all, so more shards do not lower this; use a machine with more memory"
            )
            return nil
        }
        let count = kept.reduce(0) { $0 + $1.count }
        try budget.check(
            bytes: ClassLayout.shardBytes(rows: rows, cols: cols, keeping: kept),
            needs:
                "shard \(shard) of the pair pass over \(rows) × \(cols) float32 rows (its \(count) rows packed, \(describeSize(MemoryBudget.product(count, cols, 4))))",
            file: file,
            advice: "more --shard tasks hold fewer rows each (docs/scaling-out.md)")
        return kept
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

#if canImport(Glibc)
/// glibc's `malloc_trim(0)`: returns the heap's free pages to the system. Looked up at run time
/// (the Glibc module does not export `<malloc.h>`); nothing is done where it is missing.
func releaseFreeHeap() {
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return }
    typealias MallocTrim = @convention(c) (Int) -> Int32
    _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
}
#endif
