import CBins

/// The fixed threshold axis every pair similarity is folded onto.
///
/// Bin `k` holds similarities in `[-1 + k·w, -1 + (k+1)·w)` with `w = 1 / binsPerUnit`; the last
/// bin also holds `s ≥ 1` (rounding can push a self-similar pair a hair above 1). Thresholds are
/// the bin edges, so "pairs with `s ≥ t`" is exactly "pairs in bins `≥ k`" for `t = edge(k)`.
/// With the default 10,000 bins per unit the threshold resolution is 1e-4 in cosine.
public struct ThresholdBins: Sendable, Equatable {
    public static let standard = ThresholdBins(binsPerUnit: 10_000)

    public let binsPerUnit: Int

    public init(binsPerUnit: Int) {
        precondition(binsPerUnit > 0 && binsPerUnit <= 30_000, "binsPerUnit must be in 1...30000")
        self.binsPerUnit = binsPerUnit
    }

    /// Number of bins, `2·binsPerUnit + 1`.
    @inlinable public var count: Int { 2 * binsPerUnit + 1 }

    /// Bin width in cosine similarity.
    public var width: Double { 1 / Double(binsPerUnit) }

    /// The bin a similarity falls in.
    @inline(__always)
    public func bin(of s: Float) -> Int {
        let x = (s + 1) * Float(binsPerUnit)
        if !(x > 0) { return 0 }
        // Clamped before the conversion: Int(x) traps past Int.max (s = 1e30, +∞).
        return x >= Float(count - 1) ? count - 1 : Int(x)
    }

    /// The threshold at the lower edge of bin `k`.
    public func threshold(atEdge k: Int) -> Double { -1 + Double(k) / Double(binsPerUnit) }

    /// The edge nearest to threshold `t`, clamped to the axis.
    public func edge(nearest t: Double) -> Int {
        let k = ((t + 1) * Double(binsPerUnit)).rounded()
        if !(k > 0) { return 0 }
        return min(Int(k), count - 1)
    }

    /// The bin of each of `n` similarities into `out`: `bin(of:)` of each, vectorised in C.
    @inlinable
    public func bins(of values: UnsafePointer<Float>, count n: Int, into out: UnsafeMutablePointer<UInt16>) {
        tcm_threshold_bins(values, n, Float(binsPerUnit), Int32(count - 1), out)
    }

    /// How many of `n` bins are at least `least` (vectorised in C).
    @inlinable
    public static func count(_ bins: UnsafePointer<UInt16>, count n: Int, atLeast least: Int) -> Int {
        tcm_bins_at_least(bins, n, UInt16(clamping: least))
    }

    /// Calls `body(bins, m)` for the bins of consecutive chunks of at most `chunk` similarities.
    ///
    /// The bins are computed by `tcm_threshold_bins` (C, vectorised: Swift's checked `Int(Float)`
    /// kept the conversion scalar at ~1 ns a value); every fold counts from them. Measured on
    /// SOP-sized data: the half-product pass went from 22–23 s to 15.5–17.5 s with this split.
    @inlinable @inline(__always)
    public func forEachBinChunk(
        _ values: UnsafePointer<Float>, count n: Int,
        _ body: (UnsafePointer<UInt16>, Int) -> Void
    ) {
        withUnsafeTemporaryAllocation(of: UInt16.self, capacity: Self.chunk) { scratch in
            let k = scratch.baseAddress!
            var j = 0
            while j < n {
                let m = min(Self.chunk, n - j)
                bins(of: values + j, count: m, into: k)
                body(k, m)
                j += m
            }
        }
    }

    /// Adds the bins of `n` similarities to `histogram` (which has `count` entries), four
    /// independent increments per iteration so they do not wait on each other.
    @inlinable
    public func accumulate<Counter: FixedWidthInteger & UnsignedInteger>(
        _ values: UnsafePointer<Float>, count n: Int, into histogram: UnsafeMutablePointer<Counter>
    ) {
        forEachBinChunk(values, count: n) { k, m in
            var t = 0
            while t + 4 <= m {
                histogram[Int(k[t])] &+= 1
                histogram[Int(k[t + 1])] &+= 1
                histogram[Int(k[t + 2])] &+= 1
                histogram[Int(k[t + 3])] &+= 1
                t += 4
            }
            while t < m {
                histogram[Int(k[t])] &+= 1
                t += 1
            }
        }
    }

    /// Adds each similarity's bin to two histograms at once (the bin is computed once): the
    /// symmetric pass counts a negative pair for the classes of both its ends.
    @inlinable
    public func accumulate<Counter: FixedWidthInteger & UnsignedInteger>(
        _ values: UnsafePointer<Float>, count n: Int,
        into first: UnsafeMutablePointer<Counter>, and second: UnsafeMutablePointer<Counter>
    ) {
        forEachBinChunk(values, count: n) { k, m in
            var t = 0
            while t + 2 <= m {
                let a = Int(k[t]), b = Int(k[t + 1])
                first[a] &+= 1
                second[a] &+= 1
                first[b] &+= 1
                second[b] &+= 1
                t += 2
            }
            if t < m {
                first[Int(k[t])] &+= 1
                second[Int(k[t])] &+= 1
            }
        }
    }

    /// Similarities binned per call of the C conversion.
    @usableFromInline static let chunk = 256
}
