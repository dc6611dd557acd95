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
        return CountFile.encode(
            header: header,
            partial: PartialCounts(
                layout: header.layout, positives: counts.positives,
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
                if let other = holder[s] {
                    throw DataError(file.path, "duplicate: shard \(s)/\(header.shardCount) is also in \(other)")
                }
                holder[s] = file.path
            }
        }
        if let missing = holder.firstIndex(where: { $0 == nil }) {
            let count = holder.filter { $0 == nil }.count
            throw DataError(
                first.path,
                "missing shard \(missing)/\(header.shardCount) (\(count) of \(header.shardCount) shards not given; all parts of one run are needed)"
            )
        }
        let classes = header.classNames.count, nb = 2 * header.binsPerUnit + 1
        let positives = SharedBuffer<CountHistogram>(count: classes),
            negatives = SharedBuffer<CountHistogram>(count: classes)
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
                } catch let e as DataError { problem = problem ?? e } catch {
                    problem = problem ?? DataError(file.path, "\(error)")
                }
            }
            let nc = UInt64(header.classSizes[c]), n = UInt64(header.samples)
            if problem == nil {
                // Totals with overflow checks: a crafted part could wrap a sum onto the expected value.
                var pos: UInt64 = 0, neg: UInt64 = 0, overflow = false
                for k in 0 ..< nb {
                    let (p, o1) = pos.addingReportingOverflow(full[k]),
                        (q, o2) = neg.addingReportingOverflow(full[nb + k])
                    pos = p
                    neg = q
                    overflow = overflow || o1 || o2
                }
                if overflow {
                    problem = DataError(
                        parts[0].path,
                        "counts for class \(c) sum past 64 bits (expected \(nc * (nc - 1)) positive and \(nc * (n - nc)) negative pairs): a part is corrupt or crafted"
                    )
                } else if pos != nc * (nc - 1) || neg != nc * (n - nc) {
                    problem = DataError(
                        parts[0].path,
                        "counts do not add up for class \(c) (\(pos) positive and \(neg) negative pairs, expected \(nc * (nc - 1)) and \(nc * (n - nc))): a part is corrupt or from another run"
                    )
                }
            }
            problems.initialize(c, to: problem)
            // Compacted only once the totals are known to be right (each bin then fits an Int).
            positives.initialize(
                c, to: problem == nil ? CountHistogram(counts: UnsafeBufferPointer(start: full, count: nb)) : .none)
            negatives.initialize(
                c, to: problem == nil ? CountHistogram(counts: UnsafeBufferPointer(start: full + nb, count: nb)) : .none
            )
        }
        let errors = problems.moveToArray()
        let pos = positives.moveToArray(), neg = negatives.moveToArray()
        if let problem = errors.compactMap({ $0 }).first { throw problem }
        let counts = PairCounts(
            bins: ThresholdBins(binsPerUnit: header.binsPerUnit), classNames: header.classNames,
            classSizes: header.classSizes, positives: pos, negatives: neg)
        var merged = header
        merged.shards = Array(0 ..< header.shardCount)
        return MergedCounts(
            header: merged, counts: counts,
            outcomes: try header.retrievalKs.map { try outcomes(files, header: header, kmax: $0.max()!) })
    }

    /// Each query's outcome: the one part that ranked it whole, or the `need` smallest keys of
    /// the union of the parts' lists. Every part is first held to what the deterministic split
    /// says it computed (`ExpectedPartials`): a part whose lists were removed, cut, or copied from
    /// another part is refused instead of merged into wrong Recall@k or MAP@R.
    static func outcomes(_ files: [CountFile], header: CountFileHeader, kmax: Int) throws -> [QueryOutcome] {
        let n = header.samples
        let expected = try ExpectedPartials(header: header, files: files, kmax: kmax)
        var out = [QueryOutcome](repeating: .skipped, count: n)
        var classLo = 0
        var seen = Set<UInt32>()
        // Every part's queries in step, one query of each at a time.
        var readers = files.map { $0.queryReader() }
        for (c, size) in header.classSizes.enumerated() {
            let classHi = classLo + size
            let need = Retrieval.need(classSize: size, kmax: kmax, samples: n)
            for q in classLo ..< classHi {
                var keys: [UInt64] = [], whole: QueryOutcome?
                for (f, file) in files.enumerated() {
                    let partial = try readers[f].next()
                    try expected.check(partial, query: q, classIndex: c, file: f, need: need)
                    switch partial {
                    case .none: break
                    case .keys(let k): keys += k
                    case .outcome(let o):
                        guard o.relevant == max(size - 1, 0) || (size == 1 && o.relevant == 0) else {
                            throw DataError(
                                file.path,
                                "corrupt count file: query \(q) of class \(c) has \(o.relevant) relevant items, not \(size - 1)"
                            )
                        }
                        whole = o
                    }
                }
                if let whole {
                    out[q] = whole
                    continue
                }
                guard need > 0 else { continue }
                keys.sort()
                guard keys.count >= need else {
                    throw DataError(
                        files[0].path,
                        "query \(q) has \(keys.count) neighbours in all parts together, needs \(need): a part is corrupt or from another run"
                    )
                }
                // Each pair is in one tile, so no neighbour can come twice (a part's lists copied
                // into another would inflate MAP@R).
                seen.removeAll(keepingCapacity: true)
                for key in keys where !seen.insert(UInt32(truncatingIfNeeded: key)).inserted {
                    throw DataError(
                        files[0].path,
                        "corrupt count file: query \(q) lists neighbour \(key & 0xFFFF_FFFF) twice across the parts")
                }
                out[q] = QueryOutcome(
                    ranked: keys.prefix(need).lazy.map { Int($0 & 0xFFFF_FFFF) }, classLo: classLo, classHi: classHi)
            }
            classLo = classHi
        }
        return out
    }
}

/// What each part's retrieval section must hold, from the split every task computes the same
/// way (`ShardAssignment`, which depends only on the class sizes, the shard count, the bins and
/// the retrieval setting): a query's whole outcome in the part owning its class run, or, for
/// tiles, a list of exactly min(need, candidates) neighbours, all from tiles the part owns.
struct ExpectedPartials {
    let assignment: ShardAssignment
    let classStart: [Int]
    let shardCount: Int
    /// `held[f][s]`: file f holds shard s.
    let held: [[Bool]]
    let files: [CountFile]
    /// Tiles: the group of each class, and `candidates[f][g]` = pairs file f computed for a query
    /// of group g (its own row included once where it owns the diagonal tile).
    let groupOfClass: [Int]
    let candidates: [[Int]]
    let ownsDiagonal: [[Bool]]
    /// Class runs: the shard owning each class.
    let ownerOfClass: [Int]

    init(header: CountFileHeader, files: [CountFile], kmax: Int) throws {
        let planning = ClassLayout(planningSizes: header.classSizes, names: header.classNames)
        assignment = ShardAssignment.make(
            layout: planning, shards: header.shardCount, retrievalKs: header.retrievalKs,
            bins: ThresholdBins(binsPerUnit: header.binsPerUnit))
        guard assignment.layout == header.layout else {
            throw DataError(
                files[0].path,
                "corrupt count file: it says the work was split as \(header.layout), but this data set's split is \(assignment.layout)"
            )
        }
        classStart = planning.classStart
        shardCount = header.shardCount
        self.files = files
        held = files.map { file in
            var h = [Bool](repeating: false, count: header.shardCount)
            for s in file.header.shards { h[s] = true }
            return h
        }
        var groupOfClass: [Int] = [], candidates: [[Int]] = [], ownsDiagonal: [[Bool]] = [], ownerOfClass: [Int] = []
        if assignment.layout == .classRuns {
            ownerOfClass = [Int](repeating: 0, count: header.classSizes.count)
            for run in 0 ..< assignment.owner.count {
                for c in assignment.bounds[run] ..< assignment.bounds[run + 1] {
                    ownerOfClass[c] = Int(assignment.owner[run])
                }
            }
        }
        if assignment.layout == .tiles {
            let bounds = assignment.bounds, g = bounds.count - 1
            groupOfClass = [Int](repeating: 0, count: header.classSizes.count)
            for i in 0 ..< g { for c in bounds[i] ..< bounds[i + 1] { groupOfClass[c] = i } }
            let starts = planning.classStart
            let rows = (0 ..< g).map { starts[bounds[$0 + 1]] - starts[bounds[$0]] }
            for h in held {
                var cand = [Int](repeating: 0, count: g), diagonal = [Bool](repeating: false, count: g)
                for a in 0 ..< g {
                    for b in a ..< g where h[Int(assignment.owner[a * g + b])] {
                        if a == b {
                            cand[a] += rows[a]
                            diagonal[a] = true
                        } else {
                            cand[a] += rows[b]
                            cand[b] += rows[a]
                        }
                    }
                }
                candidates.append(cand)
                ownsDiagonal.append(diagonal)
            }
        }
        self.groupOfClass = groupOfClass
        self.candidates = candidates
        self.ownsDiagonal = ownsDiagonal
        self.ownerOfClass = ownerOfClass
    }

    private func classOfRow(_ row: Int) -> Int {
        var lo = 0, hi = classStart.count - 1
        while hi - lo > 1 {
            let mid = (lo + hi) >> 1
            if classStart[mid] <= row { lo = mid } else { hi = mid }
        }
        return lo
    }

    /// Throws when `partial` is not what file `f` computed for query `q` (of class `classIndex`).
    func check(_ partial: QueryPartial, query q: Int, classIndex c: Int, file f: Int, need: Int) throws {
        let path = files[f].path
        func refuse(_ what: String) -> DataError {
            DataError(path, "corrupt count file: query \(q) \(what) (each part must hold what its shards computed)")
        }
        // A merged file (every shard) holds final outcomes; a whole pass written as one part
        // holds what its split computes, checked below like any part.
        if case .outcome = partial, files[f].header.shards.count == shardCount { return }
        switch assignment.layout {
        case .classRuns:
            let owned = held[f][ownerOfClass[c]]
            switch partial {
            case .outcome: if !owned { throw refuse("is ranked in a part that does not own its class") }
            case .none: if owned { throw refuse("has no outcome in the part that owns its class") }
            case .keys: throw refuse("has a neighbour list in a split by whole classes")
            }
        case .tiles:
            let g = groupOfClass[c], groups = assignment.bounds.count - 1
            let computed = candidates[f][g] - (ownsDiagonal[f][g] ? 1 : 0)
            let wanted = min(need, computed)
            switch partial {
            case .outcome: throw refuse("has a final outcome in a part of a tiled split")
            case .none: if wanted > 0 { throw refuse("has no neighbours where its part computed \(computed) pairs") }
            case .keys(let keys):
                guard keys.count == wanted else {
                    throw refuse("lists \(keys.count) neighbours, its part computed \(wanted)")
                }
                for key in keys {
                    let j = Int(key & 0xFFFF_FFFF)
                    let h = groupOfClass[classOfRow(j)]
                    guard j != q, held[f][Int(assignment.owner[min(g, h) * groups + max(g, h)])] else {
                        throw refuse("lists neighbour \(j), which its part did not compute")
                    }
                }
            }
        }
    }
}
