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
        // `--bootstrap B`: each snapshot's interval, under its figure (wider values for the ends).
        let hasIntervals = runs.contains { $0.points.contains { $0.intervals != nil } }
        let label = runs.count == 1 ? 8 : 10, valueWidth = runs.count == 1 && !hasIntervals ? 11 : 24
        let sparkWidth = max(4, inner.width - label - valueWidth - 1)
        // OPIS and ε-OPIS on a log scale: they fall by orders of magnitude from initialisation, and a
        // linear scale made every later difference look flat.
        typealias Figure = (
            name: String, value: (SnapshotPoint) -> Double, digits: Int, log: Bool,
            ends: (SnapshotPoint) -> SnapshotIntervals.Ends?
        )
        let opis: Figure = ("OPIS", { $0.opis }, 5, true, { $0.intervals?.opis })
        let epsilon: Figure = ("ε-OPIS", { $0.epsilonOPIS }, 5, true, { $0.intervals?.epsilonOPIS })
        let recall: Figure = ("R@1", { $0.recallAt1 }, 4, false, { _ in nil })
        let eer: Figure = ("EER", { $0.eer }, 4, false, { _ in nil })
        let figures = runs.count == 1 ? [opis, epsilon, recall, eer] : [opis, recall, epsilon, eer]
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
        // The row under a figure with intervals: each snapshot's relative width (half the interval
        // over the estimate, on its own linear scale), so a jump between snapshots can be read against
        // the noise of one, and the ends at the compared step.
        func intervalRow(_ figure: Figure, _ run: RunTimeline, _ k: Int, _ y: Int) -> Int {
            let points = trained(run)
            guard points.contains(where: { figure.ends($0) != nil }) else { return y }
            let widths = points.map { p in
                figure.ends(p).map { ($0.high - $0.low) / 2 / figure.value(p) } ?? .nan
            }
            let level = points.lazy.compactMap(\.intervals).first.map { Int(($0.level * 100).rounded()) } ?? 95
            let caption = " \(level)% CI" + (runs.count == 1 ? "" : k == 0 ? " A" : " B")
            buffer.write(caption, x: inner.x, y: y, style: Style(foreground: Palette.axis), limit: label)
            buffer.write(
                sparkline(widths, width: sparkWidth, scale: widths + [0]), x: inner.x + label, y: y,
                style: Style(foreground: Palette.axis), limit: sparkWidth)
            let ends = compared(run).flatMap(figure.ends)
            let text = ends.map {
                "[\(Format.number($0.low, figure.digits)), \(Format.number($0.high, figure.digits))]"
            }
            buffer.write(
                text ?? "–", x: inner.x + label + sparkWidth + 1, y: y, style: Style(foreground: Palette.axis),
                limit: valueWidth)
            return y + 1
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
                if y < inner.maxY { y = intervalRow(figure, run, k, y) }
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
