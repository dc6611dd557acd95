import Foundation
import Testing
import TCMData
import TCMDashboard
@testable import TCMDashboardApp

/// The dashboard on data its projections cannot fully handle: 1-D embeddings get a PCA layout
/// on a line, and a t-SNE the library refuses is a message in the projection pane, not a crash.
@Suite struct DashboardDegenerateDataTests {
    @Test func oneDimensionalDataAndARefusedTSNEShowMessages() throws {
        let dir = NSTemporaryDirectory() + "tcmscope-app-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try AtomicFile.write(
            NpyWriter.bytes(floats: (0 ..< 40).map { Float($0 % 7) - 3.5 }, shape: [40, 1]), to: dir + "/e.npy")
        try AtomicFile.write(NpyWriter.bytes(int64s: (0 ..< 40).map { Int64($0 % 2) }, shape: [40]), to: dir + "/l.npy")
        let dataset = try Dataset.load(
            embeddings: dir + "/e.npy", labels: dir + "/l.npy", options: .init(), dropZeroVectors: false)
        let app = DashboardApp(
            dataset: dataset, title: "e.npy", bundled: false, loss: .contrastive, epochs: 1,
            saveDirectory: dir + "/saved")
        #expect(app.state.projection.points.count == 80 && app.state.projection.status == "PCA")
        #expect(app.state.projection.points.allSatisfy { $0.isFinite })
        #expect(
            (0 ..< 40).allSatisfy { app.state.projection.points[2 * $0 + 1] == 0 },
            "1-D data: the second axis is padded with zeros")
        // Two rows for t-SNE (below its minimum of 3): the job fails and the pane says why.
        app.tsneLimit = 2
        app.useTSNE = true
        app.project(initial: nil)
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline && !app.state.projection.status.hasPrefix("t-SNE failed") {
            _ = app.poll()
            usleep(10_000)
        }
        #expect(
            app.state.projection.status == "t-SNE failed: t-SNE needs at least 3 points, got 2",
            "\(app.state.projection.status)")
    }
}
