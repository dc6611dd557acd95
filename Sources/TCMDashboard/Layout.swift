import TCMCells

/// Where every pane goes for a screen size. Computed from the size, never hard-coded, and shared
/// by the renderer and by mouse hit-testing so that a click lands where the pane was drawn.
public struct DashboardLayout: Equatable, Sendable {
    public static let minimumWidth = 80
    public static let minimumHeight = 24

    public var title: Rect
    public var footer: Rect
    public var metrics: Rect?
    /// The focusable panes that are on screen (all of them, or only the curves when expanded).
    public var panes: [Pane: Rect]
    /// The split view of an A/B run: the other run's curves, right of `.curves`, when the screen
    /// is wide enough for two readable plots.
    public var otherCurves: Rect?
    /// The narrowest screen that splits the curves: each half keeps ~48 columns (60 % of 160 / 2).
    public static let splitWidth = 160
    public static let splitWidthExpanded = 120

    /// The layout, or nil when the screen is below the minimum size. `split` asks for the A/B
    /// split view, given only when the width allows it.
    public init?(width: Int, height: Int, expanded: Bool, split: Bool = false) {
        guard width >= Self.minimumWidth && height >= Self.minimumHeight else { return nil }
        let screen = Rect(x: 0, y: 0, width: width, height: height)
        let (titleRow, body) = screen.splitTop(1)
        let (main, footerRow) = body.splitTop(body.height - 1)
        title = titleRow
        footer = footerRow
        if expanded {
            if split && width >= Self.splitWidthExpanded {
                let (shown, other) = main.splitLeft(main.width / 2)
                panes = [.curves: shown]
                otherCurves = other
            } else {
                panes = [.curves: main]
            }
            metrics = nil
            return
        }
        // Curves take ~60 % of the width with the range bar and training pane under them; the
        // right column stacks metrics, the class table and the projection.
        let (left, right) = main.splitLeft(main.width * 3 / 5)
        // An A/B run needs a row more: a progress line and an OPIS trajectory for each run.
        let trainingRows = split ? 6 : 5, rangeRows = 4
        let (curves, belowCurves) = left.splitTop(left.height - trainingRows - rangeRows)
        let (range, training) = belowCurves.splitTop(rangeRows)
        let (metricsRect, rest) = right.splitTop(7)
        let (table, projection) = rest.splitTop(rest.height / 2)
        metrics = metricsRect
        var shownCurves = curves
        if split && width >= Self.splitWidth {
            (shownCurves, otherCurves) = curves.splitLeft(curves.width / 2)
        }
        panes = [.curves: shownCurves, .range: range, .training: training, .table: table, .projection: projection]
    }

    /// Parts of the curves pane: the legend row, the 6-column U axis, the plot, the tick row.
    public struct CurveParts: Equatable, Sendable {
        public var legend: Rect, axis: Rect, plot: Rect, ticks: Rect
    }

    public static func curveParts(_ pane: Rect) -> CurveParts {
        let inner = pane.inset(1)
        let (legend, rest) = inner.splitTop(1)
        let (plotArea, ticks) = rest.splitTop(rest.height - 1)
        let (axis, plot) = plotArea.splitLeft(6)
        return CurveParts(legend: legend, axis: axis, plot: plot, ticks: ticks)
    }

    /// The row of the range pane that draws the range as a bar, and its columns.
    public static func rangeBar(_ pane: Rect) -> Rect {
        let inner = pane.inset(1)
        let barRow = Rect(x: inner.x, y: inner.y + 1, width: inner.width, height: inner.height >= 2 ? 1 : 0)
        return barRow.splitLeft(6).1
    }

    /// The rows of the class table (below its header row).
    public static func tableRows(_ pane: Rect) -> Rect { pane.inset(1).splitTop(1).1 }
}

extension Rect {
    public func contains(x px: Int, y py: Int) -> Bool { px >= x && px < maxX && py >= y && py < maxY }
}
