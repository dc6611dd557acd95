import TCMMetrics

/// OPIS's and ε-OPIS's confidence intervals for the report on screen (the class bootstrap of
/// `analyze --bootstrap`), made in the background after the curves: which report they belong to,
/// so an interval of an older range or analysis is never shown beside a newer OPIS.
public struct IntervalKey: Sendable, Equatable {
    let generation: Int
    let options: OPISOptions
}

/// What the app computes off the UI thread for the interval.
public struct IntervalRequest: Sendable {
    public let report: ThresholdReport
    public let counts: PairCounts
    public let key: IntervalKey
}

extension DashboardState {
    /// Replicates of the dashboard's interval: enough for a stable 95 % interval at a few hundred
    /// milliseconds on 10,000 classes; `analyze --bootstrap` is the place for more.
    public static let intervalReplicates = 200

    /// The key of the report on screen (the operating threshold moves no OPIS).
    var intervalKey: IntervalKey {
        var o = calibration.options
        o.operatingThreshold = nil
        return IntervalKey(generation: analysisGeneration, options: o)
    }

    /// The interval job to start, if the report on screen has none yet.
    public var pendingInterval: IntervalRequest? {
        guard !reportIsStale, !report.curves.isEmpty, interval?.key != intervalKey else { return nil }
        return IntervalRequest(report: report, counts: analyzer.counts, key: intervalKey)
    }

    /// An interval made for `key`; kept only if the report on screen is still that one.
    @discardableResult
    mutating func install(_ summary: BootstrapSummary, for key: IntervalKey) -> Bool {
        guard key == intervalKey else { return false }
        interval = (key, summary)
        return true
    }

    /// The interval of the report on screen, if it has been made.
    public var currentInterval: BootstrapSummary? { interval?.key == intervalKey ? interval?.summary : nil }
}
