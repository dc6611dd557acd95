import Foundation
import TCMCells
import TCMMetrics

extension Widgets {
    /// The watched runs' pane (in the fine-tuning pane's place): one sparkline per figure and run
    /// over every snapshot so far, the latest value beside it, the snapshot on screen and what was
    /// skipped. Two runs (`--watch A --watch B`) interleave their rows, OPIS and R@1 first.
    static func run(_ v: RunsView, _ buffer: inout CellBuffer, _ rect: Rect) {
        let runs = v.runs
        func describe(_ run: RunTimeline) -> String {
            let shown = run.current.map { "\($0.name)-\($0.step)" } ?? "waiting"
            return "[\(shown)\(run.following ? ", following" : "")]\(run.skipped > 0 ? "  skipped \(run.skipped)" : "")"
        }
        // Two runs are compared at one step (`,` `.` move both): the step, then each run's snapshot.
        func shown(_ run: RunTimeline) -> String {
            (run.current.map { "\($0.name)-\($0.step)" } ?? "waiting")
                + (run.skipped > 0 ? " skipped \(run.skipped)" : "")
        }
        let title =
            runs.count == 1
            ? "Run  \(describe(runs[0]))  \(runs[0].directory)"
            : "Runs at step \(v.comparedStep.map(String.init) ?? "–")\(v.following ? " (following)" : "")"
                + "  A [\(shown(runs[0]))]  B [\(shown(runs[1]))]"
        buffer.box(rect, title: title, style: v.frame)
        let inner = rect.inset(1)
        guard inner.height >= 1, inner.width >= 20, !runs.isEmpty else { return }
        let label = runs.count == 1 ? 8 : 10, valueWidth = runs.count == 1 ? 11 : 24
        let sparkWidth = max(4, inner.width - label - valueWidth - 1)
        // OPIS and ε-OPIS on a log scale: they fall by orders of magnitude from initialisation, and a
        // linear scale made every later difference look flat.
        let figures: [(name: String, value: (SnapshotPoint) -> Double, digits: Int, log: Bool)] =
            runs.count == 1
            ? [
                ("OPIS", { $0.opis }, 5, true), ("ε-OPIS", { $0.epsilonOPIS }, 5, true),
                ("R@1", { $0.recallAt1 }, 4, false), ("EER", { $0.eer }, 4, false),
            ]
            : [
                ("OPIS", { $0.opis }, 5, true), ("R@1", { $0.recallAt1 }, 4, false),
                ("ε-OPIS", { $0.epsilonOPIS }, 5, true), ("EER", { $0.eer }, 4, false),
            ]
        // From the first snapshot after step 0: the untrained model's figures dwarf the rest.
        func trained(_ run: RunTimeline) -> [SnapshotPoint] {
            let later = run.points.filter { $0.step > 0 }
            return later.isEmpty ? run.points : later
        }
        // Two runs: the values at the compared step (the snapshots on screen), and B − A.
        func compared(_ run: RunTimeline) -> SnapshotPoint? {
            guard runs.count == 2, let shown = run.current else { return run.points.last }
            return run.points.last { $0.key == shown.key }
        }
        var y = inner.y
        for figure in figures {
            func scaled(_ values: [Double]) -> [Double] {
                figure.log ? values.filter { $0 > 0 }.map { log10($0) } : values
            }
            // Both runs on one scale, so their sparklines compare.
            let all = scaled(runs.flatMap { trained($0).map(figure.value) })
            let now = runs.map { compared($0).map(figure.value) }
            for (k, run) in runs.enumerated() where y < inner.maxY {
                let values = scaled(trained(run).map(figure.value))
                let caption = runs.count == 1 ? figure.name : "\(figure.name) \(k == 0 ? "A" : "B")"
                buffer.write(caption, x: inner.x, y: y, style: Style(foreground: Palette.axis), limit: label)
                buffer.write(
                    sparkline(values, width: sparkWidth, scale: runs.count == 1 ? nil : all), x: inner.x + label, y: y,
                    style: Style(foreground: k == 0 ? Palette.accent : Palette.highlight), limit: sparkWidth)
                var text = Format.number(now[k] ?? .nan, figure.digits)
                if k == 1, let a = now[0], let b = now[1] {
                    let change = b - a
                    text += "  B−A " + (change > 0 ? "+" : "") + Format.number(change, figure.digits)
                }
                buffer.write(
                    text, x: inner.x + label + sparkWidth + 1, y: y, style: Style(bold: true), limit: valueWidth)
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
