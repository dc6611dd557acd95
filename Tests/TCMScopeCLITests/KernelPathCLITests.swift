import Foundation
import Testing
import TCMData
import TCMKernels

/// `TCMSCOPE_KERNELS` end to end: every path this machine supports gives the same report, and a
/// bad value is refused with exit status 2.
@Suite struct KernelPathCLITests {
    /// 301 × 37 (odd sizes: edge tiles on every path), 6 classes with different spreads.
    static func writeData(_ dir: String) throws -> (String, String) {
        var state: UInt64 = 12345
        func uniform() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40) / Float(1 << 24) * 2 - 1
        }
        let n = 301, d = 37
        let centres = (0 ..< 6).map { _ in (0 ..< d).map { _ in uniform() } }
        var values: [Float] = [], labels: [Int64] = []
        for i in 0 ..< n {
            let c = i % 6
            values += centres[c].map { $0 + Float(c + 1) * 0.25 * uniform() }
            labels.append(Int64(c))
        }
        let e = dir + "/e.npy", l = dir + "/l.npy"
        try AtomicFile.write(NpyWriter.bytes(floats: values, shape: [n, d]), to: e)
        try AtomicFile.write(NpyWriter.bytes(int64s: labels, shape: [n]), to: l)
        return (e, l)
    }

    @Test func everySupportedPathGivesTheSameReport() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (e, l) = try Self.writeData(dir)
        var reports: [KernelPath: String] = [:]
        for path in KernelPath.supported {
            let run = try tcmscope(["analyze", e, l, "--json"], environment: ["TCMSCOPE_KERNELS": path.rawValue])
            #expect(run.status == 0, "\(path): \(run.stderr)")
            // Everything but the run time: OPIS, ε-OPIS, the pair counts and curves, retrieval.
            var document = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
            #expect(
                document["report"] != nil && document["retrieval"] is [String: Any],
                "\(path): \(run.stdout.prefix(200))")
            document["seconds"] = nil
            let canonical = try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])
            reports[path] = String(decoding: canonical, as: UTF8.self)
        }
        let reference = try #require(reports[KernelPath.supported[0]])
        #expect(reference.contains("opis") && reference.contains("recall"))
        for (path, report) in reports {
            #expect(report == reference, "\(path) report differs from \(KernelPath.supported[0])'s")
        }
    }

    /// A training run (contrastive + TCM, Adam with weight decay, odd widths so every vector tail
    /// runs) under every supported path: the same checkpoint, evaluation embeddings and metrics, bit
    /// for bit (the training step's elementwise kernels differ by path: TCMKernels.Elementwise).
    @Test func everySupportedPathTrainsTheSameModel() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (e, l) = try Self.writeData(dir)
        var runs: [KernelPath: [String: [UInt8]]] = [:]
        for path in KernelPath.supported {
            let out = dir + "/run-" + path.rawValue
            let run = try tcmscope(
                [
                    "train", "--data", e, "--labels", l, "--widths", "19,13", "--classes-per-batch", "5",
                    "--samples-per-class", "7", "--epochs", "8", "--tcm", "--weight-decay", "0.01", "--eval-every",
                    "20",
                    "--out", out,
                ], environment: ["TCMSCOPE_KERNELS": path.rawValue])
            #expect(run.status == 0, "\(path): \(run.stderr)")
            var files: [String: [UInt8]] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: out) {
                let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: out + "/" + name)))
                files[name] = name.hasSuffix(".json") || name.hasSuffix(".tcms") ? try Self.withoutTimes(bytes) : bytes
            }
            #expect(files.keys.contains("checkpoint.tcms") && files.keys.contains("eval-embeddings.npy"))
            #expect(files.keys.filter { $0.hasPrefix("metrics-step") }.count >= 3, "\(files.keys.sorted())")
            runs[path] = files
        }
        let reference = try #require(runs[KernelPath.supported[0]])
        for (path, files) in runs {
            #expect(files.keys.sorted() == reference.keys.sorted(), "\(path)")
            for (name, bytes) in files {
                let same = bytes == reference[name]  // (not inside #expect, which would print every byte)
                #expect(same, "\(path): \(name) differs from \(KernelPath.supported[0])'s")
            }
        }
    }

    /// A metrics file with its wall-clock fields removed and its keys sorted, or a checkpoint's JSON
    /// header likewise (key order is not fixed) followed by its tensors as they are.
    static func withoutTimes(_ bytes: [UInt8]) throws -> [UInt8] {
        func canonical(_ json: ArraySlice<UInt8>) throws -> [UInt8] {
            func strip(_ value: Any) -> Any {
                if let object = value as? [String: Any] {
                    return object.filter { !["seconds", "medianSamplesPerSecond"].contains($0.key) }.mapValues(strip)
                }
                if let array = value as? [Any] { return array.map(strip) }
                return value
            }
            let object = try JSONSerialization.jsonObject(with: Data(json))
            return Array(try JSONSerialization.data(withJSONObject: strip(object), options: [.sortedKeys]))
        }
        guard bytes.starts(with: Array("TCMSCKPT".utf8)) else { return try canonical(bytes[...]) }
        let length = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        return try canonical(bytes[12 ..< 12 + length]) + bytes[(12 + length)...]
    }

    @Test func aBadValueIsRefusedWithExitTwo() throws {
        let run = try tcmscope(
            ["analyze", "--no-retrieval"], in: packageRoot, environment: ["TCMSCOPE_KERNELS": "sse9"])
        #expect(run.status == 2)
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(run.stderr.contains("TCMSCOPE_KERNELS=sse9"))
        #expect(run.stderr.contains("portable"), "names the allowed values")
        #expect(run.stdout.isEmpty)
    }
}
