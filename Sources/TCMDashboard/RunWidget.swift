import TCMCells
import TCMMetrics

extension Widgets {
    /// The watched runs' pane (in the fine-tuning pane's place): one sparkline per figure and run
    /// over every snapshot so far, the latest value beside it, the snapshot on screen and what was
    /// skipped. Two runs (`--watch A --watch B`) interleave their rows, OPIS and R@1 first.
    static func run(_ s: DashboardState, _ runs: [RunTimeline], _ buffer: inout CellBuffer, _ rect: Rect) {
        func describe(_ run: RunTimeline) -> String {
            let shown = run.current.map { "\($0.name)-\($0.step)" } ?? "waiting"
            return "[\(shown)\(run.following ? ", following" : "")]\(run.skipped > 0 ? "  skipped \(run.skipped)" : "")"
        }
        let title =
            runs.count == 1
            ? "Run  \(describe(runs[0]))  \(runs[0].directory)"
            : "Runs  A \(describe(runs[0]))  B \(describe(runs[1]))"
        buffer.box(rect, title: title, style: frame(s, .training))
        let inner = rect.inset(1)
        guard inner.height >= 1, inner.width >= 20, !runs.isEmpty else { return }
        let label = runs.count == 1 ? 8 : 10, valueWidth = 11
        let sparkWidth = max(4, inner.width - label - valueWidth - 1)
        let figures: [(String, (SnapshotPoint) -> Double, Int)] =
            runs.count == 1
            ? [
                ("OPIS", { $0.opis }, 5), ("ε-OPIS", { $0.epsilonOPIS }, 5), ("R@1", { $0.recallAt1 }, 4),
                ("EER", { $0.eer }, 4),
            ]
            : [
                ("OPIS", { $0.opis }, 5), ("R@1", { $0.recallAt1 }, 4), ("ε-OPIS", { $0.epsilonOPIS }, 5),
                ("EER", { $0.eer }, 4),
            ]
        var y = inner.y
        for (name, value, digits) in figures {
            // Both runs on one scale, so their sparklines compare.
            let all = runs.flatMap { $0.points.map(value) }
            for (k, run) in runs.enumerated() where y < inner.maxY {
                let values = run.points.map(value)
                let caption = runs.count == 1 ? name : "\(name) \(k == 0 ? "A" : "B")"
                buffer.write(caption, x: inner.x, y: y, style: Style(foreground: Palette.axis), limit: label)
                buffer.write(
                    sparkline(values, width: sparkWidth, scale: runs.count == 1 ? nil : all), x: inner.x + label, y: y,
                    style: Style(foreground: k == 0 ? Palette.accent : Palette.highlight), limit: sparkWidth)
                buffer.write(
                    Format.number(values.last ?? .nan, digits), x: inner.x + label + sparkWidth + 1, y: y,
                    style: Style(bold: true), limit: valueWidth)
                y += 1
            }
        }
        if y < inner.maxY {
            let points = runs[0].points
            let steps = points.isEmpty ? "no snapshot yet" : "steps \(points.first!.step)…\(points.last!.step)"
            buffer.write(
                "\(points.count) snapshots, \(steps); curves kept for the last \(runs[0].capacity)", x: inner.x, y: y,
                style: Style(foreground: Palette.axis), limit: inner.width)
            y += 1
        }
        if y < inner.maxY, let skipped = runs.first(where: { $0.skipped > 0 }) {
            buffer.write(
                "skipped \(skipped.skipped): \(skipped.lastSkipped)", x: inner.x, y: y,
                style: Style(foreground: Palette.bad), limit: inner.width)
        }
    }
}
