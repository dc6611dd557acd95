import TCMData
import TCMKernels
import TCMMetrics

/// The two TCM margins in use: m⁺ (positives at or below it are pulled up) and m⁻ (negatives at
/// or above it are pushed down).
public struct TCMMargins: Sendable, Codable, Equatable {
    public var positive: Double
    public var negative: Double
    public init(positive: Double, negative: Double) {
        self.positive = positive
        self.negative = negative
    }
}

/// `--tcm-margins auto`: how and how often the margins are chosen from the data. The margins in
/// use live in the regulariser itself (`positiveMargin`, `negativeMargin`), so a checkpoint holds
/// the last estimate and a resumed run continues with it.
public struct TCMAutoMargins: Sendable, Codable, Equatable {
    /// The calibration range, as global FARs at its ends (default: the analysis' range, 1e-1 to 1e-2).
    public var farAtLow = 0.1
    public var farAtHigh = 0.01
    /// Steps between estimates; the first is made before step 0.
    public var every = 50
    /// Training rows the estimate embeds (a seeded subset, the same rows all run; all of them if fewer).
    public var sampleRows = 4096
    public init(farAtLow: Double = 0.1, farAtHigh: Double = 0.01, every: Int = 50, sampleRows: Int = 4096) {
        self.farAtLow = farAtLow
        self.farAtHigh = farAtHigh
        self.every = every
        self.sampleRows = sampleRows
    }

    public var range: (farAtLow: Double, farAtHigh: Double) { (farAtLow, farAtHigh) }
}

/// The rule of `--tcm-margins auto` (docs/definitions.md, "TCM margins from the data"): the
/// calibration range `[lo, hi]` measured on the training rows' negative pairs, on the analysis'
/// axis (bin edges 1e-4 apart), with FAR(t) = #{negative pairs s ≥ t} / #negative pairs:
///
///     lo = the smallest edge t with FAR(t) ≤ farAtLow   (default 1e-1)
///     hi = the smallest edge t with FAR(t) ≤ farAtHigh  (default 1e-2)
///     m⁻ = (lo + hi) / 2      the centre of the range (the default operating threshold)
///     m⁺ = (hi + 1) / 2       halfway from the range's top to 1
///
/// TCM then pushes below the range's centre the negatives a threshold there would accept, and
/// pulls every positive that is not well clear of the whole range. Both margins come from the
/// negatives: a margin taken from the positives' own quantile rises as TCM pulls them up and never
/// stops pulling (measured: it drives every similarity towards 1). Pure: the same counts give the
/// same margins.
public enum TCMMarginRule {
    /// Margins from cumulative counts (`atOrAbove[k]` = pairs with s ≥ edge k for every edge k of
    /// `bins`; `PairCounts.globalNegativeAtOrAbove` has one more entry, 0, which is not read); nil
    /// when either kind of pair is missing (there is then nothing for one of the terms to act on).
    public static func margins(
        positiveAtOrAbove: [UInt64], negativeAtOrAbove: [UInt64], bins: ThresholdBins,
        range: (farAtLow: Double, farAtHigh: Double)
    ) -> TCMMargins? {
        precondition(positiveAtOrAbove.count >= bins.count && negativeAtOrAbove.count >= bins.count)
        let negatives = Double(negativeAtOrAbove[0])
        guard positiveAtOrAbove[0] > 0, negatives > 0 else { return nil }
        // FAR(k) falls with k: the first k at which it is ≤ far (the analysis' own search).
        func edge(far: Double) -> Int {
            var lo = 0, hi = bins.count
            while lo < hi {
                let mid = (lo + hi) >> 1
                if Double(negativeAtOrAbove[mid]) / negatives <= far { hi = mid } else { lo = mid + 1 }
            }
            return min(lo, bins.count - 1)
        }
        let lo = bins.threshold(atEdge: edge(far: max(range.farAtLow, range.farAtHigh)))
        let hi = bins.threshold(atEdge: edge(far: min(range.farAtLow, range.farAtHigh)))
        return TCMMargins(positive: (hi + 1) / 2, negative: (lo + hi) / 2)
    }

    /// Margins from the global counts of an analysis.
    public static func margins(counts: PairCounts, range: (farAtLow: Double, farAtHigh: Double)) -> TCMMargins? {
        margins(
            positiveAtOrAbove: counts.globalPositiveAtOrAbove, negativeAtOrAbove: counts.globalNegativeAtOrAbove,
            bins: counts.bins, range: range)
    }

    /// Margins from lists of pair similarities (hand-made distributions in tests).
    public static func margins(
        positives: [Double], negatives: [Double], range: (farAtLow: Double, farAtHigh: Double) = (0.1, 0.01),
        bins: ThresholdBins = .standard
    ) -> TCMMargins? {
        func atOrAbove(_ values: [Double]) -> [UInt64] {
            var counts = [UInt64](repeating: 0, count: bins.count)
            for v in values { counts[bins.bin(of: Float(v))] += 1 }
            for k in stride(from: bins.count - 2, through: 0, by: -1) { counts[k] += counts[k + 1] }
            return counts
        }
        return margins(
            positiveAtOrAbove: atOrAbove(positives), negativeAtOrAbove: atOrAbove(negatives), bins: bins, range: range)
    }

    /// The rows an estimate embeds: `count` of `0 ..< rows`, drawn once from `seed`, in order.
    public static func sampleRows(_ rows: Int, count: Int, seed: UInt64) -> [Int] {
        guard count < rows else { return Array(0 ..< rows) }
        var all = Array(0 ..< rows)
        var rng = SplitMix64(seed: seed ^ 0x7C3A_11D5_0E2B_9F41)
        for i in 0 ..< count { all.swapAt(i, i + Int(rng.next() % UInt64(rows - i))) }
        return all[0 ..< count].sorted()
    }

    /// Margins of `model` on `rows` of the training inputs: every ordered pair of those rows
    /// counted on the analysis' axis, then `margins(counts:range:)`.
    public static func estimate(
        model: MLP, inputs: Matrix, labels: [Int32], rows: [Int], range: (farAtLow: Double, farAtHigh: Double),
        threads: Int = defaultThreadCount
    ) -> TCMMargins? {
        let embeddings = model.embed(inputs.gatherRows(rows))
        // Classes renumbered to the ones present, so that none of the layout's classes is empty.
        var index: [Int32: Int32] = [:]
        let classOf = rows.map { r -> Int32 in
            if let c = index[labels[r]] { return c }
            let c = Int32(index.count)
            index[labels[r]] = c
            return c
        }
        let layout = ClassLayout(
            embeddings: embeddings, labels: Labels(classOf: classOf, classNames: (0 ..< index.count).map(String.init)))
        var tiling = PairCounts.Tiling()
        tiling.threads = threads
        return margins(counts: PairCounts.compute(layout: layout, tiling: tiling), range: range)
    }
}
