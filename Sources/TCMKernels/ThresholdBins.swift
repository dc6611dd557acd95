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
        return min(Int(x), count - 1)
    }

    /// The threshold at the lower edge of bin `k`.
    public func threshold(atEdge k: Int) -> Double { -1 + Double(k) / Double(binsPerUnit) }

    /// The edge nearest to threshold `t`, clamped to the axis.
    public func edge(nearest t: Double) -> Int {
        let k = ((t + 1) * Double(binsPerUnit)).rounded()
        if !(k > 0) { return 0 }
        return min(Int(k), count - 1)
    }

    /// The bin of a similarity, without the NaN check of `bin(of:)`: for finite inputs only.
    @inlinable @inline(__always)
    func fastBin(_ s: Float, scale: Float, top: Int) -> Int {
        // Truncation is floor here: (s + 1)·scale ≥ 0 for every s ≥ -1; a hair below 0 clamps to 0.
        min(max(Int((s + 1) * scale), 0), top)
    }

    /// Adds the bins of `n` similarities to `histogram` (which has `count` entries).
    ///
    /// Scalar on purpose: measured, the SIMD8 float→int conversion went through a generic path
    /// at 17 ns a value, while `cvttss2si` per value runs at ~1 ns. Four independent lanes per
    /// iteration keep the increments from waiting on each other.
    @inlinable @inline(__always)
    public func accumulate<Counter: FixedWidthInteger & UnsignedInteger>(
        _ values: UnsafePointer<Float>, count n: Int, into histogram: UnsafeMutablePointer<Counter>) {
        let scale = Float(binsPerUnit), top = count - 1
        var j = 0
        while j + 4 <= n {
            let a = fastBin(values[j], scale: scale, top: top), b = fastBin(values[j + 1], scale: scale, top: top)
            let c = fastBin(values[j + 2], scale: scale, top: top), d = fastBin(values[j + 3], scale: scale, top: top)
            histogram[a] &+= 1
            histogram[b] &+= 1
            histogram[c] &+= 1
            histogram[d] &+= 1
            j += 4
        }
        while j < n {
            histogram[fastBin(values[j], scale: scale, top: top)] &+= 1
            j += 1
        }
    }

    /// Adds each similarity's bin to two histograms at once (the bin is computed once): the
    /// symmetric pass counts a negative pair for the classes of both its ends.
    @inlinable @inline(__always)
    public func accumulate<Counter: FixedWidthInteger & UnsignedInteger>(
        _ values: UnsafePointer<Float>, count n: Int,
        into first: UnsafeMutablePointer<Counter>, and second: UnsafeMutablePointer<Counter>) {
        let scale = Float(binsPerUnit), top = count - 1
        var j = 0
        while j + 2 <= n {
            let a = fastBin(values[j], scale: scale, top: top), b = fastBin(values[j + 1], scale: scale, top: top)
            first[a] &+= 1
            second[a] &+= 1
            first[b] &+= 1
            second[b] &+= 1
            j += 2
        }
        if j < n {
            let a = fastBin(values[j], scale: scale, top: top)
            first[a] &+= 1
            second[a] &+= 1
        }
    }
}
