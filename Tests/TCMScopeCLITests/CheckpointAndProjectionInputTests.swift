import Foundation
import Testing
import TCMData

/// Issue 8, causes 4 and 8, end to end: crafted checkpoints on `train --resume` and degenerate
/// data on `project` give one line naming the file and exit 2 (or a finite layout), never a crash.
@Suite struct CheckpointAndProjectionInputTests {
    /// 240 rows of 5-D data in 4 classes (labels as int64 .npy).
    func trainingData(_ dir: String) -> (String, String) {
        var values: [Float] = [], labels: [Int64] = []
        for i in 0 ..< 240 {
            values += (0 ..< 5).map { Float(sin(Double(i * 7 + $0 * 3))) + Float(i % 4) }
            labels.append(Int64(i % 4))
        }
        write(NpyWriter.bytes(floats: values, shape: [240, 5]), dir + "/e.npy")
        write(NpyWriter.bytes(int64s: labels, shape: [240]), dir + "/l.npy")
        return (dir + "/e.npy", dir + "/l.npy")
    }

    /// A checkpoint with its JSON header edited.
    func edited(_ source: String, _ target: String, _ edit: (inout [String: Any]) -> Void) throws {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: source)))
        let length = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        var header = try #require(
            try JSONSerialization.jsonObject(with: Data(bytes[12 ..< 12 + length])) as? [String: Any])
        edit(&header)
        let json = [UInt8](try JSONSerialization.data(withJSONObject: header))
        var out = Array(bytes[0 ..< 8])
        withUnsafeBytes(of: UInt32(json.count).littleEndian) { out += $0 }
        write(out + json + bytes[(12 + length)...], target)
    }

    func expectOneLineError(_ run: CLIRun, file: String, _ fragment: String) {
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
        #expect(run.stderr.hasPrefix("tcmscope: error: \(file): ") && run.stderr.contains(fragment), "\(run.stderr)")
    }

    @Test func craftedCheckpointsOnResumeAreOneLineErrors() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (e, l) = trainingData(dir)
        let common = ["train", "--data", e, "--labels", l, "--json"]
        let first = try tcmscope(
            common + [
                "--classes-per-batch", "2", "--samples-per-class", "4", "--widths", "8,4", "--epochs", "1", "--out",
                dir + "/run1",
            ])
        try #require(first.status == 0, "\(first.stderr)")
        let checkpoint = dir + "/run1/checkpoint.tcms"
        // A finished run resumed without more epochs says so instead of doing nothing.
        expectOneLineError(
            try tcmscope(common + ["--resume", checkpoint, "--epochs", "1", "--out", dir + "/run2"]), file: checkpoint,
            "already at or past this run's")
        let cases: [(String, (inout [String: Any]) -> Void, String)] = [
            (
                "widths.tcms",
                {
                    var c = $0["config"] as! [String: Any]
                    c["widths"] = [Int]()
                    $0["config"] = c
                }, "needs at least an input and an output width"
            ),
            (
                "margin.tcms",
                {
                    var c = $0["config"] as! [String: Any]
                    var loss = c["loss"] as! [String: Any]
                    loss["contrastiveMargins"] = [1.0]
                    c["loss"] = loss
                    $0["config"] = c
                }, "contrastive loss needs 2 margins, got 1"
            ),
            (
                "batch.tcms",
                {
                    var c = $0["config"] as! [String: Any]
                    c["classesPerBatch"] = 0
                    $0["config"] = c
                }, "a batch needs at least 1 class"
            ),
            ("negative.tcms", { $0["step"] = -5 }, "checkpoint step -5 is outside"),
            ("huge.tcms", { $0["step"] = 1_000_000_000_000_000 }, "checkpoint step 1000000000000000 is outside"),
        ]
        for (name, edit, fragment) in cases {
            try edited(checkpoint, dir + "/" + name, edit)
            expectOneLineError(
                try tcmscope(common + ["--resume", dir + "/" + name, "--epochs", "3", "--out", dir + "/run3"]),
                file: dir + "/" + name, fragment)
        }
    }

    @Test func degenerateProjectionInputsAreOneLineErrorsOrFiniteLayouts() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // 3 rows: t-SNE works (perplexity lowered); 1-D rows: PCA and t-SNE give finite layouts.
        write(NpyWriter.bytes(floats: [1, 0, 0, 1, 1, 1], shape: [3, 2]), dir + "/three.npy")
        write(NpyWriter.bytes(int64s: [0, 1, 1], shape: [3]), dir + "/three-labels.npy")
        write(NpyWriter.bytes(floats: (0 ..< 40).map { Float($0 % 5) - 2.5 }, shape: [40, 1]), dir + "/line.npy")
        write(NpyWriter.bytes(int64s: (0 ..< 40).map { Int64($0 % 2) }, shape: [40]), dir + "/line-labels.npy")
        for (input, labels, method) in [
            ("three", "three-labels", "tsne"), ("line", "line-labels", "pca"), ("line", "line-labels", "tsne"),
        ] {
            let run = try tcmscope([
                "project", dir + "/\(input).npy", dir + "/\(labels).npy", "--method", method, "--iterations", "100",
                "--out", dir + "/out.npy",
            ])
            #expect(run.status == 0, "\(input) \(method): \(run.stderr)")
            let layout = try NpyArray(bytes: FileBytes.read(dir + "/out.npy"), file: "out.npy")
            #expect(layout.doubles().allSatisfy { $0.isFinite }, "\(input) \(method)")
        }
        // A NaN warm start and a diverging learning rate.
        write(NpyWriter.bytes(floats: [Float](repeating: .nan, count: 80), shape: [40, 2]), dir + "/nan.npy")
        expectOneLineError(
            try tcmscope([
                "project", dir + "/line.npy", dir + "/line-labels.npy", "--warm-start", dir + "/nan.npy", "--out",
                dir + "/o.npy",
            ]),
            file: dir + "/nan.npy", "warm-start layout: holds NaN or infinite coordinates")
        // A learning rate that would make t-SNE diverge is now outside --learning-rate's bound (the
        // divergence itself is tested in TCMProjectionTests).
        let diverging = try tcmscope([
            "project", dir + "/line.npy", dir + "/line-labels.npy", "--learning-rate", "1e300", "--out",
            dir + "/o2.npy",
        ])
        #expect(
            diverging.status == 64
                && diverging.stderr
                    == "tcmscope: error: --learning-rate 1e+300 is out of range; allowed: (0.0, 1000000.0] (see --help)\n",
            "\(diverging.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/o2.npy"), "nothing written on failure")
    }
}
