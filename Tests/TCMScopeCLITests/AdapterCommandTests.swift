import Foundation
import Testing
import TCMData

/// `apply` and `export`, checked against an independent forward pass: Python's `safetensors`
/// package loads the exported file and numpy computes Linear → ReLU → … → Linear → L2 norm.
@Suite struct AdapterCommandTests {
    /// A tiny trained checkpoint (3 → 8 → 6 → 5) and its data as .npz (embeddings + labels).
    static func trainedCheckpoint(_ dir: String) throws -> (checkpoint: String, data: String) {
        let (e, l) = smallEmbeddings(dir)
        let npz = try handMadeStoredZip([("embeddings.npy", FileBytes.read(e)), ("labels.npy", FileBytes.read(l))])
        write(npz, dir + "/emb.npz")
        let run = try tcmscope([
            "train", "--data", dir + "/emb.npz", "--epochs", "2", "--classes-per-batch", "2",
            "--samples-per-class", "4", "--widths", "8,6,5", "--out", dir + "/run", "--json",
        ])
        try #require(run.status == 0, "\(run.stderr)")
        return (dir + "/run/checkpoint.tcms", dir + "/emb.npz")
    }

    @Test func exportedWeightsGiveApplysOutputInNumpy() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (checkpoint, data) = try Self.trainedCheckpoint(dir)
        let apply = try tcmscope([
            "apply", "--checkpoint", checkpoint, data, "--out", dir + "/adapted.npy", "--block-rows", "7",
        ])
        #expect(apply.status == 0, "\(apply.stderr)")
        #expect(apply.stdout.contains("36 × 5 float32"))
        let export = try tcmscope(["export", "--checkpoint", checkpoint, "--out", dir + "/adapter.safetensors"])
        #expect(export.status == 0, "\(export.stderr)")
        #expect(export.stdout.contains("Sequential(Linear(3, 8), ReLU(), Linear(8, 6), ReLU(), Linear(6, 5))"))

        let script = """
            import sys, numpy as np
            from safetensors import safe_open
            from safetensors.numpy import load_file
            w = load_file(sys.argv[1])
            with safe_open(sys.argv[1], "np") as f:
                meta = f.metadata()
            assert sorted(w) == ["0.bias", "0.weight", "2.bias", "2.weight", "4.bias", "4.weight"], sorted(w)
            assert w["0.weight"].shape == (8, 3) and w["2.weight"].shape == (6, 8) and w["4.bias"].shape == (5,)
            assert meta["architecture"] == "Sequential(Linear(3, 8), ReLU(), Linear(8, 6), ReLU(), Linear(6, 5))", meta
            x = np.load(sys.argv[2])["embeddings"].astype(np.float64)
            h = x
            for i in range(3):
                h = h @ w[f"{2 * i}.weight"].astype(np.float64).T + w[f"{2 * i}.bias"]
                if i < 2:
                    h = np.maximum(h, 0)
            h = h / np.maximum(np.linalg.norm(h, axis=1, keepdims=True), 1e-12)
            adapted = np.load(sys.argv[3])
            assert adapted.shape == h.shape, adapted.shape
            print(float(np.abs(adapted - h).max()))
            """
        let python = try runPython(script, arguments: [dir + "/adapter.safetensors", data, dir + "/adapted.npy"])
        try #require(python.status == 0, "python failed: \(python.stderr)")
        let difference = try #require(Double(python.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(difference < 1e-5, "numpy forward pass differs from apply by \(difference)")
    }

    @Test func applyRefusesADimensionMismatchAndBadFlags() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (checkpoint, _) = try Self.trainedCheckpoint(dir)
        write(NpyWriter.bytes(floats: [1, 2, 3, 4], shape: [1, 4]), dir + "/wide.npy")
        let mismatch = try tcmscope(["apply", "--checkpoint", checkpoint, dir + "/wide.npy", "--out", dir + "/o.npy"])
        #expect(mismatch.status == 2)
        #expect(
            mismatch.stderr
                == "tcmscope: error: \(dir)/wide.npy: has 4-D rows, but the checkpoint \(checkpoint) takes 3-D inputs\n"
        )
        #expect(!FileManager.default.fileExists(atPath: dir + "/o.npy"))
        write(NpyWriter.bytes(floats: [1, .nan, 3], shape: [1, 3]), dir + "/nan.npy")
        let nan = try tcmscope(["apply", "--checkpoint", checkpoint, dir + "/nan.npy", "--out", dir + "/o.npy"])
        #expect(nan.status == 2 && nan.stderr.contains("NaN or infinite values in rows 0 (0-based)"))
        let block = try tcmscope(["apply", "--checkpoint", checkpoint, dir + "/wide.npy", "--block-rows", "0"])
        #expect(block.status == 64 && block.stderr.contains("--block-rows 0 is out of range"))
        let notCheckpoint = try tcmscope(["export", "--checkpoint", dir + "/wide.npy", "--out", dir + "/a.safetensors"])
        #expect(notCheckpoint.status == 2 && notCheckpoint.stderr.contains("not a TCMScope checkpoint"))
        let suffix = try tcmscope(["export", "--checkpoint", checkpoint, "--out", dir + "/a.bin"])
        #expect(suffix.status == 64)
        // A device as the output is refused before any work (OutputTransaction.check).
        let device = try tcmscope(["export", "--checkpoint", checkpoint, "--out", "/dev/null/x.safetensors"])
        #expect(device.status == 2)
    }

    @Test func analyzeReadsNpzAndSafetensorsLikeNpy() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (e, l) = smallEmbeddings(dir)
        let npz = try handMadeStoredZip([("features.npy", FileBytes.read(e)), ("y.npy", FileBytes.read(l))])
        write(npz, dir + "/emb.npz")
        let reference = try tcmscope(["analyze", e, l, "--json", "--no-retrieval"])
        let fromNpz = try tcmscope(["analyze", dir + "/emb.npz", "--json", "--no-retrieval"])
        #expect(reference.status == 0 && fromNpz.status == 0, "\(fromNpz.stderr)")
        func opis(_ run: CLIRun) throws -> Double {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
            return try #require((object["report"] as? [String: Any])?["opis"] as? Double)
        }
        #expect(try opis(fromNpz) == opis(reference))
        let wrongKey = try tcmscope(["analyze", dir + "/emb.npz", "--embeddings-key", "nope"])
        #expect(wrongKey.status == 2)
        #expect(
            wrongKey.stderr
                == "tcmscope: error: \(dir)/emb.npz: --embeddings-key 'nope': no such array (it holds features [36, 3] <f4, y [36] <i8)\n"
        )
        write(Array(npz.dropLast(10)), dir + "/cut.npz")
        let cut = try tcmscope(["project", dir + "/cut.npz", "--out", dir + "/p.npy", "--method", "pca"])
        #expect(cut.status == 2 && cut.stderr.hasPrefix("tcmscope: error: \(dir)/cut.npz: damaged .npz/zip"))
    }
}

/// A stored zip of (name, bytes) members, built field by field.
func handMadeStoredZip(_ members: [(String, [UInt8])]) throws -> [UInt8] {
    func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            crc ^= UInt32(b)
            for _ in 0 ..< 8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
    var out: [UInt8] = [], directory: [UInt8] = []
    for (name, content) in members {
        let offset = UInt32(out.count), n = Array(name.utf8), crc = crc32(content), size = UInt32(content.count)
        out +=
            le(UInt32(0x0403_4B50)) + le(UInt16(20)) + le(UInt16(0)) + le(UInt16(0)) + le(UInt32(0)) + le(crc)
            + le(size) + le(size) + le(UInt16(n.count)) + le(UInt16(0)) + n + content
        directory +=
            le(UInt32(0x0201_4B50)) + le(UInt16(20)) + le(UInt16(20)) + le(UInt16(0)) + le(UInt16(0)) + le(UInt32(0))
            + le(crc) + le(size) + le(size) + le(UInt16(n.count)) + [UInt8](repeating: 0, count: 12) + le(offset) + n
    }
    let start = UInt32(out.count)
    out +=
        directory + le(UInt32(0x0605_4B50)) + le(UInt32(0)) + le(UInt16(members.count)) + le(UInt16(members.count))
        + le(UInt32(directory.count)) + le(start) + le(UInt16(0))
    return out
}

/// Runs `python3 -c script`; a missing python3 or safetensors/numpy package fails the test with
/// how to install them (this check is part of the suite, never skipped).
func runPython(_ script: String, arguments: [String]) throws -> CLIRun {
    let install = "install them with: python3 -m pip install safetensors numpy (CI's .ci/run does)"
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", "import numpy, safetensors.numpy"]
    process.standardError = Pipe()
    do { try process.run() } catch {
        Issue.record("python3 is needed for the export check; \(install)")
        throw error
    }
    process.waitUntilExit()
    try #require(process.terminationStatus == 0, "python3 lacks numpy or safetensors; \(install)")
    let run = Process()
    run.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    run.arguments = ["python3", "-c", script] + arguments
    let out = Pipe(), err = Pipe()
    run.standardOutput = out
    run.standardError = err
    try run.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile(), stderr = err.fileHandleForReading.readDataToEndOfFile()
    run.waitUntilExit()
    return CLIRun(
        status: run.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
        stderr: String(decoding: stderr, as: UTF8.self))
}
