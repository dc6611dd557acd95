import Foundation
import Testing

/// Count file version 3 (shards take strips of tiles): a part written by a tcmscope of an earlier
/// split holds other pairs under the same shard index, so a merge of mixed versions is refused.
@Suite struct ShardSplitVersionCLITests {
    /// Parts of this version with one of version 2 (or 1) among them: one line naming that part,
    /// its version and what to do, exit status 2, no report written; the parts of this version alone
    /// merge.
    @Test func aMergeOfPartsOfAnEarlierSplitIsRefusedInOneLine() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (e, l) = ShardRowsCLITests.scattered(dir, rows: 600, classes: 100, dimension: 6)
        var parts: [String] = []
        for k in 0 ..< 3 {
            parts.append(dir + "/part-\(k).tcmc")
            let run = try tcmscope(["analyze", e, l, "--shard", "\(k)/3", "--counts-out", parts[k]])
            #expect(run.status == 0 && run.stdout.contains("(tiles)"), "\(run.stdout) \(run.stderr)")
        }
        let fresh = try #require(FileManager.default.contents(atPath: parts[1]))
        #expect(fresh[8] == 3 && fresh[9] == 0, "version 3, little-endian, after the 8-byte magic")
        for old in [UInt8(2), 1] {
            var bytes = fresh
            bytes[8] = old
            let stale = dir + "/old-1.tcmc"
            try bytes.write(to: URL(fileURLWithPath: stale))
            let merged = try tcmscope(["merge", parts[0], stale, parts[2], "--out", dir + "/r.json"])
            #expect(merged.status == 2, "\(merged.stderr)")
            #expect(
                merged.stderr
                    == "tcmscope: error: \(stale): count file version \(old), from a tcmscope whose shards split the pairs another way; run every shard (and merge) with this tcmscope\n"
            )
            #expect(!FileManager.default.fileExists(atPath: dir + "/r.json"))
        }
        let merged = try tcmscope(["merge"] + parts + ["--out", dir + "/r.json"])
        #expect(merged.status == 0, "\(merged.stderr)")
    }
}
