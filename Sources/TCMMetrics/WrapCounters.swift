import TCMKernels

/// How many times each 16-bit negative counter of the half-product pass wrapped, in 32 bits a bin,
/// filled from the spill list of each tile as the tile ends (`flush`).
///
/// Why: `ThresholdBins.addWrapping` appends an 8-byte entry for each wrap. Kept to the pass's end,
/// those entries grow with the pairs, not with the bins: a shard of 64 of 10M × 256 rows wraps
/// ~2.4·10⁷ times, and its spill, its growth and the flattened copy took 0.54 GB above its pass
/// (2.41 GB against 1.88 GB, Benchmarks/README.md). Counted per bin instead, they hold at most 4
/// bytes a counted bin of the classes that wrapped: zero pages, allocated for a group of classes
/// on its first wrap.
///
/// Concurrency: a tile's spill holds wraps of the classes of its two groups only, and no two
/// running tiles share a group, so each `flush` writes memory no other running tile touches.
final class WrapCounters: @unchecked Sendable {
    /// Group g is classes `bounds[g] ..< bounds[g + 1]`.
    let bounds: [Int]
    let bins: Int
    private let groupOfClass: [Int32]
    private let blocks: SharedBuffer<UnsafeMutablePointer<UInt32>?>
    /// Each worker's spill list (`ThresholdBins.addWrapping` appends to it), emptied by `flush`.
    let spills: SharedBuffer<[Int]>
    /// Wraps of a 32-bit count (2^48 pairs in one bin of one class), as spill entries per worker.
    let overflows: SharedBuffer<[Int]>

    init(bounds: [Int], bins: Int, workers: Int) {
        self.bounds = bounds
        self.bins = bins
        var group = [Int32](repeating: 0, count: bounds.last ?? 0)
        for g in 0 ..< bounds.count - 1 { for c in bounds[g] ..< bounds[g + 1] { group[c] = Int32(g) } }
        groupOfClass = group
        blocks = SharedBuffer(count: bounds.count - 1)
        for g in 0 ..< bounds.count - 1 { blocks.initialize(g, to: nil) }
        spills = SharedBuffer(count: workers)
        overflows = SharedBuffer(count: workers)
        for w in 0 ..< workers {
            spills.initialize(w, to: [])
            overflows.initialize(w, to: [])
        }
    }

    private func blockCount(_ g: Int) -> Int { (bounds[g + 1] - bounds[g]) * bins }

    /// Counts the wraps in `worker`'s spill (entries `class * bins + bin`) and empties it. Call as
    /// a tile ends, from the worker that ran it.
    func flush(worker: Int) {
        for entry in spills.base[worker] {
            let c = entry / bins, g = Int(groupOfClass[c])
            let block: UnsafeMutablePointer<UInt32>
            if let existing = blocks.base[g] {
                block = existing
            } else {
                block = ZeroPages.allocate(UInt32.self, count: blockCount(g))
                blocks.base[g] = block
            }
            let i = entry - bounds[g] * bins
            block[i] &+= 1
            if block[i] == 0 { overflows.base[worker].append(entry) }
        }
        spills.base[worker].removeAll(keepingCapacity: true)
    }

    /// Every worker's overflow entries, sorted (each is 2^48 pairs of its class and bin).
    func sortedOverflows() -> [Int] {
        (0 ..< overflows.count).flatMap { overflows.base[$0] }.sorted()
    }

    /// Class c's wrap counts, one a bin; nil where none of its group's counters wrapped.
    func wraps(of c: Int) -> UnsafePointer<UInt32>? {
        let g = Int(groupOfClass[c])
        return blocks.base[g].map { UnsafePointer($0 + (c - bounds[g]) * bins) }
    }

    /// Frees group g's counts (once its classes are compacted).
    func release(group g: Int) {
        if let block = blocks.base[g] { ZeroPages.deallocate(block, count: blockCount(g)) }
        blocks.base[g] = nil
    }

    deinit {
        for g in 0 ..< bounds.count - 1 { release(group: g) }
        blocks.base.deallocate()
        for buffer in [spills, overflows] {
            buffer.base.deinitialize(count: buffer.count)
            buffer.base.deallocate()
        }
    }
}
