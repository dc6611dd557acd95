import Foundation
import Testing
import TCMDashboardApp
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
