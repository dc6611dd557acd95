import Foundation
import Testing
import TCMData
import TCMDashboard
@testable import TCMDashboardApp
import TCMScopeSupport

/// The dashboard's UI loop without a terminal: the test thread plays the UI thread (poll, keys)
/// while fine-tuning, re-analysis and t-SNE run on Dispatch queues. Run under TSan too:
/// `swift test --sanitize=thread --filter DashboardAppThreadingTests` (see README).
@Suite struct DashboardAppThreadingTests {
    func temporaryDirectory() throws -> String {
        let dir = NSTemporaryDirectory() + "tcmscope-app-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// 480 clustered 16-D embeddings of 6 classes, written as .npy to `dir` and loaded as a user's would be.
    func syntheticDataset(in dir: String, seed: UInt64) throws -> Dataset {
        try loadClusteredFiles(n: 480, dimension: 16, classes: 6, seed: seed, in: dir)
    }

    @Test func fineTuningUpdatesTheScreenWhileKeysAreHandledAndSaves() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let dataset = try syntheticDataset(in: dir, seed: 3)

        let app = DashboardApp(
            dataset: dataset, title: "e.npy", bundled: false, loss: .contrastive, epochs: 40,
            saveDirectory: dir + "/saved", evaluateEvery: 3)
        let opisBefore = app.state.report.opis
        app.startTraining()
        #expect(app.state.fineTuning.training.running)
        var analysesSeen = 0, frames = 0, switchedToTSNE = false
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            if app.poll() { frames += 1 }
            if app.state.status.hasPrefix("curves from training step") {
                analysesSeen += 1
                app.send(.message(""))
            }
            // Keys keep working while everything runs: threshold, range, projection method.
            app.send(.key(frames % 2 == 0 ? .right : .left))
            app.send(.key(.character(frames % 2 == 0 ? "]" : "[")))
            if analysesSeen >= 1 && !switchedToTSNE {
                switchedToTSNE = true
                app.useTSNE = true
                app.project(initial: nil)
            }
            if app.training == nil && !app.state.fineTuning.training.running && analysesSeen >= 2 { break }
            usleep(2_000)
        }
        #expect(
            !app.state.fineTuning.training.running, "fine-tuning finished: \(app.state.fineTuning.training.message)")
        #expect(app.state.fineTuning.training.step > 0 && app.state.fineTuning.training.message == "done")
        #expect(analysesSeen >= 2, "the curves were refreshed from training")
        #expect(
            !app.state.fineTuning.training.opisHistory.isEmpty && !app.state.fineTuning.training.lossHistory.isEmpty)
        // The adapter is judged on the held-out fifth; the ghost is the user's own embeddings
        // of those same rows.
        let heldOut = dataset.count / 5
        #expect(app.evalLabels.count == heldOut && app.state.projection.labels.count == heldOut)
        let baseline = try #require(app.state.baseline, "the pre-training curves are kept as the ghost")
        #expect(
            baseline.counts.totalPositives == app.state.analyzer.counts.totalPositives, "same rows before and after")
        #expect(baseline.counts.totalNegatives == app.state.analyzer.counts.totalNegatives)
        #expect(baseline.counts.globalPositiveAtOrAbove != app.state.analyzer.counts.globalPositiveAtOrAbove)
        #expect(app.state.report.opis != opisBefore)
        // Wait for the t-SNE job to publish a layout of the right size.
        while Date() < deadline,
            app.state.projection.status.hasPrefix("t-SNE") == false || app.state.projection.points.count != 2 * heldOut
        {
            _ = app.poll()
            usleep(10_000)
        }
        #expect(app.state.projection.points.count == 2 * heldOut && app.state.projection.status.hasPrefix("t-SNE"))
        app.projectionJob?.cancel()

        // s: everything is written, and the report reads back.
        app.save()
        #expect(app.state.status.hasPrefix("saved to"), "\(app.state.status)")
        for file in [
            "embeddings.npy", "labels.npy", "curves.csv", "report.json", "checkpoint.tcms", "curves.svg", "layout.svg",
            "adapter.safetensors",
        ] {
            #expect(FileManager.default.fileExists(atPath: dir + "/saved/" + file), "\(file)")
        }
        // The figures hold one curve / one point set per class (the curves figure adds the mean);
        // the adapter is the fine-tuned model under PyTorch's nn.Sequential names.
        let classes = app.evalLabels.classCount
        let curvesSVG = try String(contentsOfFile: dir + "/saved/curves.svg", encoding: .utf8)
        let layoutSVG = try String(contentsOfFile: dir + "/saved/layout.svg", encoding: .utf8)
        #expect(curvesSVG.hasPrefix("<svg") || curvesSVG.hasPrefix("<?xml"))
        #expect(curvesSVG.components(separatedBy: "class=\"class-curve\"").count - 1 == classes, "a path per class")
        #expect(layoutSVG.components(separatedBy: "<path").count - 1 >= classes, "a path per class")
        let adapterBytes = try FileBytes.read(dir + "/saved/adapter.safetensors")
        let adapter = try SafetensorsFile(bytes: adapterBytes, file: "adapter.safetensors")
        let first = try #require(adapter.tensors.first { $0.name == "0.weight" })
        #expect(first.shape.last == dataset.dimension, "the first Linear takes the user's embeddings")
        #expect(adapter.metadata["architecture"] != nil)
        let report =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/saved/report.json")))
            as? [String: Any]
        #expect(abs(((report?["opis"] as? Double) ?? -1) - app.state.report.opis) < 1e-12)
        let saved = try EmbeddingLoader.load(dir + "/saved/embeddings.npy").0
        #expect(saved.rows == heldOut && saved.cols == 128, "the adapter's embeddings of the rows on screen")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir + "/saved").filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty, "no temporary files left: \(leftovers)")
    }

    /// s saves all its files or none: one target that cannot be replaced (a directory) leaves the
    /// others as they were and no temporary file behind.
    @Test func saveIsAllOrNothing() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let dataset = try syntheticDataset(in: dir, seed: 5)
        let app = DashboardApp(
            dataset: dataset, title: "e.npy", bundled: false, loss: .contrastive, epochs: 1,
            saveDirectory: dir + "/saved")
        try FileManager.default.createDirectory(atPath: dir + "/saved/curves.csv", withIntermediateDirectories: true)
        try AtomicFile.write("earlier", to: dir + "/saved/report.json")
        app.save()
        #expect(
            app.state.status.hasPrefix("save failed: ")
                && app.state.status.contains("curves.csv: exists and is a directory"), "\(app.state.status)")
        #expect(try String(contentsOfFile: dir + "/saved/report.json", encoding: .utf8) == "earlier")
        #expect(
            !FileManager.default.fileExists(atPath: dir + "/saved/embeddings.npy")
                && !FileManager.default.fileExists(atPath: dir + "/saved/labels.npy"))
        let names = try FileManager.default.contentsOfDirectory(atPath: dir + "/saved").sorted()
        #expect(names == ["curves.csv", "report.json"], "\(names)")
    }

    @Test func tSNEShowsAStratifiedSubsampleAndSaysSo() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let dataset = try syntheticDataset(in: dir, seed: 4)
        let app = DashboardApp(
            dataset: dataset, title: "e.npy", bundled: false, loss: .contrastive, epochs: 1,
            saveDirectory: dir + "/saved")
        #expect(
            app.state.projection.labels.count == 480 && app.state.projection.points.count == 960, "PCA of every row")
        app.tsneLimit = 60
        app.useTSNE = true
        app.project(initial: nil)
        #expect(app.state.projection.labels.count == 60)
        #expect(Set(app.state.projection.labels).count == 6, "every class is in the subsample")
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline
            && !(app.state.projection.status.hasPrefix("t-SNE")
                && app.state.projection.status.contains("of 60 of 480 rows (stratified)")
                && app.state.projection.points.count == 120 && !app.state.projection.status.contains("/"))
        {
            _ = app.poll()
            usleep(10_000)
        }
        #expect(
            app.state.projection.points.count == 120
                && app.state.projection.status == "t-SNE of 60 of 480 rows (stratified)",
            "\(app.state.projection.status)")
        app.useTSNE = false
        app.project(initial: nil)
        #expect(
            app.state.projection.labels.count == 480 && app.state.projection.points.count == 960
                && app.state.projection.status == "PCA")
    }
}
