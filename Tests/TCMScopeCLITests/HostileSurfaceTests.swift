import Foundation
import Testing
import TCMData
import TCMKernels
@testable import TCMScopeCLI
@testable import TCMTraining

/// Issue 18 through the real binary: every refusal is one line with the right exit status, and
/// an earlier output at the target is left as it was.
@Suite struct HostileSurfaceTests {
    func contents(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

    func expectRefusal(
        _ run: CLIRun, status: Int32, _ fragments: [String], _ context: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(run.status == status, "\(context): status \(run.status), \(run.stderr)", sourceLocation: sourceLocation)
        #expect(
            run.stderr.split(separator: "\n").count == 1, "\(context): \(run.stderr)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(
                run.stderr.contains(fragment), "\(context): no '\(fragment)' in \(run.stderr)",
                sourceLocation: sourceLocation)
        }
    }

    /// Cause 2: scheduler variables at the ends of Int64, negative, zero steps, or past any
    /// array size are refused like flags (exit 64, one line naming the variable), never a trap.
    @Test func schedulerVariablesAreBoundedLikeFlags() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (e, l) = smallEmbeddings(dir)
        let max = "9223372036854775807", min = "-9223372036854775808"
        let cases: [([String: String], String)] = [
            (
                ["SLURM_ARRAY_TASK_ID": max, "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "-1"],
                "SLURM_ARRAY_TASK_ID"
            ),
            (
                ["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "-1"],
                "SLURM_ARRAY_TASK_MIN"
            ),
            (["SLURM_ARRAY_TASK_ID": min, "SLURM_ARRAY_TASK_COUNT": "4"], "SLURM_ARRAY_TASK_ID"),
            (["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": max], "SLURM_ARRAY_TASK_COUNT"),
            (
                ["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_STEP": "0"],
                "SLURM_ARRAY_TASK_STEP"
            ),
            (
                ["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_STEP": min],
                "SLURM_ARRAY_TASK_STEP"
            ),
            (
                ["SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "5"],
                "below SLURM_ARRAY_TASK_MIN"
            ),
            (["SLURM_ARRAY_TASK_ID": "99999999999999999999", "SLURM_ARRAY_TASK_COUNT": "4"], "not an integer"),
            (["JOB_COMPLETION_INDEX": max], "JOB_COMPLETION_INDEX"),
            (["JOB_COMPLETION_INDEX": "-1"], "JOB_COMPLETION_INDEX"),
        ]
        write(Array("earlier".utf8), dir + "/x.tcmc")
        for (environment, mention) in cases {
            let flags = environment["JOB_COMPLETION_INDEX"] != nil ? ["--shard-count", "4"] : []
            let run = try tcmscope(
                ["analyze", e, l, "--shard", "auto", "--counts-out", dir + "/x.tcmc"] + flags, environment: environment)
            expectRefusal(run, status: 64, [mention], "\(environment)")
            #expect(contents(dir + "/x.tcmc") == "earlier")
        }
    }

    /// A count file as `analyze --no-retrieval` writes it (split by whole classes, one shard),
    /// with class c's positives in bins from 15,000 on and its negatives in bins from 5,000 on.
    static func countFile(sizes: [Int], positives: [[UInt64]], negatives: [[UInt64]]) -> [UInt8] {
        var w = ByteWriter()
        w.raw(Array("TCMCOUNT".utf8))
        w.u16(3)  // CountFile.version
        w.varint(sizes.reduce(0, +))
        w.varint(4)
        w.varint(sizes.count)
        for c in sizes.indices { w.string("c\(c)") }
        for s in sizes { w.varint(s) }
        w.u64(1)
        w.u64(2)
        w.string("e.npy")
        w.string("l.npy")
        w.varint(0)  // dropped rows
        w.varint(10_000)  // bins per unit
        w.u8(0)  // no retrieval
        w.varint(0)
        w.u8(2)  // class runs
        w.varint(1)
        w.varint(1)
        w.varint(0)
        for c in sizes.indices {
            var block = ByteWriter()
            block.varint(15_000)
            block.varint(positives[c].count)
            for v in positives[c] { block.varint(v) }
            block.varint(5_000)
            block.varint(negatives[c].count)
            for v in negatives[c] { block.varint(v) }
            w.varint(block.bytes.count)
            w.raw(block.bytes)
        }
        w.appendChecksum()
        return w.bytes
    }

    /// Cause 3: a CRC-valid count file with 2^32 − 1 rows in one class is refused when read (exit
    /// 2, one line) by merge, and the earlier report stays; the largest allowed file merges.
    @Test func countsPastInt64AreRefusedAndTheLargestAllowedMerge() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let n: UInt64 = (1 << 32) - 1
        write(Self.countFile(sizes: [Int(n)], positives: [[n * (n - 1)]], negatives: [[]]), dir + "/huge.tcmc")
        write(Array("earlier".utf8), dir + "/r.json")
        let huge = try tcmscope(["merge", dir + "/huge.tcmc", "--out", dir + "/r.json"])
        expectRefusal(huge, status: 2, [dir + "/huge.tcmc", "samples", "2147483647"], "2^32 − 1 rows")
        #expect(contents(dir + "/r.json") == "earlier")
        let dash = try tcmscope(["dash", "--counts", dir + "/huge.tcmc"])
        expectRefusal(dash, status: 2, [dir + "/huge.tcmc", "samples"], "dash --counts, 2^32 − 1 rows")
        // 2^31 − 1 rows in two classes: totals near 2^62 report without a trap.
        let a = 1 << 30, b = Int(Int32.max) - a
        let m = UInt64(a + b)
        let sizes = [a, b]
        write(
            Self.countFile(
                sizes: sizes, positives: sizes.map { [UInt64($0) * UInt64($0 - 1)] },
                negatives: sizes.map { [UInt64($0) * (m - UInt64($0))] }), dir + "/max.tcmc")
        let largest = try tcmscope(["merge", dir + "/max.tcmc", "--json"])
        #expect(largest.status == 0, "\(largest.stderr)")
        #expect(largest.stdout.contains("\"positivePairs\" : \(UInt64(a) * UInt64(a - 1) + UInt64(b) * UInt64(b - 1))"))
        // Bins that wrap past 2^64 onto the expected totals: named as an overflow.
        let wrapped = Self.countFile(
            sizes: [40, 30], positives: [[1 << 63, 1 << 63, 1560], [870]], negatives: [[1200], [1200]])
        write(wrapped, dir + "/wrap.tcmc")
        let wrap = try tcmscope(["merge", dir + "/wrap.tcmc", "--out", dir + "/r.json"])
        expectRefusal(wrap, status: 2, ["class 0", "past 64 bits"], "wrapping totals")
        #expect(!wrap.stderr.contains("pairs, expected"))
        #expect(contents(dir + "/r.json") == "earlier")
    }

    /// Cause 4: SIGTERM (and SIGINT) halfway through the renames of merge's four outputs: exit
    /// 128 + signal and every earlier output as it was, no temporary or kept file left.
    @Test func aSignalDuringTheRenamesRollsEveryOutputBack() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (e, l) = smallEmbeddings(dir)
        for k in 0 ..< 2 {
            let part = try tcmscope(["analyze", e, l, "--shard", "\(k)/2", "--counts-out", dir + "/p\(k).tcmc"])
            #expect(part.status == 0, "\(part.stderr)")
        }
        let outputs = ["r.json", "c.csv", "p.svg", "all.tcmc"].map { dir + "/" + $0 }
        for (signal, status) in [(SIGTERM, Int32(143)), (SIGINT, Int32(130))] {
            for path in outputs { write(Array("earlier".utf8), path) }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try binaryPath())
            process.arguments = [
                "merge", dir + "/p0.tcmc", dir + "/p1.tcmc", "--out", outputs[0], "--curves", outputs[1],
                "--plot", outputs[2], "--counts-out", outputs[3],
            ]
            var environment = ProcessInfo.processInfo.environment
            environment["TCMSCOPE_TEST_PAUSE_BETWEEN_RENAMES"] = "30"
            process.environment = environment
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Wait until the first output has been replaced: the run is between two renames.
            let deadline = Date().addingTimeInterval(60)
            while outputs.allSatisfy({ contents($0) == "earlier" }) && Date() < deadline { usleep(20_000) }
            #expect(outputs.filter { contents($0) != "earlier" }.count == 1, "one output renamed before the signal")
            kill(process.processIdentifier, signal)
            process.waitUntilExit()
            #expect(
                process.terminationReason == .exit && process.terminationStatus == status,
                "\(process.terminationStatus)")
            for path in outputs { #expect(contents(path) == "earlier", "signal \(signal): \(path) was replaced") }
            let left = try FileManager.default.contentsOfDirectory(atPath: dir).filter {
                $0.contains(OutputTransaction.marker)
            }
            #expect(left.isEmpty, "left \(left)")
        }
        // Without a signal the same run replaces all four.
        let run = try tcmscope([
            "merge", dir + "/p0.tcmc", dir + "/p1.tcmc", "--out", outputs[0], "--curves", outputs[1], "--plot",
            outputs[2], "--counts-out", outputs[3],
        ])
        #expect(run.status == 0, "\(run.stderr)")
        for path in outputs { #expect(FileManager.default.contents(atPath: path) != Data("earlier".utf8)) }
    }

    /// Cause 5: a checkpoint with finite but absurd weights is refused when read; an adapter whose
    /// output overflows on finite inputs is refused by apply; neither writes --out.
    @Test func absurdCheckpointsAndOverflowingOutputsAreRefused() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let baseline = packageRoot + "/sample-data/baseline/checkpoint.tcms"
        var bytes = try #require(FileManager.default.contents(atPath: baseline).map(Array.init))
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        let first = 12 + headerLength
        withUnsafeBytes(of: Float(3e38).bitPattern.littleEndian) {
            bytes.replaceSubrange(first ..< first + 4, with: $0)
        }
        write(bytes, dir + "/absurd.tcms")
        write(NpyWriter.bytes(floats: [Float](repeating: 0.5, count: 784 * 3), shape: [3, 784]), dir + "/x.npy")
        write(Array("earlier".utf8), dir + "/out.npy")
        let absurd = try tcmscope([
            "apply", "--checkpoint", dir + "/absurd.tcms", dir + "/x.npy", "--out", dir + "/out.npy",
        ])
        expectRefusal(absurd, status: 2, [dir + "/absurd.tcms", "magnitude", "layer 1"], "absurd weights")
        let export = try tcmscope(["export", "--checkpoint", dir + "/absurd.tcms", "--out", dir + "/a.safetensors"])
        expectRefusal(export, status: 2, ["magnitude"], "export of absurd weights")
        #expect(contents(dir + "/out.npy") == "earlier")
        let fine = try tcmscope(["apply", "--checkpoint", baseline, dir + "/x.npy", "--out", dir + "/out.npy"])
        #expect(fine.status == 0, "\(fine.stderr)")
    }

    /// Cause 5, the second line of defence: weights within the bound can still overflow through
    /// enough layers (1e6 × 64 per layer); apply then refuses instead of writing zeros or NaN.
    @Test func applyRefusesAModelWhoseOutputOverflows() throws {
        let widths = [4, 64, 64, 64, 64, 64, 8]
        let layers = (1 ..< widths.count).map { l in
            MLP.Layer(
                weight: Matrix(rows: widths[l], cols: widths[l - 1], repeating: Checkpoint.maxWeightMagnitude),
                bias: [Float](repeating: 0, count: widths[l]))
        }
        let input = Matrix(rows: 3, cols: 4, repeating: 0.5)
        do {
            _ = try AdapterApply.npyBytes(
                model: MLP(layers: layers), input: input, file: "x.npy", checkpoint: "c.tcms", blockRows: 2)
            Issue.record("an overflowing model's output was accepted")
        } catch let e as DataError {
            #expect(e.file == "c.tcms" && e.problem.contains("non-finite values for row 0 of x.npy"), "\(e)")
        }
        // Three layers of the same weights stay finite and are written.
        let shallow =
            Array(layers.prefix(2)) + [
                MLP.Layer(weight: Matrix(rows: 8, cols: 64, repeating: 1), bias: [Float](repeating: 0, count: 8))
            ]
        _ = try AdapterApply.npyBytes(
            model: MLP(layers: shallow), input: input, file: "x.npy", checkpoint: "c.tcms", blockRows: 2)
    }

    /// Cause 6: reports with impossible values are refused by compare (exit 2, one line naming
    /// the report and the field), so no --fail-if-worse gate passes on them.
    @Test func compareValidatesEveryValueOfAReport() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (a, b, l) = CompareTests.twoModels(dir)
        #expect(try tcmscope(["analyze", a, l, "--out", dir + "/a.json"]).status == 0)
        #expect(try tcmscope(["analyze", b, l, "--out", dir + "/b.json"]).status == 0)
        #expect(try tcmscope(["compare", dir + "/a.json", dir + "/b.json"]).status == 0)
        let original = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/b.json")))
                as? [String: Any])
        func edited(_ change: (inout [String: Any]) -> Void) throws -> String {
            var object = original
            change(&object)
            let path = dir + "/edited.json"
            try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
            return path
        }
        func report(_ change: @escaping (inout [String: Any]) -> Void) -> (inout [String: Any]) -> Void {
            { object in
                var r = object["report"] as! [String: Any]
                change(&r)
                object["report"] = r
            }
        }
        let cases: [((inout [String: Any]) -> Void, String)] = [
            (report { $0["opis"] = -5.0 }, "opis -5"),
            (report { $0["opis"] = 1e300 }, "opis 1e+300"),
            (report { $0["epsilonOPIS"] = 2.0 }, "epsilonOPIS 2"),
            (report { $0["opis"] = 0.0 }, "is not the mean"),
            (report { $0["classesInOPIS"] = 7 }, "classesInOPIS 7"),
            (
                report { r in
                    var classes = r["classes"] as! [[String: Any]]
                    classes.removeLast()
                    r["classes"] = classes
                }, "rows hold"
            ),
            (
                report { r in
                    var classes = r["classes"] as! [[String: Any]]
                    classes[1]["positivePairs"] = 1
                    r["classes"] = classes
                }, "positive and"
            ),
            (
                report { r in
                    var classes = r["classes"] as! [[String: Any]]
                    classes[0]["tpr"] = 1.5
                    r["classes"] = classes
                }, "tpr 1.5"
            ),
            (
                report { r in
                    var global = r["global"] as! [String: Any]
                    global["positivePairs"] = 1
                    r["global"] = global
                }, "global pair counts"
            ),
            (
                {
                    $0["input"] = [
                        "embeddings": "e", "labels": "l", "samples": 61, "dimension": 6, "classes": 9,
                        "droppedZeroVectorRows": [],
                    ]
                }, "input says"
            ),
        ]
        for (change, mention) in cases {
            let path = try edited(change)
            write(Array("earlier".utf8), dir + "/c.json")
            let run = try tcmscope(["compare", dir + "/a.json", path, "--fail-if-worse", "1", "--out", dir + "/c.json"])
            #expect(contents(dir + "/c.json") == "earlier")
            expectRefusal(run, status: 2, [path, "impossible report", mention], mention)
        }
    }
}
