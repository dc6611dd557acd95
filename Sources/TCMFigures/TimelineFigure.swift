import Foundation
import TCMMetrics

/// `analyze --watch … --plot timeline.svg`: OPIS, ε-OPIS, Recall@1 and EER against the training
/// step, one line per run, four panels. OPIS and ε-OPIS on a log scale: they fall by orders of
/// magnitude from initialisation, and on a linear scale step 0 flattens every later difference.
/// Snapshots analysed with `--bootstrap` draw their OPIS and ε-OPIS intervals as a translucent band
/// per run around its line.
public enum TimelineFigure {
    struct Panel {
        let title: String
        let value: (SnapshotPoint) -> Double
        /// A snapshot's interval of the figure; nil where it has none.
        let interval: (SnapshotPoint) -> SnapshotIntervals.Ends?
        let logarithmic: Bool
    }

    static var panels: [Panel] {
        [
            Panel(
                title: "OPIS (log scale, lower is better)", value: \.opis, interval: { $0.intervals?.opis },
                logarithmic: true),
            Panel(
                title: "ε-OPIS (log scale, lower is better)", value: \.epsilonOPIS,
                interval: { $0.intervals?.epsilonOPIS }, logarithmic: true),
            Panel(title: "Recall@1 (higher is better)", value: \.recallAt1, interval: { _ in nil }, logarithmic: false),
            Panel(title: "EER (lower is better)", value: \.eer, interval: { _ in nil }, logarithmic: false),
        ]
    }

    /// `points`: every run's snapshots (runs told apart by name), in any order.
    public static func svg(_ points: [SnapshotPoint], title: String) -> String {
        let width = 1000.0, height = 720.0, top = 70.0, legendWidth = 170.0
        let panelW = (width - legendWidth - 90) / 2, panelH = (height - top - 60) / 2
        var runs: [String] = []
        for p in points where !runs.contains(where: { $0.utf8.elementsEqual(p.name.utf8) }) { runs.append(p.name) }
        var out = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">
            <rect width="100%" height="100%" fill="#ffffff"/>
            <text x="60" y="30" font-size="18" font-weight="bold" fill="#222">\(SVGText.label(title, limit: 90))</text>
            <text x="60" y="50" font-size="12" fill="#555">\(points.count) snapshot(s) of \(runs.count) run(s), against the training step\(bandNote(points))</text>

            """
        let steps = points.map { Double($0.step) }
        let (s0, s1) = (steps.min() ?? 0, max(steps.max() ?? 1, (steps.min() ?? 0) + 1))
        for (k, panel) in panels.enumerated() {
            let x = 60 + Double(k % 2) * (panelW + 40), y = top + Double(k / 2) * (panelH + 40)
            out += self.panel(panel, points: points, runs: runs, steps: (s0, s1), frame: (x, y, panelW, panelH))
        }
        // Legend: a run per line, in the order the runs first appear.
        let legendX = width - legendWidth + 10
        for (i, run) in runs.enumerated() {
            let ly = top + 10 + Double(i) * 20
            let colour = ClassColours.colour(i, of: runs.count)
            out +=
                "<line class=\"legend\" x1=\"\(SVGText.n(legendX))\" y1=\"\(SVGText.n(ly))\" x2=\"\(SVGText.n(legendX + 24))\" y2=\"\(SVGText.n(ly))\" stroke=\"\(colour)\" stroke-width=\"3\"/>\n"
            out +=
                "<text x=\"\(SVGText.n(legendX + 30))\" y=\"\(SVGText.n(ly + 4))\" font-size=\"12\" fill=\"#222\">\(SVGText.label(run, limit: 20))</text>\n"
        }
        return out + "</svg>\n"
    }

    /// What the bands are, for the subtitle: the levels of the intervals drawn (one, unless runs
    /// analysed at other levels share the timeline).
    static func bandNote(_ points: [SnapshotPoint]) -> String {
        var levels: [Double] = []
        for p in points { if let l = p.intervals?.level, !levels.contains(l) { levels.append(l) } }
        guard !levels.isEmpty else { return "" }
        let shown = levels.sorted().map { SVGText.value($0 * 100, digits: 3) + "%" }.joined(separator: ", ")
        return "; bands: \(shown) bootstrap intervals"
    }

    static func panel(
        _ panel: Panel, points: [SnapshotPoint], runs: [String], steps: (Double, Double),
        frame: (x: Double, y: Double, w: Double, h: Double)
    ) -> String {
        // Values the scale can show: finite, and positive on a log scale.
        func shown(_ v: Double) -> Double? {
            guard v.isFinite, !panel.logarithmic || v > 0 else { return nil }
            return panel.logarithmic ? log10(v) : v
        }
        // The bands' ends count for the scale too (those it can show), so that none is cut at the top.
        let values =
            points.compactMap { shown(panel.value($0)) }
            + points.flatMap { p in panel.interval(p).map { [$0.low, $0.high] } ?? [] }.compactMap(shown)
        var (v0, v1) = (values.min() ?? 0, values.max() ?? 1)
        if panel.logarithmic {
            (v0, v1) = (floor(v0), ceil(v1))
            if v1 - v0 < 1 { v1 = v0 + 1 }
        } else {
            if v1 - v0 < 1e-9 { (v0, v1) = (v0 - 0.01, v1 + 0.01) }
            let pad = (v1 - v0) * 0.08
            (v0, v1) = (v0 - pad, v1 + pad)
        }
        func px(_ step: Double) -> Double { frame.x + (step - steps.0) / (steps.1 - steps.0) * frame.w }
        func py(_ v: Double) -> Double { frame.y + (1 - (v - v0) / (v1 - v0)) * frame.h }
        var out =
            "<g class=\"panel\"><text x=\"\(SVGText.n(frame.x))\" y=\"\(SVGText.n(frame.y - 8))\" font-size=\"13\" fill=\"#222\">\(SVGText.escape(panel.title))</text>\n"
        out +=
            "<rect x=\"\(SVGText.n(frame.x))\" y=\"\(SVGText.n(frame.y))\" width=\"\(SVGText.n(frame.w))\" height=\"\(SVGText.n(frame.h))\" fill=\"none\" stroke=\"#999\"/>\n"
        let ticks = panel.logarithmic ? stride(from: v0, through: v1, by: 1).map { $0 } : Ticks.nice(v0, v1, target: 4)
        for t in ticks where t >= v0 && t <= v1 {
            let label = panel.logarithmic ? "1e\(Int(t))" : SVGText.value(t, digits: 3)
            out +=
                "<text x=\"\(SVGText.n(frame.x - 4))\" y=\"\(SVGText.n(py(t) + 4))\" font-size=\"10\" fill=\"#555\" text-anchor=\"end\">\(label)</text>\n"
        }
        for t in Ticks.nice(steps.0, steps.1, target: 4) where t >= steps.0 && t <= steps.1 {
            out +=
                "<text x=\"\(SVGText.n(px(t)))\" y=\"\(SVGText.n(frame.y + frame.h + 14))\" font-size=\"10\" fill=\"#555\" text-anchor=\"middle\">\(SVGText.value(t, digits: 6))</text>\n"
        }
        for (i, run) in runs.enumerated() {
            let mine = points.filter { $0.name.utf8.elementsEqual(run.utf8) }.sorted { $0.step < $1.step }
            if let band = band(mine, panel: panel, x: { px(Double($0)) }, y: { py($0) }, range: (v0, v1)) {
                out +=
                    "<path class=\"band\" data-run=\"\(SVGText.escape(run))\" d=\"\(band)\" fill=\"\(ClassColours.colour(i, of: runs.count))\" fill-opacity=\"0.18\" stroke=\"none\"/>\n"
            }
            let coordinates = mine.compactMap { p in
                shown(panel.value(p)).map { "\(SVGText.n(px(Double(p.step)))),\(SVGText.n(py($0)))" }
            }
            guard !coordinates.isEmpty else { continue }
            let colour = ClassColours.colour(i, of: runs.count)
            out +=
                "<polyline class=\"run\" data-run=\"\(SVGText.escape(run))\" points=\"\(coordinates.joined(separator: " "))\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\"/>\n"
            for c in coordinates {
                let xy = c.split(separator: ",")
                out += "<circle cx=\"\(xy[0])\" cy=\"\(xy[1])\" r=\"2.5\" fill=\"\(colour)\"/>\n"
            }
        }
        return out + "</g>\n"
    }

    /// The path data of one run's band: a closed outline (upper ends left to right, lower ends
    /// back) per stretch of consecutive snapshots with an interval; nil without any. Ends are
    /// clipped to the panel's range, on a log scale to positive values: a lower end of 0 (the
    /// studentised interval's floor) runs along the panel's bottom. A lone snapshot's band is a
    /// bar 4 px wide, so it shows.
    static func band(
        _ mine: [SnapshotPoint], panel: Panel, x: (Int) -> Double, y: (Double) -> Double, range: (Double, Double)
    ) -> String? {
        func scaled(_ v: Double) -> Double? {
            guard !v.isNaN else { return nil }
            if panel.logarithmic { return v > 0 ? min(range.1, max(range.0, log10(v))) : range.0 }
            return min(range.1, max(range.0, v))
        }
        var stretches: [[(x: Double, low: Double, high: Double)]] = [[]]
        for p in mine {
            if let e = panel.interval(p), let low = scaled(e.low), let high = scaled(e.high) {
                stretches[stretches.count - 1].append((x(p.step), y(low), y(high)))
            } else if !stretches[stretches.count - 1].isEmpty {
                stretches.append([])
            }
        }
        let outlines = stretches.filter { !$0.isEmpty }.map { stretch -> String in
            let only = stretch[0]
            let s = stretch.count > 1 ? stretch : [-2.0, 2].map { (only.x + $0, only.low, only.high) }
            let upper = s.map { "\(SVGText.n($0.x)),\(SVGText.n($0.high))" }
            let lower = s.reversed().map { "\(SVGText.n($0.x)),\(SVGText.n($0.low))" }
            return "M" + (upper + lower).joined(separator: " L") + " Z"
        }
        return outlines.isEmpty ? nil : outlines.joined(separator: " ")
    }
}
