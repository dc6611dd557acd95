import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import TCMData

/// `compare RUN…` (issue 20): three or more runs side by side with their bootstrap intervals, and
/// the accuracy-versus-consistency figure.
@Suite struct CompareRunsTests {
    /// Three noisier copies of the compare fixture's model A: the same rows and labels.
    static func runs(_ dir: String) throws -> (embeddings: [String], labels: String) {
        let (a, _, l) = CompareTests.twoModels(dir)
        let base = try #require(FileManager.default.contents(atPath: a))
        let values = Array(base.dropFirst(128)).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        var paths: [String] = []
        for (k, spread) in [0.0, 0.3, 0.9].enumerated() {
            var state = UInt64(k + 1)
            let noisy = values.map { v -> Float in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return v + Float(spread) * (Float(state >> 40) / Float(1 << 24) - 0.5)
            }
            let path = dir + "/run\(k).npy"
            write(NpyWriter.bytes(floats: noisy, shape: [60, 6]), path)
            paths.append(path)
        }
        return (paths, l)
    }

    @Test func reportsAndEmbeddingsGiveTheSameTableAndAFigure() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (embeddings, labels) = try Self.runs(dir)
        var reports: [String] = []
        for (k, e) in embeddings.enumerated() {
            let out = dir + "/run\(k).json"
            let run = try tcmscope(["analyze", e, labels, "--out", out, "--bootstrap", "300", "--recall-k", "1"])
            #expect(run.status == 0, "\(run.stderr)")
            reports.append(out)
        }
        let fromReports = try tcmscope(["compare"] + reports + ["--plot", dir + "/runs.svg", "--json"])
        #expect(fromReports.status == 0, "\(fromReports.stderr)")
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(fromReports.stdout.utf8)) as? [String: Any])
        let runs = try #require(object["runs"] as? [[String: Any]])
        #expect(runs.map { $0["name"] as? String } == ["run0", "run1", "run2"])
        // Each run's OPIS is its report's, inside its interval.
        for (k, run) in runs.enumerated() {
            let report = try #require(
                try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: reports[k])))
                    as? [String: Any])
            let opis = try #require((report["report"] as? [String: Any])?["opis"] as? Double)
            #expect(run["opis"] as? Double == opis)
            let interval = try #require(run["opisInterval"] as? [String: Any])
            let (low, high) = (interval["low"] as! Double, interval["high"] as! Double)
            #expect(low <= high && interval["replicates"] as? Int == 300)
        }
        // From the embeddings with the same seed and replicates: the same intervals.
        let fromEmbeddings = try tcmscope(
            ["compare"] + embeddings
                + ["--labels", labels, "--bootstrap", "300", "--json", "--recall-k", "1"].filter {
                    $0 != "--recall-k" && $0 != "1"
                })
        #expect(fromEmbeddings.status == 0, "\(fromEmbeddings.stderr)")
        let again = try #require(
            try JSONSerialization.jsonObject(with: Data(fromEmbeddings.stdout.utf8)) as? [String: Any])
        let runsAgain = try #require(again["runs"] as? [[String: Any]])
        for k in 0 ..< 3 {
            #expect(
                (runs[k]["opisInterval"] as? [String: Any])?["low"] as? Double
                    == (runsAgain[k]["opisInterval"] as? [String: Any])?["low"] as? Double)
        }
        // The figure: one group per run with its OPIS and R@1 intervals, valid XML.
        let svg = try String(contentsOfFile: dir + "/runs.svg", encoding: .utf8)
        #expect(svg.components(separatedBy: "<g class=\"run\"").count == 4)
        #expect(svg.components(separatedBy: "class=\"opis-interval\"").count == 4)
        #expect(svg.components(separatedBy: "class=\"recall-interval\"").count == 4)
        #expect(XMLParser(data: Data(svg.utf8)).parse())
        // The text table names every run.
        let text = try tcmscope(["compare"] + reports)
        #expect(text.stdout.contains("comparison of 3 runs") && text.stdout.contains("run2"))
    }

    /// Issue 20: two models' count files (the per-class data of a sharded analysis) give the same
    /// comparison and the same paired test as their embeddings, without a pair pass.
    @Test func countFilesCompareLikeTheirEmbeddings() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (a, b, l) = CompareTests.twoModels(dir)
        for (e, name) in [(a, "a"), (b, "b")] {
            let run = try tcmscope(["analyze", e, l, "--counts-out", dir + "/\(name).tcmc"])
            #expect(run.status == 0, "\(run.stderr)")
        }
        func comparison(_ arguments: [String]) throws -> [String: Any] {
            let run = try tcmscope(["compare"] + arguments + ["--bootstrap", "400", "--json"])
            #expect(run.status == 0, "\(run.stderr)")
            return try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        }
        let fromCounts = try comparison([dir + "/a.tcmc", dir + "/b.tcmc"])
        let fromEmbeddings = try comparison([a, b, l])
        #expect(fromCounts["change"] as? [String: Double] == fromEmbeddings["change"] as? [String: Double])
        let testA = try #require(fromCounts["bootstrap"] as? [String: Any])
        let testB = try #require(fromEmbeddings["bootstrap"] as? [String: Any])
        #expect(testA["pValueWorse"] as? Double == testB["pValueWorse"] as? Double)
        #expect(
            (testA["opisChangeInterval"] as? [String: Any])?["low"] as? Double
                == (testB["opisChangeInterval"] as? [String: Any])?["low"] as? Double)
        // A count file with an embeddings file: one line, exit 2.
        let mixed = try tcmscope(["compare", dir + "/a.tcmc", b])
        #expect(mixed.status == 2 && mixed.stderr.contains("give two count files"), "\(mixed.stderr)")
    }

    @Test func manyRunRefusals() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (embeddings, labels) = try Self.runs(dir)
        for (k, e) in embeddings.enumerated() {
            _ = try tcmscope(
                ["analyze", e, labels, "--out", dir + "/r\(k).json"] + (k == 2 ? ["--points", "51"] : []))
        }
        let cases: [([String], Int32, String)] = [
            (["compare", dir + "/r0.json", dir + "/r1.json", dir + "/r2.json"], 2, "other settings"),
            (["compare", dir + "/r0.json", dir + "/r1.json", embeddings[0], embeddings[1]], 2, "mixes JSON reports"),
            (
                ["compare", dir + "/r0.json", dir + "/r1.json", dir + "/r1.json", "--fail-if-worse", "0"], 64,
                "two models"
            ),
            (["compare", dir + "/r0.json", dir + "/r1.json", "--plot", dir + "/x.svg"], 64, "three or more runs"),
        ]
        for (arguments, status, mention) in cases {
            let run = try tcmscope(arguments)
            #expect(
                run.status == status && run.stderr.split(separator: "\n").count == 1 && run.stderr.contains(mention),
                "\(arguments.dropFirst()): \(run.status) \(run.stderr)")
        }
    }
}
