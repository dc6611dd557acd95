import Foundation
import Testing
import TCMData
import TCMMetrics
import TCMScopeSupport
@testable import TCMBench
@testable import TCMScopeCLI

/// `bench --config`: the plumbing (arguments, data directory, child runs, parsing, peers that
/// are missing), on the tiny configuration. Nothing here is timed.
@Suite struct ScaleBenchTests {
    /// A data directory holding the tiny set, written here (so no Python is needed).
    func tinyDataDirectory() throws -> (String, ThresholdReport) {
        let dir = NSTemporaryDirectory() + "tcmscope-scale-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let (matrix, labels) = SyntheticData.clustered(n: 200, dimension: 8, classes: 4, seed: 3)
        let files = ScaleConfig.tiny.files(in: dir)
        try AtomicFile.write(
            NpyWriter.bytes(floats: matrix.values, shape: [matrix.rows, matrix.cols]), to: files.embeddings)
        try AtomicFile.write(
            NpyWriter.bytes(int64s: labels.classOf.map(Int64.init), shape: [matrix.rows]), to: files.labels)
        let report = ThresholdAnalyzer(
            counts: PairCounts.compute(layout: ClassLayout(embeddings: matrix, labels: labels))
        ).report(OPISOptions())
        return (dir, report)
    }

    @Test func badArgumentsAreUsageErrorsAndBadDirectoriesInputErrors() throws {
        for (args, message) in [
            (
                ["bench", "scale", "--config", "nope"],
                "tcmscope: error: The value 'nope' is invalid for '--config <config>'"
            ),
            // Another benchmark's option is an error, not silently ignored (issue 22).
            (["bench", "scale", "--config", "tiny", "--n", "100"], "tcmscope: error: Unknown option '--n'"),
            (["bench", "kernels", "--frames", "3"], "tcmscope: error: Unknown option '--frames'"),
            (
                ["bench", "scale", "--config", "tiny", "--peers", "numpy,gpu"],
                "tcmscope: error: --peers: unknown peer 'gpu'"
            ),
            (
                ["bench", "scale", "--config", "tiny", "--repeats", "0"],
                "tcmscope: error: --repeats 0 is out of range; allowed: [1, 100]"
            ),
        ] {
            let run = try tcmscope(args)
            #expect(run.status == 64, "\(args): \(run.status)")
            #expect(run.stderr.hasPrefix(message), "\(args): \(run.stderr)")
        }
        let (dir, _) = try tinyDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/tiny_e.npy"
        let notADirectory = try tcmscope(["bench", "scale", "--config", "tiny", "--data-dir", file])
        #expect(
            notADirectory.status == 2
                && notADirectory.stderr == "tcmscope: error: \(file): --data-dir is a file, not a directory\n")
        let empty = try tcmscope([
            "bench", "scale", "--config", "tiny", "--data-dir", dir + "/empty", "--python", "none",
        ])
        #expect(
            empty.status == 2
                && empty.stderr
                    == "tcmscope: error: \(dir)/empty/tiny_e.npy: missing, and --python none cannot generate it\n"
        )
    }

    @Test func theTinyConfigRunsAnalyzeAsAChildAndReportsItsNumbers() throws {
        let (dir, report) = try tinyDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try tcmscope([
            "bench", "scale", "--config", "tiny", "--data-dir", dir, "--repeats", "2", "--peers", "none",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("CPU: ") == true)
        #expect(run.stdout.contains("median of 2"))
        let ours = try #require(lines.first { $0.hasPrefix("  tcmscope analyze") })
        // The child's OPIS, parsed from its report, is the pass's own (computed here in-process).
        #expect(ours.contains("OPIS \(String(format: "%.4g", report.opis))"), "\(ours)")
        let seconds = try #require(ScaleBench.number(after: "tcmscope analyze", in: ours))
        #expect(seconds > 0 && seconds < 60)
        #expect(!run.stdout.contains("numpy") && !run.stdout.contains("faiss"))
    }

    /// `--peers blas`: numpy's GEMM rate measured in the same run, the half product of the set's
    /// N × D at that rate (N(N+1)D flops), and the whole analyze as a multiple of it.
    @Test func theBLASLimitIsPrintedAgainstTheWholeAnalyze() throws {
        #expect(abs(ScaleBench.halfProductSeconds(rows: 1000, dimension: 100, gflops: 1) - 0.1001) < 1e-12)
        let (dir, _) = try tinyDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try tcmscope([
            "bench", "scale", "--config", "tiny", "--data-dir", dir, "--repeats", "1", "--peers", "blas",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        let oursLine = try #require(lines.first { $0.hasPrefix("  tcmscope analyze") })
        let ours = try #require(ScaleBench.number(after: "tcmscope analyze", in: oursLine))
        let line = try #require(
            lines.first { $0.contains("half product X·Xᵀ at numpy's BLAS rate") }, "\(run.stdout)")
        let rate = try #require(ScaleBench.number(after: "BLAS rate (", in: line))
        let limit = try #require(ScaleBench.number(after: "thread(s))", in: line))
        let ratio = try #require(ScaleBench.number(after: "analyze/limit", in: line))
        #expect(rate > 0.1, "\(line)")
        // The printed limit and ratio follow from the printed rate (rounded to 0.1 GFLOP/s).
        let expected = ScaleBench.halfProductSeconds(rows: 200, dimension: 8, gflops: rate)
        #expect(abs(limit - expected) <= 0.0005 + 0.01 * expected, "\(line)")
        #expect(abs(ratio - ours / expected) / ratio < 0.05, "\(line)")
        // The rate is the mean of the rates measured before and after our runs, both printed.
        let drift = try #require(lines.first { $0.contains("BLAS rate before / after our runs:") }, "\(run.stdout)")
        let before = try #require(ScaleBench.number(after: "our runs:", in: drift))
        let after = try #require(ScaleBench.number(after: "/ ", in: String(drift.split(separator: ":").last!)))
        #expect(abs((before + after) / 2 - rate) <= 0.11, "\(drift) against \(line)")
    }

    @Test func aMissingPeerIsSkippedWithTheReason() throws {
        let (dir, _) = try tinyDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try tcmscope([
            "bench", "scale", "--config", "tiny", "--data-dir", dir, "--repeats", "1", "--peers", "faiss", "--python",
            "/no/such/python3",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(
            run.stdout.contains(
                "faiss kNN: skipped (/no/such/python3 did not start); install it with: /no/such/python3 -m pip install faiss-cpu"
            ), "\(run.stdout)")
    }

    @Test func childRunsAndReportParsing() throws {
        let exit3 = try ScaleBench.runChild(["/bin/sh", "-c", "echo out; echo err >&2; exit 3"])
        #expect(exit3.status == 3 && exit3.stdout == "out\n" && exit3.stderr == "err\n")
        #expect(exit3.peakRSSMB > 0 && exit3.seconds > 0)
        let text =
            "  ε-OPIS      ε = 0.05, m = 1 class(es)\n\n  OPIS        2.944e-04   (10 classes)\n  retrieval   R@1 0.9489  R@2 0.9657\n"
        #expect(ScaleBench.number(after: "\n  OPIS", in: text) == 2.944e-04)
        #expect(ScaleBench.number(after: "R@1", in: text) == 0.9489)
        #expect(ScaleBench.median([3, 1, 2]) == 2 && ScaleBench.median([5]) == 5)
        #expect(ScaleConfig.sop.files(in: "/d") == ("/d/sop_e.npy", "/d/sop_l.npy"))
        #expect(ScaleConfig.tenK.files(in: "/d").labels == "/d/10k_l.npy")
    }

    /// The one Python launcher: a peer whose module is missing, or whose interpreter does not
    /// exist, fails with the pip command that installs what it needs; a peer that prints JSON
    /// on its last line gives those values. A shell script stands in for the interpreter.
    @Test func pythonPeersSayHowToInstallWhatIsMissing() throws {
        let dir = NSTemporaryDirectory() + "tcmscope-peer-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func fakePython(_ name: String, _ body: String) throws -> String {
            let path = dir + "/" + name
            try AtomicFile.write("#!/bin/sh\n" + body + "\n", to: path)
            chmod(path, 0o755)
            return path
        }
        let noFaiss = try fakePython("nofaiss", "echo \"ModuleNotFoundError: No module named 'faiss'\" >&2; exit 1")
        guard case .failure(let missing) = PythonPeer.run("knn_faiss.py", [], python: noFaiss) else {
            Issue.record("ran")
            return
        }
        #expect(
            missing.message
                == "status 1: ModuleNotFoundError: No module named 'faiss'; install it with: \(noFaiss) -m pip install numpy faiss-cpu"
        )
        guard case .failure(let absent) = PythonPeer.run("opis_numpy.py", [], python: dir + "/absent") else {
            Issue.record("ran")
            return
        }
        #expect(absent.message == "\(dir)/absent did not start; install it with: \(dir)/absent -m pip install numpy")
        let crashing = try fakePython("crash", "echo 'Traceback: ValueError' >&2; exit 2")
        guard case .failure(let crash) = PythonPeer.run("opis_numpy.py", [], python: crashing) else {
            Issue.record("ran")
            return
        }
        #expect(crash.message == "status 2: Traceback: ValueError", "no install hint when the peer itself failed")
        let answering = try fakePython("ok", "echo 'warming up'; echo '{\"opis\": 0.25, \"numpy\": \"2.0\"}'")
        guard case .success(let run) = PythonPeer.run("opis_numpy.py", ["a", "b"], python: answering) else {
            Issue.record("failed")
            return
        }
        #expect(run.numbers == ["opis": 0.25] && run.json["numpy"] as? String == "2.0")
    }
}
