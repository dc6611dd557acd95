import TCMKernels

/// How the user chose the calibration range: by global FAR at each end, or by similarity.
public enum RangeSpec: Sendable, Equatable, CustomStringConvertible {
    /// `lo` is where the global FAR equals `farAtLow` (the larger FAR), `hi` where it equals `farAtHigh`.
    case far(farAtLow: Double, farAtHigh: Double)
    case similarity(low: Double, high: Double)

    /// The spec's default: FAR 1e-1 to 1e-2 (quantiles 0.9 and 0.99 of negative similarities).
    public static let standard = RangeSpec.far(farAtLow: 1e-1, farAtHigh: 1e-2)

    public var description: String {
        switch self {
        case .far(let a, let b): return "global FAR \(a) to \(b)"
        case .similarity(let lo, let hi): return "similarity \(lo) to \(hi)"
        }
    }
}

/// A resolved calibration range and its grid of thresholds, each a bin edge.
public struct ThresholdGrid: Sendable, Equatable {
    public let spec: RangeSpec
    /// Range ends as bin edges.
    public let lowEdge: Int
    public let highEdge: Int
    /// The K grid thresholds as bin edges (evenly spaced from lo to hi, then snapped to an edge).
    public let edges: [Int]
    /// Trapezoid weights, summing to 1: averaging over the range is `Σ wᵢ f(tᵢ)`.
    public let weights: [Double]
    public let bins: ThresholdBins

    public var low: Double { bins.threshold(atEdge: lowEdge) }
    public var high: Double { bins.threshold(atEdge: highEdge) }
    public var thresholds: [Double] { edges.map(bins.threshold(atEdge:)) }

    /// Resolves `spec` against pair counts into `points` thresholds.
    public init(spec: RangeSpec, points: Int, counts: PairCounts) {
        precondition(points >= 1)
        self.spec = spec
        bins = counts.bins
        var lo: Int, hi: Int
        switch spec {
        case .far(let a, let b):
            lo = ThresholdGrid.edge(forGlobalFAR: max(a, b), counts: counts)
            hi = ThresholdGrid.edge(forGlobalFAR: min(a, b), counts: counts)
        case .similarity(let a, let b):
            lo = bins.edge(nearest: min(a, b))
            hi = bins.edge(nearest: max(a, b))
        }
        if lo > hi { swap(&lo, &hi) }
        lowEdge = lo
        highEdge = hi
        if points == 1 || lo == hi {
            edges = [Int](repeating: lo, count: points)
        } else {
            let step = Double(hi - lo) / Double(points - 1)
            edges = (0 ..< points).map { i in i == points - 1 ? hi : lo + Int((Double(i) * step).rounded()) }
        }
        weights = Self.trapezoidWeights(points: points, collapsed: lo == hi)
    }

    /// The grid's averaging weights: the trapezoid rule over `points` evenly spaced thresholds
    /// divided by the range, or equal weights when the range is one threshold (`collapsed`).
    public static func trapezoidWeights(points: Int, collapsed: Bool) -> [Double] {
        if points == 1 || collapsed { return [Double](repeating: 1 / Double(points), count: points) }
        var w = [Double](repeating: 1 / Double(points - 1), count: points)
        w[0] /= 2
        w[points - 1] /= 2
        return w
    }

    /// The smallest edge at which the global FAR (over all negative pairs) is ≤ `far`.
    public static func edge(forGlobalFAR far: Double, counts: PairCounts) -> Int {
        let total = Double(counts.totalNegatives)
        guard total > 0 else { return counts.bins.count - 1 }
        var lo = 0, hi = counts.bins.count  // answer in lo...hi; FAR(bins.count) = 0
        while lo < hi {
            let mid = (lo + hi) >> 1
            if Double(counts.globalNegativeAtOrAbove[mid]) / total <= far { hi = mid } else { lo = mid + 1 }
        }
        return min(lo, counts.bins.count - 1)
    }
}
