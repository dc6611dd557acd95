import Foundation
import Testing
import TCMData

/// Runs the real `tcmscope` binary (built by `swift test`, since this target depends on it).
struct CLIRun {
    let status: Int32
    let stdout: String
    let stderr: String
}

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

func binaryPath() throws -> String {
    let testBinary = URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).resolvingSymlinksInPath()
    var dir = testBinary.deletingLastPathComponent()
    for _ in 0 ..< 3 {
        let candidate = dir.appendingPathComponent("tcmscope").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        dir = dir.deletingLastPathComponent()
    }
    let fallback = packageRoot + "/.build/debug/tcmscope"
    try #require(FileManager.default.isExecutableFile(atPath: fallback), "tcmscope binary not found next to \(testBinary.path)")
    return fallback
}

func tcmscope(_ arguments: [String], in directory: String? = nil) throws -> CLIRun {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try binaryPath())
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Read before waiting so a large report cannot fill the pipe and block the child.
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CLIRun(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
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
        let dir = temporaryDirectory(); defer { try? FileManager.default.removeItem(atPath: dir) }
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
        let dir = temporaryDirectory(); defer { try? FileManager.default.removeItem(atPath: dir) }
        var text = "a,b,species\n"
        for i in 0 ..< 30 { text += "\(cos(Double(i) * 0.1 + Double(i % 3) * 2)),\(sin(Double(i) * 0.1 + Double(i % 3) * 2)),s\(i % 3)\n" }
        write(Array(text.utf8), dir + "/e.csv")
        let run = try tcmscope(["analyze", dir + "/e.csv", "--label-column", "species", "--csv", "--range", "0.2:0.9", "--points", "11"])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("class,n,in_opis,opis_term") == true)
        #expect(lines.count == 4 && lines[1].hasPrefix("s0,10,1,"))
    }

    @Test func textSummaryOnTheBundledSampleByDefault() throws {
        let run = try tcmscope(["--no-retrieval"], in: packageRoot)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("t10k-images-idx3-ubyte.gz  (10000 × 784, 10 classes)"))
        #expect(run.stdout.contains("OPIS"))
        #expect(run.stdout.contains("ε-OPIS"))
    }

    @Test func opisGateExitsOne() throws {
        let dir = temporaryDirectory(); defer { try? FileManager.default.removeItem(atPath: dir) }
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
        let dir = temporaryDirectory(); defer { try? FileManager.default.removeItem(atPath: dir) }
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
            #expect(run.stderr.hasPrefix("tcmscope: error: ") && run.stderr.contains(file) && run.stderr.contains(fragment),
                    "\(file): \(run.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out), "no report written for \(file)")
            #expect(run.stdout.isEmpty)
        }
        // Zero vectors can be dropped on request, and the report says so.
        let dropped = try tcmscope(["analyze", dir + "/zero.npy", l, "--drop-zero-vectors", "--no-retrieval"])
        #expect(dropped.status == 0 && dropped.stdout.contains("dropped     1 zero vectors"))
    }

    @Test func usageErrorsAreNotCrashes() throws {
        let dir = temporaryDirectory(); defer { try? FileManager.default.removeItem(atPath: dir) }
        let (e, l) = smallEmbeddings(dir)
        for args in [["--range", "0.9:0.1"], ["--far-range", "2:0.1"], ["--range", "abc"], ["--points", "1"],
                     ["--far-range", "0.1:0.01", "--range", "0:1"], ["--utility", "accuracy"], ["--json", "--csv"]] {
            let run = try tcmscope(["analyze", e, l] + args)
            #expect(run.status == 64, "\(args): \(run.status) \(run.stderr)")
            #expect(run.stderr.contains("Error:"), "\(args)")
        }
        let help = try tcmscope(["analyze", "--help"])
        #expect(help.status == 0 && help.stdout.contains("--fail-above-opis"))
    }
}

@Suite struct ProjectCommandTests {
    @Test func pcaToCSVAndTSNEToNpyWithSubsampling() throws {
        let dir = temporaryDirectory(); defer { try? FileManager.default.removeItem(atPath: dir) }
        let (e, l) = smallEmbeddings(dir)
        let pca = try tcmscope(["project", e, l, "--method", "pca", "--out", dir + "/p.csv"])
        #expect(pca.status == 0, "\(pca.stderr)")
        #expect(pca.stdout.contains("pca: 36 samples × 3 → 2-D") && pca.stdout.contains("trustworthiness(k=10)"))
        let rows = try String(contentsOfFile: dir + "/p.csv", encoding: .utf8).split(separator: "\n")
        #expect(rows.first == "index,label,x,y" && rows.count == 37 && rows[1].hasPrefix("0,0,"))

        let tsne = try tcmscope(["project", e, l, "--method", "tsne", "--iterations", "200", "--perplexity", "5",
                                 "--max-samples", "30", "--out", dir + "/t.npy"])
        #expect(tsne.status == 0, "\(tsne.stderr)")
        #expect(tsne.stderr.contains("projecting 30 of 36 samples (stratified by class, seed 1)"))
        let layout = try NpyArray(bytes: FileBytes.read(dir + "/t.npy"), file: "t.npy")
        #expect(layout.shape == [30, 2])
        let kept = try NpyArray(bytes: FileBytes.read(dir + "/t.indices.npy"), file: "t.indices.npy")
        #expect(kept.integers()?.count == 30)

        // Warm start from that layout: must have the same number of rows.
        let warm = try tcmscope(["project", e, l, "--iterations", "50", "--perplexity", "5", "--max-samples", "30",
                                 "--warm-start", dir + "/t.npy", "--out", dir + "/w.npy"])
        #expect(warm.status == 0, "\(warm.stderr)")
        let wrong = try tcmscope(["project", e, l, "--warm-start", dir + "/t.npy", "--out", dir + "/x.npy"])
        #expect(wrong.status == 2 && wrong.stderr.contains("t.npy: warm-start layout has shape [30, 2], expected [36, 2]"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/x.npy"))
    }

    @Test func badProjectArguments() throws {
        let dir = temporaryDirectory(); defer { try? FileManager.default.removeItem(atPath: dir) }
        let (e, l) = smallEmbeddings(dir)
        for args in [["--out", dir + "/x.png"], ["--out", dir + "/x.npy", "--method", "umap"], ["--out", dir + "/x.npy", "--perplexity", "0"]] {
            let run = try tcmscope(["project", e, l] + args)
            #expect(run.status == 64, "\(args): \(run.stderr)")
        }
        let missing = try tcmscope(["project", dir + "/nope.npy", l, "--out", dir + "/x.npy"])
        #expect(missing.status == 2 && missing.stderr.contains("nope.npy: no such file"))
    }
}
