import Foundation

/// One run of a many-run comparison: its OPIS and Recall@1 with their intervals, if made.
public struct RunFigurePoint: Sendable, Equatable {
    public let name: String
    public let opis: Double
    public let opisInterval: (low: Double, high: Double)?
    public let recallAt1: Double
    public let recallInterval: (low: Double, high: Double)?

    public init(
        name: String, opis: Double, opisInterval: (low: Double, high: Double)?, recallAt1: Double,
        recallInterval: (low: Double, high: Double)?
    ) {
        self.name = name
        self.opis = opis
        self.opisInterval = opisInterval
        self.recallAt1 = recallAt1
        self.recallInterval = recallInterval
    }

    public static func == (a: RunFigurePoint, b: RunFigurePoint) -> Bool {
        a.name == b.name && a.opis == b.opis && a.recallAt1 == b.recallAt1
            && a.opisInterval.map { [$0.low, $0.high] } == b.opisInterval.map { [$0.low, $0.high] }
            && a.recallInterval.map { [$0.low, $0.high] } == b.recallInterval.map { [$0.low, $0.high] }
    }
}

/// The paper's accuracy-versus-consistency picture: Recall@1 (up is better) against OPIS (left is
/// better), one labelled point per run with its bootstrap intervals as error bars.
public enum RunsFigure {
    public static func svg(_ runs: [RunFigurePoint], title: String, level: Double?) -> String {
        let width = 820.0, height = 600.0, left = 80.0, right = 200.0, top = 60.0, bottom = 60.0
        let plotW = width - left - right, plotH = height - top - bottom
        func finite(_ xs: [Double]) -> [Double] { xs.filter(\.isFinite) }
        let xs = finite(runs.flatMap { [$0.opis, $0.opisInterval?.low ?? $0.opis, $0.opisInterval?.high ?? $0.opis] })
        let ys = finite(
            runs.flatMap {
                [$0.recallAt1, $0.recallInterval?.low ?? $0.recallAt1, $0.recallInterval?.high ?? $0.recallAt1]
            })
        var (x0, x1) = (xs.min() ?? 0, xs.max() ?? 1), (y0, y1) = (ys.min() ?? 0, ys.max() ?? 1)
        if x1 - x0 < 1e-12 { (x0, x1) = (x0 - max(abs(x0) * 0.1, 1e-6), x1 + max(abs(x1) * 0.1, 1e-6)) }
        if y1 - y0 < 1e-12 { (y0, y1) = (y0 - 0.01, y1 + 0.01) }
        let padX = (x1 - x0) * 0.08, padY = (y1 - y0) * 0.08
        (x0, x1, y0, y1) = (max(0, x0 - padX), x1 + padX, y0 - padY, y1 + padY)
        func px(_ v: Double) -> Double { left + (v - x0) / (x1 - x0) * plotW }
        func py(_ v: Double) -> Double { top + (1 - (v - y0) / (y1 - y0)) * plotH }
        let caption =
            level.map { "bars: \(Int(($0 * 100).rounded()))% bootstrap intervals over classes" } ?? "no intervals"
        var out = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">
            <rect width="100%" height="100%" fill="#ffffff"/>
            <text x="\(SVGText.n(left))" y="28" font-size="18" font-weight="bold" fill="#222">\(SVGText.label(title, limit: 80))</text>
            <text x="\(SVGText.n(left))" y="46" font-size="12" fill="#555">\(SVGText.escape(caption)); left and up is better</text>
            <rect id="frame" x="\(SVGText.n(left))" y="\(SVGText.n(top))" width="\(SVGText.n(plotW))" height="\(SVGText.n(plotH))" fill="none" stroke="#999"/>

            """
        for t in Ticks.nice(x0, x1, target: 5) {
            out +=
                "<text x=\"\(SVGText.n(px(t)))\" y=\"\(SVGText.n(top + plotH + 18))\" font-size=\"11\" text-anchor=\"middle\" fill=\"#555\">\(SVGText.value(t))</text>\n"
        }
        for t in Ticks.nice(y0, y1, target: 5) {
            out +=
                "<text x=\"\(SVGText.n(left - 8))\" y=\"\(SVGText.n(py(t) + 4))\" font-size=\"11\" text-anchor=\"end\" fill=\"#555\">\(SVGText.value(t))</text>\n"
        }
        out +=
            "<text x=\"\(SVGText.n(left + plotW / 2))\" y=\"\(SVGText.n(height - 16))\" font-size=\"13\" text-anchor=\"middle\" fill=\"#222\">OPIS (threshold inconsistency)</text>\n"
        out +=
            "<text transform=\"translate(20 \(SVGText.n(top + plotH / 2))) rotate(-90)\" font-size=\"13\" text-anchor=\"middle\" fill=\"#222\">Recall@1</text>\n"
        out += "<g id=\"runs\">\n"
        for (i, run) in runs.enumerated() where run.opis.isFinite && run.recallAt1.isFinite {
            let colour = ClassColours.colour(i, of: runs.count)
            let cx = px(run.opis), cy = py(run.recallAt1)
            out += "<g class=\"run\" stroke=\"\(colour)\" fill=\"\(colour)\">\n"
            if let ci = run.opisInterval, ci.low.isFinite, ci.high.isFinite {
                out +=
                    "<line class=\"opis-interval\" x1=\"\(SVGText.n(px(ci.low)))\" y1=\"\(SVGText.n(cy))\" x2=\"\(SVGText.n(px(ci.high)))\" y2=\"\(SVGText.n(cy))\" stroke-width=\"2\"/>\n"
            }
            if let ci = run.recallInterval, ci.low.isFinite, ci.high.isFinite {
                out +=
                    "<line class=\"recall-interval\" x1=\"\(SVGText.n(cx))\" y1=\"\(SVGText.n(py(ci.low)))\" x2=\"\(SVGText.n(cx))\" y2=\"\(SVGText.n(py(ci.high)))\" stroke-width=\"2\"/>\n"
            }
            out += "<circle cx=\"\(SVGText.n(cx))\" cy=\"\(SVGText.n(cy))\" r=\"5\"/>\n"
            out +=
                "<text x=\"\(SVGText.n(cx + 8))\" y=\"\(SVGText.n(cy - 8))\" font-size=\"12\" stroke=\"none\">\(SVGText.label(run.name, limit: 28))</text>\n"
            out += "</g>\n"
        }
        out += "</g>\n</svg>\n"
        return out
    }
}
