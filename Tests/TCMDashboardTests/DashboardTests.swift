import Foundation
import Testing
import TCMData
import TCMKernels
import TCMMetrics
@testable import TCMDashboard

/// Three classes on a circle with different spreads, so their curves differ.
func sampleState() -> DashboardState {
    var values: [Float] = [], labels: [Int64] = []
    for c in 0 ..< 3 {
        for i in 0 ..< 30 {
            let a = Float(c) * 2.1 + Float(i - 15) * 0.02 * Float(c + 1)
            values += [cos(a), sin(a), 0.3 * Float(i % 5) / 5]
            labels.append(Int64(c))
        }
    }
    let layout = ClassLayout(embeddings: Matrix(rows: 90, cols: 3, values: values), labels: Labels(integers: labels))
    var state = DashboardState(
        title: "test", counts: PairCounts.compute(layout: layout), retrieval: Retrieval.compute(layout: layout))
    state.projection.points = (0 ..< 90).flatMap { [Float($0 % 10), Float($0 / 10)] }
    state.projection.labels = layout.classStart.indices.dropLast().flatMap { c in
        [Int32](repeating: Int32(c), count: layout.size(of: c))
    }
    return state
}

@Suite struct CellBufferTests {
    @Test func writesClipAndReadBack() {
        var b = CellBuffer(width: 10, height: 3)
        b.write("hello world", x: 2, y: 1)
        #expect(b.line(1) == "  hello wo")
        b.write("x", x: -1, y: 0)
        b.write("y", x: 20, y: 0)
        b.write("z", x: 0, y: 5)  // all clipped, no crash
        #expect(b.line(0) == "          ")
        b.box(Rect(x: 0, y: 0, width: 10, height: 3), title: "T")
        #expect(b.line(0).hasPrefix("┌─ T ") && b.line(2) == "└────────┘")
    }

    @Test func brailleDotsAndBlocks() {
        var c = Canvas(columns: 2, rows: 1)
        c.set(0, 0, color: .palette(1))
        c.set(1, 3, color: .palette(2))
        c.set(2, 1, color: .palette(3))
        var b = CellBuffer(width: 2, height: 1)
        c.render(into: &b, x: 0, y: 0)
        // Cell 0: dots (0,0) = 0x01 and (1,3) = 0x80; cell 1: (0,1) = 0x02.
        #expect(b[0, 0].scalar == Unicode.Scalar(0x2881)! && b[1, 0].scalar == Unicode.Scalar(0x2802)!)
        #expect(b[0, 0].style.foreground == .palette(2), "last dot's colour wins")
        var blocks = Canvas(columns: 1, rows: 1, mode: .blocks)
        blocks.set(0, 1, color: .palette(1))
        var bb = CellBuffer(width: 1, height: 1)
        blocks.render(into: &bb, x: 0, y: 0)
        #expect(bb[0, 0].scalar == "▄")
    }
}

@Suite struct DashboardRenderTests {
    @Test func fullScreenShowsEveryPane() {
        let s = sampleState()
        var b = CellBuffer(width: 140, height: 42)
        Dashboard.render(s, into: &b)
        let text = b.text
        for title in ["Utility vs threshold", "Calibration range", "Fine-tuning", "Metrics", "Classes", "Projection"] {
            #expect(text.contains(title), "\(title)")
        }
        #expect(b.line(0).contains("OPIS"))
        #expect(text.unicodeScalars.contains { $0.value >= 0x2801 && $0.value <= 0x28FF }, "Braille curves are drawn")
        #expect(b.line(41).contains("q quit"))
        // The range is shaded and the cursor column highlighted in the curves pane.
        #expect(b.cells.contains { $0.style.background == Palette.range })
        #expect(b.cells.contains { $0.style.background == Palette.cursor })
    }

    @Test func tinyTerminalGetsAMessage() {
        var b = CellBuffer(width: 40, height: 10)
        Dashboard.render(sampleState(), into: &b)
        #expect(b.text.contains("Terminal too small: 40×10"))
    }

    @Test func blockModeDrawsNoBraille() {
        var s = sampleState()
        _ = s.handle(.character("b"))
        var b = CellBuffer(width: 120, height: 40)
        Dashboard.render(s, into: &b)
        #expect(!b.text.unicodeScalars.contains { $0.value >= 0x2801 && $0.value <= 0x28FF })
        #expect(b.text.contains("▀") || b.text.contains("▄") || b.text.contains("█"))
    }
}

@Suite struct DashboardKeyTests {
    @Test func thresholdMovesAndMetricsFollow() {
        var s = sampleState()
        let before = s.threshold, farBefore = s.report.global.far
        for _ in 0 ..< 5 { _ = s.handle(.right) }
        #expect(s.threshold > before)
        #expect(s.report.global.far <= farBefore, "a higher threshold accepts no more negatives")
        #expect(abs(s.report.settings.operatingThreshold - s.threshold) < 1e-12)
        _ = s.handle(.character("H"))
        #expect(s.threshold < before + 1e-12)
    }

    @Test func rangeKeysChangeOPISAndRespectOrder() {
        var s = sampleState()
        let opis = s.report.opis, lo = s.report.settings.rangeLow
        _ = s.handle(.character("]"))
        _ = s.handle(.character("]"))
        #expect(s.report.settings.rangeLow > lo)
        #expect(s.report.opis != opis)
        _ = s.handle(.character("r"))  // similarity mode
        let hi = s.report.settings.rangeHigh
        _ = s.handle(.character("}"))
        #expect(s.report.settings.rangeHigh > hi)
        for _ in 0 ..< 500 { _ = s.handle(.character("{")) }  // pushing hi down never crosses lo
        #expect(s.report.settings.rangeLow < s.report.settings.rangeHigh)
        _ = s.handle(.character("R"))
        #expect(s.report.settings.rangeSpec.contains("FAR"))
    }

    @Test func focusSortHelpAndActions() {
        var s = sampleState()
        _ = s.handle(.tab)
        #expect(s.focus == .range)
        _ = s.handle(.backTab)
        _ = s.handle(.backTab)
        #expect(s.focus == .training)
        _ = s.handle(.down)
        #expect(s.table.focusedRow == 1)
        let first = s.table.order
        _ = s.handle(.character("o"))
        #expect(first == first.sorted { (s.report.classes[$0].opisTerm ?? -1) > (s.report.classes[$1].opisTerm ?? -1) })
        #expect(s.table.order == [0, 1, 2], "by name")
        _ = s.handle(.character("?"))
        var b = CellBuffer(width: 120, height: 40)
        Dashboard.render(s, into: &b)
        #expect(b.text.contains("TCMScope keys"))
        #expect(s.handle(.character("q")) == nil, "q closes help first")
        #expect(!s.showHelp)
        #expect(s.handle(.character("t")) == .startTraining)
        #expect(s.handle(.character("p")) == .pauseOrResumeTraining)
        #expect(s.handle(.character("c")) == .cancelTraining)
        #expect(s.handle(.character("m")) == .reproject)
        #expect(s.handle(.character("s")) == .save)
        #expect(s.handle(.character("q")) == .quit)
        let tcm = s.fineTuning.useTCM
        _ = s.handle(.character("T"))
        #expect(s.fineTuning.useTCM != tcm)
    }
}

@Suite struct DashboardMouseAndLayoutTests {
    @Test func layoutTilesTheScreenWithoutOverlap() throws {
        for (w, h) in [(80, 24), (120, 40), (200, 60), (333, 101)] {
            let layout = try #require(DashboardLayout(width: w, height: h, expanded: false))
            var owner = [Int](repeating: 0, count: w * h)
            let rects = Array(layout.panes.values) + [layout.title, layout.footer, layout.metrics!]
            for r in rects {
                #expect(r.maxX <= w && r.maxY <= h && r.width > 0 && r.height > 0)
                for y in r.y ..< r.maxY { for x in r.x ..< r.maxX { owner[y * w + x] += 1 } }
            }
            #expect(owner.allSatisfy { $0 == 1 }, "every cell belongs to exactly one pane at \(w)×\(h)")
        }
        #expect(DashboardLayout(width: 79, height: 40, expanded: false) == nil)
        #expect(
            DashboardLayout(width: 120, height: 40, expanded: true)?.panes.keys.sorted { $0.rawValue < $1.rawValue }
                == [.curves])
    }

    @Test func clickingTheCurvesSetsTheThresholdUnderTheMouse() throws {
        var s = sampleState()
        let (w, h) = (120, 40)
        let plot = DashboardLayout.curveParts(
            try #require(DashboardLayout(width: w, height: h, expanded: false)?.panes[.curves])
        ).plot
        // The threshold cursor is drawn in the column that was clicked.
        for column in [plot.x, plot.x + plot.width / 3, plot.maxX - 1] {
            s.click(x: column, y: plot.y + 2, screenWidth: w, screenHeight: h)
            var b = CellBuffer(width: w, height: h)
            Dashboard.render(s, into: &b)
            let cursorColumns = Set(
                (plot.x ..< plot.maxX).filter { b[$0, plot.y + 1].style.background == Palette.cursor })
            #expect(cursorColumns == [column], "clicked column \(column)")
            let v = s.view
            #expect(s.threshold >= v.low && s.threshold <= v.high)
            #expect(abs(s.report.settings.operatingThreshold - s.threshold) < 1e-12, "metrics follow the click")
        }
        #expect(s.focus == .curves)
    }

    @Test func clickingATableRowFocusesThatClassAndOtherPanesTakeFocus() throws {
        var s = sampleState()
        let (w, h) = (120, 40)
        let layout = try #require(DashboardLayout(width: w, height: h, expanded: false))
        let rows = DashboardLayout.tableRows(try #require(layout.panes[.table]))
        s.click(x: rows.x + 3, y: rows.y + 2, screenWidth: w, screenHeight: h)
        #expect(s.focus == .table && s.table.focusedRow == 2)
        s.click(x: rows.x + 3, y: rows.y + 7, screenWidth: w, screenHeight: h)
        #expect(s.table.focusedRow == 2, "a click below the last class changes nothing")
        let projection = try #require(layout.panes[.projection])
        s.click(x: projection.x + 2, y: projection.y + 2, screenWidth: w, screenHeight: h)
        #expect(s.focus == .projection)
        let before = s.threshold
        s.click(x: 0, y: 0, screenWidth: w, screenHeight: h)  // title bar: nothing
        #expect(s.focus == .projection && s.threshold == before)
    }

    @Test func nCyclesTheLossInEveryPaneAndLAlwaysMovesTheThreshold() {
        var s = sampleState()
        s.fineTuning.lossChoices = ["contrastive", "circle", "triplet"]
        s.focus = .training
        let t = s.threshold
        _ = s.handle(.character("l"))
        #expect(s.fineTuning.lossName == "contrastive" && s.threshold > t, "l moves the threshold in every pane (vim)")
        _ = s.handle(.character("n"))
        #expect(s.fineTuning.lossName == "circle")
        s.focus = .table
        _ = s.handle(.character("n"))
        _ = s.handle(.character("n"))
        #expect(s.fineTuning.lossName == "contrastive", "wraps around")
        for pane in Pane.allCases {
            s.focus = pane
            s.status = "threshold set by mouse"
            var b = CellBuffer(width: 120, height: 40)
            Dashboard.render(s, into: &b)
            #expect(b.line(39).contains("A A/B"), "the footer in \(pane)")
            #expect(b.line(39).contains("n loss") == (pane == .training))
            #expect(b.line(39).hasSuffix("threshold set by mouse "), "the status has room in \(pane)")
        }
    }
}

@Suite struct ManyClassesTests {
    /// 1,200 classes of 3 points: above the threshold where range changes go to the background.
    func manyClassState() -> DashboardState {
        var values: [Float] = [], labels: [Int64] = []
        var seed: UInt64 = 7
        func noise() -> Float {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: seed >> 11) % 1000) / 4000
        }
        for c in 0 ..< 1200 {
            for _ in 0 ..< 3 {
                for d in 0 ..< 8 { values.append(Float((c * 7 + d * 13) % 17) / 17 - 0.5 + noise()) }
                labels.append(Int64(c))
            }
        }
        let layout = ClassLayout(
            embeddings: Matrix(rows: 3600, cols: 8, values: values), labels: Labels(integers: labels))
        return DashboardState(title: "many", counts: PairCounts.compute(layout: layout))
    }

    @Test func rangeKeysAnswerAtOnceAndTheReportFollowsFromTheBackground() throws {
        var s = manyClassState()
        #expect(s.report.classes.count >= DashboardState.backgroundReportClasses && !s.reportIsStale)
        let opis = s.report.opis, low = s.calibration.range.low
        _ = s.handle(.character("]"))
        #expect(s.calibration.range.low > low, "the range moves at once")
        #expect(s.reportIsStale && s.report.opis == opis, "OPIS waits for the background report")
        var b = CellBuffer(width: 120, height: 40)
        Dashboard.render(s, into: &b)
        #expect(b.text.contains("updating…"))

        let first = try #require(s.pendingReport)
        _ = s.handle(.character("]"))  // the range moves again before the report lands
        let refused = !s.install(first.analyzer.report(first.options), for: first)
        #expect(refused, "a report for an old range is refused")
        #expect(s.reportIsStale)
        _ = s.handle(.right)  // the cursor may move meanwhile: that does not invalidate the request
        let second = try #require(s.pendingReport)
        _ = s.handle(.left)
        let installed = s.install(second.analyzer.report(second.options), for: second)
        #expect(installed)
        #expect(!s.reportIsStale)
        // The installed report is what a synchronous report for the current options gives.
        var options = second.options
        options.operatingThreshold = s.threshold
        let direct = s.analyzer.report(options)
        #expect(s.report.opis == direct.opis && s.report.epsilonOPIS == direct.epsilonOPIS)
        #expect(s.report.global.far == direct.global.far, "rates at the current cursor")
        #expect(s.report.classes.map(\.utility) == direct.classes.map(\.utility))
        #expect(s.report.opis != opis)
    }

    @Test func meanCurveMatchesAClassByClassMean() {
        let s = sampleState()
        let included = s.analyzer.classesWithPositives
        for edge in [0, 5, 9_000, 10_000, 12_345, 20_000] {
            let brute =
                included.reduce(0.0) { $0 + s.analyzer.utility($1, edge: edge, spec: s.calibration.options.utility) }
                / Double(included.count)
            if edge % DashboardState.meanCurveStride == 0 {
                #expect(abs(s.meanUtility(atEdge: edge) - brute) < 1e-12, "edge \(edge)")
            } else {
                // Between stored points: linear interpolation of the neighbours.
                let lo = edge / 5 * 5, hi = lo + 5
                let mean = { (e: Int) in
                    included.reduce(0.0) { $0 + s.analyzer.utility($1, edge: e, spec: s.calibration.options.utility) }
                        / Double(included.count)
                }
                let expected = mean(lo) + (mean(hi) - mean(lo)) * Double(edge - lo) / 5
                #expect(abs(s.meanUtility(atEdge: edge) - expected) < 1e-12, "edge \(edge)")
            }
        }
    }
}

/// Text from data is drawn, not obeyed: the buffer turns every scalar a terminal would act on
/// (ESC, CR, LF, C1, bidi overrides) into U+FFFD in its own cell, so later columns stay put.
@Test func cellBufferDrawsControlCharactersAsReplacementCharacters() {
    var buffer = CellBuffer(width: 16, height: 1)
    buffer.write("a\u{1B}[2Jb\rc\u{202E}d\u{9B}e\nf", x: 0, y: 0)
    #expect(buffer.line(0) == "a\u{FFFD}[2Jb\u{FFFD}c\u{FFFD}d\u{FFFD}e\u{FFFD}f  ")
    #expect(
        !buffer.text.unicodeScalars.contains {
            $0.value < 0x20 || (0x7F ..< 0xA0).contains($0.value) || $0 == "\u{202E}"
        })
}
