// The cell types (CellBuffer, Style, Color, Rect, Key, Canvas) live in TCMCells; re-exported so a user of
// the dashboard widgets has them with one import.
@_exported import TCMCells

/// Lays the panes out for the buffer's size and draws the state. The layout is computed from
/// the size, not fixed: the curves take ~60 % of the width, the right column the rest.
public enum Dashboard {
    public static let minimumWidth = DashboardLayout.minimumWidth
    public static let minimumHeight = DashboardLayout.minimumHeight

    public static func render(_ s: DashboardState, into buffer: inout CellBuffer) {
        buffer.fill(buffer.area)
        guard let layout = s.layout(width: buffer.width, height: buffer.height) else {
            let message =
                "Terminal too small: \(buffer.width)×\(buffer.height), TCMScope needs \(minimumWidth)×\(minimumHeight). Enlarge it, or q to quit."
            var y = max(0, buffer.height / 2 - 1)
            var rest = Substring(message)
            while !rest.isEmpty && y < buffer.height {
                buffer.write(String(rest.prefix(max(1, buffer.width))), x: 0, y: y, style: Style(bold: true))
                rest = rest.dropFirst(max(1, buffer.width))
                y += 1
            }
            return
        }
        let title =
            " TCMScope  \(s.title)  ·  \(s.report.classes.count) classes  ·  OPIS \(Format.number(s.report.opis, 5))  ε-OPIS \(Format.number(s.report.epsilonOPIS, 5))\(s.reportIsStale ? "  …" : "")"
        buffer.fill(layout.title, style: Style(background: Palette.titleBar))
        buffer.write(
            title, x: 0, y: layout.title.y,
            style: Style(foreground: Palette.titleText, background: Palette.titleBar, bold: true))
        Widgets.footer(s, &buffer, layout.footer.y)
        if let r = layout.panes[.curves] { Widgets.curves(s.curvesView, &buffer, r) }
        // The split's second curves pane: the other A/B run, or the second watched run; until it
        // has curves, say whose will come (never the shown run's curves again).
        if let r = layout.otherCurves {
            let second: (view: CurvesView?, title: String, waiting: String)? =
                s.comparison.map { ab in
                    (s.curvesView(of: ab.shown.other), ab.name(ab.shown.other), "curves after its first evaluation")
                }
                // Two watched runs are on `comparison` once both have a snapshot (`pairRuns`).
                ?? s.watch.secondRun.map { (nil, $0.directory, "waiting for its first snapshot") }
            if let view = second?.view {
                Widgets.curves(view, &buffer, r)
            } else if let second {
                buffer.box(r, title: "[\(second.title)]", style: Style(foreground: Palette.axis))
                buffer.write(
                    second.waiting, x: r.x + 2, y: r.y + 2, style: Style(foreground: Palette.axis), limit: r.width - 4)
            }
        }
        if let r = layout.panes[.range] { Widgets.range(s.rangeView, &buffer, r) }
        if let r = layout.panes[.training] {
            if let runs = s.runsView {
                Widgets.run(runs, &buffer, r)
            } else {
                Widgets.training(s.trainingView, &buffer, r)
            }
        }
        if let r = layout.metrics { Widgets.metrics(s.metricsView, &buffer, r) }
        if let r = layout.panes[.table] { Widgets.table(s.tableView, &buffer, r) }
        if let r = layout.panes[.projection] { Widgets.projection(s.projectionView, &buffer, r) }
        if s.showHelp { Widgets.help(s, &buffer) }
    }
}
