import Foundation
import Testing
import TCMData

/// Outputs (causes 5 and 6 of issue 8): targets that are not regular files are refused before any
/// work; a run's outputs appear together or not at all; replaced files keep their mode; temporary
/// files go away on failure, on SIGINT/SIGTERM, and after an earlier process was killed.
@Suite struct OutputSafetyTests {
    func contents(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

    func fileType(_ path: String) -> mode_t {
        var info = stat()
        return stat(path, &info) == 0 ? info.st_mode & S_IFMT : 0
    }

    /// Names in `dir` that look like our temporary files.
    func temporaries(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter {
            $0.contains(OutputTransaction.marker)
        }
    }

    func expectOneLine(_ run: CLIRun, status: Int32, _ fragment: String, _ context: String) {
        #expect(run.status == status, "\(context): status \(run.status), \(run.stderr)")
        #expect(run.stderr.hasPrefix("tcmscope: error: ") && run.stderr.contains(fragment), "\(context): \(run.stderr)")
        #expect(run.stderr.split(separator: "\n").count == 1, "\(context): \(run.stderr)")
    }

    @Test func targetsThatAreNotRegularFilesAreRefusedBeforeAnyWork() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (e, l) = smallEmbeddings(dir)
        try FileManager.default.createDirectory(atPath: dir + "/folder", withIntermediateDirectories: true)
        #expect(mkfifo(dir + "/fifo", 0o600) == 0)
        let cases: [(String, String)] = [
            ("/dev/null", "a character device"), ("/dev/full", "a character device"),
            (dir + "/folder", "a directory"), (dir + "/fifo", "a FIFO"),
        ]
        for (target, kind) in cases {
            for flag in ["--output", "--curves"] {
                // The FIFO has no reader: opening it for writing would hang, so a pass proves it was not opened.
                let run = try tcmscope(["analyze", e, l, flag, target])
                expectOneLine(
                    run, status: 2, "\(target): exists and is \(kind), not a regular file; refusing to replace it",
                    "\(flag) \(target)")
                #expect(run.stdout.isEmpty, "no report: the refusal comes before the work")
            }
        }
        // As root (containers), replacing /dev/null would have worked: it must still be a device.
        #expect(fileType("/dev/null") == S_IFCHR && fileType("/dev/full") == S_IFCHR)
        #expect(fileType(dir + "/fifo") == S_IFIFO && fileType(dir + "/folder") == S_IFDIR)
        #expect(temporaries(dir).isEmpty && temporaries("/dev").isEmpty)
    }

    @Test func analyzeWritesBothFilesOrNeither() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (e, l) = smallEmbeddings(dir)
        write(Array("earlier".utf8), dir + "/out.json")
        try FileManager.default.createDirectory(atPath: dir + "/curves", withIntermediateDirectories: true)
        let run = try tcmscope(["analyze", e, l, "--output", dir + "/out.json", "--curves", dir + "/curves"])
        expectOneLine(run, status: 2, "curves: exists and is a directory", "curves into a directory")
        #expect(contents(dir + "/out.json") == "earlier")
        // A curves file whose directory is missing: refused before the report is replaced too.
        let missing = try tcmscope(["analyze", e, l, "--output", dir + "/out.json", "--curves", dir + "/nowhere/c.csv"])
        expectOneLine(missing, status: 2, "directory \(dir)/nowhere does not exist", "curves into a missing directory")
        #expect(contents(dir + "/out.json") == "earlier")
        #expect(temporaries(dir).isEmpty)
    }

    @Test func replacedFilesKeepTheirMode() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (e, l) = smallEmbeddings(dir)
        for mode: mode_t in [0o600, 0o640] {
            write(Array("earlier".utf8), dir + "/r.json")
            #expect(chmod(dir + "/r.json", mode) == 0)
            let run = try tcmscope(["analyze", e, l, "--no-retrieval", "--output", dir + "/r.json"])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(contents(dir + "/r.json")?.contains("\"opis\"") == true, "replaced")
            var info = stat()
            #expect(
                stat(dir + "/r.json", &info) == 0 && info.st_mode & 0o7777 == mode,
                "mode \(String(info.st_mode & 0o7777, radix: 8))")
        }
    }

    /// Writing through a symbolic link (`/dev/stdout` redirected to a file, a link to a report)
    /// replaces the file it points to and leaves the link a link.
    @Test func aLinkedTargetReplacesTheFileNotTheLink() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (e, l) = smallEmbeddings(dir)
        try FileManager.default.createDirectory(atPath: dir + "/reports", withIntermediateDirectories: true)
        write(Array("earlier".utf8), dir + "/reports/r.json")
        try FileManager.default.createSymbolicLink(
            atPath: dir + "/link.json", withDestinationPath: dir + "/reports/r.json")
        let run = try tcmscope(["analyze", e, l, "--no-retrieval", "--output", dir + "/link.json"])
        #expect(run.status == 0, "\(run.stderr)")
        var info = stat()
        #expect(lstat(dir + "/link.json", &info) == 0 && info.st_mode & S_IFMT == S_IFLNK, "still a link")
        #expect(contents(dir + "/reports/r.json")?.contains("\"opis\"") == true, "the linked file was replaced")
        #expect(temporaries(dir).isEmpty && temporaries(dir + "/reports").isEmpty)
        // /dev/stdout on a pipe is a FIFO: refused, and /dev/stdout is still a link.
        let piped = try tcmscope(["analyze", e, l, "--no-retrieval", "--output", "/dev/stdout"])
        #expect(
            piped.status == 2
                && piped.stderr.hasPrefix("tcmscope: error: /dev/stdout: exists and is a FIFO, not a regular file"),
            "\(piped.stderr)")
        #expect(lstat("/dev/stdout", &info) == 0 && info.st_mode & S_IFMT == S_IFLNK)
    }

    /// A temporary file left by a process that was killed (SIGKILL) is removed; one of a live process is not.
    @Test func leftoversOfAKilledRunAreRemoved() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (e, l) = smallEmbeddings(dir)
        let finished = Process()
        finished.executableURL = URL(fileURLWithPath: "/bin/true")
        try finished.run()
        finished.waitUntilExit()
        let dead = dir + "/.r.json" + OutputTransaction.marker + "\(finished.processIdentifier)"
        let live = dir + "/.r.json" + OutputTransaction.marker + "\(getpid())"
        write([UInt8](repeating: 7, count: 1 << 20), dead)
        write(Array("in use".utf8), live)
        let run = try tcmscope(["analyze", e, l, "--no-retrieval", "--output", dir + "/r.json"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dead), "a dead process's temporary file is removed")
        #expect(contents(live) == "in use", "a live process's temporary file is left alone")
        #expect(temporaries(dir) == [URL(fileURLWithPath: live).lastPathComponent])
    }

    /// SIGTERM and SIGINT while the outputs are staged: the temporary files are removed, the
    /// earlier outputs stay, and the exit status is 128 + the signal.
    @Test func signalsRemoveTemporaryFiles() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (e, l) = smallEmbeddings(dir)
        write(Array("earlier".utf8), dir + "/r.json")
        for (signal, status) in [(SIGTERM, Int32(143)), (SIGINT, Int32(130))] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try binaryPath())
            process.arguments = [
                "analyze", e, l, "--no-retrieval", "--output", dir + "/r.json", "--curves", dir + "/c.csv",
            ]
            var environment = ProcessInfo.processInfo.environment
            environment["TCMSCOPE_TEST_PAUSE_BEFORE_COMMIT"] = "30"
            process.environment = environment
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let deadline = Date().addingTimeInterval(25)
            while temporaries(dir).count < 2 && Date() < deadline { usleep(20_000) }
            #expect(temporaries(dir).count == 2, "both outputs staged")
            kill(process.processIdentifier, signal)
            process.waitUntilExit()
            #expect(
                process.terminationReason == .exit && process.terminationStatus == status,
                "signal \(signal): \(process.terminationStatus)")
            #expect(temporaries(dir).isEmpty, "signal \(signal) left \(temporaries(dir))")
            #expect(contents(dir + "/r.json") == "earlier" && !FileManager.default.fileExists(atPath: dir + "/c.csv"))
        }
    }

    @Test func projectWritesLayoutAndIndicesTogether() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (e, l) = smallEmbeddings(dir)
        write(Array("earlier".utf8), dir + "/lay.npy")
        try FileManager.default.createDirectory(atPath: dir + "/lay.indices.npy", withIntermediateDirectories: true)
        let run = try tcmscope(["project", e, l, "--method", "pca", "--max-samples", "30", "--out", dir + "/lay.npy"])
        expectOneLine(run, status: 2, "lay.indices.npy: exists and is a directory", "indices file is a directory")
        #expect(contents(dir + "/lay.npy") == "earlier" && temporaries(dir).isEmpty)
        // Both written when they can be.
        try FileManager.default.removeItem(atPath: dir + "/lay.indices.npy")
        let ok = try tcmscope(["project", e, l, "--method", "pca", "--max-samples", "30", "--out", dir + "/lay.npy"])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(try NpyArray(bytes: FileBytes.read(dir + "/lay.npy"), file: "lay.npy").shape == [30, 2])
        #expect(try NpyArray(bytes: FileBytes.read(dir + "/lay.indices.npy"), file: "i").shape == [30])
    }

    @Test func trainOutThatIsAFileIsOneLine() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let data = TrainCommandTests().frozenEmbeddings(dir)
        write(Array("earlier".utf8), dir + "/file")
        let run = try tcmscope(["train", "--data", data, "--label-column", "label", "--out", dir + "/file"])
        expectOneLine(run, status: 2, "file: exists and is not a directory; --out takes a directory", "--out a file")
        #expect(contents(dir + "/file") == "earlier")
        try FileManager.default.createDirectory(atPath: dir + "/run/metrics.json", withIntermediateDirectories: true)
        let inside = try tcmscope(["train", "--data", data, "--label-column", "label", "--out", dir + "/run"])
        expectOneLine(inside, status: 2, "metrics.json: exists and is a directory", "metrics.json is a directory")
        #expect(inside.stdout.isEmpty, "refused before training")
    }

    /// A diverging run (exit 3) into an earlier run's folder leaves every file of it as it was;
    /// into a new folder it leaves nothing.
    @Test func divergingTrainingLeavesTheEarlierRunIntact() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let data = TrainCommandTests().frozenEmbeddings(dir)
        let first = try tcmscope([
            "train", "--data", data, "--label-column", "label", "--classes-per-batch", "4", "--samples-per-class", "4",
            "--epochs", "1", "--widths", "8", "--out", dir + "/run",
        ])
        #expect(first.status == 0, "\(first.stderr)")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir + "/run").sorted()
        let before = try names.map { try Data(contentsOf: URL(fileURLWithPath: dir + "/run/" + $0)) }
        // The same checkpoint with Adam moments that make the weights overflow at once (every
        // setting within its flag's range: a learning rate of 3e38 is refused when read, issue 31).
        let hot = try withExplodingMoments(checkpoint: dir + "/run/checkpoint.tcms")
        write(hot, dir + "/hot.tcms")
        let resumed = try tcmscope([
            "train", "--data", data, "--label-column", "label", "--resume", dir + "/hot.tcms",
            "--epochs", "3", "--out", dir + "/run",
        ])
        expectOneLine(resumed, status: 3, "training diverged at step", "diverging resume")
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: dir + "/run").sorted() == names,
            "no file added or removed")
        #expect(
            try names.map { try Data(contentsOf: URL(fileURLWithPath: dir + "/run/" + $0)) } == before,
            "no file changed")
        let fresh = try tcmscope([
            "train", "--data", data, "--label-column", "label", "--resume", dir + "/hot.tcms",
            "--epochs", "3", "--out", dir + "/fresh",
        ])
        #expect(fresh.status == 3)
        #expect(
            !FileManager.default.fileExists(atPath: dir + "/fresh"), "a failed run into a new folder leaves no folder")
    }

    /// `checkpoint` (Adam) with every first moment 3e38 and every second moment 0: finite and
    /// non-negative, so it is read, but the first update is 3e38 / ε and overflows the weights.
    /// Layout: magic, UInt32 length, JSON header, then the parameters, the first and the second
    /// moments as little-endian Float32, each the header's `tensorSizes` in turn.
    func withExplodingMoments(checkpoint: String) throws -> [UInt8] {
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: checkpoint)))
        let length = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        let header = try #require(
            try JSONSerialization.jsonObject(with: Data(bytes[12 ..< 12 + length])) as? [String: Any])
        let parameters = try #require(header["tensorSizes"] as? [Int]).reduce(0, +)
        try #require(header["optimizerSlots"] as? Int == 2, "an Adam checkpoint")
        func set(_ value: Float, floats: Range<Int>) {
            for i in floats {
                withUnsafeBytes(of: value.bitPattern.littleEndian) {
                    bytes.replaceSubrange(12 + length + 4 * i ..< 12 + length + 4 * i + 4, with: $0)
                }
            }
        }
        set(3e38, floats: parameters ..< 2 * parameters)
        set(0, floats: 2 * parameters ..< 3 * parameters)
        return bytes
    }
}
