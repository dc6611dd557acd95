import Foundation
import TCMCells
import TCMMetrics

/// The panes, each drawing into its rectangle of the buffer.
enum Widgets {
    // MARK: Utility curves

    /// The curves of one analysis (`CurvesView`: the shown run, or the A/B split's other run).
    static func curves(_ v: CurvesView, _ buffer: inout CellBuffer, _ rect: Rect) {
        buffer.box(rect, title: v.title, style: v.frame)
        let inner = rect.inset(1)
        guard inner.width > 12 && inner.height > 4 else { return }
        // Legend row, then the plot with a 6-column axis on the left and a tick row below.
        let parts = DashboardLayout.curveParts(rect)
        let (legendRow, axis, plot, tickRow) = (parts.legend, parts.axis, parts.plot, parts.ticks)
        let axisMap = ThresholdAxis(v.window, over: plot)
        func column(_ t: Double) -> Int { axisMap.column(of: t) }

        // Calibration range shading and the threshold cursor, under the curves.
        let lo = column(v.range.low), hi = column(v.range.high)
        buffer.setBackground(
            Rect(x: max(plot.x, lo), y: plot.y, width: min(plot.maxX, hi + 1) - max(plot.x, lo), height: plot.height),
            Palette.range)
        let cursorColumn = column(v.threshold)
        if cursorColumn >= plot.x && cursorColumn < plot.maxX {
            buffer.setBackground(Rect(x: cursorColumn, y: plot.y, width: 1, height: plot.height), Palette.cursor)
        }

        var canvas = Canvas(columns: plot.width, rows: plot.height, mode: v.canvasMode)
        let samples = canvas.dotsWide
        let edges = (0 ..< samples).map {
            v.bins.edge(nearest: axisMap.threshold(Double($0) + 0.5, of: Double(samples)))
        }  // ascending
        func y(_ u: Double) -> Int { Int(((1 - u) * Double(canvas.dotsHigh - 1)).rounded()) }
        func draw(_ analyzer: ThresholdAnalyzer, _ c: Int, color: Color, bold: Bool = false) {
            var previous: Int? = nil
            for (x, e) in edges.enumerated() {
                let yy = y(analyzer.utility(c, edge: e, spec: v.utility))
                if let p = previous {
                    canvas.line(x - 1, p, x, yy, color: color, bold: bold)
                } else {
                    canvas.set(x, yy, color: color, bold: bold)
                }
                previous = yy
            }
        }
        // Many classes: draw the 24 with the largest OPIS terms (they make the score), then the mean.
        let order = v.order.filter { v.classes[$0].inOPIS }
        let drawn = Array(order.prefix(24))
        if let ghost = v.ghost {
            for c in drawn where c < ghost.counts.classCount { draw(ghost, c, color: Palette.ghost) }
        }
        for c in drawn.reversed() where c != v.focusedClass { draw(v.analyzer, c, color: v.color(c)) }
        if let f = v.focusedClass, v.classes[f].inOPIS {
            draw(v.analyzer, f, color: v.color(f), bold: true)
        }
        // The mean curve Ū(t), emphasised.
        var previous: Int? = nil
        for (x, e) in edges.enumerated() {
            let yy = y(v.meanUtility(atEdge: e))
            if let p = previous { canvas.line(x - 1, p, x, yy, color: Palette.mean, bold: true) }
            previous = yy
        }
        canvas.render(into: &buffer, x: plot.x, y: plot.y)

        // Axes and labels.
        for (label, u) in [("1.0", 1.0), ("0.5", 0.5), ("0.0", 0.0)] {
            let row = plot.y + Int(((1 - u) * Double(plot.height - 1)).rounded())
            buffer.write(
                label.padding(toLength: 5, withPad: " ", startingAt: 0) + "┤", x: axis.x, y: row,
                style: Style(foreground: Palette.axis))
        }
        let ticks = max(2, plot.width / 14)
        for k in 0 ... ticks {
            let t = axisMap.threshold(Double(k), of: Double(ticks))
            let x = min(column(t), plot.maxX - 6)
            buffer.write(String(format: "%.3f", t), x: x, y: tickRow.y, style: Style(foreground: Palette.axis))
        }
        // Legend: mean, then the drawn classes in colour.
        var x = legendRow.x
        buffer.write("━ mean", x: x, y: legendRow.y, style: Style(foreground: Palette.mean, bold: true))
        x += 8
        buffer.write(
            "│t=\(Format.number(v.threshold))", x: x, y: legendRow.y, style: Style(foreground: Palette.highlight))
        x += 10
        for c in drawn.prefix(12) {
            let name = "■\(v.classes[c].name.prefix(8)) "
            if x + name.count >= legendRow.maxX { break }
            buffer.write(
                name, x: x, y: legendRow.y, style: Style(foreground: v.color(c), bold: c == v.focusedClass))
            x += name.unicodeScalars.count
        }
    }

    // MARK: Calibration range

    static func range(_ v: RangeView, _ buffer: inout CellBuffer, _ rect: Rect) {
        buffer.box(
            rect, title: "\(Pane.range.title)  (edit by \(v.editsByFAR ? "FAR" : "similarity"), r toggles)",
            style: v.frame)
        let inner = rect.inset(1)
        guard inner.height >= 1 else { return }
        let st = v.range
        let text =
            "lo \(Format.number(st.low)) (FAR \(Format.far(st.farAtLow)))   hi \(Format.number(st.high)) (FAR \(Format.far(st.farAtHigh)))   K=\(st.points)   t=\(Format.number(v.threshold))"
        buffer.write(text, x: inner.x, y: inner.y, limit: inner.width)
        if inner.height >= 2 {
            // The range as a bar on the curves' threshold axis.
            let bar = DashboardLayout.rangeBar(rect)
            let axisMap = ThresholdAxis(v.window, over: bar)
            func column(_ t: Double) -> Int { axisMap.column(of: t) }
            let lo = max(bar.x, column(st.low)), hi = min(bar.maxX - 1, column(st.high))
            for x in bar.x ..< bar.maxX {
                buffer[x, inner.y + 1] = Cell(scalar: "·", style: Style(foreground: Palette.axis))
            }
            if lo <= hi {
                for x in lo ... hi {
                    buffer[x, inner.y + 1] = Cell(scalar: "━", style: Style(foreground: Palette.accent, bold: true))
                }
            }
            buffer[lo, inner.y + 1] = Cell(scalar: "[", style: Style(foreground: Palette.accent, bold: true))
            buffer[hi, inner.y + 1] = Cell(scalar: "]", style: Style(foreground: Palette.accent, bold: true))
            let c = column(v.threshold)
            if c >= bar.x && c < bar.maxX {
                buffer[c, inner.y + 1] = Cell(scalar: "┃", style: Style(foreground: Palette.highlight, bold: true))
            }
        }
    }

    // MARK: Metrics

    static func metrics(_ v: MetricsView, _ buffer: inout CellBuffer, _ rect: Rect) {
        buffer.box(rect, title: "Metrics", style: Style(foreground: Palette.axis))
        let inner = rect.inset(1)
        if let ab = v.ab {
            abMetrics(ab, &buffer, inner)
            return
        }
        let r = v.report
        let width = inner.width - 17
        let rows: [(String, String, Color)] = [
            (
                "OPIS",
                v.reportIsStale
                    ? Format.number(r.opis, 5) + "  (updating…)"
                    : Self.estimate(r.opis, v.interval?.opis, width: width),
                v.reportIsStale ? Palette.axis : r.opis < 1e-3 ? Palette.good : Palette.bad
            ),
            (
                "ε-OPIS",
                v.interval.map { summary in
                    summary.epsilonOPIS.map { Self.estimate(r.epsilonOPIS, $0, width: width) }
                        ?? Format.number(r.epsilonOPIS, 5) + "  (no CI: C < \(EpsilonOPISInterval.minimumClasses))"
                }
                    ?? Format.number(r.epsilonOPIS, 5) + "  (m=\(r.settings.classesPerGroup))",
                v.reportIsStale ? Palette.axis : .terminalDefault
            ),
            (
                "R@1 / MAP@R",
                v.retrieval.map { "\(Format.number($0.recallAtK.first?.recall ?? .nan))  \(Format.number($0.mapAtR))" }
                    ?? "–", .terminalDefault
            ),
            (
                "at t=\(Format.number(v.threshold))",
                "FAR \(Format.far(r.global.far))  TPR \(Format.number(r.global.tpr))", .terminalDefault
            ),
            ("EER", "\(Format.number(r.global.eer)) at \(Format.number(r.global.eerThreshold))", .terminalDefault),
        ]
        for (i, row) in rows.enumerated() where i < inner.height {
            buffer.write(row.0, x: inner.x, y: inner.y + i, style: Style(foreground: Palette.axis), limit: 16)
            buffer.write(
                row.1, x: inner.x + 17, y: inner.y + i, style: Style(foreground: row.2, bold: i == 0),
                limit: inner.width - 17)
        }
    }

    /// "estimate  95% [low, high]": the ends in the estimate's own format (5 digits), so they read
    /// against it digit for digit; the format's rounding is monotone, so an end never prints past
    /// the estimate it lies on the other side of. Where that is wider than `width` (the metrics
    /// pane at 120 columns has 29), the level goes, then exponents lose their leading zero.
    static func estimate(_ x: Double, _ ci: ConfidenceInterval?, width: Int) -> String {
        let digits = 5
        guard let ci else { return Format.number(x, digits) }
        func compact(_ s: String) -> String {
            s.replacingOccurrences(of: "e-0", with: "e-").replacingOccurrences(of: "e+0", with: "e+")
        }
        let e = Format.number(x, digits), low = Format.number(ci.low, digits), high = Format.number(ci.high, digits)
        let candidates = [
            "\(e)  \(Int((ci.level * 100).rounded()))% [\(low), \(high)]", "\(e) [\(low), \(high)]",
            compact("\(e) [\(low), \(high)]"),
        ]
        return candidates.first { $0.count <= width } ?? candidates[candidates.count - 1]
    }

    /// Both A/B runs' OPIS, ε-OPIS and R@1, and B − A (negative OPIS change: TCM helped).
    static func abMetrics(_ ab: ABComparison, _ buffer: inout CellBuffer, _ inner: Rect) {
        func cell(_ x: Double?, _ digits: Int = 5) -> String {
            (x.map { Format.number($0, digits) } ?? "–").padding(toLength: 11, withPad: " ", startingAt: 0)
        }
        func signed(_ x: Double?, _ digits: Int = 5) -> String {
            guard let x else { return "–" }
            return (x > 0 ? "+" : "") + Format.number(x, digits)
        }
        let a = ab[.base], b = ab[.tcm]
        let rows: [(String, String)] = [
            (
                "",
                ab.shortName(.base).padding(toLength: 11, withPad: " ", startingAt: 0)
                    + ab.shortName(.tcm).padding(toLength: 11, withPad: " ", startingAt: 0) + "B−A"
            ),
            ("OPIS", cell(a.report?.opis) + cell(b.report?.opis) + signed(ab.difference { $0.report?.opis })),
            (
                "ε-OPIS",
                cell(a.report?.epsilonOPIS) + cell(b.report?.epsilonOPIS)
                    + signed(ab.difference { $0.report?.epsilonOPIS })
            ),
            ("R@1", cell(a.recallAt1, 4) + cell(b.recallAt1, 4) + signed(ab.difference { $0.recallAt1 }, 4)),
            ("step", "\(a.curvesStep)".padding(toLength: 11, withPad: " ", startingAt: 0) + "\(b.curvesStep)"),
        ]
        for (i, row) in rows.enumerated() where i < inner.height {
            buffer.write(row.0, x: inner.x, y: inner.y + i, style: Style(foreground: Palette.axis), limit: 8)
            let better = (ab.difference { $0.report?.opis } ?? 0) < 0
            buffer.write(
                row.1, x: inner.x + 8, y: inner.y + i,
                style: Style(
                    foreground: i == 1 ? (better ? Palette.good : Palette.bad) : .terminalDefault, bold: i <= 1),
                limit: inner.width - 8)
        }
    }

    // MARK: Class table

    static func table(_ v: TableView, _ buffer: inout CellBuffer, _ rect: Rect) {
        buffer.box(
            rect, title: "\(Pane.table.title)  (sorted by \(v.sortedByTerm ? "OPIS term" : "name"), o)",
            style: v.frame)
        let inner = rect.inset(1)
        guard inner.height >= 2 else { return }
        // Fits 46 columns: ■ name(8) n(6) U@t(6) FAR(7) FRR(6) term(8); in an A/B, the term of A, B and B − A.
        let ab = v.abReports
        buffer.write(
            ab == nil ? "  class        n    U@t     FAR    FRR    term" : "  class        n  term A   term B   B−A",
            x: inner.x, y: inner.y,
            style: Style(foreground: Palette.axis, bold: true), limit: inner.width)
        let order = v.order
        var termA: [String: Double?] = [:], termB: [String: Double?] = [:]
        if let (a, b) = ab {
            for c in a.classes { termA[c.name] = c.opisTerm }
            for c in b.classes { termB[c.name] = c.opisTerm }
        }
        let visible = inner.height - 1
        let start = v.firstRow(visibleRows: visible)
        let worstRows = max(1, order.count / 10)  // the worst tenth, by rank
        for (row, c) in order.dropFirst(start).prefix(visible).enumerated() {
            let k = v.classes[c]
            let name = String(k.name.prefix(8)).padding(toLength: 8, withPad: " ", startingAt: 0)
            func term(_ x: Double?) -> String {
                x.map { $0 > 0 && $0 < 1e-3 ? String(format: "%.1e", $0) : Format.number($0) } ?? "out"
            }
            var text =
                "■ " + name + String(format: "%6d ", k.size) + Format.number(k.utility) + " "
                + Format.far(k.far).padding(toLength: 7, withPad: " ", startingAt: 0)
                + " " + Format.number(k.frr) + " " + term(k.opisTerm)
            if ab != nil {
                // By name: two watched runs may hold other classes (a class one lacks shows "–").
                let ta = termA[k.name] ?? nil, tb = termB[k.name] ?? nil
                let change = ta.flatMap { x in tb.map { $0 - x } }
                text =
                    "■ " + name + String(format: "%6d ", k.size)
                    + term(ta).padding(toLength: 9, withPad: " ", startingAt: 0)
                    + term(tb).padding(toLength: 9, withPad: " ", startingAt: 0)
                    + (change.map { ($0 > 0 ? "+" : "") + String(format: "%.1e", $0) } ?? "–")
            }
            let focused = start + row == v.focusedRow
            var style = Style(
                foreground: start + row < worstRows && v.sortedByTerm ? Palette.bad : .terminalDefault,
                reverse: focused)
            style.bold = focused
            buffer.write(text, x: inner.x, y: inner.y + 1 + row, style: style, limit: inner.width)
            buffer[inner.x, inner.y + 1 + row] = Cell(
                scalar: "■", style: Style(foreground: Palette.classColor(c), reverse: focused))
        }
    }

    // MARK: Projection

    static func projection(_ v: ProjectionView, _ buffer: inout CellBuffer, _ rect: Rect) {
        buffer.box(rect, title: v.title, style: v.frame)
        let inner = rect.inset(1)
        let n = v.labels.count
        guard inner.width > 2 && inner.height > 1, n > 0, v.points.count == 2 * n else {
            buffer.write(
                "computing…", x: inner.x, y: inner.y, style: Style(foreground: Palette.axis), limit: inner.width)
            return
        }
        var minX = Float.infinity, maxX = -Float.infinity, minY = Float.infinity, maxY = -Float.infinity
        for i in 0 ..< n {
            minX = min(minX, v.points[2 * i])
            maxX = max(maxX, v.points[2 * i])
            minY = min(minY, v.points[2 * i + 1])
            maxY = max(maxY, v.points[2 * i + 1])
        }
        var canvas = Canvas(columns: inner.width, rows: inner.height, mode: v.canvasMode)
        let sx = Float(canvas.dotsWide - 1) / max(maxX - minX, 1e-12),
            sy = Float(canvas.dotsHigh - 1) / max(maxY - minY, 1e-12)
        let focus = v.focusedClass.map(Int32.init)
        // Others first, the focused class last so it stays on top.
        for pass in 0 ..< 2 {
            for i in 0 ..< n where (v.labels[i] == focus) == (pass == 1) {
                let c = Int(v.labels[i])
                let color = focus == nil || pass == 1 ? Palette.classColor(c) : Palette.ghost
                canvas.set(
                    Int((v.points[2 * i] - minX) * sx), Int((maxY - v.points[2 * i + 1]) * sy), color: color,
                    bold: pass == 1)
            }
        }
        canvas.render(into: &buffer, x: inner.x, y: inner.y)
    }

    // MARK: Training

    static func training(_ v: TrainingView, _ buffer: inout CellBuffer, _ rect: Rect) {
        if let ab = v.ab {
            abTraining(v, ab, &buffer, rect)
            return
        }
        let t = v.training
        let state = t.running ? (t.paused ? "paused" : "running") : "idle"
        buffer.box(
            rect, title: "\(Pane.training.title)  \(v.lossName)\(v.useTCM ? " + TCM" : "")  [\(state)]",
            style: v.frame)
        let inner = rect.inset(1)
        guard inner.height >= 1 else { return }
        if !t.running && t.step == 0 {
            let lines = [
                "t  fine-tune: \(v.lossName)\(v.useTCM ? " + TCM" + (v.marginsNames[v.lossName].map { " (\($0))" } ?? "") : " (no TCM)")   \(t.message)",
                "T  TCM on/off     n  next base loss     A  A/B: without and with TCM",
                v.description,
            ]
            for (i, line) in lines.enumerated() where i < inner.height {
                buffer.write(
                    line, x: inner.x, y: inner.y + i,
                    style: Style(foreground: i == 0 ? Palette.accent : Palette.axis, bold: i == 0), limit: inner.width)
            }
            return
        }
        let width = max(8, min(24, inner.width / 5))
        let filled = t.totalSteps > 0 ? Int(Double(width) * Double(t.step) / Double(t.totalSteps)) : 0
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        let rate =
            t.samplesPerSecond >= 1000
            ? String(format: "%.1fk", t.samplesPerSecond / 1000) : String(Int(t.samplesPerSecond))
        let tcm = v.useTCM || t.tcmLoss > 0 ? " tcm \(Format.number(t.tcmLoss, 3))" : ""
        buffer.write(
            "\(bar) \(t.step)/\(t.totalSteps) loss \(Format.number(t.loss, 3))\(tcm)\(marginsText(t)) \(rate)/s \(t.message)",
            x: inner.x, y: inner.y, style: Style(foreground: Palette.accent), limit: inner.width)
        if inner.height >= 2 {
            buffer.write(
                "loss  " + sparkline(t.lossHistory, width: inner.width - 6), x: inner.x, y: inner.y + 1,
                limit: inner.width)
        }
        if inner.height >= 3 {
            buffer.write(
                "OPIS  " + sparkline(t.opisHistory, width: inner.width - 6), x: inner.x, y: inner.y + 2,
                style: Style(foreground: Palette.good), limit: inner.width)
        }
    }

    /// An A/B run: one progress line per run, then both OPIS trajectories on one scale.
    static func abTraining(_ v: TrainingView, _ ab: ABComparison, _ buffer: inout CellBuffer, _ rect: Rect) {
        let state = ab.running ? (ab.runs.allSatisfy { $0.training.paused } ? "paused" : "running") : "done"
        buffer.box(
            rect, title: "\(Pane.training.title)  A/B: \(ab.lossName) vs + TCM  [\(state)]", style: v.frame)
        let inner = rect.inset(1)
        let width = max(6, min(16, inner.width / 8))
        for (i, side) in ABSide.allCases.enumerated() where i < inner.height {
            let t = ab[side].training
            let filled = t.totalSteps > 0 ? Int(Double(width) * Double(t.step) / Double(t.totalSteps)) : 0
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            let opis = ab[side].report.map { " OPIS \(Format.number($0.opis, 5))" } ?? ""
            buffer.write(
                "\(side.letter) \(bar) \(t.step)/\(t.totalSteps) loss \(Format.number(t.loss, 3))\(opis)\(marginsText(t)) \(t.message)",
                x: inner.x, y: inner.y + i, style: Style(foreground: side == .tcm ? Palette.good : Palette.accent),
                limit: inner.width)
        }
        // Both trajectories share one scale, so the lower line is the lower OPIS.
        let histories = ABSide.allCases.map { ab[$0].training.opisHistory }
        let all = histories.flatMap { $0.suffix(max(0, inner.width - 9)) }.filter(\.isFinite)
        for (i, side) in ABSide.allCases.enumerated() where 2 + i < inner.height {
            buffer.write(
                "OPIS \(side.letter)  " + sparkline(histories[i], width: inner.width - 9, scale: all), x: inner.x,
                y: inner.y + 2 + i, style: Style(foreground: side == .tcm ? Palette.good : Palette.accent),
                limit: inner.width)
        }
    }

    /// " m⁺ 0.825 m⁻ -0.018 auto": the TCM margins of the run's latest step (empty without TCM).
    static func marginsText(_ t: TrainingStatus) -> String {
        guard let p = t.positiveMargin, let n = t.negativeMargin else { return "" }
        return " m⁺ \(Format.number(p, 3)) m⁻ \(Format.number(n, 3))\(t.marginsAuto ? " auto" : "")"
    }

    /// ▁▂▃▄▅▆▇█ of the last `width` values, scaled to the range of `scale` (their own by default).
    static func sparkline(_ values: [Double], width: Int, scale: [Double]? = nil) -> String {
        let v = values.suffix(max(0, width)).filter(\.isFinite)
        let range = (scale ?? Array(v)).filter(\.isFinite)
        guard !v.isEmpty, let lo = range.min(), let hi = range.max() else { return "" }
        let bars: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
        return String(v.map { bars[hi > lo ? max(0, min(7, Int(($0 - lo) / (hi - lo) * 7.999))) : 3] })
    }

    // MARK: Chrome

    static func frame(_ s: DashboardState, _ pane: Pane) -> Style {
        s.focus == pane ? Style(foreground: Palette.accent, bold: true) : Style(foreground: Palette.axis)
    }

    static func footer(_ s: DashboardState, _ buffer: inout CellBuffer, _ y: Int) {
        let keys = KeyTable.footer(focus: s.focus, hasAB: s.comparison != nil, watching: s.watch.watching)
        var x = 0
        for (k, label) in keys {
            buffer.write(
                k, x: x, y: y, style: Style(foreground: Palette.keyCap, background: Palette.accent, bold: true))
            x += k.unicodeScalars.count
            buffer.write(" \(label) ", x: x, y: y)
            x += label.count + 2
        }
        if !s.status.isEmpty {
            buffer.write(
                s.status, x: max(x + 1, buffer.width - s.status.count - 1), y: y,
                style: Style(foreground: Palette.highlight))
        }
    }

    static func help(_ s: DashboardState, _ buffer: inout CellBuffer) {
        let entries = KeyTable.helpLines(saveDirectory: s.saveDirectory)
        let capsWidth = entries.map(\.caps.count).max() ?? 0
        let lines =
            ["TCMScope keys", ""]
            + entries.map { $0.caps + String(repeating: " ", count: capsWidth + 2 - $0.caps.count) + $0.text }
        let w = min(buffer.width - 4, (lines.map(\.count).max() ?? 0) + 4), h = min(buffer.height - 2, lines.count + 2)
        let rect = Rect(x: (buffer.width - w) / 2, y: (buffer.height - h) / 2, width: w, height: h)
        buffer.fill(rect, style: Style(background: Palette.overlay))
        buffer.box(
            rect, title: "help", style: Style(foreground: Palette.accent, background: Palette.overlay, bold: true))
        for (i, line) in lines.enumerated() where i < h - 2 {
            buffer.write(
                line, x: rect.x + 2, y: rect.y + 1 + i, style: Style(background: Palette.overlay, bold: i == 0),
                limit: w - 4)
        }
    }
}
