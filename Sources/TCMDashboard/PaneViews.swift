import TCMCells
import TCMMetrics

// What each pane draws, built from the state by one property each (ratatui's widgets render
// their own data): a widget reads its view, never the whole `DashboardState`, so its inputs are
// visible in one place and a widget test needs only the view. The curves pane's view is in
// CurvesView.swift.

/// The calibration range pane: the range's ends, the threshold, and the curves' window (the bar
/// shares their axis).
struct RangeView {
    var frame: Style
    var editsByFAR: Bool
    var range: RangeEnds
    var threshold: Double
    var window: (low: Double, high: Double)
}

/// The metrics pane: the report's figures at the threshold, or both A/B runs'.
struct MetricsView {
    var report: ThresholdReport
    var retrieval: RetrievalReport?
    var threshold: Double
    var reportIsStale: Bool
    var ab: ABComparison?
    /// OPIS's and ε-OPIS's bootstrap interval, once made for this report.
    var interval: BootstrapSummary?
}

/// The class table: rows in `order`, from `firstRow`; in an A/B, both runs' terms.
struct TableView {
    var frame: Style
    var sortedByTerm: Bool
    var classes: [ClassSummary]
    var order: [Int]
    var focusedRow: Int
    /// Both runs' reports, once both exist.
    var abReports: (a: ThresholdReport, b: ThresholdReport)?

    /// The first row on screen: the focused row is kept in the middle.
    func firstRow(visibleRows: Int) -> Int {
        max(0, min(focusedRow - visibleRows / 2, classes.count - visibleRows))
    }
}

/// The fine-tuning pane: the run's status, or both A/B runs'.
struct TrainingView {
    var frame: Style
    var training: TrainingStatus
    var lossName: String
    var useTCM: Bool
    /// The TCM margins `t` would use for each loss ("auto", "0.9:0.5").
    var marginsNames: [String: String]
    var description: String
    var ab: ABComparison?
}

/// The watched runs' pane (in the fine-tuning pane's place): one run's timeline, or two compared
/// at one step.
struct RunsView {
    var frame: Style
    var runs: [RunTimeline]
    var comparedStep: Int?
    /// The compared step is the latest both runs have (no `,` `.` chose one).
    var following: Bool
}

/// The projection pane: 2-D points (x0, y0, x1, y1, …) with a class each.
struct ProjectionView {
    var title: String
    var frame: Style
    var points: [Float]
    var labels: [Int32]
    var focusedClass: Int?
    var canvasMode: Canvas.Mode
}

extension DashboardState {
    var rangeView: RangeView {
        RangeView(
            frame: Widgets.frame(self, .range), editsByFAR: calibration.rangeInFAR, range: calibration.range,
            threshold: threshold, window: view
        )
    }

    var metricsView: MetricsView {
        MetricsView(
            report: report, retrieval: retrieval, threshold: threshold, reportIsStale: reportIsStale, ab: comparison,
            interval: currentInterval)
    }

    var tableView: TableView {
        TableView(
            frame: Widgets.frame(self, .table), sortedByTerm: table.sortByOPISTerm, classes: report.classes,
            order: table.order,
            focusedRow: table.focusedRow,
            abReports: comparison.flatMap { ab in ab[.base].report.flatMap { a in ab[.tcm].report.map { (a, $0) } } })
    }

    var trainingView: TrainingView {
        TrainingView(
            frame: Widgets.frame(self, .training), training: fineTuning.training, lossName: fineTuning.lossName,
            useTCM: fineTuning.useTCM, marginsNames: fineTuning.marginsNames, description: fineTuning.description,
            ab: fineTuning.ab)
    }

    /// The watched runs' pane, while watching.
    var runsView: RunsView? {
        guard let run = watch.run else { return nil }
        return RunsView(
            frame: Widgets.frame(self, .training), runs: [run] + (watch.secondRun.map { [$0] } ?? []),
            comparedStep: comparedStep, following: watch.pairedStep == nil)
    }

    var projectionView: ProjectionView {
        ProjectionView(
            title: "\(Pane.projection.title)  \(projection.status)", frame: Widgets.frame(self, .projection),
            points: projection.points, labels: projection.labels, focusedClass: focusedClass, canvasMode: canvasMode)
    }
}
