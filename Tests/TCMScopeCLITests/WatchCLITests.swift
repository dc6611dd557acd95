import Foundation
import Testing
import TCMData

/// `analyze --watch` and `dash --watch` (issue 23) through the real binary, with snapshots
/// written by examples/write_snapshot.py (numpy only, as a user's training loop would call it).
@Suite struct WatchCLITests {
    /// Runs the example writer: `steps` snapshots of a simulated run into `dir`.
    static func writeRun(_ dir: String, steps: Int, pause: Double = 0, name: String = "demo", perClass: Int = 40) throws
    {
        let script =
            "import sys; sys.path.insert(0, '\(packageRoot)/examples'); import write_snapshot as w; "
            + "w.simulated_run('\(dir)', name='\(name)', steps=\(steps), per_class=\(perClass), pause=\(pause))"
        let run = try runPython(script, arguments: [])
        try #require(run.status == 0, "the example writer failed: \(run.stderr)")
    }

    @Test func onceAnalysesEveryCompleteSnapshotAndSkipsBadOnes() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let snaps = dir + "/snaps", out = dir + "/out"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try Self.writeRun(snaps, steps: 4)
        // A damaged snapshot, and one of other rows (another run's evaluation set).
        write(Array("not a zip".utf8), snaps + "/demo-900.npz")
        try Self.writeRun(snaps, steps: 1, name: "other", perClass: 7)
        let run = try tcmscope(["analyze", "--watch", snaps, "--out-dir", out, "--once", "--settle-ms", "50"])
        #expect(run.status == 2, "\(run.stderr)")
        let steps = run.stdout.split(separator: "\n").filter { $0.hasPrefix("step ") }
        #expect(steps.count == 4 && steps[0].hasPrefix("step 100 ") && steps[3].hasPrefix("step 400 "), "\(run.stdout)")
        let skipped = run.stderr.split(separator: "\n").filter { $0.hasPrefix("tcmscope: skipped: ") }
        #expect(skipped.count == 2, "\(run.stderr)")
        #expect(skipped.contains { $0.contains("demo-900.npz") } && skipped.contains { $0.contains("other rows") })
        #expect(run.stderr.split(separator: "\n").last?.contains("2 snapshot(s) could not be analysed") == true)
        // timeline.csv: a header and a row per snapshot, read back with an independent parser.
        let csv = parseCSV(try String(contentsOfFile: out + "/timeline.csv", encoding: .utf8))
        #expect(csv.first == ["name", "step", "opis", "epsilon_opis", "recall_at_1", "eer", "samples", "classes"])
        #expect(csv.dropFirst().map { $0[1] } == ["100", "200", "300", "400"])
        // Each report equals a plain analyze of the same snapshot (an independent run).
        let plain = try tcmscope(["analyze", snaps + "/demo-300.npz", "--json", "--recall-k", "1"])
        let direct = try #require(try JSONSerialization.jsonObject(with: Data(plain.stdout.utf8)) as? [String: Any])
        let watched = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/demo-300.json")))
                as? [String: Any])
        let opis = { (d: [String: Any]) in (d["report"] as? [String: Any])?["opis"] as? Double }
        #expect(opis(direct) != nil && opis(direct) == opis(watched))
        // (JSONSerialization may read the last digit another way: within an ulp.)
        #expect(abs(Double(csv[3][2])! - opis(watched)!) <= 1e-15)
        // The reports are valid input for compare.
        let compared = try tcmscope(["compare", out + "/demo-100.json", out + "/demo-400.json"])
        #expect(compared.status == 0, "\(compared.stderr)")
    }

    /// The red team's cases: a link planted in --out-dir is refused (never written through), a
    /// report that cannot be written keeps its snapshot out of the timeline, --idle-exit shorter
    /// than --settle-ms still reads files written long ago, and lines reach a log at once.
    @Test func hostileOutDirsAndTimings() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let snaps = dir + "/snaps", out = dir + "/out"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try Self.writeRun(snaps, steps: 3)
        write(Array("precious".utf8), dir + "/victim.txt")
        try FileManager.default.createSymbolicLink(
            atPath: out + "/demo-100.json", withDestinationPath: dir + "/victim.txt")
        try FileManager.default.createDirectory(atPath: out + "/demo-200.json", withIntermediateDirectories: true)
        // Written a minute ago: complete at first sight, so a short --idle-exit still reads them.
        for step in [100, 200, 300] {
            try FileManager.default.setAttributes(
                [.modificationDate: Date().addingTimeInterval(-60)], ofItemAtPath: snaps + "/demo-\(step).npz")
        }
        let run = try tcmscope([
            "analyze", "--watch", snaps, "--out-dir", out, "--idle-exit", "0.2", "--settle-ms", "5000",
        ])
        #expect(run.stdout.contains("1 snapshot(s) analysed, 2 skipped"), "\(run.stdout) \(run.stderr)")
        #expect(try String(contentsOfFile: dir + "/victim.txt", encoding: .utf8) == "precious")
        #expect(run.stderr.contains("demo-100.json: exists and is not a regular file"), "\(run.stderr)")
        let csv = parseCSV(try String(contentsOfFile: out + "/timeline.csv", encoding: .utf8))
        #expect(csv.dropFirst().map { $0[1] } == ["300"], "only the snapshot whose report was written")
        // Lines reach a log file while the watch runs (flushed per snapshot).
        let log = dir + "/watch.log"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try binaryPath())
        process.arguments = ["analyze", "--watch", snaps, "--out-dir", dir + "/out2", "--settle-ms", "50"]
        try FileManager.default.createDirectory(atPath: dir + "/out2", withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        var text = ""
        while Date() < deadline {
            text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if text.contains("step 300") { break }
            usleep(50_000)
        }
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(text.contains("step 100") && text.contains("step 300"), "\(text)")
        #expect(process.terminationStatus == 143)
    }

    @Test func watchFlagsAreCheckedLikeAnyOther() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (e, l) = smallEmbeddings(dir)
        let cases: [([String], Int32, String)] = [
            (["analyze", e, l, "--watch", dir, "--out-dir", dir], 64, "give no EMBEDDINGS"),
            (["analyze", "--watch", dir], 64, "--out-dir"),
            (["analyze", "--out-dir", dir], 64, "go with --watch"),
            (["analyze", "--watch", dir, "--out-dir", dir, "--idle-exit", "0"], 64, "--idle-exit"),
            (["analyze", "--watch", dir, "--out-dir", dir, "--settle-ms", "5"], 64, "--settle-ms"),
            // A missing --out-dir is made (WatchRunsTests); a file in its place is refused.
            (["analyze", "--watch", dir, "--out-dir", e, "--once"], 2, "exists and is not a directory"),
            (["analyze", "--watch", dir + "/none", "--out-dir", dir, "--once"], 2, "cannot watch"),
            (["dash", e, l, "--watch", dir], 64, "give no EMB"),
            (["dash", "--watch", dir, "--watch", dir, "--watch", dir], 64, "one or two runs"),
            (
                ["analyze", "--watch", dir, "--out-dir", dir, "--drop-zero-vectors"], 64,
                "--drop-zero-vectors does not apply"
            ),
            (["analyze", "--watch", dir, "--out-dir", dir, "--recall-k", "5"], 64, "--recall-k does not apply"),
            (
                ["analyze", "--watch", dir, "--out-dir", dir, "--embeddings-key", "x"], 64,
                "--embeddings-key does not apply"
            ),
            (["dash", "--watch", dir], 2, "not a terminal"),
        ]
        for (arguments, status, mention) in cases {
            let run = try tcmscope(arguments)
            #expect(
                run.status == status && run.stderr.split(separator: "\n").count == 1 && run.stderr.contains(mention),
                "\(arguments): \(run.status) \(run.stderr)")
        }
    }
}

extension DashboardEndToEndTests {
    /// `dash --watch` in a real terminal while the example writer (Python, numpy only) writes
    /// snapshots into a folder that did not exist when the dashboard started (it waits for the
    /// folder as for its first snapshot): the Run pane follows them, `,` goes back one, `q` quits
    /// with status 0.
    @Test func watchFollowsAPythonWriter() throws {
        let root = temporaryDirectory(), dir = root + "/runs/tcm"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let exitFile = try startDashboard(
            width: 160, height: 45, arguments: ["dash", "--watch", dir, "--settle-ms", "100"])
        defer { stopServer() }
        usleep(300_000)  // the dashboard looks for the missing folder a few times first
        try WatchCLITests.writeRun(dir, steps: 3, pause: 0.3)
        var text = try waitFor("three snapshots in the Run pane") { $0.contains("Run  [demo-300, following]") }
        #expect(text.contains("Utility vs threshold"))
        try tmux(["send-keys", "-t", "main", ","])
        text = try waitFor("the previous snapshot") { $0.contains("Run  [demo-200]") }
        #expect(text.contains("demo-200: snapshot 2 of 3"))
        // Fine-tuning is off while watching, and says so.
        try tmux(["send-keys", "-t", "main", "t"])
        try waitFor("the fine-tuning refusal") { $0.contains("off while watching") }
        try tmux(["send-keys", "-t", "main", "q"])
        #expect(try exitStatus(exitFile) == "0")
    }
}
