import TCMData
import TCMKernels

extension QueryOutcome {
    init(hits: Int, relevant: Int, firstHit: Int, precisionSum: Double) {
        self = .skipped
        self.hits = hits
        self.relevant = relevant
        self.firstHit = firstHit
        self.precisionSum = precisionSum
    }
}

/// Count files merged: the counts and per-query outcomes the single process would have had.
public struct MergedCounts: Sendable {
    public let header: CountFileHeader
    public let counts: PairCounts
    /// Every query's outcome (class-layout order) when the analysis had retrieval.
    let outcomes: [QueryOutcome]?

    /// The retrieval report at `ks` (the analysed k values by default). Any k up to the largest
    /// analysed gives what a single pass at those k would: an outcome keeps the first hit's rank
    /// among the max(k_max, R) nearest, and R-Precision and MAP@R look at the first R only.
    public func retrieval(ks: [Int]? = nil) -> RetrievalReport? {
        guard let outcomes, let analysed = header.retrievalKs else { return nil }
        let ks = ks ?? analysed
        precondition(ks.allSatisfy { $0 >= 1 && $0 <= analysed.max()! }, "k beyond the analysed k_max")
        return Retrieval.report(outcomes, ks: ks)
    }

    /// These counts as a count file that holds every shard.
    public func encoded() -> [UInt8] {
        var header = self.header
        header.shards = Array(0 ..< header.shardCount)
        let queries = outcomes?.map { QueryPartial.outcome($0) } ?? []
        return CountFile.encode(header: header, partial: PartialCounts(layout: header.layout, positives: counts.positives,
                                                                        negatives: counts.negatives, queries: queries))
    }

    /// Merges parts: all of one data set and split, each shard exactly once. A missing,
    /// duplicated, foreign or inconsistent part is a `DataError` naming it and the reason.
    public static func merge(_ files: [CountFile], threads: Int = defaultThreadCount) throws -> MergedCounts {
        guard let first = files.first else { throw DataError("merge", "no count files given") }
        let header = first.header
        var holder = [String?](repeating: nil, count: header.shardCount)
        for file in files {
            if let why = header.foreignField(file.header) {
                throw DataError(file.path, "foreign count file: \(why) than \(first.path)")
            }
            for s in file.header.shards {
                if let other = holder[s] { throw DataError(file.path, "duplicate: shard \(s)/\(header.shardCount) is also in \(other)") }
                holder[s] = file.path
            }
        }
        if let missing = holder.firstIndex(where: { $0 == nil }) {
            let count = holder.filter { $0 == nil }.count
            throw DataError(first.path, "missing shard \(missing)/\(header.shardCount) (\(count) of \(header.shardCount) shards not given; all parts of one run are needed)")
        }
        let classes = header.classNames.count, nb = 2 * header.binsPerUnit + 1
        let positives = SharedBuffer<CountHistogram>(count: classes), negatives = SharedBuffer<CountHistogram>(count: classes)
        let problems = SharedBuffer<DataError?>(count: classes)
        let parts = files
        // Class by class (in parallel): decode every part's histograms into one full-length
        // array, check the totals the class sizes imply, compact.
        parallelForEach(count: classes, threads: threads) { c in
            let full = UnsafeMutablePointer<UInt64>.allocate(capacity: 2 * nb)
            defer { full.deallocate() }
            full.initialize(repeating: 0, count: 2 * nb)
            var problem: DataError?
            for file in parts {
                var r = ByteReader(file.bytes[file.classBlocks[c]], file: file.path)
                do {
                    try CountHistogram.decodeAdding(&r, into: full, bins: nb)
                    try CountHistogram.decodeAdding(&r, into: full + nb, bins: nb)
                    guard r.isAtEnd else { throw r.fail("class \(c)'s histogram block has bytes left over") }
                } catch let e as DataError { problem = problem ?? e } catch { problem = problem ?? DataError(file.path, "\(error)") }
            }
            let nc = UInt64(header.classSizes[c]), n = UInt64(header.samples)
            if problem == nil {
                // Totals with overflow checks: a crafted part could wrap a sum onto the expected value.
                var pos: UInt64 = 0, neg: UInt64 = 0, overflow = false
                for k in 0 ..< nb {
                    let (p, o1) = pos.addingReportingOverflow(full[k]), (q, o2) = neg.addingReportingOverflow(full[nb + k])
                    pos = p; neg = q; overflow = overflow || o1 || o2
                }
                if overflow || pos != nc * (nc - 1) || neg != nc * (n - nc) {
                    problem = DataError(parts[0].path, "counts do not add up for class \(c) (\(pos) positive and \(neg) negative pairs, expected \(nc * (nc - 1)) and \(nc * (n - nc))): a part is corrupt or from another run")
                }
            }
            problems.initialize(c, to: problem)
            // Compacted only once the totals are known to be right (each bin then fits an Int).
            positives.initialize(c, to: problem == nil ? CountHistogram(counts: UnsafeBufferPointer(start: full, count: nb)) : .none)
            negatives.initialize(c, to: problem == nil ? CountHistogram(counts: UnsafeBufferPointer(start: full + nb, count: nb)) : .none)
        }
        let errors = problems.moveToArray()
        let pos = positives.moveToArray(), neg = negatives.moveToArray()
        if let problem = errors.compactMap({ $0 }).first { throw problem }
        let counts = PairCounts(bins: ThresholdBins(binsPerUnit: header.binsPerUnit), classNames: header.classNames,
                                classSizes: header.classSizes, positives: pos, negatives: neg)
        var merged = header
        merged.shards = Array(0 ..< header.shardCount)
        return MergedCounts(header: merged, counts: counts, outcomes: try header.retrievalKs.map { try outcomes(files, header: header, kmax: $0.max()!) })
    }

    /// Each query's outcome: the one part that ranked it whole, or the `need` smallest keys of
    /// the union of the parts' lists (each pair was in exactly one part, so no key repeats).
    static func outcomes(_ files: [CountFile], header: CountFileHeader, kmax: Int) throws -> [QueryOutcome] {
        let n = header.samples
        var out = [QueryOutcome](repeating: .skipped, count: n)
        var classLo = 0
        for (c, size) in header.classSizes.enumerated() {
            let classHi = classLo + size
            let need = Retrieval.need(classSize: size, kmax: kmax, samples: n)
            for q in classLo ..< classHi {
                var keys: [UInt64] = [], whole: QueryOutcome?, wholeFile = ""
                for file in files {
                    switch file.queries[q] {
                    case .none: break
                    case .keys(let k):
                        guard whole == nil else { throw DataError(file.path, "query \(q) is ranked whole in \(wholeFile) and in part here: parts of different runs") }
                        guard k.allSatisfy({ Int($0 & 0xFFFF_FFFF) != q }) else { throw DataError(file.path, "corrupt count file: query \(q) lists itself as a neighbour") }
                        keys += k
                    case .outcome(let o):
                        guard whole == nil && keys.isEmpty else { throw DataError(file.path, "query \(q) is ranked in more than one part: parts of different runs") }
                        guard o.relevant == max(size - 1, 0) || (size == 1 && o.relevant == 0) else { throw DataError(file.path, "corrupt count file: query \(q) of class \(c) has \(o.relevant) relevant items, not \(size - 1)") }
                        whole = o
                        wholeFile = file.path
                    }
                }
                if let whole { out[q] = whole; continue }
                guard need > 0 else { continue }
                keys.sort()
                guard keys.count >= need else {
                    throw DataError(files[0].path, "query \(q) has \(keys.count) neighbours in all parts together, needs \(need): a part is corrupt or from another run")
                }
                out[q] = QueryOutcome(ranked: keys.prefix(need).lazy.map { Int($0 & 0xFFFF_FFFF) }, classLo: classLo, classHi: classHi)
            }
            classLo = classHi
            _ = c
        }
        return out
    }
}
