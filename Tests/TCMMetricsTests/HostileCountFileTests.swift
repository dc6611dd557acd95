import Testing
import TCMData
import TCMKernels
@testable import TCMMetrics

/// Issue 18, causes 3 and 7: count files whose totals fit UInt64 but not Int64, totals that wrap
/// onto the expected value, and tiled parts whose neighbour lists were removed or copied.
@Suite struct HostileCountFileTests {
    /// A count file of `sizes` (no rows behind it) whose class c holds `positives[c]` in one bin
    /// and `negatives[c]` in another, CRC-valid: what a crafted file can claim.
    static func crafted(sizes: [Int], positives: [[UInt64]], negatives: [[UInt64]]) throws -> [UInt8] {
        let bins = ThresholdBins.standard
        func histogram(_ values: [UInt64], from first: Int) -> CountHistogram {
            var full = [UInt64](repeating: 0, count: bins.count)
            for (i, v) in values.enumerated() { full[first + i] = v }
            return full.withUnsafeBufferPointer { CountHistogram(counts: $0) }
        }
        let header = CountFileHeader(
            samples: sizes.reduce(0, +), dimension: 4, classNames: sizes.indices.map { "c\($0)" }, classSizes: sizes,
            labelsHash: 1, embeddingsHash: 2, embeddingsPath: "e.npy", labelsDescription: "l.npy",
            droppedZeroVectorRows: [], binsPerUnit: bins.binsPerUnit, retrievalKs: nil, layout: .classRuns,
            shardCount: 1, shards: [0])
        // Histograms are compacted on construction, which sums bins into an Int: values past
        // Int.max are written through the encoder's own varints instead.
        var w = ByteWriter()
        let plain = CountFile.encode(
            header: header,
            partial: PartialCounts(
                layout: .classRuns, positives: sizes.map { _ in histogram([], from: 0) },
                negatives: sizes.map { _ in histogram([], from: 0) }, queries: []))
        // Everything before the class blocks is the header: re-encode it, then our blocks.
        let blocksStart = plain.count - 4 - sizes.count * 5  // each empty block: length 4, then [0, 0] twice
        w.raw(Array(plain[..<blocksStart]))
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

    @Test func samplesPastTwoToTheThirtyOneAreRefusedWhenRead() throws {
        let n = (1 << 32) - 1  // one class of 2^32 − 1 rows: n(n − 1) fits UInt64, not Int64
        let nc = UInt64(n)
        let bytes = try Self.crafted(sizes: [n], positives: [[nc * (nc - 1)]], negatives: [[]])
        #expect(throws: DataError.self) { try CountFile(bytes: bytes, path: "huge.tcmc") }
        do { _ = try CountFile(bytes: bytes, path: "huge.tcmc") } catch let e as DataError {
            #expect(e.file == "huge.tcmc" && e.problem.contains("samples") && e.problem.contains("2147483647"), "\(e)")
        }
    }

    /// The largest counts a file may hold merge and report without a trap: every total and every
    /// sum of totals fits an Int.
    @Test func theLargestAllowedCountsMergeAndReport() throws {
        let big = (1 << 30), other = Int(Int32.max) - big
        let n = UInt64(big + other)
        let sizes = [big, other]
        let positives = sizes.map { s in
            [UInt64(s) * UInt64(s - 1) / 2, UInt64(s) * UInt64(s - 1) - UInt64(s) * UInt64(s - 1) / 2]
        }
        let negatives = sizes.map { s in [UInt64(s) * (n - UInt64(s))] }
        let file = try CountFile(
            bytes: Self.crafted(sizes: sizes, positives: positives, negatives: negatives), path: "max.tcmc")
        let merged = try MergedCounts.merge([file], threads: 1)
        #expect(merged.counts.totalPositives == positives.flatMap { $0 }.reduce(0, +))
        #expect(merged.counts.totalNegatives == negatives.flatMap { $0 }.reduce(0, +))
        let report = ThresholdAnalyzer(counts: merged.counts).report(OPISOptions())
        #expect(report.opis.isFinite && report.epsilonOPIS.isFinite && report.classesInOPIS == 2)
        #expect(report.global.positivePairs == merged.counts.totalPositives)
    }

    /// Bins whose sum wraps past 2^64 onto exactly the expected total are named as an overflow,
    /// not as "1560 positive … expected 1560".
    @Test func wrappingTotalsAreNamedAsOverflow() throws {
        let sizes = [40, 30]
        let positives: [[UInt64]] = [[1 << 63, 1 << 63, 1560], [870]]
        let negatives: [[UInt64]] = [[1200], [1200]]
        let file = try CountFile(
            bytes: Self.crafted(sizes: sizes, positives: positives, negatives: negatives), path: "wrap.tcmc")
        do {
            _ = try MergedCounts.merge([file], threads: 1)
            Issue.record("a wrapping total was accepted")
        } catch let e as DataError {
            #expect(e.problem.contains("class 0") && e.problem.contains("past 64 bits"), "\(e)")
            #expect(!e.problem.contains("pairs, expected"), "\(e)")
        }
    }

    /// Honest tiled parts (retrieval on) with one part's neighbour lists removed, cut, or copied
    /// into another part: each is refused, naming the part and the query.
    @Test func tiledPartsAreHeldToTheirSplit() throws {
        let layout = ShardMergeTests.smallClasses(seed: 5)
        let ks = [1, 2, 4, 8]
        #expect(ShardAssignment.kind(layout: layout, retrievalKs: ks, bins: .standard) == .tiles)
        let shards = 3
        let parts = try ShardMergeTests.parts(layout, ks: ks, shards: shards)
        _ = try MergedCounts.merge(parts)  // honest parts merge

        func rewritten(_ part: CountFile, _ change: (inout [QueryPartial]) -> Void) throws -> CountFile {
            var queries = try part.decodedQueries()
            change(&queries)
            let decoded = try Self.histograms(of: part)
            let bytes = CountFile.encode(
                header: part.header,
                partial: PartialCounts(layout: .tiles, positives: decoded.0, negatives: decoded.1, queries: queries))
            return try CountFile(bytes: bytes, path: part.path)
        }
        func keys(_ p: QueryPartial) -> [UInt64]? { if case .keys(let k) = p { k } else { nil } }
        // A query both parts ranked, part 0 with at least as many neighbours as part 1.
        let queries0 = try parts[0].decodedQueries(), queries1 = try parts[1].decodedQueries()
        let q = try #require(
            queries1.indices.first { i in
                guard let mine = keys(queries1[i]), let theirs = keys(queries0[i]) else { return false }
                return theirs.count >= mine.count
            })
        let mine = keys(queries1[q])!, theirs = keys(queries0[q])!
        let removed = try rewritten(parts[1]) { $0[q] = .none }
        let cut = try rewritten(parts[1]) { $0[q] = .keys(Array(mine.dropLast())) }
        // Part 0's neighbours for the query copied into part 1 in place of its own.
        let copied = try rewritten(parts[1]) { $0[q] = .keys(Array(theirs.prefix(mine.count))) }
        for (bad, what) in [
            (removed, "no neighbours"), (cut, "neighbours, its part computed"), (copied, "did not compute"),
        ] {
            do {
                _ = try MergedCounts.merge([parts[0], bad, parts[2]])
                Issue.record("\(what): accepted")
            } catch let e as DataError {
                #expect(e.file == parts[1].path && e.problem.contains("query \(q)") && e.problem.contains(what), "\(e)")
            }
        }
    }

    /// A part's histograms, decoded back into compact form.
    static func histograms(of part: CountFile) throws -> ([CountHistogram], [CountHistogram]) {
        let nb = 2 * part.header.binsPerUnit + 1
        var positives: [CountHistogram] = [], negatives: [CountHistogram] = []
        for block in part.classBlocks {
            var r = ByteReader(part.bytes[block], file: part.path)
            var full = [UInt64](repeating: 0, count: 2 * nb)
            try full.withUnsafeMutableBufferPointer { p in
                try CountHistogram.decodeAdding(&r, into: p.baseAddress!, bins: nb)
                try CountHistogram.decodeAdding(&r, into: p.baseAddress! + nb, bins: nb)
            }
            positives.append(full[..<nb].withUnsafeBufferPointer { CountHistogram(counts: $0) })
            negatives.append(Array(full[nb...]).withUnsafeBufferPointer { CountHistogram(counts: $0) })
        }
        return (positives, negatives)
    }
}
