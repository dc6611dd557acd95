import Foundation
import Testing
import TCMData

/// `analyze --shard` + `merge` against one `analyze`: the same report, byte for byte apart from
/// the time taken, for several shard counts and both splits; refusals of bad sets of parts.
@Suite struct ShardCLITests {
    /// Clustered vectors: `sizes[c]` rows of class c around a random centre.
    static func dataset(_ dir: String, sizes: [Int], dimension: Int, seed: UInt64) -> (String, String) {
        var state = seed
        func uniform() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40) / Float(1 << 24) * 2 - 1
        }
        var values: [Float] = [], labels: [Int64] = []
        for (c, size) in sizes.enumerated() {
            let centre = (0 ..< dimension).map { _ in uniform() }
            for _ in 0 ..< size {
                values += centre.map { $0 + 0.8 * uniform() }
                labels.append(Int64(c * 7 % 1000))
            }
        }
        // Shuffle rows (classes interleaved in the input, as in real files).
        let n = labels.count
        var order = Array(0 ..< n)
        for i in stride(from: n - 1, to: 0, by: -1) {
            order.swapAt(i, Int(UInt64(uniform() * 0.5 + 0.5 * 0.999 * Float(i + 1)) % UInt64(i + 1)))
        }
        let shuffled = order.flatMap { values[$0 * dimension ..< ($0 + 1) * dimension] }
        write(NpyWriter.bytes(floats: shuffled, shape: [n, dimension]), dir + "/e.npy")
        write(NpyWriter.bytes(int64s: order.map { labels[$0] }, shape: [n]), dir + "/l.npy")
        return (dir + "/e.npy", dir + "/l.npy")
    }

    static func withoutTiming(_ json: String) -> String {
        json.split(separator: "\n").filter { !$0.contains("\"seconds\"") }.joined(separator: "\n")
    }

    /// Small classes (the tiles split) and large ones (runs of whole classes).
    static let shapes: [(name: String, sizes: [Int])] = [
        ("small classes", (0 ..< 320).map { 1 + $0 % 6 }),
        ("large classes", [150, 90, 2, 170, 60, 1, 120]),
    ]

    /// A float32 `.npy` with a labels file is read as a row stream (`NpyRowFile`); with
    /// `--drop-zero-vectors` (and no zero rows) the same files go through `Dataset`: the same
    /// report and the same count file (fingerprint included), byte for byte.
    @Test(arguments: [0, 1])
    func rowStreamAndWholeFileRouteAgree(shape: Int) throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (e, l) = Self.dataset(dir, sizes: Self.shapes[shape].sizes, dimension: 13, seed: UInt64(60 + shape))
        let streamed = try tcmscope(["analyze", e, l, "--json", "--counts-out", dir + "/a.tcmc"])
        let whole = try tcmscope(["analyze", e, l, "--json", "--counts-out", dir + "/b.tcmc", "--drop-zero-vectors"])
        #expect(streamed.status == 0 && whole.status == 0, "\(streamed.stderr) \(whole.stderr)")
        #expect(Self.withoutTiming(streamed.stdout) == Self.withoutTiming(whole.stdout))
        let a = FileManager.default.contents(atPath: dir + "/a.tcmc"),
            b = FileManager.default.contents(atPath: dir + "/b.tcmc")
        #expect(a != nil && a == b)
        let part = try tcmscope(["analyze", e, l, "--shard", "1/3", "--counts-out", dir + "/p.tcmc"])
        let wholePart = try tcmscope(
            ["analyze", e, l, "--shard", "1/3", "--counts-out", dir + "/q.tcmc", "--drop-zero-vectors"])
        #expect(part.status == 0 && wholePart.status == 0)
        #expect(
            FileManager.default.contents(atPath: dir + "/p.tcmc")
                == FileManager.default.contents(atPath: dir + "/q.tcmc"))
    }

    @Test(arguments: [0, 1])
    func mergedPartsReportLikeOneAnalysis(shape: Int) throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (e, l) = Self.dataset(dir, sizes: Self.shapes[shape].sizes, dimension: 12, seed: UInt64(40 + shape))
        for extra in [["--far-range", "1e-1:1e-3"], ["--no-retrieval"]] {
            let single = try tcmscope(["analyze", e, l, "--json", "--curves", dir + "/single.csv"] + extra)
            #expect(single.status == 0, "\(single.stderr)")
            for shards in [2, 3, 5] {
                var parts: [String] = []
                for k in 0 ..< shards {
                    let part = dir + "/part-\(k).tcmc"
                    let run = try tcmscope(
                        ["analyze", e, l, "--shard", "\(k)/\(shards)", "--counts-out", part]
                            + extra.filter { $0 == "--no-retrieval" })
                    #expect(run.status == 0, "\(run.stderr)")
                    parts.append(part)
                }
                let analysisOptions = extra.filter { $0 != "--no-retrieval" }
                let merged = try tcmscope(
                    ["merge"] + parts.reversed() + [
                        "--json", "--curves", dir + "/merged.csv",
                        "--counts-out", dir + "/all.tcmc",
                    ] + analysisOptions)
                #expect(merged.status == 0, "\(merged.stderr)")
                #expect(
                    Self.withoutTiming(merged.stdout) == Self.withoutTiming(single.stdout),
                    "\(Self.shapes[shape].name), \(shards) shards, \(extra)")
                #expect(
                    FileManager.default.contents(atPath: dir + "/merged.csv")
                        == FileManager.default.contents(atPath: dir + "/single.csv"))
                // The kept merged counts report the same again.
                let again = try tcmscope(["merge", dir + "/all.tcmc", "--json"] + analysisOptions)
                #expect(Self.withoutTiming(again.stdout) == Self.withoutTiming(single.stdout))
            }
            // --counts-out without --shard: the whole pass as one part, and the same report.
            let whole = try tcmscope(["analyze", e, l, "--json", "--counts-out", dir + "/whole.tcmc"] + extra)
            #expect(Self.withoutTiming(whole.stdout) == Self.withoutTiming(single.stdout))
        }
    }

    @Test func badSetsOfPartsAreRefusedWithOneLine() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (e, l) = Self.dataset(dir, sizes: Self.shapes[0].sizes, dimension: 8, seed: 7)
        for k in 0 ..< 3 {
            _ = try tcmscope(["analyze", e, l, "--shard", "\(k)/3", "--counts-out", dir + "/p\(k).tcmc"])
        }
        // Another data set of the same shape, and the same data with other settings.
        let other = dir + "/other"
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
        let (e2, l2) = Self.dataset(other, sizes: Self.shapes[0].sizes, dimension: 8, seed: 8)
        _ = try tcmscope(["analyze", e2, l2, "--shard", "1/3", "--counts-out", dir + "/foreign.tcmc"])
        _ = try tcmscope(["analyze", e, l, "--shard", "1/3", "--k", "1", "--counts-out", dir + "/k1.tcmc"])
        var corrupt = try #require(FileManager.default.contents(atPath: dir + "/p1.tcmc"))
        corrupt[corrupt.count / 2] ^= 1
        try corrupt.write(to: URL(fileURLWithPath: dir + "/corrupt.tcmc"))
        write(Array("not counts".utf8), dir + "/text.tcmc")
        let p = (0 ..< 3).map { dir + "/p\($0).tcmc" }
        let cases: [(files: [String], blamed: String, reason: String)] = [
            ([p[0], p[2]], p[0], "missing shard 1/3"),
            ([p[0], p[1], p[2], p[1]], p[1], "duplicate"),
            ([p[0], dir + "/foreign.tcmc", p[2]], dir + "/foreign.tcmc", "foreign"),
            ([p[0], dir + "/k1.tcmc", p[2]], dir + "/k1.tcmc", "retrieval settings"),
            ([p[0], dir + "/corrupt.tcmc", p[2]], dir + "/corrupt.tcmc", "checksum"),
            ([p[0], dir + "/text.tcmc", p[2]], dir + "/text.tcmc", "not a TCMScope count file"),
            ([p[0], dir + "/none.tcmc", p[2]], dir + "/none.tcmc", "no such file"),
        ]
        for c in cases {
            let run = try tcmscope(["merge"] + c.files + ["--output", dir + "/r.json"])
            #expect(run.status == 2, "\(c.reason): \(run.stderr)")
            let lines = run.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].contains(c.blamed) && lines[0].contains(c.reason), "\(run.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir + "/r.json"))
        }
    }

    @Test func shardFromTheSchedulersVariables() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (e, l) = Self.dataset(dir, sizes: Self.shapes[1].sizes, dimension: 6, seed: 3)
        _ = try tcmscope(["analyze", e, l, "--shard", "2/4", "--counts-out", dir + "/explicit.tcmc"])
        let slurm = [
            "SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "1",
            "SLURM_ARRAY_TASK_STEP": "2",
        ]
        let a = try tcmscope(
            ["analyze", e, l, "--shard", "auto", "--counts-out", dir + "/slurm.tcmc"], environment: slurm)
        #expect(a.status == 0 && a.stdout.contains("shard 2/4"), "\(a.stderr)")
        let b = try tcmscope(
            ["analyze", e, l, "--shard", "auto", "--shard-count", "4", "--counts-out", dir + "/k8s.tcmc"],
            environment: ["JOB_COMPLETION_INDEX": "2"])
        #expect(b.status == 0 && b.stdout.contains("shard 2/4"), "\(b.stderr)")
        let explicit = FileManager.default.contents(atPath: dir + "/explicit.tcmc")
        #expect(explicit != nil && explicit == FileManager.default.contents(atPath: dir + "/slurm.tcmc"))
        #expect(explicit == FileManager.default.contents(atPath: dir + "/k8s.tcmc"))
        let refusals: [([String], [String: String], String)] = [
            (["--shard", "4/4"], [:], "--shard 4/4"),
            (["--shard", "1/0"], [:], "--shard 1/0"),
            (["--shard", "x"], [:], "--shard"),
            (["--shard", "1/99999999"], [:], "out of range"),
            (["--shard", "auto"], ["JOB_COMPLETION_INDEX": "1"], "--shard-count"),
            (["--shard", "auto", "--shard-count", "2"], ["JOB_COMPLETION_INDEX": "2"], "JOB_COMPLETION_INDEX 2"),
            (["--shard", "auto"], ["SLURM_ARRAY_TASK_ID": "1"], "SLURM_ARRAY_TASK_COUNT"),
            (
                ["--shard", "auto"], ["SLURM_ARRAY_TASK_ID": "one", "SLURM_ARRAY_TASK_COUNT": "2"],
                "SLURM_ARRAY_TASK_ID"
            ),
        ]
        for (flags, environment, mention) in refusals {
            let run = try tcmscope(
                ["analyze", e, l, "--counts-out", dir + "/x.tcmc"] + flags, environment: environment)
            #expect(
                run.status == 64 && run.stderr.split(separator: "\n").count == 1 && run.stderr.contains(mention),
                "\(flags): \(run.stderr)")
        }
        let reportWithShard = try tcmscope([
            "analyze", e, l, "--shard", "0/2", "--counts-out", dir + "/x.tcmc", "--json",
        ])
        #expect(reportWithShard.status == 64 && reportWithShard.stderr.contains("merge"))
        let noOut = try tcmscope(["analyze", e, l, "--shard", "0/2"])
        #expect(noOut.status == 64 && noOut.stderr.contains("--counts-out"))
    }
}
