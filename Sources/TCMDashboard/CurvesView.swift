import TCMCells
import TCMKernels
import TCMMetrics

/// What the curves pane draws, and nothing else: built from the state for the shown run, and for
/// the A/B split's second pane from the other run's analysis (instead of a copy of the whole
/// state with another analysis swapped in). Widgets render their own data, as in ratatui.
struct CurvesView {
    var title: String
    var frame: Style
    /// Curves of the analysis shown, and the ghost drawn under them (baseline or the other run).
    var analyzer: ThresholdAnalyzer
    var ghost: ThresholdAnalyzer?
    var classes: [ClassSummary]
    /// Class indices, most important first (the table's order).
    var order: [Int]
    var focusedClass: Int?
    /// Ū(t) every `DashboardState.meanCurveStride` bins.
    var meanCurve: [Double]
    var window: (low: Double, high: Double)
    var range: (low: Double, high: Double)
    var threshold: Double
    var utility: UtilitySpec
    var canvasMode: Canvas.Mode
    /// The palette slot of each class, when it is not the class's index: a second watched run
    /// colours a class as the first run does.
    var colorIndex: [Int]? = nil

    func color(_ c: Int) -> Color { Palette.classColor(colorIndex.map { $0[c] } ?? c) }

    var bins: ThresholdBins { analyzer.counts.bins }

    func meanUtility(atEdge edge: Int) -> Double { DashboardState.meanUtility(meanCurve, atEdge: edge) }
}

extension DashboardState {
    /// The curves pane of the shown run.
    var curvesView: CurvesView {
        // An A/B names the run instead of the pane (two panes side by side have room for little).
        let title =
            comparison.map { "U(t), \(report.settings.utility)  [\($0.name($0.shown))]" }
            ?? watch.secondRun.flatMap { _ in
                watch.run.flatMap { r in
                    r.current.map { "U(t), \(report.settings.utility)  [\($0.name)-\($0.step)]  \(r.directory)" }
                }
            }
            ?? "\(Pane.curves.title)  U(t), \(report.settings.utility)"
        return CurvesView(
            title: title, frame: Widgets.frame(self, .curves), analyzer: analyzer, ghost: ghost,
            classes: report.classes,
            order: table.order, focusedClass: focusedClass, meanCurve: meanCurve, window: view,
            range: (calibration.range.low, calibration.range.high), threshold: threshold,
            utility: calibration.options.utility, canvasMode: canvasMode)
    }

    /// The split view's second pane: `side`'s curves over the shown run's as its ghost, in the
    /// same window, order and focus; nil before that run's first evaluation.
    func curvesView(of side: ABSide) -> CurvesView? {
        guard let ab = comparison, let analyzer = ab[side].analyzer, let report = ab[side].report else { return nil }
        var view = curvesView
        view.title = "U(t), \(report.settings.utility)  [\(ab.name(side))]"
        view.frame = Style(foreground: Palette.axis)
        view.analyzer = analyzer
        view.ghost = side == ab.shown ? ghost : ab[ab.shown].analyzer ?? baseline
        view.meanCurve = ab[side].meanCurve
        ownClasses(report.classes, in: &view)
        return view
    }

    /// A second pane's own classes (two watched runs may hold other classes than the shown one):
    /// its legend and curves come from them. Classes the shown run also has come in the shown
    /// run's order (both panes draw the same classes) and keep its colours, the focus follows by
    /// name; classes only this run has follow, worst first.
    func ownClasses(_ classes: [ClassSummary], in view: inout CurvesView) {
        view.classes = classes
        var ownIndex: [String: Int] = [:]
        for (i, c) in classes.enumerated() { ownIndex[c.name] = i }
        let shared = table.order.compactMap { ownIndex[report.classes[$0].name] }
        let sharedSet = Set(shared)
        let only = classes.indices.filter { !sharedSet.contains($0) }
        view.order =
            shared
            + (table.sortByOPISTerm
                ? only.sorted { (classes[$0].opisTerm ?? -1) > (classes[$1].opisTerm ?? -1) } : only)
        var shownIndex: [String: Int] = [:]
        for (i, c) in report.classes.enumerated() { shownIndex[c.name] = i }
        var extra = report.classes.count
        view.colorIndex = classes.map { c in
            if let i = shownIndex[c.name] { return i }
            defer { extra += 1 }
            return extra
        }
        view.focusedClass = focusedClass.flatMap { f in classes.firstIndex { $0.name == report.classes[f].name } }
    }
}
