import Foundation
import TCMData
import TCMMetrics
import Testing

/// Issue 35: a shard of the tiles split reads, screens and packs only the rows of the classes its
/// tiles touch, while its count file still proves it read the same whole file.
@Suite struct ShardRowsCLITests {
    /// `rows` rows of `classes` classes, row i of class `(i * 37) % classes`: every class's rows are
    /// scattered through the whole file, so a shard's rows are far apart in it.
    static func scattered(_ dir: String, rows: Int, classes: Int, dimension: Int) -> (String, String) {
        var state: UInt64 = 11
        func uniform() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40) / Float(1 << 24) * 2 - 1
        }
        let centres = (0 ..< classes).map { _ in (0 ..< dimension).map { _ in uniform() } }
        let labels = (0 ..< rows).map { Int64(($0 * 37) % classes) }
        let values = labels.flatMap { c in centres[Int(c)].map { $0 + 0.9 * uniform() } }
        write(NpyWriter.bytes(floats: values, shape: [rows, dimension]), dir + "/e.npy")
        write(NpyWriter.bytes(int64s: labels, shape: [rows]), dir + "/l.npy")
        return (dir + "/e.npy", dir + "/l.npy")
    }

    /// "held R of N rows" from a shard's line.
    static func held(_ stdout: String) -> (Int, Int)? {
        guard let range = stdout.range(of: "held ") else { return nil }
        let words = stdout[range.upperBound...].split(separator: " ")
        guard words.count >= 3, let r = Int(words[0]), let n = Int(words[2]) else { return nil }
        return (r, n)
    }

    /// Shard 0 holds fewer rows than the file, together the shards hold each at least once, and the
    /// merged parts report what one process reports (JSON apart from the time, and the curves
    /// CSV), with and without retrieval.
    @Test func shardsOfScatteredClassesHoldOnlyTheirRowsAndMergeExactly() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (e, l) = Self.scattered(dir, rows: 1800, classes: 300, dimension: 10)
        for extra in [[], ["--no-retrieval"]] {
            let single = try tcmscope(["analyze", e, l, "--json", "--curves", dir + "/single.csv"] + extra)
            #expect(single.status == 0, "\(single.stderr)")
            var parts: [String] = [], total = 0
            for k in 0 ..< 6 {
                parts.append(dir + "/part-\(k).tcmc")
                let run = try tcmscope(["analyze", e, l, "--shard", "\(k)/6", "--counts-out", parts[k]] + extra)
                #expect(run.status == 0, "\(run.stderr)")
                #expect(run.stdout.contains("(tiles)"), "\(run.stdout)")
                let (held, rows) = try #require(Self.held(run.stdout), "\(run.stdout)")
                // Strips of tiles: a shard of 6 holds about √2/√6 (58 %) of the rows, none all of them.
                #expect(rows == 1800 && held < 1800 * 3 / 4, "\(run.stdout)")
                total += held
            }
            #expect(total >= 1800)
            let merged = try tcmscope(["merge"] + parts + ["--json", "--curves", dir + "/merged.csv"])
            #expect(merged.status == 0, "\(merged.stderr)")
            #expect(ShardCLITests.withoutTiming(merged.stdout) == ShardCLITests.withoutTiming(single.stdout))
            #expect(
                FileManager.default.contents(atPath: dir + "/merged.csv")
                    == FileManager.default.contents(atPath: dir + "/single.csv"))
        }
    }

    /// A CSV has no row access: it is read whole (the whole-file readers' bound), and the shard
    /// packs only its rows from it. Its parts report what one process reports on the `.npy` of the
    /// same values, and merge with parts of that `.npy` (the fingerprint is of the values).
    @Test func shardsOfAFileWithoutRowAccessMergeExactly() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (e, l) = Self.scattered(dir, rows: 900, classes: 150, dimension: 6)
        let matrix = try EmbeddingLoader.load(e).0
        let csv =
            (0 ..< matrix.rows).map { r in
                (0 ..< matrix.cols).map { String(format: "%.9g", Double(matrix.values[r * matrix.cols + $0])) }
                    .joined(separator: ",")
            }.joined(separator: "\n") + "\n"
        write(Array(csv.utf8), dir + "/e.csv")
        let single = try tcmscope(["analyze", e, l, "--json"])
        #expect(single.status == 0, "\(single.stderr)")
        var parts: [String] = []
        for k in 0 ..< 3 {
            parts.append(dir + "/c\(k).tcmc")
            let run = try tcmscope(["analyze", dir + "/e.csv", l, "--shard", "\(k)/3", "--counts-out", parts[k]])
            #expect(run.status == 0 && run.stdout.contains("(tiles)"), "\(run.stdout) \(run.stderr)")
        }
        let merged = try tcmscope(["merge"] + parts + ["--json"])
        #expect(merged.status == 0, "\(merged.stderr)")
        func comparable(_ json: String) -> String {
            ShardCLITests.withoutTiming(json).split(separator: "\n").filter { !$0.contains("\"embeddings\"") }
                .joined(separator: "\n")
        }
        #expect(comparable(merged.stdout) == comparable(single.stdout))
        _ = try tcmscope(["analyze", e, l, "--shard", "1/3", "--counts-out", dir + "/n1.tcmc"])
        #expect(try tcmscope(["merge", parts[0], dir + "/n1.tcmc", parts[2], "--json"]).status == 0)
    }

    /// One byte changed in a row shard 0 does not hold: shard 0 of the changed file still runs (its
    /// rows are the same), but its fingerprint is of the whole file, so the merge with the other
    /// parts of the original file refuses it in one line naming the file, exit status 2.
    @Test func aByteChangedOutsideAShardsRowsIsCaughtByTheMerge() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (e, l) = Self.scattered(dir, rows: 1800, classes: 300, dimension: 10)
        let labels = try LabelLoader.load(l)
        let layout = ClassLayout(planningSizes: labels.classSizes, names: labels.classNames)
        let kept = try #require(
            MetricsPass.shardRows(layout: layout, retrievalKs: [1, 2, 4, 8], shard: .init(index: 0, count: 4)))
        // A class none of whose rows shard 0 holds, and an input row of it.
        let outside = try #require(
            (0 ..< layout.classCount).first { c in !kept.contains { $0.contains(layout.classStart[c]) } })
        let row = try #require(labels.classOf.firstIndex { Int($0) == outside })
        var bytes = try #require(FileManager.default.contents(atPath: e))
        let dataStart = bytes.count - 1800 * 10 * 4
        bytes[dataStart + row * 40] ^= 1  // the lowest mantissa bit of the row's first value
        let changed = dir + "/changed.npy"
        try bytes.write(to: URL(fileURLWithPath: changed))
        let part0 = try tcmscope(["analyze", changed, l, "--shard", "0/4", "--counts-out", dir + "/p0.tcmc"])
        #expect(part0.status == 0, "\(part0.stderr)")
        var parts = [dir + "/p0.tcmc"]
        for k in 1 ..< 4 {
            parts.append(dir + "/p\(k).tcmc")
            let run = try tcmscope(["analyze", e, l, "--shard", "\(k)/4", "--counts-out", parts[k]])
            #expect(run.status == 0, "\(run.stderr)")
        }
        let merged = try tcmscope(["merge"] + parts + ["--out", dir + "/r.json"])
        #expect(merged.status == 2, "\(merged.stderr)")
        let lines = merged.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(merged.stderr)")
        #expect(
            merged.stderr.hasPrefix("tcmscope: error: \(parts[1])")
                && merged.stderr.contains("other embeddings (embeddings hash differs)"), "\(merged.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/r.json"))
        // The same shard of the original file merges.
        _ = try tcmscope(["analyze", e, l, "--shard", "0/4", "--counts-out", dir + "/p0.tcmc"])
        #expect(try tcmscope(["merge"] + parts + ["--out", dir + "/r.json"]).status == 0)
    }

    /// A NaN in a row a shard does not hold is not that shard's to screen; the shard that holds
    /// it refuses the file in one line naming the row, so the job cannot merge without it.
    @Test func theShardHoldingABadRowRefusesIt() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (e, l) = Self.scattered(dir, rows: 1800, classes: 300, dimension: 10)
        var bytes = try #require(FileManager.default.contents(atPath: e))
        let dataStart = bytes.count - 1800 * 10 * 4
        let nan = Float.nan.bitPattern.littleEndian
        withUnsafeBytes(of: nan) { for i in 0 ..< 4 { bytes[dataStart + 777 * 40 + i] = $0[i] } }
        try bytes.write(to: URL(fileURLWithPath: e))
        var refusals = 0
        for k in 0 ..< 4 {
            let run = try tcmscope(["analyze", e, l, "--shard", "\(k)/4", "--counts-out", dir + "/p\(k).tcmc"])
            if run.status == 2 {
                refusals += 1
                #expect(run.stderr == "tcmscope: error: \(e): NaN or infinite values in rows 777 (0-based)\n")
                #expect(!FileManager.default.fileExists(atPath: dir + "/p\(k).tcmc"))
            } else {
                #expect(run.status == 0, "\(run.stderr)")
            }
        }
        #expect(refusals >= 1 && refusals < 4)
    }
}
