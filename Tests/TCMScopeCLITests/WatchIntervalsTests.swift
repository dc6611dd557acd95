import Foundation
import Testing
import TCMData
import TCMMetrics
@testable import TCMScopeSupport

#if canImport(FoundationXML)
import FoundationXML
#endif

/// `analyze --watch … --bootstrap B` (issue 33): each snapshot's intervals are those `analyze
/// --bootstrap` gives for the same file and seed, in timeline.csv, as bands in the timeline figure
/// and as TensorBoard scalars; earlier timelines without the columns are appended to.
@Suite struct WatchIntervalsTests {
    /// Every `class="band"` path's run, from an SVG parsed as XML.
    final class BandCollector: NSObject, XMLParserDelegate {
        var runs: [String] = []
        func parser(
            _ parser: XMLParser, didStartElement element: String, namespaceURI: String?, qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            if element == "path" && attributes["class"] == "band" { runs.append(attributes["data-run"] ?? "") }
        }
    }

    static let intervalHeader = TimelineCSV.header + TimelineCSV.intervalColumns

    /// One snapshot of a run of 1000 classes (3 rows each): enough classes for an ε-OPIS interval.
    static func writeWideRun(_ dir: String) throws {
        let script =
            "import sys; sys.path.insert(0, '\(packageRoot)/examples'); import write_snapshot as w; "
            + "w.simulated_run('\(dir)', name='wide', steps=1, classes=1000, per_class=3, dim=8)"
        let run = try runPython(script, arguments: [])
        try #require(run.status == 0, "the example writer failed: \(run.stderr)")
    }

    /// The `bootstrap` section of a plain `analyze --bootstrap` of one snapshot file.
    static func plainIntervals(_ file: String, _ flags: [String]) throws -> BootstrapSummary {
        let plain = try tcmscope(["analyze", file, "--json", "--recall-k", "1"] + flags)
        try #require(plain.status == 0, "\(plain.stderr)")
        let document = try JSONDecoder().decode(AnalysisDocument.self, from: Data(plain.stdout.utf8))
        return try #require(document.bootstrap)
    }

    @Test func eachSnapshotGetsTheIntervalsOfAnalyzeBootstrap() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let base = dir + "/runs/base", tcm = dir + "/runs/tcm", wide = dir + "/runs/wide", out = dir + "/out"
        try WatchCLITests.writeRun(base, steps: 2, name: "base")
        try WatchCLITests.writeRun(tcm, steps: 1, name: "tcm")
        try Self.writeWideRun(wide)
        let flags = ["--bootstrap", "200", "--seed", "7", "--ci-level", "0.9"]
        let run = try tcmscope(
            [
                "analyze", "--watch", base, "--watch", tcm, "--watch", wide, "--out-dir", out, "--once",
                "--settle-ms", "20", "--plot", dir + "/timeline.svg", "--tensorboard", dir + "/tb",
            ] + flags)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("4 snapshot(s) analysed, 0 skipped"), "\(run.stdout)")

        let csv = parseCSV(try String(contentsOfFile: out + "/timeline.csv", encoding: .utf8))
        #expect(csv.first == Self.intervalHeader)
        let column = { (name: String) in Self.intervalHeader.firstIndex(of: name)! }
        let files = ["base": base, "tcm": tcm, "wide": wide]
        for row in csv.dropFirst() {
            // The same numbers as a plain analyze --bootstrap of that snapshot file with that seed.
            let plain = try Self.plainIntervals("\(files[row[0]]!)/\(row[0])-\(row[1]).npz", flags)
            #expect(Double(row[column("ci_level")]) == 0.9)
            #expect(Double(row[column("opis_ci_low")]) == plain.opis.low, "\(row)")
            #expect(Double(row[column("opis_ci_high")]) == plain.opis.high, "\(row)")
            #expect(plain.opis.low < plain.opis.high)
            if row[0] == "wide" {
                let epsilon = try #require(plain.epsilonOPIS, "1000 classes have an ε-OPIS interval")
                #expect(Double(row[column("epsilon_opis_ci_low")]) == epsilon.low)
                #expect(Double(row[column("epsilon_opis_ci_high")]) == epsilon.high)
            } else {
                // Withheld under 1000 classes: empty cells, as the report withholds it.
                #expect(plain.epsilonOPIS == nil && plain.epsilonOPISWithheld != nil)
                #expect(row[column("epsilon_opis_ci_low")] == "" && row[column("epsilon_opis_ci_high")] == "")
            }
            // The snapshot's report carries the whole bootstrap section, as analyze --bootstrap's does.
            let report = try JSONDecoder().decode(
                AnalysisDocument.self, from: Data(contentsOf: URL(fileURLWithPath: "\(out)/\(row[0])-\(row[1]).json")))
            #expect(report.bootstrap?.opis == plain.opis && report.bootstrap?.eer == plain.eer)
        }

        // The figure: one band per run in the OPIS panel, and one more for the run with ε-OPIS's.
        let parser = XMLParser(data: try Data(contentsOf: URL(fileURLWithPath: dir + "/timeline.svg")))
        let bands = BandCollector()
        parser.delegate = bands
        #expect(parser.parse())
        #expect(bands.runs.sorted() == ["base", "tcm", "wide", "wide"], "\(bands.runs)")
        let svg = try String(contentsOfFile: dir + "/timeline.svg", encoding: .utf8)
        #expect(svg.contains("bands: 90% bootstrap intervals"))

        // TensorBoard's reader sees the ends at each step, equal to the CSV's (as float32).
        let scalars = try WatchRunsTests.readTensorBoard(dir + "/tb", runs: ["base", "tcm", "wide"])
        for row in csv.dropFirst() {
            let epsilonTags = row[0] == "wide" ? ["epsilon_opis_ci_low", "epsilon_opis_ci_high"] : []
            for tag in ["opis_ci_low", "opis_ci_high"] + epsilonTags {
                let series = try #require(scalars[row[0]]?["tcmscope/" + tag], "\(row[0]) \(tag)")
                let point = try #require(series.first { Int($0[0]) == Int(row[1]) })
                #expect(Float(point[1]) == Float(Double(row[column(tag)])!), "\(row) \(tag)")
            }
        }
        #expect(scalars["base"]?["tcmscope/epsilon_opis_ci_low"] == nil, "no ε-OPIS interval under 1000 classes")
    }

    /// A timeline written before the interval columns (or by a watch without --bootstrap) is
    /// appended to: it gains the columns, its rows empty in them; a later watch without the
    /// bootstrap keeps the columns and the intervals already there. A row with half an interval
    /// is not one of ours, and the file is left as it is.
    @Test func timelinesWithoutTheColumnsAreAppendedTo() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let snaps = dir + "/snaps", late = dir + "/late", out = dir + "/out"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try WatchCLITests.writeRun(snaps, steps: 1, name: "demo")
        try WatchCLITests.writeRun(late, steps: 1, name: "late")
        let old = "name,step,opis,epsilon_opis,recall_at_1,eer,samples,classes\nold,5,0.001,0.01,0.5,0.1,320,8\n"
        write(Array(old.utf8), out + "/timeline.csv")

        let run = try tcmscope([
            "analyze", "--watch", snaps, "--out-dir", out, "--once", "--settle-ms", "20", "--bootstrap", "50",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        // The snapshot's line shows its OPIS interval.
        let line = run.stdout.split(separator: "\n").first { $0.hasPrefix("step 100  OPIS ") }
        #expect(line?.contains(" [") == true, "\(run.stdout)")
        var csv = parseCSV(try String(contentsOfFile: out + "/timeline.csv", encoding: .utf8))
        #expect(csv.first == Self.intervalHeader)
        #expect(csv.count == 3)
        #expect(csv[1] == ["old", "5", "0.001", "0.01", "0.5", "0.1", "320", "8", "", "", "", "", ""], "\(csv)")
        #expect(csv[2][0] == "demo" && csv[2][8] == "0.95" && !csv[2][9].isEmpty && !csv[2][10].isEmpty)
        let demoRow = csv[2]

        let plain = try tcmscope(["analyze", "--watch", late, "--out-dir", out, "--once", "--settle-ms", "20"])
        #expect(plain.status == 0, "\(plain.stderr)")
        csv = parseCSV(try String(contentsOfFile: out + "/timeline.csv", encoding: .utf8))
        #expect(csv.first == Self.intervalHeader && csv.count == 4)
        #expect(csv.contains(demoRow), "the intervals already there are kept")
        #expect(csv.first { $0[0] == "late" }.map { Array($0.suffix(5)) } == ["", "", "", "", ""])

        // Half an interval (a level without OPIS's ends) is refused, the file untouched.
        let damaged = Array(
            (Self.intervalHeader.joined(separator: ",") + "\nold,5,0.001,0.01,0.5,0.1,320,8,0.95,,,,\n").utf8)
        write(damaged, out + "/timeline.csv")
        let refused = try tcmscope(["analyze", "--watch", late, "--out-dir", out, "--once", "--settle-ms", "20"])
        #expect(refused.status == 2, "\(refused.stderr)")
        #expect(refused.stderr.contains("timeline.csv: row 2 is not a timeline row"), "\(refused.stderr)")
        #expect(try Array(Data(contentsOf: URL(fileURLWithPath: out + "/timeline.csv"))) == damaged)
    }

    /// --seed and --ci-level without --bootstrap are refused with --watch too (exit 64), and a
    /// plain watch writes the eight columns it always did.
    @Test func bootstrapFlagsNeedTheBootstrap() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for flag in [["--seed", "3"], ["--ci-level", "0.9"]] {
            let run = try tcmscope(["analyze", "--watch", dir, "--out-dir", dir + "/out", "--once"] + flag)
            #expect(run.status == 64, "\(run.stderr)")
            #expect(run.stderr.contains("\(flag[0]) applies to the bootstrap: add --bootstrap B"), "\(run.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir + "/out"), "nothing made before the refusal")
        }
    }

    /// Intervals survive the CSV: written and read back equal, NaN ends included.
    @Test func intervalsRoundTrip() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ends = SnapshotIntervals.Ends.init(low:high:)
        let points = [
            SnapshotPoint(
                name: "a,b", step: 1, opis: 1e-4, epsilonOPIS: 0.02, recallAt1: 0.5, eer: 0.1, samples: 10, classes: 5,
                intervals: SnapshotIntervals(level: 0.9, opis: ends(0, 3.0000000000000004e-4), epsilonOPIS: nil)),
            SnapshotPoint(
                name: "c", step: 2, opis: 2e-4, epsilonOPIS: 0.03, recallAt1: 0.6, eer: 0.2, samples: 900, classes: 450,
                intervals: SnapshotIntervals(level: 0.95, opis: ends(1e-4, 5e-4), epsilonOPIS: ends(0.01, 0.07))),
            SnapshotPoint(
                name: "d", step: 3, opis: 2e-4, epsilonOPIS: 0.03, recallAt1: 0.6, eer: 0.2, samples: 900, classes: 450),
        ]
        let path = dir + "/timeline.csv"
        write(Array(TimelineCSV.render(points).utf8), path)
        #expect(try TimelineCSV.read(path) == points)
        let nan = SnapshotPoint(
            name: "n", step: 4, opis: 1, epsilonOPIS: 1, recallAt1: 1, eer: 0, samples: 2, classes: 1,
            intervals: SnapshotIntervals(level: 0.95, opis: ends(.nan, .nan), epsilonOPIS: nil))
        write(Array(TimelineCSV.render([nan]).utf8), path)
        let read = try #require(try TimelineCSV.read(path).first?.intervals)
        #expect(read.opis.low.isNaN && read.opis.high.isNaN && read.epsilonOPIS == nil)
    }
}
