import Foundation

/// A 2-D layout as a scatter plot: one `<path>` of dots per class (a zero-length segment with
/// round caps per point: about 15 bytes a point), equal scales on both axes, legend for up to
/// `legendClasses` classes.
public enum ProjectionFigure {
    public static let legendClasses = 20

    /// `layout` holds x, y of each point in turn; `classOf[i]` indexes `classNames`.
    public static func svg(layout: [Float], classOf: [Int], classNames: [String], title: String) -> String {
        precondition(layout.count == 2 * classOf.count, "one class per point")
        let classes = classNames.count
        let showLegend = classes <= legendClasses
        let width = showLegend ? 900.0 : 760.0, height = 700.0
        let left = 30.0, top = 56.0, side = height - top - 30
        let plotLeft = left, plotRight = left + side
        var minX = Double.infinity, maxX = -Double.infinity, minY = Double.infinity, maxY = -Double.infinity
        for i in 0 ..< classOf.count {
            let px = Double(layout[2 * i]), py = Double(layout[2 * i + 1])
            guard px.isFinite, py.isFinite else { continue }
            minX = min(minX, px)
            maxX = max(maxX, px)
            minY = min(minY, py)
            maxY = max(maxY, py)
        }
        if !minX.isFinite {
            minX = 0
            maxX = 1
            minY = 0
            maxY = 1
        }
        // Equal scales: distances in the picture are distances in the layout.
        let span = max(maxX - minX, maxY - minY, 1e-12)
        let cx = (minX + maxX) / 2, cy = (minY + maxY) / 2
        let pad = 10.0, scale = (side - 2 * pad) / span
        func x(_ v: Double) -> Double { plotLeft + side / 2 + (v - cx) * scale }
        func y(_ v: Double) -> Double { top + side / 2 - (v - cy) * scale }

        let n = classOf.count
        let dot = n <= 2_000 ? 5.0 : n <= 10_000 ? 3.6 : 2.4
        var out = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">
            <rect width="100%" height="100%" fill="#ffffff"/>
            <text x="\(SVGText.n(left))" y="30" font-size="18" font-weight="bold" fill="#222">\(SVGText.label(title, limit: 90))</text>
            <rect x="\(SVGText.n(plotLeft))" y="\(SVGText.n(top))" width="\(SVGText.n(side))" height="\(SVGText.n(side))" fill="none" stroke="#999"/>

            """
        var members = [[Int]](repeating: [], count: classes)
        for (i, c) in classOf.enumerated() where c >= 0 && c < classes { members[c].append(i) }
        out +=
            "<g id=\"points\" fill=\"none\" stroke-linecap=\"round\" stroke-width=\"\(SVGText.n(dot))\" stroke-opacity=\"0.75\">\n"
        for c in 0 ..< classes {
            var d = ""
            for i in members[c] {
                let px = Double(layout[2 * i]), py = Double(layout[2 * i + 1])
                guard px.isFinite, py.isFinite else { continue }
                d += "M\(SVGText.n(x(px))) \(SVGText.n(y(py)))h0"
            }
            out +=
                "<path class=\"class-points\" stroke=\"\(ClassColours.colour(c, of: classes))\" d=\"\(d)\"><title>\(SVGText.label(classNames[c], limit: 80))</title></path>\n"
        }
        out += "</g>\n"
        if showLegend {
            out += "<g id=\"legend\" font-size=\"13\" fill=\"#222\">\n"
            for c in 0 ..< classes {
                let ly = top + 14 + 22 * Double(c)
                out +=
                    "<circle cx=\"\(SVGText.n(plotRight + 24))\" cy=\"\(SVGText.n(ly - 4))\" r=\"5\" fill=\"\(ClassColours.colour(c, of: classes))\"/>"
                out +=
                    "<text x=\"\(SVGText.n(plotRight + 36))\" y=\"\(SVGText.n(ly))\">\(SVGText.label(classNames[c], limit: 16)) (\(members[c].count))</text>\n"
            }
            out += "</g>\n"
        } else {
            out +=
                "<text x=\"\(SVGText.n(left))\" y=\"\(SVGText.n(height - 8))\" font-size=\"12\" fill=\"#555\">\(classes) classes (colours repeat in hue; hover a cloud for its class name)</text>\n"
        }
        out += "</svg>\n"
        return out
    }
}
