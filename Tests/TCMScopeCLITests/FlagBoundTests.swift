import Foundation
import Testing
import TCMData

/// Every numeric flag has an upper bound (cause 3 of issue 8): a value outside it is one line
/// naming the flag, the value and the allowed range, exit 64, before any work, and an earlier
/// output is left as it was.
@Suite struct FlagBoundTests {
    /// Runs `args`, expects the exact one-line refusal, and that `earlier` still holds "earlier".
    func expectRefused(
        _ args: [String], _ flag: String, _ value: String, _ range: String, earlier: String,
        in directory: String? = nil
    ) throws {
        let run = try tcmscope(args, in: directory)
        #expect(run.status == 64, "\(args): status \(run.status), \(run.stderr)")
        #expect(
            run.stderr == "tcmscope: error: \(flag) \(value) is out of range; allowed: \(range) (see --help)\n",
            "\(args)")
        #expect(run.stdout.isEmpty, "\(args)")
        #expect((try? String(contentsOfFile: earlier, encoding: .utf8)) == "earlier", "\(args) touched \(earlier)")
    }

    @Test func analyzeFlagsOutOfRange() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (e, l) = smallEmbeddings(dir)
        let report = dir + "/r.json"
        write(Array("earlier".utf8), report)
        let cases: [([String], String, String, String)] = [
            (["--points", "1000000000"], "--points", "1000000000", "[2, 4096]"),
            (["--points", "9223372036854775807"], "--points", "9223372036854775807", "[2, 4096]"),
            (["--points", "200000000"], "--points", "200000000", "[2, 4096]"),
            (["--points", "1"], "--points", "1", "[2, 4096]"),
            (["--threads", "1000000000000000"], "--threads", "1000000000000000", "[1, 256]"),
            (["--threads", "0"], "--threads", "0", "[1, 256]"),
            (["--k", "1", "100000"], "--k", "100000", "[1, 10000]"),
            (["--k", "0"], "--k", "0", "[1, 10000]"),
            (["--epsilon", "0.6"], "--epsilon", "0.6", "(0.0, 0.5]"),
            (["--epsilon", "nan"], "--epsilon", "nan", "(0.0, 0.5]"),
            (["--beta", "inf"], "--beta", "inf", "(0.0, 100.0]"),
            (["--beta", "0"], "--beta", "0.0", "(0.0, 100.0]"),
            (["--threshold", "2"], "--threshold", "2.0", "[-1.0, 1.0]"),
            (["--fail-above-opis", "nan"], "--fail-above-opis", "nan", "[0.0, 1.0]"),
            (["--fail-above-opis", "inf"], "--fail-above-opis", "inf", "[0.0, 1.0]"),
            (["--fail-above-opis=-1"], "--fail-above-opis", "-1.0", "[0.0, 1.0]"),
            (["--fail-above-epsilon-opis", "nan"], "--fail-above-epsilon-opis", "nan", "[0.0, 1.0]"),
            (["--fail-above-epsilon-opis=-0.5"], "--fail-above-epsilon-opis", "-0.5", "[0.0, 1.0]"),
        ]
        for (args, flag, value, range) in cases {
            try expectRefused(["analyze", e, l, "--output", report] + args, flag, value, range, earlier: report)
        }
        // Twenty --k values are fine; more than 64 are refused.
        let many = (1 ... 65).map(String.init)
        let run = try tcmscope(["analyze", e, l, "--k"] + many)
        #expect(
            run.status == 64
                && run.stderr.hasPrefix("tcmscope: error: --k (number of values) 65 is out of range; allowed: [1, 64]"))
    }

    @Test func projectFlagsOutOfRange() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (e, l) = smallEmbeddings(dir)
        let layout = dir + "/p.npy"
        write(Array("earlier".utf8), layout)
        let cases: [([String], String, String, String)] = [
            (["--learning-rate", "inf"], "--learning-rate", "inf", "(0.0, 1000000.0]"),
            (["--learning-rate", "0"], "--learning-rate", "0.0", "(0.0, 1000000.0]"),
            (["--perplexity", "1e9"], "--perplexity", "1000000000.0", "[1.0, 1000.0]"),
            (["--perplexity", "nan"], "--perplexity", "nan", "[1.0, 1000.0]"),
            (["--iterations", "1000000000"], "--iterations", "1000000000", "[1, 100000]"),
            (["--max-samples", "1000000000"], "--max-samples", "1000000000", "[3, 100000]"),
            (["--trustworthiness-k", "100000"], "--trustworthiness-k", "100000", "[0, 1000]"),
            (["--threads", "1000000000000000"], "--threads", "1000000000000000", "[1, 256]"),
        ]
        for (args, flag, value, range) in cases {
            try expectRefused(["project", e, l, "--out", layout] + args, flag, value, range, earlier: layout)
        }
    }

    @Test func trainFlagsOutOfRange() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/run", withIntermediateDirectories: true)
        let metrics = dir + "/run/metrics.json"
        write(Array("earlier".utf8), metrics)
        let cases: [([String], String, String, String)] = [
            (["--xbm", "1000000000000"], "--xbm", "1000000000000", "[4, 65536]"),
            (["--widths", "100000,100000"], "--widths", "100000", "[1, 4096]"),
            (["--widths", "0,8"], "--widths", "0", "[1, 4096]"),
            (
                ["--widths", Array(repeating: "8", count: 17).joined(separator: ",")], "--widths (number of layers)",
                "17", "[1, 16]"
            ),
            (["--samples-per-class", "1000000000"], "--samples-per-class", "1000000000", "[2, 1024]"),
            (["--classes-per-batch", "1000000000"], "--classes-per-batch", "1000000000", "[2, 1024]"),
            (
                ["--classes-per-batch", "1024", "--samples-per-class", "1024"],
                "--classes-per-batch × --samples-per-class", "1048576", "[4, 8192]"
            ),
            (
                ["--classes-per-batch", "64", "--samples-per-class", "128", "--xbm", "65536"], "--xbm × batch",
                "536870912", "[0, 67108864]"
            ),
            (["--lr", "inf"], "--lr", "inf", "(0.0, 10.0]"),
            (["--lr", "nan"], "--lr", "nan", "(0.0, 10.0]"),
            (["--weight-decay", "nan"], "--weight-decay", "nan", "[0.0, 1.0]"),
            (["--weight-decay", "inf"], "--weight-decay", "inf", "[0.0, 1.0]"),
            (["--epochs", "1000000000"], "--epochs", "1000000000", "[1, 10000]"),
            (["--eval-every=-1"], "--eval-every", "-1", "[0, 1000000]"),
            (["--eval-fraction", "1"], "--eval-fraction", "1.0", "(0.0, 1.0)"),
            (["--tcm-margins", "0.9:5"], "--tcm-margins", "5.0", "[-1.0, 1.0]"),
            (["--tcm-weights", "1:1e9"], "--tcm-weights", "1000000000.0", "[0.0, 1000.0]"),
            (["--tcm-auto-every", "0"], "--tcm-auto-every", "0", "[1, 1000000]"),
        ]
        for (args, flag, value, range) in cases {
            try expectRefused(["train", "--out", dir + "/run"] + args, flag, value, range, earlier: metrics)
        }
    }

    @Test func dashAndBenchFlagsOutOfRange() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let marker = dir + "/untouched"
        write(Array("earlier".utf8), marker)
        let cases: [([String], String, String, String)] = [
            (["dash", "--epochs", "1000000000"], "--epochs", "1000000000", "[1, 10000]"),
            (["dash", "--tcm-margins", "2:0.5"], "--tcm-margins", "2.0", "[-1.0, 1.0]"),
            (["dash", "--evaluate-every", "10000000000"], "--evaluate-every", "10000000000", "[0, 1000000]"),
            (["bench", "--n", "1000000000"], "--n", "1000000000", "[10, 200000]"),
            (["bench", "--threads", "1000000000000000"], "--threads", "1000000000000000", "[1, 256]"),
            (["bench", "--d", "100000"], "--d", "100000", "[1, 4096]"),
            (["bench", "pass", "--repeats", "0"], "--repeats", "0", "[1, 100]"),
            (["bench", "dashboard", "--frames", "1000000000"], "--frames", "1000000000", "[1, 100000]"),
        ]
        for (args, flag, value, range) in cases { try expectRefused(args, flag, value, range, earlier: marker) }
    }

    /// The classes of a batch are checked against the data before any training: the bundled MNIST has 10.
    @Test func classesPerBatchAboveTheDataIsRefused() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try tcmscope(["train", "--classes-per-batch", "11", "--out", dir + "/run"], in: packageRoot)
        #expect(run.status == 2, "\(run.stderr)")
        #expect(
            run.stderr == "tcmscope: error: mnist: the training set has 10 classes, fewer than --classes-per-batch 11\n"
        )
        #expect(!FileManager.default.fileExists(atPath: dir + "/run"), "no output directory for a refused run")
    }

    /// Each flag's help shows its range.
    @Test func helpShowsTheBounds() throws {
        let cases: [(String, [String])] = [
            (
                "analyze",
                [
                    "--points <points> Number of grid thresholds K in the range, both ends included. Range [2, 4096].",
                    "Compute threads (default: all cores). Range [1, 256].",
                    "Recall@k values to report (at most 64). Range [1, 10000].",
                    "Range (0.0, 0.5]", "β of the F-score. Range (0.0, 100.0].", "(a CI gate). Range [0.0, 1.0].",
                ]
            ),
            (
                "project",
                [
                    "t-SNE perplexity. Range [1.0, 1000.0].", "t-SNE iterations. Range [1, 100000].",
                    "Range (0.0, 1000000.0]", "above this many samples. Range [3, 100000].",
                ]
            ),
            (
                "train",
                [
                    "Learning rate. Range (0.0, 10.0].", "Range [0.0, 1.0]", "Range [4, 65536]",
                    "Epochs. Range [1, 10000].",
                    "each in [1, 4096]", "Classes per batch (at most the data's classes). Range [2, 1024].",
                ]
            ),
            ("dash", ["Fine-tuning epochs. Range [1, 10000]."]),
            (
                "bench pass",
                ["Samples (one configuration only). Range [10, 200000].", "Compute threads. Range [1, 256]."]
            ),
        ]
        for (command, fragments) in cases {
            let help = try tcmscope(command.split(separator: " ").map(String.init) + ["--help"])
            #expect(help.status == 0)
            // The help is wrapped to the terminal width: compare with single spaces.
            let text = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            for fragment in fragments { #expect(text.contains(fragment), "\(command) --help lacks '\(fragment)'") }
        }
    }

    /// `--label-column -1`, the form the help shows, takes the last column.
    @Test func labelColumnMinusOneIsTheLastColumn() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var text = "a,b,species\n"
        for i in 0 ..< 30 {
            text +=
                "\(cos(Double(i) * 0.1 + Double(i % 3) * 2)),\(sin(Double(i) * 0.1 + Double(i % 3) * 2)),s\(i % 3)\n"
        }
        write(Array(text.utf8), dir + "/e.csv")
        let run = try tcmscope(["analyze", dir + "/e.csv", "--label-column", "-1", "--csv", "--no-retrieval"])
        #expect(run.status == 0, "\(run.stderr)")
        let names = run.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: ",")[0] }
        #expect(Set(names) == ["s0", "s1", "s2"])
    }
}
