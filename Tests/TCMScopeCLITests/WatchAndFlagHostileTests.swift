import Foundation
import Testing
import TCMData

/// Issue 31 (round 3) through the real binary: a folder that cannot be listed, a legal report
/// name too long for the old temporary name, and options that would be accepted and ignored.
@Suite struct WatchAndFlagHostileTests {
    /// `analyze --watch DIR --once` on a folder it may not list: exit 2 and one line naming it,
    /// not "0 snapshot(s) analysed" and exit 0. Root lists any folder, so as root the binary runs
    /// as nobody (setpriv) to meet the permission.
    @Test func anUnlistableFolderIsAnErrorNotAnEmptyOne() throws {
        let dir = temporaryDirectory()
        defer {
            chmod(dir + "/snaps", 0o755)
            try? FileManager.default.removeItem(atPath: dir)
        }
        let snaps = dir + "/snaps", out = dir + "/out"
        try WatchCLITests.writeRun(snaps, steps: 1)
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        #expect(chmod(snaps, 0o311) == 0)
        let command = ["analyze", "--watch", snaps, "--out-dir", out, "--once", "--settle-ms", "20"]
        let run: CLIRun
        if getuid() == 0 {
            let setpriv = "/usr/bin/setpriv"
            try #require(FileManager.default.isExecutableFile(atPath: setpriv), "root needs setpriv to drop to nobody")
            run = try runProcess(
                setpriv, ["--reuid=65534", "--regid=65534", "--clear-groups", try binaryPath()] + command)
        } else {
            run = try tcmscope(command)
        }
        #expect(run.status == 2, "\(run.stdout) \(run.stderr)")
        let errors = run.stderr.split(separator: "\n").filter { $0.hasPrefix("tcmscope: error:") }
        #expect(
            errors.count == 1 && errors[0].contains(snaps) && errors[0].contains("cannot list the folder"),
            "\(run.stderr)")
        #expect(!run.stdout.contains("0 snapshot(s) analysed, 0 skipped\n") || run.status == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).isEmpty, "nothing written")
    }

    /// A report name of 249 bytes is legal (NAME_MAX 255); its temporary file used to add ~21
    /// bytes and be refused. Names this long get a shortened temporary name with a hash.
    @Test func aLongLegalReportNameIsWritten() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let snaps = dir + "/snaps", out = dir + "/out"
        let name = String(repeating: "n", count: 240)
        try WatchCLITests.writeRun(snaps, steps: 1, name: name)
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let run = try tcmscope(["analyze", "--watch", snaps, "--out-dir", out, "--once", "--settle-ms", "20"])
        #expect(run.status == 0, "\(run.stderr)")
        let written = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
        #expect(written == ["\(name)-100.json", "timeline.csv"], "\(written)")
        #expect(written[0].utf8.count == 249)
        // Two long names that share their first 230 bytes get two temporary names.
        let a = OutputTransaction.temporaryPrefix(for: String(repeating: "x", count: 240) + "a")
        let b = OutputTransaction.temporaryPrefix(for: String(repeating: "x", count: 240) + "b")
        #expect(a != b && a.utf8.count + 10 + 4 <= 255 && b.utf8.count + 10 + 4 <= 255)
        #expect(OutputTransaction.temporaryPrefix(for: "r.json") == ".r.json" + OutputTransaction.marker)
    }

    /// Options that would be accepted and then do nothing are refused with one line, exit 64.
    @Test func optionsThatDoNotApplyAreRefused() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (emb, labels) = smallEmbeddings(dir)
        let cases: [([String], String)] = [
            (["analyze", emb, labels, "--seed", "3"], "--seed applies to the bootstrap"),
            (["analyze", emb, labels, "--ci-level", "0.9"], "--ci-level applies to the bootstrap"),
            (["compare", emb, emb, labels, "--seed", "3"], "--seed applies to the bootstrap"),
            (["compare", emb, emb, labels, "--ci-level", "0.9"], "--ci-level applies to the bootstrap"),
            // The dashboard's --bootstrap sets each watched snapshot's interval; without --watch it would do nothing.
            (["dash", emb, labels, "--bootstrap", "100"], "--bootstrap applies to --watch"),
            (["dash", "--watch", dir + "/w", "--seed", "3"], "--seed applies to the bootstrap"),
            (["train", "--out", dir + "/t", "--tcm-margins", "auto"], "--tcm-margins sets the TCM regulariser"),
            (["train", "--out", dir + "/t", "--tcm", "--tcm-auto-every", "10"], "--tcm-auto-every is the cadence"),
            (
                ["train", "--out", dir + "/t", "--tcm", "--tcm-margins", "0.9:0.5", "--tcm-auto-every", "10"],
                "--tcm-auto-every is the cadence"
            ),
        ]
        for (arguments, message) in cases {
            let run = try tcmscope(arguments)
            #expect(run.status == 64, "\(arguments): \(run.stderr)")
            #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
            #expect(run.stdout.isEmpty)
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/t"), "train wrote nothing")
        // Where a bootstrap runs without --bootstrap, --seed applies: compare's gate.
        let gated = try tcmscope(["compare", emb, emb, labels, "--fail-if-worse", "0.5", "--seed", "3"])
        #expect(gated.status == 0, "\(gated.stderr)")
        // Three reports: no labels, no bootstrap (each report carries its own intervals).
        var reports: [String] = []
        for k in 0 ..< 3 {
            let path = dir + "/r\(k).json"
            #expect(try tcmscope(["analyze", emb, labels, "--out", path]).status == 0)
            reports.append(path)
        }
        #expect(try tcmscope(["compare"] + reports).status == 0)
        for extra in [["--labels", labels], ["--bootstrap", "100"], ["--seed", "2"], ["--ci-level", "0.9"]] {
            let run = try tcmscope(["compare"] + reports + extra)
            #expect(
                run.status == 64 && run.stderr.contains("\(extra[0]) does not apply to JSON reports"), "\(run.stderr)")
        }
    }
}
