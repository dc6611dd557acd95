/// Least-significant-digit radix sort of 64-bit keys by their high 32 bits, stable.
///
/// The retrieval keys are (similarity key << 32 | column) gathered in column order, so a stable
/// sort on the high word is the full key order. Up to four byte passes, each skipped when every key
/// shares that byte (common: similarities of one query share their top bits); up to 48 keys, a
/// stable insertion instead (no scratch, no count table).
enum RadixSort {
    static func sortByHighWord(_ keys: UnsafeMutableBufferPointer<UInt64>) {
        let n = keys.count
        guard n > 1, let base = keys.baseAddress else { return }
        if n <= 48 {
            // Short lists (a query's other-class candidates): insertion, stable on the high word.
            for i in 1 ..< n {
                let key = base[i], high = key >> 32
                var p = i
                while p > 0 && base[p - 1] >> 32 > high {
                    base[p] = base[p - 1]
                    p -= 1
                }
                base[p] = key
            }
            return
        }
        // Bytes above the highest bit where the smallest and largest high words differ are shared
        // by every key (all lie between them): neither counted nor passed over. On heavily
        // overlapping classes this sort was 14 % of an analysis (perf), its counting loop a chain
        // of increments of the one bucket every key shares.
        var low = UInt32.max, high: UInt32 = 0
        for i in 0 ..< n {
            let h = UInt32(truncatingIfNeeded: base[i] >> 32)
            low = min(low, h)
            high = max(high, h)
        }
        let passes = (UInt32.bitWidth - (low ^ high).leadingZeroBitCount + 7) / 8
        if passes == 0 { return }
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: n) { scratch in
            var source = base, target = scratch.baseAddress!
            withUnsafeTemporaryAllocation(of: Int32.self, capacity: 256) { c in
                for pass in 0 ..< passes {
                    let s = UInt64(32 + 8 * pass)
                    c.initialize(repeating: 0)
                    for i in 0 ..< n { c[Int((source[i] >> s) & 0xFF)] &+= 1 }
                    if Int(c[Int((source[0] >> s) & 0xFF)]) == n { continue }  // one value: order unchanged
                    var total: Int32 = 0
                    for b in 0 ..< 256 {
                        let x = c[b]
                        c[b] = total
                        total &+= x
                    }
                    for i in 0 ..< n {
                        let b = Int((source[i] >> s) & 0xFF)
                        target[Int(c[b])] = source[i]
                        c[b] &+= 1
                    }
                    swap(&source, &target)
                }
            }
            if source != base { base.update(from: source, count: n) }
        }
    }
}
