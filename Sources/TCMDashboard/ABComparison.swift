import TCMMetrics

/// The two runs of an A/B fine-tuning (key `A`): the same start, seed and batches, the base loss
/// alone (A) and the base loss + TCM (B).
public enum ABSide: Int, CaseIterable, Sendable {
    case base, tcm

    public var other: ABSide { self == .base ? .tcm : .base }
    /// "A" or "B", as the panes and the saved comparison name them.
    public var letter: String { self == .base ? "A" : "B" }
}

/// One run of an A/B: its training status and its newest curves (none before its first evaluation).
public struct ABRun: Sendable {
    public var training = TrainingStatus()
    public var analyzer: ThresholdAnalyzer?
    public var report: ThresholdReport?
    public var retrieval: RetrievalReport?
    public var meanCurve: [Double] = []
    /// The training step the curves come from.
    public var curvesStep = 0
    public init() {}

    public var recallAt1: Double? { retrieval?.recallAtK.first { $0.k == 1 }?.recall }
}

/// Both runs and which one the curves pane shows (the other is its ghost).
public struct ABComparison: Sendable {
    public var runs = [ABRun(), ABRun()]
    public var shown: ABSide = .tcm
    /// The base loss of both runs.
    public var lossName: String
    /// Two watched runs on this model instead of an A/B fine-tuning: each side's name
    /// ("A base-550", "B tcm-550"), which the panes show in place of the loss's.
    public var runNames: [String]?
    public init(lossName: String) { self.lossName = lossName }

    public subscript(side: ABSide) -> ABRun {
        get { runs[side.rawValue] }
        set { runs[side.rawValue] = newValue }
    }

    public func name(_ side: ABSide) -> String {
        runNames?[side.rawValue] ?? "\(side.letter) \(lossName)\(side == .tcm ? " + TCM" : "")"
    }

    /// A column header of at most 10 characters: "A base", "B +TCM", or a watched run's name.
    public func shortName(_ side: ABSide) -> String {
        guard let names = runNames else { return side == .base ? "A base" : "B +TCM" }
        return String(names[side.rawValue].prefix(10))
    }
    public var running: Bool { runs.contains { $0.training.running } }
    /// B − A of a value both runs have.
    public func difference(_ value: (ABRun) -> Double?) -> Double? {
        guard let a = value(self[.base]), let b = value(self[.tcm]) else { return nil }
        return b - a
    }
}

extension DashboardState {
    /// The comparison on screen: the A/B fine-tuning's or the two watched runs' (one model for
    /// both, so Metrics, Classes, the split curves and `a` work the same for either); nil for one
    /// run. Fine-tuning is off while watching, so at most one of them exists.
    public internal(set) var comparison: ABComparison? {
        get { fineTuning.ab ?? watch.pair }
        set {
            if case .ab = fineTuning.run {
                fineTuning.run = newValue.map { .ab($0) } ?? .single(TrainingStatus())
            } else {
                watch.pair = newValue
            }
        }
    }

    /// `A`: both runs start from the curves on screen.
    mutating func beginAB(lossName: String) {
        var ab = ABComparison(lossName: lossName)
        for side in ABSide.allCases {
            ab[side].training.running = true
            ab[side].training.message = "starting…"
        }
        fineTuning.run = .ab(ab)
        status = "A/B: \(lossName) without and with TCM (a flips the curves)"
    }

    /// New curves of one A/B run. The shown run's become the screen's analysis; the other's are the ghost.
    mutating func installAB(
        _ side: ABSide, counts: PairCounts, retrieval: RetrievalReport?, meanCurve: [Double]?, step: Int
    ) {
        guard var ab = fineTuning.ab else { return }
        let analyzer = ThresholdAnalyzer(counts: counts)
        ab[side].analyzer = analyzer
        ab[side].retrieval = retrieval
        ab[side].meanCurve = meanCurve ?? Self.meanCurve(analyzer, calibration.options.utility)
        ab[side].curvesStep = step
        ab[side].report = analyzer.report(calibration.options)
        fineTuning.run = .ab(ab)
        if side == ab.shown { replace(counts: counts, retrieval: retrieval, meanCurve: ab[side].meanCurve) }
    }

    /// `a`: the curves pane shows the other run; the one it showed becomes the ghost.
    mutating func flipAB() {
        guard var ab = comparison else {
            status = "no A/B run: press A"
            return
        }
        ab.shown = ab.shown.other
        comparison = ab
        let run = ab[ab.shown]
        if let analyzer = run.analyzer {
            replace(counts: analyzer.counts, retrieval: run.retrieval, meanCurve: run.meanCurve)
        }
        showProjectionOfShownRun()
        status = "curves: \(ab.name(ab.shown)); ghost: \(ab.name(ab.shown.other))"
    }

    /// The ghost curves: in a comparison, the run not shown (once it has curves); otherwise the
    /// curves before fine-tuning when `g` turned them on.
    public var ghost: ThresholdAnalyzer? {
        if let ab = comparison, let other = ab[ab.shown.other].analyzer { return other }
        return showBaseline || comparison != nil ? baseline : nil
    }

    /// Brings both runs' reports to the current range and threshold (after `recompute`).
    mutating func recomputeAB(rangeChanged: Bool) {
        guard var ab = comparison else { return }
        for side in ABSide.allCases {
            guard let analyzer = ab[side].analyzer, let old = ab[side].report, analyzer.counts.bins == bins else {
                continue
            }
            // Many classes: the range's report waits for the next evaluation, the operating point moves now.
            ab[side].report =
                rangeChanged && analyzer.counts.classCount < Self.backgroundReportClasses
                ? analyzer.report(calibration.options)
                : analyzer.report(old, movedTo: calibration.cursor, spec: calibration.options.utility)
        }
        comparison = ab
    }
}
