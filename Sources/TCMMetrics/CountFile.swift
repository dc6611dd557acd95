import TCMData

/// Everything a count file says about where its counts come from: the data set's fingerprint,
/// the settings that shape the counts, and which shards it holds (docs/count-files.md).
public struct CountFileHeader: Sendable, Equatable {
    public var samples: Int
    public var dimension: Int
    public var classNames: [String]
    public var classSizes: [Int]
    /// `Checksum.fnv1a64` over the labels (class index per input row, UInt32) and over the
    /// embeddings (Float bit patterns, input row order) as loaded.
    public var labelsHash: UInt64
    public var embeddingsHash: UInt64
    /// For the report's input section.
    public var embeddingsPath: String
    public var labelsDescription: String
    public var droppedZeroVectorRows: [Int]
    public var binsPerUnit: Int
    /// `nil`: analysed with --no-retrieval.
    public var retrievalKs: [Int]?
    public var layout: ShardLayout
    public var shardCount: Int
    /// Shards whose work this file holds (one for a part, all for a merged file), ascending.
    public var shards: [Int]

    public init(
        samples: Int, dimension: Int, classNames: [String], classSizes: [Int], labelsHash: UInt64,
        embeddingsHash: UInt64,
        embeddingsPath: String, labelsDescription: String, droppedZeroVectorRows: [Int], binsPerUnit: Int,
        retrievalKs: [Int]?, layout: ShardLayout, shardCount: Int, shards: [Int]
    ) {
        self.samples = samples
        self.dimension = dimension
        self.classNames = classNames
        self.classSizes = classSizes
        self.labelsHash = labelsHash
        self.embeddingsHash = embeddingsHash
        self.embeddingsPath = embeddingsPath
        self.labelsDescription = labelsDescription
        self.droppedZeroVectorRows = droppedZeroVectorRows
        self.binsPerUnit = binsPerUnit
        self.retrievalKs = retrievalKs
        self.layout = layout
        self.shardCount = shardCount
        self.shards = shards
    }

    /// The first field in which `other` describes another data set or other settings, if any.
    func foreignField(_ other: CountFileHeader) -> String? {
        if samples != other.samples || dimension != other.dimension {
            return "data set size \(other.samples) × \(other.dimension), not \(samples) × \(dimension)"
        }
        if classSizes != other.classSizes || classNames != other.classNames { return "other classes (names or sizes)" }
        if labelsHash != other.labelsHash { return "other labels (labels hash differs)" }
        if embeddingsHash != other.embeddingsHash { return "other embeddings (embeddings hash differs)" }
        if droppedZeroVectorRows != other.droppedZeroVectorRows { return "other dropped zero-vector rows" }
        if binsPerUnit != other.binsPerUnit {
            return "other bin axis (\(other.binsPerUnit) bins per unit, not \(binsPerUnit))"
        }
        if retrievalKs != other.retrievalKs { return "other retrieval settings (--k / --no-retrieval)" }
        if layout != other.layout || shardCount != other.shardCount {
            return "another split (\(other.shardCount) shards of \(other.layout), not \(shardCount) of \(layout))"
        }
        return nil
    }
}

/// A parsed count file: its header, its retrieval partials, and its histograms still encoded
/// (indexed per class, decoded while merging, one class at a time).
public struct CountFile: Sendable {
    public static let magic = Array("TCMCOUNT".utf8)
    /// 3 since shards take strips of tiles (`ShardAssignment.stripSplit`; 2 took blocks, 1 tiles
    /// one by one): a part of an earlier version holds other pairs than a part of this version of
    /// the same index, so parts of different versions must never merge.
    public static let version: UInt16 = 3
    /// Limits a reader holds a file to (beyond "fits in the file"): as the analyze flags allow.
    /// At most 2^31 − 1 samples: then every pair total, n(n − 1) < 2^62, and every sum of them fits
    /// an Int, so nothing that combines counts can overflow (a class of 2^32 − 1 rows would not).
    static let maxKs = 64, maxK = 10_000, maxShards = 65_536, maxSamples = Int(Int32.max)

    public let path: String
    public let header: CountFileHeader
    let bytes: [UInt8]
    /// Class c's histograms are bytes `classBlocks[c]`.
    let classBlocks: [Range<Int>]
    /// Where the retrieval section's first query starts in `bytes` (nil without retrieval). The
    /// queries are read in order while merging (`queryReader`), not held decoded: decoded, a
    /// part's keys took more memory than its bytes (16 parts of 200k × 64: a 2.1 GB merge).
    let retrievalOffset: Int?

    // MARK: - Writing

    /// The whole file's bytes.
    public static func encode(header: CountFileHeader, partial: PartialCounts) -> [UInt8] {
        var w = ByteWriter()
        // The retrieval partials are most of a shard's file (a query's keys, 8 bytes each): room
        // for all at once, so that the bytes are not copied as they grow (a copy held the old and
        // the doubled buffer: twice the file).
        w.reserveCapacity(
            4096 + header.classNames.count * 64
                + (0 ..< partial.queries.count).reduce(0) { $0 + queryBytes(partial.queries, $1) })
        encode(header: header, partial: partial, into: &w) { _ in }
        w.appendChecksum()
        return w.bytes
    }

    /// Writes the file through `write` as it is encoded, `pieceBytes` (a megabyte) at a time, and
    /// returns its length: a shard's file is never held whole, and its keys go straight from its
    /// heaps. The bytes are `encode`'s.
    public static func write(
        header: CountFileHeader, partial: PartialCounts, pieceBytes: Int = 1 << 20,
        to write: ([UInt8]) throws -> Void
    ) throws -> Int {
        var w = ByteWriter()
        try encode(header: header, partial: partial, into: &w) { full in
            if full.bytes.count >= pieceBytes { try full.drain(into: write) }
        }
        w.appendChecksum()
        try w.drain(into: write)
        return w.count
    }

    /// Everything but the checksum; `made(&w)` after each class's block and each query.
    private static func encode(
        header: CountFileHeader, partial: PartialCounts, into w: inout ByteWriter,
        made: (inout ByteWriter) throws -> Void
    ) rethrows {
        w.raw(magic)
        w.u16(version)
        w.varint(header.samples)
        w.varint(header.dimension)
        w.varint(header.classNames.count)
        for name in header.classNames { w.string(name) }
        for size in header.classSizes { w.varint(size) }
        w.u64(header.labelsHash)
        w.u64(header.embeddingsHash)
        w.string(header.embeddingsPath)
        w.string(header.labelsDescription)
        w.varint(header.droppedZeroVectorRows.count)
        for row in header.droppedZeroVectorRows { w.varint(row) }
        w.varint(header.binsPerUnit)
        w.u8(header.retrievalKs == nil ? 0 : 1)
        w.varint(header.retrievalKs?.count ?? 0)
        for k in header.retrievalKs ?? [] { w.varint(k) }
        w.u8(partial.layout.rawValue)
        w.varint(header.shardCount)
        w.varint(header.shards.count)
        for s in header.shards { w.varint(s) }
        for c in 0 ..< header.classNames.count {
            var block = ByteWriter()
            partial.positives[c].encode(into: &block)
            partial.negatives[c].encode(into: &block)
            w.varint(block.bytes.count)
            w.raw(block.bytes)
            try made(&w)
        }
        guard header.retrievalKs != nil else { return }
        func keys(_ keys: some Collection<UInt64>) {
            w.u8(1)
            w.varint(keys.count)
            for k in keys { w.u64(k) }
        }
        switch partial.queries {
        case .listed(let all):
            for q in all {
                switch q {
                case .none: w.u8(0)
                case .keys(let k): keys(k)
                case .outcome(let o):
                    w.u8(2)
                    w.varint(o.hits)
                    w.varint(o.relevant)
                    w.varint(o.firstHit == Int.max ? 0 : o.firstHit + 1)
                    w.u64(o.precisionSum.bitPattern)
                }
                try made(&w)
            }
        case .heaps(let owned):
            let h = owned.heaps
            for q in 0 ..< h.count {
                if h.sizes[q] == 0 { w.u8(0) } else { keys(h.ranked(q)) }
                try made(&w)
            }
        }
    }

    /// At least the bytes query `q`'s partial encodes to.
    private static func queryBytes(_ queries: QueryPartials, _ q: Int) -> Int {
        switch queries {
        case .listed(let all):
            switch all[q] {
            case .none: return 1
            case .keys(let keys): return 1 + 10 + 8 * keys.count
            case .outcome: return 1 + 30 + 8
            }
        case .heaps(let owned): return owned.heaps.sizes[q] == 0 ? 1 : 1 + 10 + 8 * owned.heaps.sizes[q]
        }
    }

    // MARK: - Reading

    /// Parses and checks a count file: checksum first (a flipped bit or a cut file is "corrupt",
    /// whatever it hit), then every size against the bytes left.
    public init(bytes: [UInt8], path: String) throws {
        guard bytes.count >= Self.magic.count + 2 + 4, Array(bytes.prefix(Self.magic.count)) == Self.magic else {
            throw DataError(path, "not a TCMScope count file (no TCMCOUNT magic)")
        }
        var r = ByteReader(bytes[Self.magic.count ..< bytes.count - 4], file: path)
        let version = try r.u16("version")
        guard version == Self.version else {
            if (1 ..< Self.version).contains(version) {
                throw DataError(
                    path,
                    "count file version \(version), from a tcmscope whose shards split the pairs another way; run every shard (and merge) with this tcmscope"
                )
            }
            throw DataError(path, "count file version \(version); this tcmscope reads version \(Self.version)")
        }
        var tail = ByteReader(bytes[(bytes.count - 4)...], file: path)
        let stored = try tail.u32("checksum")
        guard Checksum.crc32(bytes[..<(bytes.count - 4)]) == stored else {
            throw DataError(path, "corrupt count file: checksum mismatch (damaged or truncated)")
        }
        self.path = path
        self.bytes = bytes
        let samples = try r.int("samples", min: 1, max: Self.maxSamples)
        let dimension = try r.int("dimension", min: 1, max: 1 << 20)
        let classes = try r.int("classes", min: 1, max: min(samples, r.remaining))
        var names: [String] = []
        for _ in 0 ..< classes { names.append(try r.string("class name")) }
        var sizes: [Int] = [], total = 0
        for _ in 0 ..< classes {
            let size = try r.int("class size", min: 1, max: samples)
            sizes.append(size)
            total += size
        }
        guard total == samples else { throw r.fail("class sizes add up to \(total), not \(samples) samples") }
        let labelsHash = try r.u64("labels hash"), embeddingsHash = try r.u64("embeddings hash")
        let embeddingsPath = try r.string("embeddings path"), labels = try r.string("labels")
        let droppedCount = try r.int("dropped rows", min: 0, max: r.remaining)
        var dropped: [Int] = []
        for _ in 0 ..< droppedCount { dropped.append(try r.int("dropped row", min: 0, max: Self.maxSamples)) }
        let binsPerUnit = try r.int("bins per unit", min: 1, max: 30_000)
        let hasRetrieval = try r.u8("retrieval flag")
        guard hasRetrieval <= 1 else { throw r.fail("retrieval flag \(hasRetrieval)") }
        let kCount = try r.int("number of k", min: 0, max: Self.maxKs)
        var ks: [Int] = []
        for _ in 0 ..< kCount { ks.append(try r.int("k", min: 1, max: Self.maxK)) }
        guard (hasRetrieval == 1) == !ks.isEmpty else { throw r.fail("retrieval flag and k list disagree") }
        let layoutByte = try r.u8("shard layout")
        guard let layout = ShardLayout(rawValue: layoutByte) else { throw r.fail("unknown shard layout \(layoutByte)") }
        let shardCount = try r.int("shard count", min: 1, max: Self.maxShards)
        let covered = try r.int("number of shards held", min: 1, max: shardCount)
        var shards: [Int] = []
        for _ in 0 ..< covered {
            let s = try r.int("shard index", min: 0, max: shardCount - 1)
            guard s > (shards.last ?? -1) else { throw r.fail("shard indices not ascending") }
            shards.append(s)
        }
        header = CountFileHeader(
            samples: samples, dimension: dimension, classNames: names, classSizes: sizes,
            labelsHash: labelsHash, embeddingsHash: embeddingsHash, embeddingsPath: embeddingsPath,
            labelsDescription: labels, droppedZeroVectorRows: dropped, binsPerUnit: binsPerUnit,
            retrievalKs: hasRetrieval == 1 ? ks : nil, layout: layout, shardCount: shardCount, shards: shards)
        var blocks = [Range<Int>]()
        blocks.reserveCapacity(classes)
        for _ in 0 ..< classes {
            let length = try r.int("histogram block length", min: 2, max: r.remaining)
            blocks.append(r.offset ..< r.offset + length)
            try r.skip(length, "histogram block")
        }
        classBlocks = blocks
        var retrievalOffset: Int?
        if hasRetrieval == 1 {
            // At least one byte a query: checked before any is read.
            guard samples <= r.remaining else { throw r.fail("retrieval section shorter than \(samples) queries") }
            retrievalOffset = r.offset
            for _ in 0 ..< samples { _ = try Self.readQuery(&r, samples: samples) }
        }
        guard r.isAtEnd else { throw r.fail("\(r.remaining) bytes after the last section") }
        self.retrievalOffset = retrievalOffset
    }

    /// A reader of the retrieval section from its first query, in order (`init` checked it all).
    func queryReader() -> QueryReader {
        var r = ByteReader(bytes[Self.magic.count ..< bytes.count - 4], file: path)
        // Skipping within the bytes `init` read cannot fail; a reader at the end reads nothing.
        try? r.skip((retrievalOffset ?? bytes.count - 4) - r.offset, "count file")
        return QueryReader(reader: r, samples: header.samples)
    }

    /// Every query's partial, decoded (tests rewrite parts with them).
    func decodedQueries() throws -> [QueryPartial] {
        guard retrievalOffset != nil else { return [] }
        var reader = queryReader()
        return try (0 ..< header.samples).map { _ in try reader.next() }
    }

    /// One query's partial: its tag, then its neighbour keys (ascending, each naming a sample) or
    /// its outcome.
    static func readQuery(_ r: inout ByteReader, samples: Int) throws -> QueryPartial {
        switch try r.u8("query tag") {
        case 0: return .none
        case 1:
            let count = try r.int("neighbour count", min: 1, max: min(samples - 1, r.remaining / 8))
            var keys = [UInt64]()
            keys.reserveCapacity(count)
            for _ in 0 ..< count {
                let key = try r.u64("neighbour key")
                guard key & 0xFFFF_FFFF < UInt64(samples), key > (keys.last ?? 0) || keys.isEmpty else {
                    throw r.fail("neighbour key out of range or not ascending")
                }
                keys.append(key)
            }
            return .keys(keys)
        case 2:
            let hits = try r.int("hits", min: 0, max: samples),
                relevant = try r.int("relevant", min: 0, max: samples)
            let firstHit = try r.int("first hit", min: 0, max: samples)
            let sum = Double(bitPattern: try r.u64("precision sum"))
            guard hits <= relevant, sum.isFinite, sum >= 0, sum <= Double(relevant) else {
                throw r.fail("impossible query outcome")
            }
            return .outcome(
                QueryOutcome(
                    hits: hits, relevant: relevant, firstHit: firstHit == 0 ? Int.max : firstHit - 1,
                    precisionSum: sum))
        case let tag: throw r.fail("unknown query tag \(tag)")
        }
    }
}

/// A count file's queries read one after another (the merge walks every part in step).
struct QueryReader {
    var reader: ByteReader
    let samples: Int
    mutating func next() throws -> QueryPartial { try CountFile.readQuery(&reader, samples: samples) }
}
