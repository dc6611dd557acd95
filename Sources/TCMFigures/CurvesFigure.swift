import Foundation
import TCMMetrics

/// What the utility-curves figure shows: every class's U_c(t) and the mean Ū(t) on one grid of
/// thresholds, the calibration range, the operating threshold, OPIS and ε-OPIS.
public struct CurvesFigureData: Sendable, Equatable {
    public struct Curve: Sendable, Equatable {
        public var name: String
        public var values: [Double]
        /// The class's OPIS term; the largest ones are labelled.
        public var opisTerm: Double
        public init(name: String, values: [Double], opisTerm: Double) {
            self.name = name
            self.values = values
            self.opisTerm = opisTerm
        }
    }

    public var thresholds: [Double]
    public var curves: [Curve]
    public var mean: [Double]
    public var rangeLow: Double
    public var rangeHigh: Double
    public var operatingThreshold: Double
    public var opis: Double
    public var epsilonOPIS: Double
    public var epsilon: Double
    public var utilityName: String
    /// Classes in OPIS; more than `curves.count` when the figure drew only the worst.
    public var classCount: Int

    public init(
        thresholds: [Double], curves: [Curve], mean: [Double], rangeLow: Double, rangeHigh: Double,
        operatingThreshold: Double,
        opis: Double, epsilonOPIS: Double, epsilon: Double, utilityName: String, classCount: Int? = nil
    ) {
        self.thresholds = thresholds
        self.curves = curves
        self.mean = mean
        self.rangeLow = rangeLow
        self.rangeHigh = rangeHigh
        self.operatingThreshold = operatingThreshold
        self.opis = opis
        self.epsilonOPIS = epsilonOPIS
        self.epsilon = epsilon
        self.utilityName = utilityName
        self.classCount = classCount ?? curves.count
    }

    /// At most this many class curves are drawn (those with the largest OPIS terms): beyond it a
    /// figure is a blur and its file grows by megabytes.
    public static let maximumCurves = 400

    /// The figure of `report`, with curves evaluated from `counts` on `points` thresholds over the
    /// calibration range widened by its own width on each side (within [−1, 1]), so the shaded
    /// range sits in context. `spec` must be the report's utility.
    public init(report: ThresholdReport, counts: PairCounts, spec: UtilitySpec, points: Int = 241) {
        let s = report.settings
        let width = max(s.rangeHigh - s.rangeLow, 0.05)
        let lo = max(-1, s.rangeLow - width), hi = min(1, s.rangeHigh + width)
        let grid = ThresholdGrid(spec: .similarity(low: lo, high: hi), points: points, counts: counts)
        let analyzer = ThresholdAnalyzer(counts: counts)
        let (classes, values) = analyzer.curves(grid: grid, spec: spec)
        var mean = [Double](repeating: 0, count: grid.edges.count)
        for row in values { for i in mean.indices { mean[i] += row[i] } }
        if !values.isEmpty { for i in mean.indices { mean[i] /= Double(values.count) } }
        let all = zip(classes, values).map { c, v in
            Curve(name: report.classes[c].name, values: v, opisTerm: report.classes[c].opisTerm ?? 0)
        }
        let drawn =
            all.count > Self.maximumCurves
            ? Array(all.sorted { $0.opisTerm > $1.opisTerm }.prefix(Self.maximumCurves)) : all
        self.init(
            thresholds: grid.thresholds, curves: drawn, mean: mean, rangeLow: s.rangeLow, rangeHigh: s.rangeHigh,
            operatingThreshold: s.operatingThreshold, opis: report.opis, epsilonOPIS: report.epsilonOPIS,
            epsilon: s.epsilon,
            utilityName: s.utility == UtilitySpec.Kind.tprTnr.rawValue
                ? "F\(betaText(s.beta))(TPR, TNR)" : "F\(betaText(s.beta))(precision, recall)",
            classCount: all.count)
    }
}

private func betaText(_ beta: Double) -> String { beta == 1 ? "₁" : "β=\(SVGText.value(beta))" }

/// The per-class utility-vs-threshold figure as a self-contained SVG document.
public enum CurvesFigure {
    /// How many of the worst classes get a name beside their curve.
    public static let labelledClasses = 5
    /// Classes listed one by one in the legend; above this the legend summarises.
    public static let legendClasses = 20

    public static func svg(_ data: CurvesFigureData) -> String {
        let width = 960.0, height = 600.0
        let left = 72.0, right = 190.0, top = 70.0
        let legendRows = data.curves.count <= legendClasses ? (data.curves.count + 1 + 3) / 4 : 1
        let bottom = 62.0 + 18.0 * Double(legendRows) + 10
        let plotW = width - left - right, plotH = height - top - bottom
        let x0 = data.thresholds.first ?? 0, x1 = max(data.thresholds.last ?? 1, x0 + 1e-9)
        func x(_ t: Double) -> Double { left + (t - x0) / (x1 - x0) * plotW }
        func y(_ u: Double) -> Double { top + (1 - u) * plotH }
        func path(_ values: [Double]) -> String {
            var d = ""
            for (i, u) in values.enumerated() where i < data.thresholds.count {
                d += (i == 0 ? "M" : "L") + SVGText.n(x(data.thresholds[i])) + " " + SVGText.n(y(min(1, max(0, u))))
            }
            return d
        }

        var out = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">

            """
        out += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n"
        // Title: the two numbers the figure is about.
        out +=
            "<text x=\"\(SVGText.n(left))\" y=\"28\" font-size=\"18\" font-weight=\"bold\" fill=\"#222\">Per-class utility vs threshold — OPIS \(SVGText.value(data.opis, digits: 5)), ε-OPIS \(SVGText.value(data.epsilonOPIS, digits: 5))</text>\n"
        let shown =
            data.curves.count < data.classCount
            ? "the \(data.curves.count) with the largest OPIS terms of \(data.classCount) classes"
            : "\(data.classCount) classes"
        out +=
            "<text x=\"\(SVGText.n(left))\" y=\"50\" font-size=\"13\" fill=\"#555\">utility \(SVGText.escape(data.utilityName)); \(shown); ε = \(SVGText.value(data.epsilon)); calibration range [\(SVGText.value(data.rangeLow, digits: 3)), \(SVGText.value(data.rangeHigh, digits: 3))]</text>\n"

        // Calibration range, shaded behind everything.
        let rx0 = x(max(x0, data.rangeLow)), rx1 = x(min(x1, data.rangeHigh))
        out +=
            "<rect id=\"calibration-range\" x=\"\(SVGText.n(rx0))\" y=\"\(SVGText.n(top))\" width=\"\(SVGText.n(max(0, rx1 - rx0)))\" height=\"\(SVGText.n(plotH))\" fill=\"#dbe9f6\"/>\n"
        out +=
            "<text x=\"\(SVGText.n((rx0 + rx1) / 2))\" y=\"\(SVGText.n(top - 6))\" font-size=\"12\" fill=\"#3b6a99\" text-anchor=\"middle\">calibration range</text>\n"

        // Grid and axes.
        out += "<g stroke=\"#e3e3e3\" stroke-width=\"1\">\n"
        let xTicks = Ticks.nice(x0, x1, target: 8), yTicks = Ticks.nice(0, 1, target: 5)
        for t in xTicks {
            out +=
                "<line x1=\"\(SVGText.n(x(t)))\" y1=\"\(SVGText.n(top))\" x2=\"\(SVGText.n(x(t)))\" y2=\"\(SVGText.n(top + plotH))\"/>\n"
        }
        for u in yTicks {
            out +=
                "<line x1=\"\(SVGText.n(left))\" y1=\"\(SVGText.n(y(u)))\" x2=\"\(SVGText.n(left + plotW))\" y2=\"\(SVGText.n(y(u)))\"/>\n"
        }
        out += "</g>\n<g font-size=\"12\" fill=\"#333\">\n"
        for t in xTicks {
            out +=
                "<text x=\"\(SVGText.n(x(t)))\" y=\"\(SVGText.n(top + plotH + 18))\" text-anchor=\"middle\">\(SVGText.value(t, digits: 3))</text>\n"
        }
        for u in yTicks {
            out +=
                "<text x=\"\(SVGText.n(left - 8))\" y=\"\(SVGText.n(y(u) + 4))\" text-anchor=\"end\">\(SVGText.value(u, digits: 2))</text>\n"
        }
        out += "</g>\n"
        out +=
            "<rect id=\"frame\" x=\"\(SVGText.n(left))\" y=\"\(SVGText.n(top))\" width=\"\(SVGText.n(plotW))\" height=\"\(SVGText.n(plotH))\" fill=\"none\" stroke=\"#555\"/>\n"
        out +=
            "<text x=\"\(SVGText.n(left + plotW / 2))\" y=\"\(SVGText.n(top + plotH + 40))\" font-size=\"14\" text-anchor=\"middle\" fill=\"#222\">threshold t (cosine similarity; a pair is accepted when s ≥ t)</text>\n"
        out +=
            "<text transform=\"translate(22 \(SVGText.n(top + plotH / 2))) rotate(-90)\" font-size=\"14\" text-anchor=\"middle\" fill=\"#222\">utility U(t)</text>\n"

        // One thin path per class, the worst classes drawn last and heavier so they can be
        // followed to their names; then the mean on top.
        let count = data.curves.count
        let worst = data.curves.indices.sorted { data.curves[$0].opisTerm > data.curves[$1].opisTerm }.prefix(
            labelledClasses)
        // Above the legend's size the colours only need to tell the named classes apart: those get
        // the categorical palette, in rank order.
        func colour(_ i: Int) -> String {
            if count > legendClasses, let rank = worst.firstIndex(of: i) {
                return ClassColours.colour(rank - worst.startIndex, of: labelledClasses)
            }
            return ClassColours.colour(i, of: count)
        }
        let opacity = count <= legendClasses ? "0.9" : count <= 100 ? "0.55" : "0.3"
        out +=
            "<g id=\"classes\" fill=\"none\" stroke-width=\"\(count <= legendClasses ? "1.4" : "0.8")\" stroke-opacity=\"\(opacity)\" stroke-linejoin=\"round\">\n"
        for i in data.curves.indices.filter({ !worst.contains($0) }) + worst.reversed() {
            let emphasis = worst.contains(i) ? " stroke-width=\"2.2\" stroke-opacity=\"1\"" : ""
            out +=
                "<path class=\"class-curve\" stroke=\"\(colour(i))\"\(emphasis) d=\"\(path(data.curves[i].values))\"><title>\(SVGText.label(data.curves[i].name, limit: 80))</title></path>\n"
        }
        out += "</g>\n"
        out +=
            "<path id=\"mean\" fill=\"none\" stroke=\"#111\" stroke-width=\"3.2\" stroke-linejoin=\"round\" d=\"\(path(data.mean))\"/>\n"

        // The operating threshold.
        let tx = x(min(x1, max(x0, data.operatingThreshold)))
        out +=
            "<line id=\"operating-threshold\" x1=\"\(SVGText.n(tx))\" y1=\"\(SVGText.n(top))\" x2=\"\(SVGText.n(tx))\" y2=\"\(SVGText.n(top + plotH))\" stroke=\"#c0392b\" stroke-width=\"1.6\" stroke-dasharray=\"6 4\"/>\n"
        out +=
            "<text x=\"\(SVGText.n(tx + 4))\" y=\"\(SVGText.n(top + plotH - 8))\" font-size=\"12\" fill=\"#c0392b\">t = \(SVGText.value(data.operatingThreshold, digits: 3))</text>\n"

        // The worst classes, named in the right margin, each with a leader line to the point in the
        // range where its curve strays furthest from the mean; names are spread so none overlap.
        let inRange = data.thresholds.indices.filter {
            data.thresholds[$0] >= data.rangeLow && data.thresholds[$0] <= data.rangeHigh
        }
        let anchorIndex = worst.map { c -> Int in
            let values = data.curves[c].values
            return inRange.filter { $0 < values.count && $0 < data.mean.count }.max {
                abs(values[$0] - data.mean[$0]) < abs(values[$1] - data.mean[$1])
            } ?? 0
        }
        let anchors = zip(worst, anchorIndex).map { c, k in
            y(min(1, max(0, data.curves[c].values.indices.contains(k) ? data.curves[c].values[k] : 0)))
        }
        let placed = LabelPlacement.spread(anchors, gap: 30, top: top + 10, bottom: top + plotH - 10)
        out +=
            "<text x=\"\(SVGText.n(left + plotW + 12))\" y=\"\(SVGText.n(top - 4))\" font-size=\"12\" font-weight=\"bold\" fill=\"#222\">largest OPIS terms</text>\n"
        for (j, i) in worst.enumerated() {
            let tint = colour(i)
            let ax = x(data.thresholds.isEmpty ? x0 : data.thresholds[anchorIndex[j]]), ly = placed[j]
            out +=
                "<polyline fill=\"none\" stroke=\"\(tint)\" stroke-width=\"1\" points=\"\(SVGText.n(ax)),\(SVGText.n(anchors[j])) \(SVGText.n(left + plotW)),\(SVGText.n(ly)) \(SVGText.n(left + plotW + 10)),\(SVGText.n(ly))\"/>\n"
            out += "<circle cx=\"\(SVGText.n(ax))\" cy=\"\(SVGText.n(anchors[j]))\" r=\"3\" fill=\"\(tint)\"/>\n"
            out +=
                "<text class=\"worst-label\" x=\"\(SVGText.n(left + plotW + 14))\" y=\"\(SVGText.n(ly - 1))\" font-size=\"12\" fill=\"\(tint)\" font-weight=\"bold\">\(SVGText.label(data.curves[i].name, limit: 22))</text>\n"
            out +=
                "<text x=\"\(SVGText.n(left + plotW + 14))\" y=\"\(SVGText.n(ly + 13))\" font-size=\"11\" fill=\"#555\">OPIS term \(SVGText.significant(data.curves[i].opisTerm))</text>\n"
        }

        // Legend below the axis title: the mean, then each class while they fit.
        var entries: [(String, String, Double)] = [("mean Ū(t)", "#111", 3.2)]
        if count <= legendClasses {
            entries += data.curves.enumerated().map {
                (SVGText.label($1.name, limit: 18), ClassColours.colour($0, of: count), 1.6)
            }
        } else {
            entries.append(("\(count) classes, one thin line each", "#888", 1))
        }
        out += "<g id=\"legend\" font-size=\"12\" fill=\"#222\">\n"
        let columns = 4, columnWidth = (width - 2 * left) / Double(columns)
        for (e, entry) in entries.enumerated() {
            let lx = left + Double(e % columns) * columnWidth, ly = top + plotH + 66 + 18 * Double(e / columns)
            out +=
                "<line x1=\"\(SVGText.n(lx))\" y1=\"\(SVGText.n(ly - 4))\" x2=\"\(SVGText.n(lx + 22))\" y2=\"\(SVGText.n(ly - 4))\" stroke=\"\(entry.1)\" stroke-width=\"\(entry.2)\"/>"
            out += "<text x=\"\(SVGText.n(lx + 28))\" y=\"\(SVGText.n(ly))\">\(entry.0)</text>\n"
        }
        out += "</g>\n</svg>\n"
        return out
    }
}
