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

    static func compute(embeddings: String, labels: String?, input: InputOptions, options: OPISOptions,
                        retrievalKs: [Int]?, threads: Int?, progressLabel: String) throws -> AnalysisRun {
        // The loaded matrix is dropped once regrouped by class (124 MB on SOP-sized sets): the pass
        // needs only the layout.
        let (layout, summary) = try { () throws -> (ClassLayout, AnalysisDocument.Input) in
            let dataset = try Dataset.load(embeddings: embeddings, labels: labels,
                                           options: input.loaderOptions, dropZeroVectors: input.dropZeroVectors)
            return (ClassLayout(dataset: dataset),
                    .init(embeddings: embeddings, labels: labels ?? input.labelColumn.map { "column \($0)" } ?? "\(embeddings) (same file)",
                          samples: dataset.count, dimension: dataset.dimension, classes: dataset.labels.classCount,
                          droppedZeroVectorRows: dataset.droppedZeroRows))
        }()
        var tiling = PairCounts.Tiling()
        if let threads { tiling.threads = threads }
        // One pass: the pair counts and, when asked, the neighbours from the same tiles.
        let bar = ProgressBar(progressLabel)
        let (counts, retrieval) = MetricsPass.compute(layout: layout, tiling: tiling, retrievalKs: retrievalKs, progress: bar.callback)
        bar.finish()
        return AnalysisRun(input: summary, counts: counts, report: ThresholdAnalyzer(counts: counts).report(options), retrieval: retrieval)
    }
}
