import Foundation
import Synchronization
import Testing
import TCMDashboard
import TCMData
import TCMKernels
import TCMMetrics
import TCMProjection
@testable import TCMDashboardApp
import TCMScopeSupport

/// The dashboard's first analysis on a Dispatch queue, with the test thread playing the UI loop
/// (take progress, apply it to the loading screen's state, take the result). Runs under TSan in
/// .ci/run too.
@Suite struct DashboardLoadingThreadingTests {
    /// Clustered embeddings written as .npy and loaded the way a user's are.
    func dataset(n: Int, dimension: Int, classes: Int) throws -> Dataset {
        let dir = NSTemporaryDirectory() + "tcmscope-loading-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        return try loadClusteredFiles(n: n, dimension: dimension, classes: classes, seed: 5, in: dir)
    }

    @Test func backgroundLoadingReportsEveryStageAndGivesTheSynchronousResult() throws {
        let data = try dataset(n: 900, dimension: 12, classes: 9)
        var screen = LoadingState(
            file: "e.npy", rows: data.count, dimension: data.dimension, classes: data.labels.classCount)
        var stagesSeen = Set<LoadingState.Stage>()
        let job = LoadingJob(dataset: data)
        var result: InitialAnalysis?
        let deadline = Date().addingTimeInterval(60)
        while result == nil && Date() < deadline {
            if let p = job.takeProgress() {
                screen.apply(p)
                stagesSeen.insert(p.stage)
            }
            result = job.takeResult()
            usleep(200)
        }
        if let p = job.takeProgress() { screen.apply(p) }
        let analysis = try #require(result)
        #expect(job.isFinished || Date() < deadline)
        // The last report (PCA done) was applied; the state moved forward to it.
        #expect(screen.progress == .init(stage: .pca, fraction: 1))
        #expect(stagesSeen.contains(.pca))

        // The same numbers as the stages run one by one here, independently of the job.
        let layout = ClassLayout(dataset: data)
        let counts = PairCounts.compute(layout: layout)
        #expect(
            ThresholdAnalyzer(counts: analysis.counts).report(OPISOptions())
                == ThresholdAnalyzer(counts: counts).report(OPISOptions()))
        #expect(analysis.retrieval == Retrieval.compute(layout: layout, ks: [1]))
        let unit = RowNorms.normalized(data.embeddings)
        #expect(analysis.pca == PCA(fitting: unit, components: 2).transform(unit).values)
        #expect(analysis.pca.count == 2 * data.count)
    }

    @Test func cancellingAbandonsTheStagesNotYetStarted() throws {
        // Directly: a checkpoint that throws after the pair pass; retrieval and PCA never start.
        let data = try dataset(n: 300, dimension: 8, classes: 5)
        let reported = Mutex<[LoadingState.Progress]>([])
        #expect(throws: CancellationError.self) {
            try DashboardApp.initialAnalysis(
                layout: ClassLayout(dataset: data), embeddings: data.embeddings,
                progress: { p in reported.withLock { $0.append(p) } },
                checkpoint: { throw CancellationError() })
        }
        let stages = reported.withLock { $0.map(\.stage) }
        #expect(stages.first == .pairPass && !stages.contains(.retrieval) && !stages.contains(.pca))

        // Through the job: cancelled while its pair pass runs (a few hundred ms at this size),
        // it finishes without a result.
        let job = LoadingJob(dataset: try dataset(n: 6000, dimension: 64, classes: 20))
        job.cancel()
        let deadline = Date().addingTimeInterval(60)
        while !job.isFinished && Date() < deadline { usleep(1000) }
        #expect(job.isFinished)
        #expect(job.takeResult() == nil)
        #expect(job.takeProgress().map { $0.stage == .pairPass } ?? true)
    }
}
