import Foundation
import Testing
import TCMData
import TCMScopeSupport

/// `analyze --bootstrap`: the intervals in the JSON and text reports, their flags' bounds.
@Suite struct BootstrapCLITests {
    @Test func analyzeWritesIntervalsBesideTheFigures() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (a, _, l) = CompareTests.twoModels(dir)
        let run = try tcmscope(["analyze", a, l, "--bootstrap", "300", "--seed", "9", "--ci-level", "0.9", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try CompareTests.object(run.stdout)
        let section = try #require(report["bootstrap"] as? [String: Any])
        #expect(
            section["replicates"] as? Int == 300 && section["seed"] as? Int == 9 && section["level"] as? Double == 0.9)
        #expect(section["classes"] as? Int == 4)
        let opis = try #require(section["opis"] as? [String: Any])
        #expect(opis["level"] as? Double == 0.9 && opis["replicates"] as? Int == 300)
        let low = try #require(opis["low"] as? Double), high = try #require(opis["high"] as? Double)
        #expect(low <= high)
        for key in ["far", "tpr", "eer", "recallAt1"] {
            #expect(section[key] is [String: Any], "\(key)")
        }
        // 4 classes: too few for an ε-OPIS interval that holds its level; the report says so.
        #expect(section["epsilonOPIS"] == nil && section["eerWindowClamped"] == nil)
        #expect(
            section["epsilonOPISWithheld"] as? String
                == "no interval under 1000 classes: too few per group to hold its level")
        let settings = try #require((report["report"] as? [String: Any])?["settings"] as? [String: Any])
        #expect((settings["rangeAverage"] as? String)?.hasPrefix("trapezoid rule") == true)
        #expect((settings["eerRule"] as? String)?.contains("(FAR + FRR)/2") == true)
        // The same seed gives the same intervals; the document decodes with and without the section.
        let again = try tcmscope(["analyze", a, l, "--bootstrap", "300", "--seed", "9", "--ci-level", "0.9", "--json"])
        #expect(
            (try CompareTests.object(again.stdout)["bootstrap"] as? [String: Any])?["opis"] as? [String: Double] == opis
                as? [String: Double])
        let decoded = try JSONDecoder().decode(AnalysisDocument.self, from: Data(run.stdout.utf8))
        #expect(decoded.bootstrap?.opis.low == low)
        let plain = try tcmscope(["analyze", a, l, "--json"])
        #expect(try JSONDecoder().decode(AnalysisDocument.self, from: Data(plain.stdout.utf8)).bootstrap == nil)
        // Text: the interval beside OPIS and ε-OPIS.
        let text = try tcmscope(["analyze", a, l, "--bootstrap", "200"]).stdout
        #expect(text.contains("95% CI ["), "\(text)")
        #expect(text.contains("(no interval under 1000 classes: too few per group to hold its level)"), "\(text)")
        #expect(text.contains("OPIS studentised, the rest percentile"), "\(text)")
        #expect(text.contains("200 class resamples (seed 1"))
        #expect(!plain.stdout.contains("CI ["))
    }

    @Test func boundsAndRefusals() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (a, _, l) = CompareTests.twoModels(dir)
        for bad in [
            ["--bootstrap", "0"], ["--bootstrap", "100001"], ["--ci-level", "0.5"], ["--ci-level", "1"],
            ["--ci-level", "nan"],
        ] {
            let run = try tcmscope(["analyze", a, l] + bad)
            #expect(run.status == 64 && run.stderr.split(separator: "\n").count == 1, "\(bad): \(run.stderr)")
        }
        let shard = try tcmscope([
            "analyze", a, l, "--bootstrap", "10", "--shard", "0/2", "--counts-out", dir + "/p.tcmc",
        ])
        #expect(shard.status == 64, "\(shard.stderr)")
    }
}
