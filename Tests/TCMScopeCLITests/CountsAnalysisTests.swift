import Foundation
import Testing
import TCMCells
@testable import TCMDashboardApp
import TCMData
import TCMKernels
import TCMMetrics
@testable import TCMScopeCLI

/// The dashboard's first analysis from a merged count file equals the one from the embeddings.
@Suite struct CountsAnalysisTests {
    @Test(arguments: [0, 1])
    func countFileGivesTheDashboardsFirstAnalysis(shape: Int) throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (e, l) = ShardCLITests.dataset(dir, sizes: ShardCLITests.shapes[shape].sizes, dimension: 10, seed: 21)
        var parts: [String] = []
        for k in 0 ..< 3 {
            parts.append(dir + "/p\(k).tcmc")
            let run = try tcmscope(["analyze", e, l, "--shard", "\(k)/3", "--counts-out", parts[k]])
            #expect(run.status == 0, "\(run.stderr)")
        }
        _ = try tcmscope(["merge"] + parts + ["--counts-out", dir + "/all.tcmc"])
        let data = try Dataset.load(embeddings: e, labels: l)
        let expected = DashboardApp.initialAnalysis(
            layout: ClassLayout(dataset: data), embeddings: data.embeddings, checkpoint: {})
        for paths in [[dir + "/all.tcmc"], parts] {
            let (got, header) = try InitialAnalysis.fromCounts(paths)
            #expect(got.retrieval == expected.retrieval)
            #expect(got.counts.globalPositiveAtOrAbove == expected.counts.globalPositiveAtOrAbove)
            #expect(got.counts.globalNegativeAtOrAbove == expected.counts.globalNegativeAtOrAbove)
            #expect(
                got.counts.classNames == expected.counts.classNames
                    && got.counts.classSizes == expected.counts.classSizes)
            for c in 0 ..< got.counts.classCount {
                for k in stride(from: 0, to: got.counts.bins.count, by: 101) {
                    #expect(got.counts.positives[c].countAtOrAbove(k) == expected.counts.positives[c].countAtOrAbove(k))
                    #expect(got.counts.negatives[c].countAtOrAbove(k) == expected.counts.negatives[c].countAtOrAbove(k))
                }
            }
            #expect(got.pca.isEmpty && header.samples == data.count)
        }
        _ = try tcmscope(["analyze", e, l, "--no-retrieval", "--counts-out", dir + "/nr.tcmc"])
        #expect(throws: DataError.self) { try InitialAnalysis.fromCounts([dir + "/nr.tcmc"]) }
    }
}

/// `dash --counts`: the dashboard on a count file alone, and with the rows it was made from.
@Suite struct DashboardOnCountsTests {
    @Test func curvesRangeAndSaveWorkAndTheRowPanesSaySoWithoutTheEmbeddings() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (e, l) = ShardCLITests.dataset(dir, sizes: ShardCLITests.shapes[0].sizes, dimension: 10, seed: 23)
        let whole = try tcmscope(["analyze", e, l, "--counts-out", dir + "/all.tcmc"])
        #expect(whole.status == 0, "\(whole.stderr)")
        let (analysis, _) = try InitialAnalysis.fromCounts([dir + "/all.tcmc"])
        let onCounts = DashboardApp(
            dataset: nil, analysis: analysis, title: "all.tcmc", bundled: false, loss: .contrastive, epochs: 1,
            saveDirectory: dir + "/saved")
        let onRows = DashboardApp(
            dataset: try Dataset.load(embeddings: e, labels: l), title: "e.npy", bundled: false, loss: .contrastive,
            epochs: 1, saveDirectory: dir + "/unused")
        #expect(onCounts.state.report.opis == onRows.state.report.opis)
        #expect(onCounts.state.report.epsilonOPIS == onRows.state.report.epsilonOPIS)
        #expect(onCounts.state.retrieval == onRows.state.retrieval)

        // The threshold and range keys work as on the rows.
        for app in [onCounts, onRows] {
            for key: Key in [.right, .right, .character("]"), .character("}")] {
                _ = app.handle(.key(key), size: (120, 40))
            }
        }
        #expect(
            onCounts.state.calibration.cursor == onRows.state.calibration.cursor
                && onCounts.state.calibration.range == onRows.state.calibration.range)
        #expect(onCounts.state.report.opis == onRows.state.report.opis)

        // Fine-tuning and t-SNE need the rows: they say so, and nothing starts.
        onCounts.startTraining()
        #expect(onCounts.state.status.contains("needs the embeddings") && onCounts.training == nil)
        _ = onCounts.handle(.key(.character("m")), size: (120, 40))
        #expect(onCounts.state.status.contains("needs the embeddings"))
        var buffer = CellBuffer(width: 120, height: 40)
        onCounts.render(into: &buffer)
        let screen = (0 ..< buffer.height).map(buffer.line).joined(separator: "\n")
        #expect(screen.contains("needs the embeddings"), "\(screen)")

        // s writes what counts give (report, curves, figure) and no rows.
        onCounts.save()
        #expect(onCounts.state.status.hasPrefix("saved to"), "\(onCounts.state.status)")
        let saved = try FileManager.default.contentsOfDirectory(atPath: dir + "/saved").sorted()
        #expect(saved == ["curves.csv", "curves.svg", "report.json"], "\(saved)")
    }

    @Test func countsOfOtherRowsAreRefusedBeforeTheTerminal() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (e, l) = ShardCLITests.dataset(dir, sizes: ShardCLITests.shapes[0].sizes, dimension: 10, seed: 23)
        #expect(try tcmscope(["analyze", e, l, "--no-retrieval", "--counts-out", dir + "/nr.tcmc"]).status == 0)
        #expect(try tcmscope(["analyze", e, l, "--counts-out", dir + "/all.tcmc"]).status == 0)
        let other = dir + "/other"
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
        let (e2, l2) = ShardCLITests.dataset(other, sizes: ShardCLITests.shapes[0].sizes, dimension: 10, seed: 24)

        let foreign = try tcmscope(["dash", e2, l2, "--counts", dir + "/all.tcmc"])
        #expect(foreign.status == 2)
        #expect(foreign.stderr.contains("all.tcmc: was not made from"), "\(foreign.stderr)")
        #expect(foreign.stderr.split(separator: "\n").count == 1)
        let missing = try tcmscope(["dash", "--counts", dir + "/none.tcmc"])
        #expect(missing.status == 2 && missing.stderr.contains("none.tcmc"), "\(missing.stderr)")
        let noRetrieval = try tcmscope(["dash", "--counts", dir + "/nr.tcmc"])
        #expect(noRetrieval.status == 2 && noRetrieval.stderr.contains("--no-retrieval"), "\(noRetrieval.stderr)")
    }
}
