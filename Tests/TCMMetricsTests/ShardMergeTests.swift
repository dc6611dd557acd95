import Testing
import TCMData
import TCMKernels
@testable import TCMMetrics

/// Shards merged against the single process: the same counts bin for bin and the same
/// retrieval report bit for bit, for both splits (tiles of small classes, runs of large ones).
@Suite struct ShardMergeTests {
    static func header(_ layout: ClassLayout, ks: [Int]?, shards: Int, shard: Int, kind: ShardLayout) -> CountFileHeader
    {
        CountFileHeader(
            samples: layout.sampleCount, dimension: layout.unitRows.cols, classNames: layout.classNames,
            classSizes: (0 ..< layout.classCount).map(layout.size(of:)), labelsHash: 1, embeddingsHash: 2,
            embeddingsPath: "e.npy", labelsDescription: "l.npy", droppedZeroVectorRows: [], binsPerUnit: 10_000,
            retrievalKs: ks, layout: kind, shardCount: shards, shards: [shard])
    }

    /// Every shard of an `shards`-way split, written and read back as count files.
    static func parts(_ layout: ClassLayout, ks: [Int]?, shards: Int, threads: Int = 2) throws -> [CountFile] {
        var tiling = PairCounts.Tiling()
        tiling.threads = threads
        return try (0 ..< shards).map { s in
            let partial = MetricsPass.computeShard(
                layout: layout, tiling: tiling, retrievalKs: ks, shard: ShardSpec(index: s, count: shards))
            let bytes = CountFile.encode(
                header: header(layout, ks: ks, shards: shards, shard: s, kind: partial.layout), partial: partial)
            return try CountFile(bytes: bytes, path: "part-\(s).tcmc")
        }
    }

    /// Small classes (heaps pay: the fused pass shares tiles), a singleton, exact ties.
    static func smallClasses(seed: UInt64) -> ClassLayout {
        var sizes = (0 ..< 300).map { 2 + $0 % 5 }
        sizes[7] = 1
        let (m, labels) = clusteredData(sizes: sizes, dimension: 9, seed: seed)
        var values = m.values
        for (dst, src) in [(3, 40), (11, 12), (100, 5), (700, 701)] {
            for p in 0 ..< m.cols { values[dst * m.cols + p] = values[src * m.cols + p] }
        }
        return ClassLayout(embeddings: Matrix(rows: m.rows, cols: m.cols, values: values), labels: labels)
    }

    static func largeClasses(seed: UInt64) -> ClassLayout {
        let (m, labels) = clusteredData(sizes: [70, 3, 55, 1, 90, 40], dimension: 6, seed: seed)
        return ClassLayout(embeddings: m, labels: labels)
    }

    @Test(arguments: [(UInt64(1), ShardLayout.tiles), (2, .tiles), (3, .classRuns), (4, .classRuns)])
    func mergedShardsEqualTheSingleProcess(seed: UInt64, kind: ShardLayout) throws {
        let layout = kind == .tiles ? Self.smallClasses(seed: seed) : Self.largeClasses(seed: seed)
        for ks in [[1, 2, 4, 8], nil] as [[Int]?] {
            #expect(ShardAssignment.kind(layout: layout, retrievalKs: ks, bins: .standard) == kind)
            var single = PairCounts.Tiling()
            single.threads = 1
            let (counts, retrieval) = MetricsPass.compute(layout: layout, tiling: single, retrievalKs: ks)
            for shards in [1, 3, 8] {
                let merged = try MergedCounts.merge(Self.parts(layout, ks: ks, shards: shards, threads: 1 + shards % 2))
                MetricsPassTests.expectSameCounts(counts, merged.counts)
                #expect(merged.retrieval() == retrieval, "\(kind) \(shards) shards")
                // Kept and read again (merge --counts-out), it reports the same.
                let again = try MergedCounts.merge([CountFile(bytes: merged.encoded(), path: "merged.tcmc")])
                MetricsPassTests.expectSameCounts(counts, again.counts)
                #expect(again.retrieval() == retrieval)
            }
        }
    }

    /// Merged outcomes at k = 1 equal a pass asked for k = 1 only (the dashboard's first analysis).
    @Test func smallerKFromMergedOutcomes() throws {
        for layout in [Self.smallClasses(seed: 9), Self.largeClasses(seed: 9)] {
            let merged = try MergedCounts.merge(Self.parts(layout, ks: [1, 2, 4, 8], shards: 3))
            #expect(merged.retrieval(ks: [1]) == MetricsPass.countsAndRetrieval(layout: layout, ks: [1]).retrieval)
        }
    }

    /// Tiles are spread within 4/3 of the best split, and every tile has exactly one owner.
    @Test func tilesAreBalancedAndOwnedOnce() {
        let (m, labels) = clusteredData(sizes: (0 ..< 400).map { 2 + $0 % 7 }, dimension: 4, seed: 5)
        let layout = ClassLayout(embeddings: m, labels: labels)
        // Up to the flag's bound: the least-loaded shard comes from a heap, not a scan of them all.
        for shards in [2, 7, 16, 1000, 65_536] {
            let a = ShardAssignment.make(layout: layout, shards: shards, retrievalKs: [1])
            #expect(a.layout == .tiles)
            let (load, total, largest) = ShardSplitPlanTests.tilePairs(a, layout: layout, shards: shards)
            #expect(Double(load.max()!) <= Double(total) / Double(shards) * 4 / 3 + Double(largest))
        }
    }

    /// With 8 shards, the tiles go in strips of about √share rows (`stripSplit`): every shard's
    /// tiles touch at most 9/16 of the groups, about √2/√8 = 1/2 (a tile-by-tile split touched all
    /// of them in every shard; blocks of tiles left one shard their leftovers, ~2/3), those of the
    /// strips' triangles fewer, and the shards stay within 10 % of an even split.
    @Test func eightShardsTouchAboutHalfTheGroups() {
        let (m, labels) = clusteredData(sizes: (0 ..< 3000).map { 2 + $0 % 5 }, dimension: 4, seed: 6)
        let layout = ClassLayout(embeddings: m, labels: labels)
        let a = ShardAssignment.make(layout: layout, shards: 8, retrievalKs: nil)
        #expect(a.layout == .tiles)
        let g = a.bounds.count - 1
        #expect(g >= 32)
        func rows(_ i: Int) -> Int { layout.classStart[a.bounds[i + 1]] - layout.classStart[a.bounds[i]] }
        var load = [Int](repeating: 0, count: 8)
        for x in 0 ..< g {
            for y in x ..< g {
                load[Int(a.owner[x * g + y])] += x == y ? rows(x) * (rows(x) + 1) / 2 : rows(x) * rows(y)
            }
        }
        let even = Double(layout.sampleCount * (layout.sampleCount + 1) / 2) / 8
        #expect(Double(load.max()!) <= even * 1.10)
        var touchedTotal = 0
        for shard in 0 ..< 8 {
            let touched = g - HalfRoundsPass.untouchedGroups(a.tileSelection(shard: shard)).count
            touchedTotal += touched
            #expect(touched <= g * 9 / 16, "shard \(shard) touches \(touched) of \(g) groups")
        }
        #expect(touchedTotal <= 8 * g / 2)
    }

    /// A part of an earlier version (1: tiles one by one, 2: blocks of tiles) holds other pairs
    /// than a version-3 part of the same index: it is refused by name, with what to do, never merged.
    @Test func partsOfTheEarlierSplitsAreRefused() throws {
        let parts = try Self.parts(Self.smallClasses(seed: 4), ks: [1, 4], shards: 3)
        #expect(parts[1].bytes[8] == UInt8(CountFile.version) && CountFile.version == 3)
        for old in [UInt8(1), 2] {
            var bytes = parts[1].bytes
            bytes[8] = old
            do {
                _ = try CountFile(bytes: bytes, path: "old-1.tcmc")
                Issue.record("a version-\(old) count file was read")
            } catch let error as DataError {
                #expect(error.file == "old-1.tcmc")
                #expect(
                    error.problem
                        == "count file version \(old), from a tcmscope whose shards split the pairs another way; run every shard (and merge) with this tcmscope"
                )
            }
        }
    }

    @Test func missingDuplicatedForeignAndCorruptPartsAreRefused() throws {
        let layout = Self.smallClasses(seed: 4)
        let parts = try Self.parts(layout, ks: [1, 4], shards: 3)
        func refusal(_ files: [CountFile]) -> DataError? {
            do {
                _ = try MergedCounts.merge(files)
                return nil
            } catch { return error as? DataError }
        }
        let missing = refusal([parts[0], parts[2]])
        #expect(missing?.problem.contains("missing shard 1/3") == true)
        let duplicate = refusal([parts[0], parts[1], parts[1], parts[2]])
        #expect(duplicate?.file == "part-1.tcmc" && duplicate?.problem.contains("duplicate") == true)
        // Another data set (other seed: same sizes, other embeddings hash) and another split.
        var h = Self.header(layout, ks: [1, 4], shards: 3, shard: 1, kind: .tiles)
        h.embeddingsHash = 99
        let partial = MetricsPass.computeShard(
            layout: layout, retrievalKs: [1, 4], shard: ShardSpec(index: 1, count: 3))
        let foreign = try CountFile(bytes: CountFile.encode(header: h, partial: partial), path: "other.tcmc")
        let f = refusal([parts[0], foreign, parts[2]])
        #expect(f?.file == "other.tcmc" && f?.problem.contains("embeddings hash") == true)
        h = Self.header(layout, ks: [1, 2], shards: 3, shard: 1, kind: .tiles)
        let settings = try CountFile(bytes: CountFile.encode(header: h, partial: partial), path: "k.tcmc")
        #expect(refusal([parts[0], settings, parts[2]])?.problem.contains("retrieval settings") == true)
        // Any flipped byte or cut file: the checksum (or the magic) says so.
        for offset in [0, 9, parts[1].bytes.count / 2, parts[1].bytes.count - 1] {
            var bytes = parts[1].bytes
            bytes[offset] ^= 0x20
            #expect(throws: DataError.self) { try CountFile(bytes: bytes, path: "bad.tcmc") }
        }
        #expect(throws: DataError.self) { try CountFile(bytes: Array(parts[1].bytes.dropLast(100)), path: "cut.tcmc") }
        // Cut anywhere and the checksum recomputed (what the fuzz target does): an error, never a
        // trap (the fuzzer found a length bound below the lower bound of a range, at the histograms).
        for length in Array(12 ..< 400) + Array(stride(from: 400, to: parts[1].bytes.count - 4, by: 997)) {
            var w = ByteWriter()
            w.raw(Array(parts[1].bytes.prefix(length)))
            w.appendChecksum()
            #expect(throws: DataError.self) { try MergedCounts.merge([CountFile(bytes: w.bytes, path: "cut.tcmc")]) }
        }
        // A well-formed file whose counts do not add up (a shard of another split relabelled).
        let other = try Self.parts(layout, ks: [1, 4], shards: 2)
        var relabelled = other[0].header
        relabelled.shardCount = 3
        relabelled.shards = [1]
        let wrong = try CountFile(
            bytes: CountFile.encode(
                header: relabelled,
                partial: MetricsPass.computeShard(
                    layout: layout, retrievalKs: [1, 4], shard: ShardSpec(index: 0, count: 2))), path: "wrong.tcmc")
        #expect(refusal([parts[0], wrong, parts[2]]) != nil)
    }

    /// A shard's file written as it is encoded (`CountFile.write`, keys straight from the heaps)
    /// is `encode`'s, whatever the piece size, for both splits and without retrieval.
    @Test func countFilesWrittenInPiecesEqualTheEncodedOnes() throws {
        for layout in [Self.smallClasses(seed: 3), Self.largeClasses(seed: 3)] {
            for ks in [[1, 2, 4, 8], nil] as [[Int]?] {
                for s in 0 ..< 3 {
                    let spec = ShardSpec(index: s, count: 3)
                    let partial = MetricsPass.computeShard(layout: layout, retrievalKs: ks, shard: spec)
                    let header = Self.header(layout, ks: ks, shards: 3, shard: s, kind: partial.layout)
                    let whole = CountFile.encode(header: header, partial: partial)
                    for piece in [1, 333, 1 << 20] {
                        var out: [UInt8] = [], sizes: [Int] = []
                        let length = try CountFile.write(header: header, partial: partial, pieceBytes: piece) {
                            out += $0
                            sizes.append($0.count)
                        }
                        #expect(out == whole && length == whole.count)
                        // Every piece but the last is at least `piece` bytes; small pieces make many.
                        #expect(sizes.dropLast().allSatisfy { $0 >= piece })
                        #expect(piece > 1 || sizes.count > layout.classCount, "\(sizes.count) pieces")
                    }
                    _ = try CountFile(bytes: whole, path: "part-\(s).tcmc")
                }
            }
        }
    }
}
