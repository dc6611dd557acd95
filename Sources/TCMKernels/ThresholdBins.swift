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
    public var count: Int { 2 * binsPerUnit + 1 }

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

    /// Adds the bins of `n` similarities to `histogram` (which has `count` entries).
    ///
    /// The index arithmetic runs eight lanes at a time; the increments are scalar.
    public func accumulate(_ values: UnsafePointer<Float>, count n: Int,
                           into histogram: UnsafeMutablePointer<UInt32>) {
        let scale = SIMD8<Float>(repeating: Float(binsPerUnit))
        let one = SIMD8<Float>(repeating: 1)
        let top = SIMD8<Int32>(repeating: Int32(count - 1))
        let zero = SIMD8<Int32>(repeating: 0)
        var j = 0
        while j + 8 <= n {
            let v = UnsafeRawPointer(values + j).loadUnaligned(as: SIMD8<Float>.self)
            var idx = SIMD8<Int32>((v + one) * scale, rounding: .down)
            idx = idx.replacing(with: zero, where: idx .< zero)
            idx = idx.replacing(with: top, where: idx .> top)
            for lane in 0 ..< 8 { histogram[Int(idx[lane])] &+= 1 }
            j += 8
        }
        while j < n {
            histogram[bin(of: values[j])] &+= 1
            j += 1
        }
    }
}
