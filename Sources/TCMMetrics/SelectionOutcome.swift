import TCMKernels

/// Buffers for `Retrieval.outcomeBySelection`, allocated once for a block of query rows.
struct SelectionScratch {
    static let buckets = 2048
    let count: Int
    /// The similarity histogram of the cut (2,048 buckets).
    let histogram: UnsafeMutablePointer<Int32>
    /// Candidate columns (`count + 8`: the gathering stores eight lanes at a time).
    let columns: UnsafeMutablePointer<Int32>
    /// Candidate keys (similarity descending, column ascending); then the same-class ones by
    /// their similarity's key alone and the others' 32-bit keys (`outcome(same:…)`).
    let keys: UnsafeMutablePointer<UInt64>
    let same: UnsafeMutablePointer<UInt32>
    let others: UnsafeMutablePointer<UInt32>
    /// The same-class items some other is nearer than (`count + 8`: gathered eight lanes at a time).
    let later: UnsafeMutablePointer<UInt32>
    /// `before[p]`: same-class items with exactly p other items nearer than themselves.
    let before: UnsafeMutablePointer<Int>
    /// Other items laid out by buckets of their keys (`count + 8`: read eight lanes at a time),
    /// and where each bucket ends (`countNearer`).
    let bucketed: UnsafeMutablePointer<UInt32>
    let bucketStarts: UnsafeMutablePointer<Int32>
    /// The p of each same-class item placed after the others, in order (`count + 1`).
    let pAt: UnsafeMutablePointer<Int32>

    init(count n: Int) {
        count = n
        histogram = .allocate(capacity: Self.buckets)
        columns = .allocate(capacity: n + 8)
        keys = .allocate(capacity: max(n, 1))
        same = .allocate(capacity: max(n, 1))
        others = .allocate(capacity: max(n, 1))
        later = .allocate(capacity: n + 8)
        before = .allocate(capacity: n + 1)
        bucketed = .allocate(capacity: n + 8)
        bucketStarts = .allocate(capacity: n + 2)
        pAt = .allocate(capacity: n + 1)
    }

    func deallocate() {
        histogram.deallocate()
        columns.deallocate()
        keys.deallocate()
        same.deallocate()
        others.deallocate()
        later.deallocate()
        before.deallocate()
        bucketed.deallocate()
        bucketStarts.deallocate()
        pAt.deallocate()
    }
}

extension Retrieval {
    /// The outcome `QueryOutcome(ranked: nearestBySelection(…))` would give, without sorting the
    /// same-class items among the nearest.
    ///
    /// The metrics need only the rank of each same-class item among the `need` nearest. The
    /// candidates are found as in `nearestBySelection` (a cut from a sample, every item at or
    /// above it, gathered eight columns a step in C), so an item's rank among them is its rank in
    /// the row. The t-th nearest same-class item (t from 0) has rank t + p, p = the other-class
    /// candidates nearer than it; so it is enough to sort the other-class candidates (few, on
    /// embeddings worth evaluating) and count, for each same-class item, how many are nearer.
    /// Same ranks, same sums in the same order: the same digits.
    ///
    /// Why: ranking ~1,000 neighbours per query by a full radix sort was about 40 % of the CPU
    /// time of a 10k × 128 analysis with classes of 1,000 (perf).
    static func outcomeBySelection(
        row: UnsafePointer<Float>, count n: Int, excluding self_: Int, need: Int, classLo: Int, classHi: Int,
        scratch s: SelectionScratch
    ) -> QueryOutcome {
        precondition(need >= 1 && need <= n - 1 && n <= s.count)
        let buckets = SelectionScratch.buckets, scale = Float(buckets / 2)
        @inline(__always) func bucket(_ x: Float) -> Int { min(max(Int((x + 1) * scale), 0), buckets - 1) }
        let histogram = UnsafeMutableBufferPointer(start: s.histogram, count: buckets)
        /// The highest cut with at least `target` counts at or above it.
        func cut(_ target: Double) -> Int {
            var c = buckets - 1, above = Double(histogram[c])
            while above < target && c > 0 {
                c -= 1
                above += Double(histogram[c])
            }
            return c
        }
        /// Keys (similarity descending, column ascending) of the columns in buckets ≥ `cut`, in
        /// column order: bucket(x) ≥ cut ⇔ (x + 1)·scale ≥ cut (cut 0 takes all).
        func gather(cut: Int) -> Int {
            let kept = ColumnsAtLeast.gather(
                row, count: n, scale: scale, floor: cut == 0 ? -.infinity : Float(cut), into: s.columns)
            var m = 0
            for t in 0 ..< kept {
                let j = Int(s.columns[t])
                if j == self_ { continue }
                s.keys[m] = (UInt64(descendingKey(row[j])) << 32) | UInt64(j)
                m += 1
            }
            return m
        }
        histogram.update(repeating: 0)
        let step = max(1, n / 1024)
        var sampled = 0
        for j in stride(from: 0, to: n, by: step) where j != self_ {
            histogram[bucket(row[j])] &+= 1
            sampled += 1
        }
        var m = gather(cut: cut(Double(need) * Double(sampled) / Double(n - 1) * 1.1 + 4))
        if m < need {
            histogram.update(repeating: 0)
            for j in 0 ..< n where j != self_ { histogram[bucket(row[j])] &+= 1 }
            m = gather(cut: cut(Double(need)))
        }
        return outcome(keys: s.keys, m, need: need, classLo: classLo, classHi: classHi, scratch: s)
    }

    /// The outcome from `m` keys (any order) that hold every item at or above some similarity, at
    /// least the `need` nearest: an item's rank among them is its rank in the row.
    static func outcome(
        keys: UnsafePointer<UInt64>, _ m: Int, need: Int, classLo: Int, classHi: Int, scratch s: SelectionScratch
    ) -> QueryOutcome {
        precondition(m >= need)
        var r = 0, o = 0
        for t in 0 ..< m {
            let key = keys[t], j = Int(key & 0xFFFF_FFFF), high = UInt32(truncatingIfNeeded: key >> 32)
            if j >= classLo && j < classHi {
                s.same[r] = high
                r += 1
            } else {
                s.others[o] = otherKey(high, after: j >= classHi)
                o += 1
            }
        }
        return outcome(same: s.same, r, others: s.others, o, need: need, classLo: classLo, classHi: classHi, scratch: s)
    }

    /// The 32-bit key of another class's item with similarity key `high` (`descendingKey`), for a
    /// query whose class's rows it comes `after` (or before): it is nearer than a same-class item of
    /// key `h` exactly when the result is ≤ h.
    ///
    /// Against a same-class item i, the full keys (similarity, column) order an other j by
    /// similarity and, on a tie, j < i ⇔ j lies before the class's rows. So an other before the
    /// class is nearer when high ≤ h, one after it when high < h ⇔ high + 1 ≤ h. `high` is the key
    /// of a similarity that passed a cut, never a NaN's (every comparison with a NaN is false), so
    /// it is at most the key of −∞, 0xFF80_0000: the + 1 does not overflow.
    @inline(__always)
    static func otherKey(_ high: UInt32, after: Bool) -> UInt32 {
        after ? high + 1 : high
    }

    /// The same from the candidates split by class: the `r` same-class ones by their similarity's
    /// key alone (`descendingKey`) and the `o` others by their 32-bit keys (`otherKey`; reordered).
    ///
    /// Only the number p of others nearer than each same-class item matters (its rank is its place
    /// among the same-class items plus p), and an other is nearer exactly when its key is at most
    /// the same-class item's: no index is needed, and ties between others need no order. Why
    /// 4 bytes an other (they were full 8-byte keys): on heavily overlapping classes a query's
    /// candidate list holds ~700 others, and their pages (cleared by the kernel on first write)
    /// and traffic were the larger part of the lists' ~140 MB on a 10k × 128 set.
    static func outcome(
        same: UnsafePointer<UInt32>, _ r: Int, others: UnsafeMutablePointer<UInt32>, _ o: Int, need: Int,
        classLo: Int, classHi: Int, scratch s: SelectionScratch
    ) -> QueryOutcome {
        precondition(r + o >= need)
        // before[p]: same-class items with p other items nearer (o + 1 entries).
        let before = s.before
        before.initialize(repeating: 0, count: o + 1)
        var o = o
        if o == 0 {
            before[0] = r
        } else {
            // Those nearer than every other item have p = 0; the rest are gathered (in C, eight at
            // a time: a scalar loop over the ~1,000 same-class items of a query was half of this
            // function's time).
            var nearest = others[0]
            for i in 1 ..< o { nearest = min(nearest, others[i]) }
            var later = KeysAtLeast.gather(same, count: r, least: nearest, into: s.later)
            before[0] = r - later
            // Enough of the nearest without any other: the rest is never ranked.
            var limit = nearest
            if before[0] >= need {
                o = 0
            } else {
                (o, later, limit) = relevant(
                    others: others, o, nearest: nearest, later: s.later, later, need: need - before[0], scratch: s)
            }
            if o == 0 || later == 0 {
                // Nothing to place (no later item, or none ranked).
            } else if o <= 32 {
                // A few (well-separated classes): count them for each key, unsorted (branch-free;
                // radix-sorting the ~50 keys a query was 4 % of a 10k × 128 analysis).
                KeysAtLeast.countNearer(others, count: o, keys: s.later, keyCount: later, into: before)
            } else {
                countNearer(others, o, low: nearest, high: limit, keys: s.later, later, into: before, scratch: s)
            }
        }
        // Ranks in order, summed as `QueryOutcome(ranked:)` sums them over the `need` nearest.
        // The p = 0 items come first: the t-th has rank t and is the (t + 1)-th hit, so its
        // precision is (t + 1) / (t + 1) = 1 exactly, and their sum is their count exactly (a
        // Double adds 1s without rounding): the same digits without ~1,000 divisions a query
        // (summing them one by one was 8 % of a 10k × 128 analysis).
        let relevant = classHi - classLo - 1
        let first = min(before[0], need)
        var hits = min(first, relevant), firstHit = first > 0 ? 0 : Int.max
        var precisionSum = Double(hits)
        if first == before[0] && o > 0 {
            // pAt[k]: the p of the k-th of the rest (p ascending), its rank first + k + p. Each
            // group of p (before[p] items) starts where those below it end: p stored at every
            // group's start, the empty groups' overwritten by the next group's (stored later,
            // larger), leaves each group's p at its start, and a running maximum fills the rest.
            // Why: most groups are empty, and a loop over each group's items was mispredicted
            // about once an item (a third of ranking on overlapping classes, perf).
            let pAt = s.pAt
            pAt.initialize(repeating: 0, count: r + 1)
            var placed = 0
            for p in 1 ..< o + 1 {
                pAt[placed] = Int32(p)
                placed += before[p]
            }
            var p: Int32 = 0
            for k in 0 ..< placed {
                p = max(p, pAt[k])
                let rank = first + k + Int(p)
                if rank >= need { break }
                firstHit = min(firstHit, rank)
                if rank < relevant {
                    hits += 1
                    precisionSum += Double(hits) / Double(rank + 1)
                }
            }
        }
        return QueryOutcome(hits: hits, relevant: relevant, firstHit: firstHit, precisionSum: precisionSum)
    }

    /// Adds 1 to `before[p]` for each of the `l` keys, p = the others (`o` > 32, all in
    /// `low ... high`) at most it (the others nearer; see `otherKey`), without sorting either list:
    /// the others are counted into buckets of their keys (a power of two ≤ o of them, equal spans
    /// from `low`) and laid out bucket by bucket, so a key's p is the others of the buckets below
    /// its own plus those of its own bucket at most it (counted in C, eight at a time).
    ///
    /// Why: on heavily overlapping classes a query places ~700 others among ~250 same-class
    /// items; radix-sorting both lists and merging them was ~20 % of an analysis (perf).
    static func countNearer(
        _ others: UnsafePointer<UInt32>, _ o: Int, low: UInt32, high: UInt32, keys: UnsafePointer<UInt32>, _ l: Int,
        into before: UnsafeMutablePointer<Int>, scratch s: SelectionScratch
    ) {
        precondition(o > 32 && low <= high)
        let bucketBits = Int.bitWidth - 1 - o.leadingZeroBitCount  // 2^bucketBits ≤ o
        let spanBits = UInt32.bitWidth - (high - low).leadingZeroBitCount
        let shift = UInt32(max(0, spanBits - bucketBits)), buckets = 1 << bucketBits
        // starts[b]: the others in buckets below b (then, after the layout, below b + 1).
        let starts = s.bucketStarts
        starts.initialize(repeating: 0, count: buckets + 1)
        for i in 0 ..< o { starts[Int((others[i] - low) >> shift) + 1] &+= 1 }
        for b in 0 ..< buckets { starts[b + 1] &+= starts[b] }
        let laid = s.bucketed
        for i in 0 ..< o {
            let b = Int((others[i] - low) >> shift)
            laid[Int(starts[b])] = others[i]
            starts[b] &+= 1
        }
        // Now starts[b] is the end of bucket b, and the start of bucket b + 1.
        KeysAtLeast.countNearer(
            laid: laid, ends: starts, low: low, high: high, shift: shift, count: o, keys: keys, keyCount: l,
            into: before)
    }

    /// Keeps at the front of `others` and `later` those that can be ranked or be nearer than one
    /// ranked, and returns how many of each and a key `limit` that every one kept is at most;
    /// every ranked item's p stays the same without the rest. The same-class items nearer than
    /// every other come first; `later` are the rest, `need` how many of the nearest are ranked
    /// after those, from `later` and `others` together.
    ///
    /// An item farther than the `need`-th of those (the cut) is never ranked and nearer than no
    /// item ranked, so those kept are those in the cut's bucket or nearer, bucketed by their keys
    /// between the nearest other and the farthest later item (64 buckets, counted once), the
    /// others also at most that farthest. The bucket never decreases along the order of
    /// nearness (an other of key v before a same-class item of key h means v ≤ h, after it
    /// h < v), so an item in a bucket past the cut's is farther than the `need` items up to it;
    /// the same-class items dropped are the farthest, whose ranks would be `need` or more.
    /// Why: the lists hold some 100 others past the cut a query (the sample's margin), and
    /// radix-sorting them all was 7 % of a 10k × 128 analysis; a few are left.
    static func relevant(
        others: UnsafeMutablePointer<UInt32>, _ o: Int, nearest: UInt32, later: UnsafeMutablePointer<UInt32>, _ l: Int,
        need: Int, scratch s: SelectionScratch
    ) -> (others: Int, later: Int, limit: UInt32) {
        if l == 0 { return (0, 0, nearest) }  // every same-class item is nearer than every other
        var farthest: UInt32 = 0
        for i in 0 ..< l { farthest = max(farthest, later[i]) }
        // Every later item is at or past the nearest other (that is what makes it later).
        let base = nearest, span = farthest - base
        let shift = UInt32(max(0, (UInt32.bitWidth - span.leadingZeroBitCount) - 6))
        let counts = s.histogram
        counts.initialize(repeating: 0, count: 65)
        for i in 0 ..< l { counts[Int((later[i] - base) >> shift)] &+= 1 }
        // Every other counted, without a branch (it was mispredicted for a good share of them):
        // those past the 64 buckets into a 65th, never read; those past the farthest but in its
        // bucket only add to that bucket and past it, and a cut there or past it limits to the
        // farthest either way.
        for i in 0 ..< o { counts[min(Int((others[i] - base) >> shift), 64)] &+= 1 }
        var cut = 63, taken = 0
        for b in 0 ..< 64 {
            taken += Int(counts[b])
            if taken >= need {
                cut = b
                break
            }
        }
        // The last key of the cut's bucket (in 64 bits: it may pass UInt32.max), or the farthest.
        let limit = UInt32(min(UInt64(farthest), UInt64(base) + (UInt64(cut + 1) << UInt64(shift)) - 1))
        // The nearest other is kept (bucket 0, and at most `farthest`). In place, in C.
        let kept = KeysAtLeast.gather(others, count: o, atMost: limit, into: others)
        let keptLater = KeysAtLeast.gather(later, count: l, atMost: limit, into: later)
        return (kept, keptLater, limit)
    }
}
