import Foundation
import Testing
import TCMData
import TCMMetrics
@testable import TCMScopeSupport

#if canImport(FoundationXML)
import FoundationXML
#endif

/// `analyze --watch A --watch B` (issue 33's command-line half): one timeline for every run, the
/// out-dir made when missing and its earlier rows kept, the timeline figure, and TensorBoard event
/// files read back by TensorBoard's own reader.
@Suite struct WatchRunsTests {
    /// Every `class="run"` polyline's run name, per panel, from an SVG parsed as XML.
    final class PolylineCollector: NSObject, XMLParserDelegate {
        var runs: [String] = []
        var points: [Int] = []
        func parser(
            _ parser: XMLParser, didStartElement element: String, namespaceURI: String?, qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            guard element == "polyline", attributes["class"] == "run" else { return }
            runs.append(attributes["data-run"] ?? "")
            points.append((attributes["points"] ?? "").split(separator: " ").count)
        }
    }

    /// Each run's scalars as TensorBoard's own reader (`EventAccumulator`) sees them: tag → [[step, value]].
    static func readTensorBoard(_ directory: String, runs: [String]) throws -> [String: [String: [[Double]]]] {
        let script = """
            import json, sys
            from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
            out = {}
            for run in sys.argv[2:]:
                acc = EventAccumulator(sys.argv[1] + "/" + run)
                acc.Reload()
                out[run] = {tag: [[e.step, e.value] for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}
            print(json.dumps(out))
            """
        let read = try runProcess("/usr/bin/env", ["python3", "-c", script, directory] + runs)
        try #require(
            read.status == 0,
            "TensorBoard could not read the event files (pip install tensorboard; .ci/run does): \(read.stderr)")
        return try #require(
            try JSONSerialization.jsonObject(with: Data(read.stdout.utf8)) as? [String: [String: [[Double]]]])
    }

    @Test func twoRunsMakeOneTimelineAFigureAndTensorBoardScalars() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let base = dir + "/runs/base", tcm = dir + "/runs/tcm", out = dir + "/reports/new"
        try WatchCLITests.writeRun(base, steps: 3, name: "base")
        try WatchCLITests.writeRun(tcm, steps: 2, name: "tcm")
        let run = try tcmscope([
            "analyze", "--watch", base, "--watch", tcm, "--out-dir", out, "--once", "--settle-ms", "20",
            "--plot", dir + "/timeline.svg", "--tensorboard", dir + "/tb",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("5 snapshot(s) analysed, 0 skipped"), "\(run.stdout)")
        // --out-dir was made; one timeline holds both runs.
        let csv = parseCSV(try String(contentsOfFile: out + "/timeline.csv", encoding: .utf8))
        let rows = csv.dropFirst().map { "\($0[0])-\($0[1])" }.sorted()
        #expect(rows == ["base-100", "base-200", "base-300", "tcm-100", "tcm-200"], "\(rows)")
        for row in rows { #expect(FileManager.default.fileExists(atPath: "\(out)/\(row).json")) }
        // The figure: valid XML, a line per run in each of the four panels.
        let svg = try Data(contentsOf: URL(fileURLWithPath: dir + "/timeline.svg"))
        let parser = XMLParser(data: svg), collector = PolylineCollector()
        parser.delegate = collector
        #expect(parser.parse())
        #expect(collector.runs.sorted() == ["base", "base", "base", "base", "tcm", "tcm", "tcm", "tcm"])
        #expect(collector.points.sorted() == [2, 2, 2, 2, 3, 3, 3, 3])
        // TensorBoard's reader sees each run's scalars at their steps, equal to the CSV's (float32).
        let scalars = try Self.readTensorBoard(dir + "/tb", runs: ["base", "tcm"])
        for row in csv.dropFirst() {
            let series = try #require(scalars[row[0]]?["tcmscope/opis"], "\(scalars.keys)")
            let point = try #require(series.first { Int($0[0]) == Int(row[1]) })
            // TensorBoard holds float32; JSON may read the last digit either way, so compare as Float.
            #expect(Float(point[1]) == Float(Double(row[2])!), "\(row)")
            let eer = try #require(scalars[row[0]]?["tcmscope/eer"]?.first { Int($0[0]) == Int(row[1]) })
            #expect(Float(eer[1]) == Float(Double(row[5])!))
        }
        #expect(
            Set(scalars["tcm"]?.keys.map { $0 } ?? []) == [
                "tcmscope/opis", "tcmscope/epsilon_opis", "tcmscope/recall_at_1", "tcmscope/eer",
            ])

        // A second watch into the same out-dir keeps the rows already there.
        try WatchCLITests.writeRun(dir + "/runs/late", steps: 1, name: "late")
        let again = try tcmscope([
            "analyze", "--watch", dir + "/runs/late", "--out-dir", out, "--once", "--settle-ms", "20",
        ])
        #expect(again.status == 0, "\(again.stderr)")
        let merged = parseCSV(try String(contentsOfFile: out + "/timeline.csv", encoding: .utf8))
        #expect(merged.count == 7 && merged.dropFirst().contains { $0[0] == "late" }, "\(merged)")
    }

    /// Two folders that write one snapshot NAME would overwrite each other's reports: the second
    /// folder's snapshots of that name are skipped, saying why; a damaged timeline.csv is never
    /// overwritten unread; the same folder twice is a usage error.
    @Test func collisionsAndDamagedTimelinesAreRefused() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let a = dir + "/a", b = dir + "/b", out = dir + "/out"
        try WatchCLITests.writeRun(a, steps: 1, name: "same")
        try WatchCLITests.writeRun(b, steps: 1, name: "same")
        let run = try tcmscope(["analyze", "--watch", a, "--watch", b, "--out-dir", out, "--once", "--settle-ms", "20"])
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains("the snapshot name same is also written to \(a)"), "\(run.stderr)")
        let twice = try tcmscope(["analyze", "--watch", a, "--watch", a, "--out-dir", out, "--once"])
        #expect(twice.status == 64 && twice.stderr.contains("is given twice"), "\(twice.stderr)")
        let damaged = Array("name,step\nnot,a,timeline\n".utf8)
        write(damaged, out + "/timeline.csv")
        let refused = try tcmscope(["analyze", "--watch", a, "--out-dir", out, "--once", "--settle-ms", "20"])
        #expect(
            refused.status == 2 && refused.stderr.contains("timeline.csv: does not start with"), "\(refused.stderr)")
        #expect(try Array(Data(contentsOf: URL(fileURLWithPath: out + "/timeline.csv"))) == damaged)
        // An out-dir that is a file is refused, not replaced.
        write([1], dir + "/file")
        let notDir = try tcmscope(["analyze", "--watch", a, "--out-dir", dir + "/file", "--once"])
        #expect(notDir.status == 2 && notDir.stderr.contains("exists and is not a directory"), "\(notDir.stderr)")
    }

    /// The timeline read back equals what was written, names with commas, quotes and line breaks
    /// included (RFC 4180), and NaN Recall@1 (no retrieval) survives.
    @Test func theTimelineRoundTrips() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let points = ["plain", "a,b", "say \"hi\"", "two\nlines", "caf\u{E9}", "cafe\u{301}"].enumerated().map {
            i, name in
            SnapshotPoint(
                name: name, step: i * 7, opis: 1e-5 * Double(i + 1), epsilonOPIS: 0.25, recallAt1: i == 0 ? .nan : 0.5,
                eer: 0.125, samples: 100, classes: 10)
        }
        let path = dir + "/timeline.csv"
        write(Array(TimelineCSV.render(points).utf8), path)
        let read = try TimelineCSV.read(path)
        #expect(read.count == points.count)
        for (a, b) in zip(read, points) {
            #expect(a.name.utf8.elementsEqual(b.name.utf8) && a.step == b.step && a.opis == b.opis)
            #expect(a.recallAt1 == b.recallAt1 || (a.recallAt1.isNaN && b.recallAt1.isNaN))
        }
        #expect(try TimelineCSV.read(dir + "/missing.csv").isEmpty)
    }
}
