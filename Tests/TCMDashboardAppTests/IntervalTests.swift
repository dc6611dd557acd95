import Foundation
import Testing
import TCMDashboard
import TCMData
import TCMKernels
import TCMMetrics
import TCMTerminal
@testable import TCMDashboardApp
import TCMScopeSupport

/// Issue 20 in the dashboard: OPIS's bootstrap interval is made in the background after the
/// curves, shown beside OPIS, and never shown beside a report it was not made for.
@Suite struct IntervalTests {
    static func app() throws -> DashboardApp {
        let (matrix, labels) = SyntheticData.clustered(n: 600, dimension: 8, classes: 12, seed: 3)
        let dataset = try Dataset.validated(embeddings: matrix, labels: labels, embeddingFile: "e", labelFile: "l")
        return DashboardApp(
            dataset: dataset, title: "intervals", bundled: false, loss: .contrastive, epochs: 1,
            saveDirectory: NSTemporaryDirectory() + "tcmscope-intervals-\(UUID().uuidString)")
    }

    @Test func theIntervalFollowsTheReportItWasMadeFor() throws {
        let app = try Self.app()
        let backend = TestBackend(
            width: 160, height: 45, script: [.until { app.state.currentInterval != nil }], longestWait: .seconds(30))
        #expect(EventLoop.run(app, on: backend, wake: app.wake))
        let summary = try #require(app.state.currentInterval)
        // The same figures analyze --bootstrap computes for this report (same seed and replicates).
        let independent = BootstrapSummary.compute(
            report: app.state.report, counts: app.state.analyzer.counts, retrieval: nil,
            replicates: DashboardState.intervalReplicates, seed: 1, level: 0.95, threads: 2)
        #expect(summary.opis == independent.opis && summary.epsilonOPIS == independent.epsilonOPIS)
        #expect(summary.opis.low <= app.state.report.opis + 1e-12 || summary.opis.high >= app.state.report.opis)
        let frame = try #require(backend.frames.last)
        let metrics = (0 ..< frame.height).map { frame.line($0) }.first { $0.contains("│OPIS ") } ?? ""
        #expect(metrics.contains("95% ["), "\(metrics)")
        // 12 classes: no ε-OPIS interval holds its level, and the pane says so in full.
        #expect(summary.epsilonOPIS == nil)
        let epsilon = (0 ..< frame.height).map { frame.line($0) }.first { $0.contains("│ε-OPIS ") } ?? ""
        #expect(epsilon.contains("(no CI: C < 1000)"), "\(epsilon)")
        // A range change: the old interval is no longer shown, and a late result for it is refused.
        #expect(app.state.pendingInterval == nil, "nothing more to compute for this report")
        app.send(.key(.character("]")))
        #expect(app.state.currentInterval == nil)
        #expect(app.state.pendingInterval != nil, "a new interval is asked for")
    }
}
