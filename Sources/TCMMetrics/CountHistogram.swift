import TCMKernels

/// One class's pair counts over the threshold bins, stored compactly and queryable as
/// "how many pairs have similarity ≥ threshold edge k".
///
/// Why compact: with 10,000 classes and 20,001 bins, plain 32-bit counts would take 800 MB per
/// kind of pair. Each histogram keeps only its non-empty span, in the narrowest integer that
/// holds its largest bin, or as a sorted list of bins when it has fewer pairs than bins (the
/// positives of small classes). Block suffix sums every 64 bins bound a query to 63 additions.
public struct CountHistogram: Sendable {
    enum Storage: Sendable {
        case empty
        case sparse([UInt16])  // sorted bins, one entry per pair
        case dense8([UInt8])
        case dense16([UInt16])
        case dense32([UInt32])
        case dense64([UInt64])
    }

    static let block = 64

    let storage: Storage
    /// First bin of the stored span.
    let first: Int
    /// Suffix sums at block starts of the dense span: `blockSuffix[b]` = pairs in bins ≥ first + 64·b.
    let blockSuffix: [Int]
    /// Total number of pairs.
    public let total: Int

    /// Compacts a full-length histogram.
    public init<Counter: FixedWidthInteger & UnsignedInteger>(counts: UnsafeBufferPointer<Counter>) {
        self.init(counts: counts, offset: 0, length: counts.count)
    }

    /// Compacts a histogram of `length` bins of which only bins `offset ..< offset + span.count`
    /// may be nonzero, given as `span`: the same result as the full-length histogram, without
    /// reading (or first widening) the zeros around the span.
    public init<Counter: FixedWidthInteger & UnsignedInteger>(
        counts span: UnsafeBufferPointer<Counter>, offset: Int, length: Int
    ) {
        var lo = 0, hi = span.count
        while lo < hi && span[lo] == 0 { lo += 1 }
        while hi > lo && span[hi - 1] == 0 { hi -= 1 }
        // One pass for the total, the largest count and the block sums (suffix-summed below when
        // dense): a separate pass for the blocks was a fifth of compacting a shard's histograms.
        let blocks = (hi - lo + Self.block - 1) / Self.block
        var suffix = [Int](repeating: 0, count: blocks + 1)
        var sum = 0, largest: UInt64 = 0
        for b in 0 ..< blocks {
            var s = 0
            for k in (lo + b * Self.block) ..< min(hi, lo + (b + 1) * Self.block) {
                s += Int(span[k])
                largest = max(largest, UInt64(span[k]))
            }
            suffix[b] = s
            sum += s
        }
        total = sum
        // An all-zero histogram starts past its last bin, as the full-length scan leaves it.
        first = sum > 0 ? offset + lo : length
        guard sum > 0 else {
            storage = .empty
            blockSuffix = []
            return
        }
        let width = hi - lo
        let denseBytes =
            largest <= UInt64(UInt8.max) ? 1 : largest <= UInt64(UInt16.max) ? 2 : largest <= UInt64(UInt32.max) ? 4 : 8
        if sum * 2 < width * denseBytes && length <= Int(UInt16.max) + 1 {
            var bins = [UInt16]()
            bins.reserveCapacity(sum)
            for k in lo ..< hi where span[k] > 0 {
                for _ in 0 ..< Int(span[k]) { bins.append(UInt16(offset + k)) }
            }
            storage = .sparse(bins)
            blockSuffix = []
            return
        }
        let slice = UnsafeBufferPointer(rebasing: span[lo ..< hi])
        switch denseBytes {
        case 1: storage = .dense8(slice.map { UInt8($0) })
        case 2: storage = .dense16(slice.map { UInt16($0) })
        case 4: storage = .dense32(slice.map { UInt32($0) })
        default: storage = .dense64(slice.map { UInt64($0) })
        }
        for b in stride(from: blocks - 1, through: 0, by: -1) { suffix[b] += suffix[b + 1] }
        blockSuffix = suffix
    }

    /// Pairs whose similarity falls in bin `bin` or above (similarity ≥ edge `bin`).
    public func countAtOrAbove(_ bin: Int) -> Int {
        if bin <= first { return total }
        switch storage {
        case .empty: return 0
        case .sparse(let bins):
            // First index whose bin ≥ `bin`.
            var lo = 0, hi = bins.count
            while lo < hi {
                let mid = (lo + hi) >> 1
                if Int(bins[mid]) < bin { lo = mid + 1 } else { hi = mid }
            }
            return bins.count - lo
        case .dense8(let c): return denseCount(c, bin)
        case .dense16(let c): return denseCount(c, bin)
        case .dense32(let c): return denseCount(c, bin)
        case .dense64(let c): return denseCount(c, bin)
        }
    }

    /// `countAtOrAbove` at each of `edges` (ascending), in one sweep: the top edge is one query,
    /// every lower one adds the bins between it and the next. Used for curves on a grid, where
    /// it reads each bin of the range once instead of up to 63 per grid point.
    public func countsAtOrAbove(ascending edges: [Int]) -> [Int] {
        guard let top = edges.last else { return [] }
        var out = [Int](repeating: 0, count: edges.count)
        switch storage {
        case .empty: for (i, e) in edges.enumerated() { out[i] = e <= first ? total : 0 }
        case .sparse(let bins):
            // One walk over both sorted lists instead of a binary search per edge.
            var below = 0  // pairs in bins < the current edge
            bins.withUnsafeBufferPointer { b in
                for (i, e) in edges.enumerated() {
                    while below < b.count && Int(b[below]) < e { below += 1 }
                    out[i] = b.count - below
                }
            }
        case .dense8(let c): sweep(c, edges, top, &out)
        case .dense16(let c): sweep(c, edges, top, &out)
        case .dense32(let c): sweep(c, edges, top, &out)
        case .dense64(let c): sweep(c, edges, top, &out)
        }
        return out
    }

    private func sweep<T: FixedWidthInteger>(_ counts: [T], _ edges: [Int], _ top: Int, _ out: inout [Int]) {
        var running = countAtOrAbove(top)
        out[edges.count - 1] = running
        counts.withUnsafeBufferPointer { c in
            for i in stride(from: edges.count - 2, through: 0, by: -1) {
                let lo = min(max(edges[i] - first, 0), c.count), hi = min(max(edges[i + 1] - first, 0), c.count)
                for k in lo ..< max(lo, hi) { running += Int(c[k]) }
                out[i] = edges[i] <= first ? total : running
            }
        }
    }

    @inline(__always)
    private func denseCount<T: FixedWidthInteger>(_ counts: [T], _ bin: Int) -> Int {
        let offset = bin - first
        if offset >= counts.count { return 0 }
        let nextBlock = (offset + Self.block - 1) / Self.block
        var sum = blockSuffix[nextBlock]
        let stop = min(nextBlock * Self.block, counts.count)
        counts.withUnsafeBufferPointer { c in
            for k in offset ..< stop { sum += Int(c[k]) }
        }
        return sum
    }

    /// Bytes held, for memory reports.
    public var storageBytes: Int {
        let body: Int
        switch storage {
        case .empty: body = 0
        case .sparse(let b): body = b.count * 2
        case .dense8(let c): body = c.count
        case .dense16(let c): body = c.count * 2
        case .dense32(let c): body = c.count * 4
        case .dense64(let c): body = c.count * 8
        }
        return body + blockSuffix.count * 8
    }

    /// Adds this histogram's counts into a full-length array.
    func add(into full: inout [UInt64]) {
        switch storage {
        case .empty: return
        case .sparse(let bins): for b in bins { full[Int(b)] += 1 }
        case .dense8(let c): for (i, v) in c.enumerated() { full[first + i] += UInt64(v) }
        case .dense16(let c): for (i, v) in c.enumerated() { full[first + i] += UInt64(v) }
        case .dense32(let c): for (i, v) in c.enumerated() { full[first + i] += UInt64(v) }
        case .dense64(let c): for (i, v) in c.enumerated() { full[first + i] += v }
        }
    }
}
