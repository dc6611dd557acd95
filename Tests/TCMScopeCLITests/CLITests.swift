import Foundation
import Testing
import TCMData

/// Runs the real `tcmscope` binary (built by `swift test`, since this target depends on it).
struct CLIRun {
    let status: Int32
    let stdout: String
    let stderr: String
}

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

func binaryPath() throws -> String {
    let testBinary = URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).resolvingSymlinksInPath()
    var dir = testBinary.deletingLastPathComponent()
    for _ in 0 ..< 3 {
        let candidate = dir.appendingPathComponent("tcmscope").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        dir = dir.deletingLastPathComponent()
    }
    let fallback = packageRoot + "/.build/debug/tcmscope"
    try #require(
        FileManager.default.isExecutableFile(atPath: fallback), "tcmscope binary not found next to \(testBinary.path)")
    return fallback
}

func tcmscope(_ arguments: [String], in directory: String? = nil, environment: [String: String] = [:]) throws -> CLIRun
{
    try runProcess(try binaryPath(), arguments, in: directory, environment: environment)
}

/// Runs any program (the binary, or the binary through setpriv or a shell), its output captured.
func runProcess(
    _ executable: String, _ arguments: [String], in directory: String? = nil, environment: [String: String] = [:]
) throws -> CLIRun {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Read before waiting so a large report cannot fill the pipe and block the child.
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CLIRun(
        status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
        stderr: String(decoding: stderr, as: UTF8.self))
}

func temporaryDirectory() -> String {
    let path = NSTemporaryDirectory() + "tcmscope-cli-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func write(_ bytes: [UInt8], _ path: String) { _ = FileManager.default.createFile(atPath: path, contents: Data(bytes)) }

/// Three well-separated 2-D clusters with a little spread.
func smallEmbeddings(_ dir: String) -> (String, String) {
    var values: [Float] = [], labels: [Int64] = []
    for c in 0 ..< 3 {
        let angle = Float(c) * 2.1
        for i in 0 ..< 12 {
            let jitter = Float(i) * 0.03 * Float(c + 1)
            values += [cos(angle + jitter), sin(angle + jitter), 0.1 * Float(i % 3)]
            labels.append(Int64(c))
        }
    }
    write(NpyWriter.bytes(floats: values, shape: [36, 3]), dir + "/e.npy")
    write(NpyWriter.bytes(int64s: labels, shape: [36]), dir + "/l.npy")
    return (dir + "/e.npy", dir + "/l.npy")
}

@Suite struct AnalyzeCommandTests {
    @Test func jsonReportOnNpyFiles() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (e, l) = smallEmbeddings(dir)
        let run = try tcmscope(["analyze", e, l, "--json", "--output", dir + "/r.json", "--curves", dir + "/c.csv"])
        #expect(run.status == 0, "\(run.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let report = try #require(object["report"] as? [String: Any])
        let opis = try #require(report["opis"] as? Double)
        #expect(opis >= 0 && opis < 1)
        let settings = try #require(report["settings"] as? [String: Any])
        #expect((settings["thresholds"] as? [Double])?.count == 101)
        #expect(settings["utility"] as? String == "f-tpr-tnr")
        let retrieval = try #require(object["retrieval"] as? [String: Any])
        #expect((retrieval["recallAtK"] as? [[String: Any]])?.count == 4)
        // The file copy is the same document; the curves file has a row per class per threshold.
        let saved = try String(contentsOfFile: dir + "/r.json", encoding: .utf8)
        #expect(saved.contains("\"opis\""))
        let curves = try String(contentsOfFile: dir + "/c.csv", encoding: .utf8).split(separator: "\n")
        #expect(curves.first == "class,threshold,utility,tpr,far" && curves.count == 1 + 3 * 101)
    }

    @Test func csvTableAndLabelColumnInput() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var text = "a,b,species\n"
        for i in 0 ..< 30 {
            text +=
                "\(cos(Double(i) * 0.1 + Double(i % 3) * 2)),\(sin(Double(i) * 0.1 + Double(i % 3) * 2)),s\(i % 3)\n"
        }
        write(Array(text.utf8), dir + "/e.csv")
        let run = try tcmscope([
            "analyze", dir + "/e.csv", "--label-column", "species", "--csv", "--range", "0.2:0.9", "--points", "11",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("class,n,in_opis,opis_term") == true)
        #expect(lines.count == 4 && lines[1].hasPrefix("s0,10,1,"))
    }

    @Test func textSummaryOnTheBundledSampleByDefault() throws {
        let run = try tcmscope(["analyze", "--no-retrieval"], in: packageRoot)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("baseline/eval-embeddings.npy  (10000 × 128, 10 classes)"))
        // The bundled baseline checkpoint loads and matches the bundled embeddings' width.
        let raw = try tcmscope(
            [
                "analyze", "sample-data/mnist/t10k-images-idx3-ubyte.gz", "sample-data/mnist/t10k-labels-idx1-ubyte.gz",
                "--no-retrieval", "--json",
            ], in: packageRoot)
        #expect(raw.status == 0 && raw.stdout.contains("\"dimension\" : 784"))
        #expect(run.stdout.contains("OPIS"))
        #expect(run.stdout.contains("ε-OPIS"))
    }

    @Test func opisGateExitsOne() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (e, l) = smallEmbeddings(dir)
        let pass = try tcmscope(["analyze", e, l, "--no-retrieval", "--fail-above-opis", "1"])
        #expect(pass.status == 0)
        let fail = try tcmscope(["analyze", e, l, "--no-retrieval", "--fail-above-opis", "0"])
        #expect(fail.status == 1)
        #expect(fail.stderr.contains("is above --fail-above-opis"))
    }
}

@Suite struct BadInputTests {
    /// Each case: files to create, arguments, the fragment the one-line error must contain.
    @Test func badInputsGiveOneLineAndExitTwoAndNoOutputFile() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (e, l) = smallEmbeddings(dir)
        let good = try [UInt8](Data(contentsOf: URL(fileURLWithPath: e)))
        write(Array(good.prefix(good.count - 7)), dir + "/truncated.npy")
        write(NpyWriter.bytes(int64s: [0, 1, 0], shape: [3]), dir + "/three.npy")
        var nan = (0 ..< 36 * 3).map { Float($0 % 5) + 0.5 }
        nan[7] = .nan
        write(NpyWriter.bytes(floats: nan, shape: [36, 3]), dir + "/nan.npy")
        var zeros = (0 ..< 36 * 3).map { Float($0 % 5) + 0.5 }
        for j in 0 ..< 3 { zeros[5 * 3 + j] = 0 }
        write(NpyWriter.bytes(floats: zeros, shape: [36, 3]), dir + "/zero.npy")
        write(NpyWriter.bytes(int64s: [Int64](repeating: 4, count: 36), shape: [36]), dir + "/oneclass.npy")
        write([0xFF, 0xFE, 0x31, 0x0A], dir + "/latin.csv")
        write([], dir + "/empty.npy")

        let cases: [([String], String, String)] = [
            ([dir + "/truncated.npy", l], "truncated.npy", "truncated"),
            ([e, dir + "/three.npy"], "three.npy", "36 embeddings but 3 labels"),
            ([dir + "/nan.npy", l], "nan.npy", "NaN or infinite values in rows 2"),
            ([dir + "/zero.npy", l], "zero.npy", "zero vectors"),
            ([e, dir + "/oneclass.npy"], "oneclass.npy", "only 1 class"),
            ([dir + "/latin.csv", l], "latin.csv", "not UTF-8"),
            ([dir + "/empty.npy", l], "empty.npy", "file is empty"),
            ([dir + "/missing.npy", l], "missing.npy", "no such file"),
        ]
        for (args, file, fragment) in cases {
            let out = dir + "/report.json"
            let run = try tcmscope(["analyze"] + args + ["--output", out])
            #expect(run.status == 2, "\(file): status \(run.status)")
            let lines = run.stderr.split(separator: "\n")
            #expect(lines.count == 1, "\(file): \(run.stderr)")
            #expect(
                run.stderr.hasPrefix("tcmscope: error: ") && run.stderr.contains(file) && run.stderr.contains(fragment),
                "\(file): \(run.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out), "no report written for \(file)")
            #expect(run.stdout.isEmpty)
        }
        // Zero vectors can be dropped on request, and the report says so.
        let dropped = try tcmscope(["analyze", dir + "/zero.npy", l, "--drop-zero-vectors", "--no-retrieval"])
        #expect(dropped.status == 0 && dropped.stdout.contains("dropped     1 zero vectors"))
    }

    @Test func usageErrorsAreNotCrashes() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (e, l) = smallEmbeddings(dir)
        for args in [
            ["--range", "0.9:0.1"], ["--far-range", "2:0.1"], ["--range", "abc"], ["--points", "1"],
            ["--far-range", "0.1:0.01", "--range", "0:1"], ["--utility", "accuracy"], ["--json", "--csv"],
        ] {
            let run = try tcmscope(["analyze", e, l] + args)
            #expect(run.status == 64, "\(args): \(run.status) \(run.stderr)")
            #expect(
                run.stderr.hasPrefix("tcmscope: error: ") && run.stderr.split(separator: "\n").count == 1,
                "\(args): \(run.stderr)")
        }
        let help = try tcmscope(["analyze", "--help"])
        #expect(help.status == 0 && help.stdout.contains("--fail-above-opis"))
    }
}

@Suite struct ProjectCommandTests {
    @Test func pcaToCSVAndTSNEToNpyWithSubsampling() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (e, l) = smallEmbeddings(dir)
        let pca = try tcmscope(["project", e, l, "--method", "pca", "--out", dir + "/p.csv"])
        #expect(pca.status == 0, "\(pca.stderr)")
        #expect(pca.stdout.contains("pca: 36 samples × 3 → 2-D") && pca.stdout.contains("trustworthiness(k=10)"))
        let rows = try String(contentsOfFile: dir + "/p.csv", encoding: .utf8).split(separator: "\n")
        #expect(rows.first == "index,label,x,y" && rows.count == 37 && rows[1].hasPrefix("0,0,"))

        let tsne = try tcmscope([
            "project", e, l, "--method", "tsne", "--iterations", "200", "--perplexity", "5",
            "--max-samples", "30", "--out", dir + "/t.npy",
        ])
        #expect(tsne.status == 0, "\(tsne.stderr)")
        #expect(tsne.stderr.contains("projecting 30 of 36 samples (stratified by class, seed 1)"))
        let layout = try NpyArray(bytes: FileBytes.read(dir + "/t.npy"), file: "t.npy")
        #expect(layout.shape == [30, 2])
        let kept = try NpyArray(bytes: FileBytes.read(dir + "/t.indices.npy"), file: "t.indices.npy")
        #expect(kept.integers()?.count == 30)

        // Warm start from that layout: must have the same number of rows.
        let warm = try tcmscope([
            "project", e, l, "--iterations", "50", "--perplexity", "5", "--max-samples", "30",
            "--warm-start", dir + "/t.npy", "--out", dir + "/w.npy",
        ])
        #expect(warm.status == 0, "\(warm.stderr)")
        let wrong = try tcmscope(["project", e, l, "--warm-start", dir + "/t.npy", "--out", dir + "/x.npy"])
        #expect(
            wrong.status == 2 && wrong.stderr.contains("t.npy: warm-start layout has shape [30, 2], expected [36, 2]"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/x.npy"))
    }

    @Test func badProjectArguments() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (e, l) = smallEmbeddings(dir)
        for args in [
            ["--out", dir + "/x.png"], ["--out", dir + "/x.npy", "--method", "umap"],
            ["--out", dir + "/x.npy", "--perplexity", "0"],
        ] {
            let run = try tcmscope(["project", e, l] + args)
            #expect(run.status == 64, "\(args): \(run.stderr)")
        }
        let missing = try tcmscope(["project", dir + "/nope.npy", l, "--out", dir + "/x.npy"])
        #expect(missing.status == 2 && missing.stderr.contains("nope.npy: no such file"))
    }
}

@Suite struct TrainCommandTests {
    /// Frozen "embeddings" of 6 classes in 10-D with a little noise, as a CSV with a label column.
    func frozenEmbeddings(_ dir: String) -> String {
        var text = "f0,f1,f2,f3,f4,f5,f6,f7,f8,f9,label\n"
        var state: UInt64 = 7
        func noise() -> Double {
            state = state &* 6364136223846793005 &+ 1
            return Double(state >> 40) / Double(1 << 24) - 0.5
        }
        for i in 0 ..< 240 {
            let c = i % 6
            text += (0 ..< 10).map { j in
                String(format: "%.4f", (j == c ? 1.0 : 0.0) + (j == (c + 1) % 10 ? 0.5 : 0) + 0.4 * noise())
            }.joined(separator: ",")
            text += ",class\(c)\n"
        }
        write(Array(text.utf8), dir + "/frozen.csv")
        return dir + "/frozen.csv"
    }

    @Test func adapterOnFrozenEmbeddingsWritesEverythingAndResumes() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let data = frozenEmbeddings(dir)
        let run = try tcmscope([
            "train", "--data", data, "--label-column", "label", "--loss", "multi-similarity", "--tcm",
            "--classes-per-batch", "4", "--samples-per-class", "8", "--epochs", "3", "--widths", "16,8",
            "--out", dir + "/run",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n")
        // Not a terminal: JSON lines, evaluations among them, then the summary line.
        let evaluations = lines.filter { $0.contains("\"opis\"") }
        #expect(evaluations.count == 4, "before training and after each epoch")
        #expect(lines.last?.hasPrefix("trained ") == true)
        for file in ["checkpoint.tcms", "eval-embeddings.npy", "eval-labels.npy", "metrics.json"] {
            #expect(FileManager.default.fileExists(atPath: dir + "/run/" + file), "\(file)")
        }
        // analyze reads what train wrote.
        let analysis = try tcmscope([
            "analyze", dir + "/run/eval-embeddings.npy", dir + "/run/eval-labels.npy", "--json",
        ])
        #expect(analysis.status == 0, "\(analysis.stderr)")
        // Resume for two more epochs from the checkpoint.
        let resumed = try tcmscope([
            "train", "--data", data, "--label-column", "label", "--resume", dir + "/run/checkpoint.tcms",
            "--epochs", "5", "--out", dir + "/run2",
        ])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let metrics =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/run2/metrics.json")))
            as? [String: Any]
        #expect((metrics?["steps"] as? Int).map { $0 > 0 } == true)
        #expect(
            (metrics?["evaluations"] as? [[String: Any]])?.first?["step"] as? Int != 0,
            "a resumed run does not re-evaluate step 0")
    }

    @Test func trainFailuresAreOneLine() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let data = frozenEmbeddings(dir)
        write(Array("not a checkpoint".utf8), dir + "/bad.tcms")
        let bad = try tcmscope([
            "train", "--data", data, "--label-column", "label", "--resume", dir + "/bad.tcms", "--out", dir + "/r",
        ])
        #expect(bad.status == 2 && bad.stderr.contains("bad.tcms: not a TCMScope checkpoint"))
        let few = try tcmscope([
            "train", "--data", data, "--label-column", "label", "--classes-per-batch", "9", "--out", dir + "/r",
        ])
        #expect(few.status == 2 && few.stderr.contains("fewer than --classes-per-batch 9"))
        let usage = try tcmscope(["train", "--out", dir + "/r", "--tcm-margins", "0.9"])
        #expect(usage.status == 64)
    }
}
