import TCMCells

extension Widgets {
    /// The watched run's pane (in the fine-tuning pane's place): one sparkline per figure over
    /// every snapshot so far, the latest value beside it, the snapshot on screen marked, and what
    /// was skipped.
    static func run(_ s: DashboardState, _ run: RunTimeline, _ buffer: inout CellBuffer, _ rect: Rect) {
        let shown = run.current.map { "\($0.name)-\($0.step)" } ?? "waiting"
        buffer.box(
            rect,
            title:
                "Run  [\(shown)\(run.following ? ", following" : "")]\(run.skipped > 0 ? "  skipped \(run.skipped)" : "")  \(run.directory)",
            style: frame(s, .training))
        let inner = rect.inset(1)
        guard inner.height >= 1, inner.width >= 20 else { return }
        let label = 8, valueWidth = 11
        let sparkWidth = max(4, inner.width - label - valueWidth - 1)
        let points = run.points
        let rows: [(String, (RunPoint) -> Double, Int)] = [
            ("OPIS", { $0.opis }, 5), ("ε-OPIS", { $0.epsilonOPIS }, 5), ("R@1", { $0.recallAt1 }, 4),
            ("EER", { $0.eer }, 4),
        ]
        var y = inner.y
        for (name, value, digits) in rows where y < inner.maxY {
            let values = points.map(value)
            buffer.write(name, x: inner.x, y: y, style: Style(foreground: Palette.axis), limit: label)
            buffer.write(
                sparkline(values, width: sparkWidth), x: inner.x + label, y: y,
                style: Style(foreground: Palette.accent), limit: sparkWidth)
            buffer.write(
                Format.number(values.last ?? .nan, digits), x: inner.x + label + sparkWidth + 1, y: y,
                style: Style(bold: true), limit: valueWidth)
            y += 1
        }
        if y < inner.maxY {
            let steps = points.isEmpty ? "no snapshot yet" : "steps \(points.first!.step)…\(points.last!.step)"
            buffer.write(
                "\(points.count) snapshots, \(steps); curves kept for the last \(run.capacity)", x: inner.x, y: y,
                style: Style(foreground: Palette.axis), limit: inner.width)
            y += 1
        }
        if y < inner.maxY && run.skipped > 0 {
            buffer.write(
                "skipped \(run.skipped): \(run.lastSkipped)", x: inner.x, y: y, style: Style(foreground: Palette.bad),
                limit: inner.width)
        }
    }
}
