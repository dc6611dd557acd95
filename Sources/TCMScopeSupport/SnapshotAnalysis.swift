import Foundation
import TCMData
import TCMKernels
import TCMMetrics

/// A snapshot analysed: its point, and the counts and report the curves are drawn from.
public struct AnalysedSnapshot: Sendable {
    public let snapshot: Snapshot
    public let point: SnapshotPoint
    public let counts: PairCounts
    public let report: ThresholdReport
    public let retrieval: RetrievalReport
    public let input: AnalysisDocument.Input
    /// The rows as read (for a projection); dropped by whoever keeps the analysis for long.
    public let embeddings: Matrix
    public let labels: Labels
    /// The class bootstrap's intervals, when asked for (`IntervalSettings`); also on `point`.
    public let intervals: BootstrapSummary?
}

/// The class bootstrap each watched snapshot gets (`--watch … --bootstrap B`): the same intervals
/// as `analyze --bootstrap B --seed S --ci-level L` of that snapshot's file.
public struct IntervalSettings: Sendable, Equatable {
    public let replicates: Int
    public let seed: UInt64
    public let level: Double

    public init(replicates: Int, seed: UInt64, level: Double) {
        self.replicates = replicates
        self.seed = seed
        self.level = level
    }
}

/// What every snapshot of one watched folder must share with the first one accepted: the same
/// rows (labels, in order) and the same dimension, so that the timeline compares like with like.
public struct SnapshotReference: Sendable {
    public let labels: Labels
    public let dimension: Int
}

public enum SnapshotAnalysis {
    /// Loads and analyses `snapshot` (pair counts, Recall@1, the report at `options`). A damaged,
    /// half-written or foreign-shaped file is a `DataError` naming it, for a status line.
    public static func analyse(
        _ snapshot: Snapshot, options: OPISOptions, reference: SnapshotReference?, threads: Int = 1,
        intervals settings: IntervalSettings? = nil
    ) throws -> (AnalysedSnapshot, SnapshotReference) {
        // The folder's listing saw regular files; what is read is checked again on the
        // descriptor that is read, with links refused (one could be swapped in meanwhile).
        var loading = EmbeddingLoader.Options()
        loading.refuseLinks = true
        let dataset = try Dataset.load(embeddings: snapshot.embeddings, labels: snapshot.labels, options: loading)
        if let reference {
            guard dataset.dimension == reference.dimension else {
                throw DataError(
                    snapshot.embeddings,
                    "has \(dataset.dimension)-D rows, the run's first snapshot \(reference.dimension)-D: skipped")
            }
            guard dataset.labels == reference.labels else {
                throw DataError(
                    snapshot.labels ?? snapshot.embeddings,
                    "holds other rows than the run's first snapshot (\(dataset.count) rows in \(dataset.labels.classCount) classes, not \(reference.labels.count) in \(reference.labels.classCount)): skipped"
                )
            }
        }
        // A snapshot of no class with two samples has no OPIS to put on the timeline.
        try OPISCoverage.requireAClassWithTwoSamples(
            classSizes: dataset.labels.classSizes, file: snapshot.labels ?? snapshot.embeddings)
        try MemoryBudget.current().check(
            bytes: ClassLayout.passBytes(rows: dataset.count, cols: dataset.dimension),
            needs: "the pair pass over \(dataset.count) × \(dataset.dimension) float32 rows", file: snapshot.embeddings,
            advice: "skipped")
        var tiling = PairCounts.Tiling()
        tiling.threads = threads
        let (counts, retrieval) = MetricsPass.countsAndRetrieval(
            layout: ClassLayout(dataset: dataset), tiling: tiling, ks: [1])
        let report = ThresholdAnalyzer(counts: counts).report(options)
        // From the counts just made: the intervals cost no second pass.
        let intervals = settings.map {
            BootstrapSummary.compute(
                report: report, counts: counts, retrieval: retrieval, replicates: $0.replicates, seed: $0.seed,
                level: $0.level, threads: threads, clock: { Date().timeIntervalSinceReferenceDate })
        }
        let point = SnapshotPoint(
            name: snapshot.name, step: snapshot.step, opis: report.opis, epsilonOPIS: report.epsilonOPIS,
            recallAt1: retrieval.recallAtK.first?.recall ?? .nan, eer: report.global.eer, samples: dataset.count,
            classes: dataset.labels.classCount, intervals: intervals.map(SnapshotIntervals.init))
        let input = AnalysisDocument.Input(
            embeddings: snapshot.embeddings, labels: snapshot.labels ?? "\(snapshot.embeddings) (same file)",
            samples: dataset.count, dimension: dataset.dimension, classes: dataset.labels.classCount,
            droppedZeroVectorRows: dataset.droppedZeroRows)
        let analysed = AnalysedSnapshot(
            snapshot: snapshot, point: point, counts: counts, report: report, retrieval: retrieval, input: input,
            embeddings: dataset.embeddings, labels: dataset.labels, intervals: intervals)
        return (analysed, reference ?? SnapshotReference(labels: dataset.labels, dimension: dataset.dimension))
    }
}
