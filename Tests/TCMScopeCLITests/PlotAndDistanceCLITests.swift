import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import TCMData

/// Counts the elements of an SVG file by tag and class attribute (a parse failure fails the test).
final class SVGCounter: NSObject, XMLParserDelegate {
    var counts: [String: Int] = [:]
    static func count(_ path: String) throws -> [String: Int] {
        let counter = SVGCounter()
        let parser = XMLParser(data: try Data(contentsOf: URL(fileURLWithPath: path)))
        parser.delegate = counter
        try #require(parser.parse(), "\(path) is not well-formed XML")
        return counter.counts
    }
    func parser(
        _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        counts[name + "." + (attributes["class"] ?? attributes["id"] ?? ""), default: 0] += 1
    }
}

@Suite struct PlotAndDistanceCLITests {
    @Test func analyzeAndProjectDrawOnePathPerClass() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (e, l) = smallEmbeddings(dir)
        let run = try tcmscope(["analyze", e, l, "--plot", dir + "/curves.svg", "--output", dir + "/r.json"])
        #expect(run.status == 0, "\(run.stderr)")
        let curves = try SVGCounter.count(dir + "/curves.svg")
        #expect(
            curves["path.class-curve"] == 3 && curves["path.mean"] == 1 && curves["rect.calibration-range"] == 1
                && curves["line.operating-threshold"] == 1)
        #expect(FileManager.default.fileExists(atPath: dir + "/r.json"))
        let project = try tcmscope([
            "project", e, l, "--method", "pca", "--out", dir + "/p.npy", "--plot", dir + "/layout.svg",
        ])
        #expect(project.status == 0, "\(project.stderr)")
        #expect(try SVGCounter.count(dir + "/layout.svg")["path.class-points"] == 3)
    }

    @Test func aPlotTargetThatCannotBeWrittenLeavesTheOtherOutputsAlone() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (e, l) = smallEmbeddings(dir)
        write(Array("earlier".utf8), dir + "/r.json")
        try FileManager.default.createDirectory(atPath: dir + "/plot.svg", withIntermediateDirectories: false)
        let run = try tcmscope(["analyze", e, l, "--output", dir + "/r.json", "--plot", dir + "/plot.svg"])
        #expect(run.status == 2 && run.stderr.contains("plot.svg: exists and is a directory"))
        #expect(try String(contentsOfFile: dir + "/r.json", encoding: .utf8) == "earlier")
        let project = try tcmscope([
            "project", e, l, "--method", "pca", "--out", dir + "/p.npy", "--plot", dir + "/plot.svg",
        ])
        #expect(project.status == 2 && !FileManager.default.fileExists(atPath: dir + "/p.npy"))
    }

    @Test func trainWithEuclideanDistanceRecordsItAndRefusesItForOtherLosses() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var values: [Float] = [], labels: [Int64] = []
        var state: UInt64 = 3
        func noise() -> Float {
            state = state &* 6364136223846793005 &+ 1
            return Float(state >> 40) / Float(1 << 24) - 0.5
        }
        for i in 0 ..< 96 {
            let c = i % 4
            values += (0 ..< 8).map { j in (j == c ? 1 : 0) + 0.4 * noise() }
            labels.append(Int64(c))
        }
        write(NpyWriter.bytes(floats: values, shape: [96, 8]), dir + "/e.npy")
        write(NpyWriter.bytes(int64s: labels, shape: [96]), dir + "/l.npy")
        for loss in ["contrastive", "triplet", "lifted-structure"] {
            let run = try tcmscope([
                "train", "--data", dir + "/e.npy", "--labels", dir + "/l.npy", "--loss", loss, "--distance",
                "euclidean",
                "--classes-per-batch", "4", "--samples-per-class", "6", "--epochs", "1", "--widths", "8", "--out",
                dir + "/" + loss,
            ])
            #expect(run.status == 0, "\(loss): \(run.stderr)")
            let metrics = try #require(
                try JSONSerialization.jsonObject(
                    with: Data(contentsOf: URL(fileURLWithPath: dir + "/" + loss + "/metrics.json"))) as? [String: Any])
            let config = try #require(metrics["config"] as? [String: Any])
            #expect((config["loss"] as? [String: Any])?["distance"] as? String == "euclidean", "\(loss)")
        }
        let refused = try tcmscope(["train", "--loss", "circle", "--distance", "euclidean", "--out", dir + "/x"])
        #expect(
            refused.status == 64
                && refused.stderr.contains(
                    "--distance euclidean applies to contrastive, triplet and lifted-structure, not circle")
        )
    }
}
