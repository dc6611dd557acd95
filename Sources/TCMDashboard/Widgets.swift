import Foundation
import TCMCells
import TCMMetrics

/// The panes, each drawing into its rectangle of the buffer.
enum Widgets {
    // MARK: Utility curves

    /// The curves of the state's analysis; `focusable` is false for the split view's second pane.
    static func curves(_ s: DashboardState, _ buffer: inout CellBuffer, _ rect: Rect, focusable: Bool = true) {
        // An A/B names the run instead of the pane (two panes side by side have room for little).
        let title =
            s.ab.map { "U(t), \(s.report.settings.utility)  [\($0.name($0.shown))]" }
            ?? "\(Pane.curves.title)  U(t), \(s.report.settings.utility)"
        buffer.box(
            rect, title: title,
            style: focusable ? frame(s, .curves) : Style(foreground: Palette.axis))
        let inner = rect.inset(1)
        guard inner.width > 12 && inner.height > 4 else { return }
        // Legend row, then the plot with a 6-column axis on the left and a tick row below.
        let parts = DashboardLayout.curveParts(rect)
        let (legendRow, axis, plot, tickRow) = (parts.legend, parts.axis, parts.plot, parts.ticks)
        let axisMap = ThresholdAxis(s.view, over: plot)
        func column(_ t: Double) -> Int { axisMap.column(of: t) }

        // Calibration range shading and the threshold cursor, under the curves.
        let lo = column(s.range.low), hi = column(s.range.high)
        buffer.setBackground(
            Rect(x: max(plot.x, lo), y: plot.y, width: min(plot.maxX, hi + 1) - max(plot.x, lo), height: plot.height),
            Palette.range)
        let cursorColumn = column(s.threshold)
        if cursorColumn >= plot.x && cursorColumn < plot.maxX {
            buffer.setBackground(Rect(x: cursorColumn, y: plot.y, width: 1, height: plot.height), Palette.cursor)
        }

        var canvas = Canvas(columns: plot.width, rows: plot.height, mode: s.canvasMode)
        let samples = canvas.dotsWide
        let edges = (0 ..< samples).map {
            s.bins.edge(nearest: axisMap.threshold(Double($0) + 0.5, of: Double(samples)))
        }  // ascending
        func y(_ u: Double) -> Int { Int(((1 - u) * Double(canvas.dotsHigh - 1)).rounded()) }
        func draw(_ analyzer: ThresholdAnalyzer, _ c: Int, color: Color, bold: Bool = false) {
            var previous: Int? = nil
            for (x, e) in edges.enumerated() {
                let yy = y(analyzer.utility(c, edge: e, spec: s.options.utility))
                if let p = previous {
                    canvas.line(x - 1, p, x, yy, color: color, bold: bold)
                } else {
                    canvas.set(x, yy, color: color, bold: bold)
                }
                previous = yy
            }
        }
        // Many classes: draw the 24 with the largest OPIS terms (they make the score), then the mean.
        let order = s.classOrder.filter { s.report.classes[$0].inOPIS }
        let drawn = Array(order.prefix(24))
        if let ghost = s.ghost {
            for c in drawn where c < ghost.counts.classCount { draw(ghost, c, color: Palette.ghost) }
        }
        for c in drawn.reversed() where c != s.focusedClass { draw(s.analyzer, c, color: Palette.classColor(c)) }
        if let f = s.focusedClass, s.report.classes[f].inOPIS {
            draw(s.analyzer, f, color: Palette.classColor(f), bold: true)
        }
        // The mean curve Ū(t), emphasised.
        var previous: Int? = nil
        for (x, e) in edges.enumerated() {
            let yy = y(s.meanUtility(atEdge: e))
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
            "│t=\(Format.number(s.threshold))", x: x, y: legendRow.y, style: Style(foreground: Palette.highlight))
        x += 10
        for c in drawn.prefix(12) {
            let name = "■\(s.report.classes[c].name.prefix(8)) "
            if x + name.count >= legendRow.maxX { break }
            buffer.write(
                name, x: x, y: legendRow.y, style: Style(foreground: Palette.classColor(c), bold: c == s.focusedClass))
            x += name.unicodeScalars.count
        }
    }

    // MARK: Calibration range

    static func range(_ s: DashboardState, _ buffer: inout CellBuffer, _ rect: Rect) {
        buffer.box(
            rect, title: "\(Pane.range.title)  (edit by \(s.rangeInFAR ? "FAR" : "similarity"), r toggles)",
            style: frame(s, .range))
        let inner = rect.inset(1)
        guard inner.height >= 1 else { return }
        let st = s.range
        let text =
            "lo \(Format.number(st.low)) (FAR \(Format.far(st.farAtLow)))   hi \(Format.number(st.high)) (FAR \(Format.far(st.farAtHigh)))   K=\(st.points)   t=\(Format.number(s.threshold))"
        buffer.write(text, x: inner.x, y: inner.y, limit: inner.width)
        if inner.height >= 2 {
            // The range as a bar on the curves' threshold axis.
            let bar = DashboardLayout.rangeBar(rect)
            let axisMap = ThresholdAxis(s.view, over: bar)
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
            let c = column(s.threshold)
            if c >= bar.x && c < bar.maxX {
                buffer[c, inner.y + 1] = Cell(scalar: "┃", style: Style(foreground: Palette.highlight, bold: true))
            }
        }
    }

    // MARK: Metrics

    static func metrics(_ s: DashboardState, _ buffer: inout CellBuffer, _ rect: Rect) {
        buffer.box(rect, title: "Metrics", style: Style(foreground: Palette.axis))
        let inner = rect.inset(1)
        if let ab = s.ab {
            abMetrics(s, ab, &buffer, inner)
            return
        }
        let r = s.report
        let rows: [(String, String, Color)] = [
            (
                "OPIS", Format.number(r.opis, 5) + (s.reportIsStale ? "  (updating…)" : ""),
                s.reportIsStale ? Palette.axis : r.opis < 1e-3 ? Palette.good : Palette.bad
            ),
            (
                "ε-OPIS", Format.number(r.epsilonOPIS, 5) + "  (m=\(r.settings.classesPerGroup))",
                s.reportIsStale ? Palette.axis : .terminalDefault
            ),
            (
                "R@1 / MAP@R",
                s.retrieval.map { "\(Format.number($0.recallAtK.first?.recall ?? .nan))  \(Format.number($0.mapAtR))" }
                    ?? "–", .terminalDefault
            ),
            (
                "at t=\(Format.number(s.threshold))",
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

    /// Both A/B runs' OPIS, ε-OPIS and R@1, and B − A (negative OPIS change: TCM helped).
    static func abMetrics(_ s: DashboardState, _ ab: ABComparison, _ buffer: inout CellBuffer, _ inner: Rect) {
        func cell(_ x: Double?, _ digits: Int = 5) -> String {
            (x.map { Format.number($0, digits) } ?? "–").padding(toLength: 11, withPad: " ", startingAt: 0)
        }
        func signed(_ x: Double?, _ digits: Int = 5) -> String {
            guard let x else { return "–" }
            return (x > 0 ? "+" : "") + Format.number(x, digits)
        }
        let a = ab[.base], b = ab[.tcm]
        let rows: [(String, String)] = [
            ("", "A base".padding(toLength: 11, withPad: " ", startingAt: 0) + "B +TCM     B−A"),
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

    static func table(_ s: DashboardState, _ buffer: inout CellBuffer, _ rect: Rect) {
        buffer.box(
            rect, title: "\(Pane.table.title)  (sorted by \(s.sortByOPISTerm ? "OPIS term" : "name"), o)",
            style: frame(s, .table))
        let inner = rect.inset(1)
        guard inner.height >= 2 else { return }
        // Fits 46 columns: ■ name(8) n(6) U@t(6) FAR(7) FRR(6) term(8); in an A/B, the term of A, B and B − A.
        let ab = s.ab.flatMap { ab in ab[.base].report.flatMap { a in ab[.tcm].report.map { (a, $0) } } }
        buffer.write(
            ab == nil ? "  class        n    U@t     FAR    FRR    term" : "  class        n  term A   term B   B−A",
            x: inner.x, y: inner.y,
            style: Style(foreground: Palette.axis, bold: true), limit: inner.width)
        let order = s.classOrder
        let visible = inner.height - 1
        let start = s.tableFirstRow(visibleRows: visible)
        let worstRows = max(1, order.count / 10)  // the worst tenth, by rank
        for (row, c) in order.dropFirst(start).prefix(visible).enumerated() {
            let k = s.report.classes[c]
            let name = String(k.name.prefix(8)).padding(toLength: 8, withPad: " ", startingAt: 0)
            func term(_ x: Double?) -> String {
                x.map { $0 > 0 && $0 < 1e-3 ? String(format: "%.1e", $0) : Format.number($0) } ?? "out"
            }
            var text =
                "■ " + name + String(format: "%6d ", k.size) + Format.number(k.utility) + " "
                + Format.far(k.far).padding(toLength: 7, withPad: " ", startingAt: 0)
                + " " + Format.number(k.frr) + " " + term(k.opisTerm)
            if let (a, b) = ab, c < a.classes.count, c < b.classes.count {
                let ta = a.classes[c].opisTerm, tb = b.classes[c].opisTerm
                let change = ta.flatMap { x in tb.map { $0 - x } }
                text =
                    "■ " + name + String(format: "%6d ", k.size)
                    + term(ta).padding(toLength: 9, withPad: " ", startingAt: 0)
                    + term(tb).padding(toLength: 9, withPad: " ", startingAt: 0)
                    + (change.map { ($0 > 0 ? "+" : "") + String(format: "%.1e", $0) } ?? "–")
            }
            let focused = start + row == s.focusedRow
            var style = Style(
                foreground: start + row < worstRows && s.sortByOPISTerm ? Palette.bad : .terminalDefault,
                reverse: focused)
            style.bold = focused
            buffer.write(text, x: inner.x, y: inner.y + 1 + row, style: style, limit: inner.width)
            buffer[inner.x, inner.y + 1 + row] = Cell(
                scalar: "■", style: Style(foreground: Palette.classColor(c), reverse: focused))
        }
    }

    // MARK: Projection

    static func projection(_ s: DashboardState, _ buffer: inout CellBuffer, _ rect: Rect) {
        buffer.box(rect, title: "\(Pane.projection.title)  \(s.projectionStatus)", style: frame(s, .projection))
        let inner = rect.inset(1)
        let n = s.projectionLabels.count
        guard inner.width > 2 && inner.height > 1, n > 0, s.projection.count == 2 * n else {
            buffer.write(
                "computing…", x: inner.x, y: inner.y, style: Style(foreground: Palette.axis), limit: inner.width)
            return
        }
        var minX = Float.infinity, maxX = -Float.infinity, minY = Float.infinity, maxY = -Float.infinity
        for i in 0 ..< n {
            minX = min(minX, s.projection[2 * i])
            maxX = max(maxX, s.projection[2 * i])
            minY = min(minY, s.projection[2 * i + 1])
            maxY = max(maxY, s.projection[2 * i + 1])
        }
        var canvas = Canvas(columns: inner.width, rows: inner.height, mode: s.canvasMode)
        let sx = Float(canvas.dotsWide - 1) / max(maxX - minX, 1e-12),
            sy = Float(canvas.dotsHigh - 1) / max(maxY - minY, 1e-12)
        let focus = s.focusedClass.map(Int32.init)
        // Others first, the focused class last so it stays on top.
        for pass in 0 ..< 2 {
            for i in 0 ..< n where (s.projectionLabels[i] == focus) == (pass == 1) {
                let c = Int(s.projectionLabels[i])
                let color = focus == nil || pass == 1 ? Palette.classColor(c) : Palette.ghost
                canvas.set(
                    Int((s.projection[2 * i] - minX) * sx), Int((maxY - s.projection[2 * i + 1]) * sy), color: color,
                    bold: pass == 1)
            }
        }
        canvas.render(into: &buffer, x: inner.x, y: inner.y)
    }

    // MARK: Training

    static func training(_ s: DashboardState, _ buffer: inout CellBuffer, _ rect: Rect) {
        if let ab = s.ab {
            abTraining(s, ab, &buffer, rect)
            return
        }
        let t = s.training
        let state = t.running ? (t.paused ? "paused" : "running") : "idle"
        buffer.box(
            rect, title: "\(Pane.training.title)  \(s.lossName)\(s.useTCM ? " + TCM" : "")  [\(state)]",
            style: frame(s, .training))
        let inner = rect.inset(1)
        guard inner.height >= 1 else { return }
        if !t.running && t.step == 0 {
            let lines = [
                "t  fine-tune: \(s.lossName)\(s.useTCM ? " + TCM" + (s.tcmMarginsNames[s.lossName].map { " (\($0))" } ?? "") : " (no TCM)")   \(t.message)",
                "T  TCM on/off     n  next base loss     A  A/B: without and with TCM",
                s.trainingDescription,
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
        let tcm = s.useTCM || t.tcmLoss > 0 ? " tcm \(Format.number(t.tcmLoss, 3))" : ""
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
    static func abTraining(_ s: DashboardState, _ ab: ABComparison, _ buffer: inout CellBuffer, _ rect: Rect) {
        let state = ab.running ? (ab.runs.allSatisfy { $0.training.paused } ? "paused" : "running") : "done"
        buffer.box(
            rect, title: "\(Pane.training.title)  A/B: \(ab.lossName) vs + TCM  [\(state)]", style: frame(s, .training))
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
        let keys: [(String, String)]
        switch s.focus {
        case .curves:
            keys = [("←→", "threshold"), ("↑↓", "class"), ("g", "ghost"), ("b", "braille/blocks"), ("e", "expand")]
        case .range: keys = [("[ ]", "lo"), ("{ }", "hi"), ("r", "FAR/sim"), ("R", "reset")]
        case .table: keys = [("↑↓", "class"), ("o", "sort")]
        case .projection: keys = [("m", "PCA/t-SNE"), ("↑↓", "class")]
        case .training:
            keys = [("t", "train"), ("n", "loss"), ("T", "TCM"), ("p", "pause"), ("c", "cancel"), ("f", "freeze")]
        }
        // The A/B run (or its flip) works in every pane; so does n (loss), listed with fine-tuning
        // only, to leave the status line its room at 120 columns.
        let abKeys = s.ab == nil ? [("A", "A/B")] : [("a", "flip A/B")]
        var x = 0
        for (k, label) in keys + abKeys + [("Tab", "pane"), ("s", "save"), ("?", "help"), ("q", "quit")] {
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

    static func help(_ buffer: inout CellBuffer) {
        let lines = [
            "TCMScope keys",
            "",
            "←/→ h/l   move the operating threshold (H/L: ×10)",
            "↑/↓ k/j   focus a class (curves, table, projection)",
            "[ ]       move the calibration range's low end (by FAR, or similarity after r)",
            "{ }       move the high end;  r: FAR/similarity mode;  R: reset to FAR 1e-1…1e-2",
            "Tab       next pane;  e: expand the curves",
            "mouse     click the curves or range bar: threshold;  a table row: focus the class",
            "t         fine-tune (bundled checkpoint, or an adapter on your embeddings);  T: TCM",
            "A         A/B: fine-tune twice from the same start, base loss alone vs + TCM",
            "a         A/B: flip which run the curves show (the other is the ghost)",
            "n         next base loss (contrastive, triplet, …) for the next run",
            "p / c     pause-resume / cancel fine-tuning;  f: freeze the display",
            "g         ghost: the curves before fine-tuning",
            "m         projection: PCA ↔ t-SNE (t-SNE animates in the background)",
            "o         sort classes by OPIS term or by name;  b: Braille ↔ block dots",
            "s         save embeddings, curves CSV, report JSON (and checkpoint) to tcmscope-saved/",
            "q         quit;  ? or Esc closes this help",
        ]
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
