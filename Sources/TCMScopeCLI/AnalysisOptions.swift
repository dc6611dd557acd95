import ArgumentParser
import Foundation
import TCMData
import TCMKernels
import TCMMetrics

/// The choices the spec leaves open: range, grid, utility, ε, ranking, operating threshold.
struct AnalysisOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp("Calibration range by global FAR at its ends (default 1e-1:1e-2).", valueName: "far:far"))
    var farRange: NumberPair?

    @Option(help: ArgumentHelp("Calibration range as cosine similarities.", valueName: "lo:hi"))
    var range: NumberPair?

    @Option(help: Bounds.points.help("Number of grid thresholds K in the range, both ends included."))
    var points = 101

    @Option(help: "Utility: the F-score of TPR and TNR, or of precision and recall.")
    var utility: UtilitySpec.Kind = .tprTnr

    @Option(help: Bounds.beta.help("β of the F-score."))
    var beta = 1.0

    @Option(help: Bounds.epsilon.help("ε of ε-OPIS: share of classes in the best and worst groups."))
    var epsilon = 0.05

    @Option(
        help: """
            ε-OPIS ranking of the classes: at each threshold, or by their average over the range.
            """)
    var ranking: OPISOptions.Ranking = .perThreshold

    @Option(
        help: Bounds.threshold.help(
            """
            Operating threshold for the at-threshold columns (default: centre of the range).
            """, valueName: "t"))
    var threshold: Double?

    func check() throws {
        if farRange != nil && range != nil { throw ValidationError("give either --far-range or --range, not both") }
        try Bounds.points.check(points)
        try Bounds.beta.check(beta)
        try Bounds.epsilon.check(epsilon)
        try Bounds.threshold.check(threshold)
        _ = try options()
    }

    func options() throws -> OPISOptions {
        var o = OPISOptions()
        if let farRange {
            let (a, b) = (farRange.first, farRange.second)
            guard a > 0, a <= 1, b > 0, b <= 1, a != b else {
                throw ValidationError("--far-range values must be distinct FARs in (0, 1], e.g. 1e-1:1e-2")
            }
            o.range = .far(farAtLow: max(a, b), farAtHigh: min(a, b))
        }
        if let range {
            let (a, b) = (range.first, range.second)
            guard a >= -1, b <= 1, a < b else { throw ValidationError("--range needs -1 ≤ lo < hi ≤ 1, e.g. 0.3:0.6") }
            o.range = .similarity(low: a, high: b)
        }
        o.points = points
        o.utility = UtilitySpec(kind: utility, beta: beta)
        o.epsilon = epsilon
        o.ranking = ranking
        o.operatingThreshold = threshold
        return o
    }
}

extension UtilitySpec.Kind: ExpressibleByArgument {}
extension OPISOptions.Ranking: ExpressibleByArgument {}
