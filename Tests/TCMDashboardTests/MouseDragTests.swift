import Testing
import TCMMetrics
@testable import TCMDashboard

/// Dragging the calibration range's ends and the threshold with the mouse, and the wheel: the
/// threshold under the pointer is read on the window the press saw, as the panes drew it.
@Suite struct MouseDragTests {
    let w = 120, h = 40

    func plot(_ s: DashboardState) -> Rect {
        DashboardLayout.curveParts(s.layout(width: w, height: h)!.panes[.curves]!).plot
    }

    @Test func aRangeEndFollowsThePointerInSimilarityMode() throws {
        var s = sampleState()
        _ = s.handle(.character("r"))  // edit by similarity
        let columns = plot(s), view = s.view
        let axis = ThresholdAxis(view, over: columns)
        let lowColumn = axis.column(of: s.calibration.range.low), highBefore = s.calibration.range.high
        s.click(x: lowColumn, y: columns.y + 2, screenWidth: w, screenHeight: h)
        #expect(s.calibration.drag?.target == .rangeLow)
        s.dragged(toX: lowColumn - 7)
        #expect(s.view == view, "the window stays put while dragging")
        let expected = s.bins.threshold(atEdge: s.bins.edge(nearest: axis.threshold(atColumn: lowColumn - 7)))
        #expect(abs(s.calibration.range.low - expected) <= s.bins.width, "\(s.calibration.range.low) vs \(expected)")
        #expect(s.calibration.range.high == highBefore, "the other end stays")
        // OPIS follows: the report is the analyzer's at the new range.
        #expect(s.report.opis == s.analyzer.report(s.calibration.options).opis)
        s.released()
        #expect(s.calibration.drag == nil)
    }

    @Test func aRangeEndInFARModeTakesTheGlobalFARUnderThePointer() throws {
        var s = sampleState()
        let columns = plot(s), view = s.view
        let axis = ThresholdAxis(view, over: columns)
        let highColumn = axis.column(of: s.calibration.range.high), farLowBefore = s.calibration.range.farAtLow
        s.click(x: highColumn, y: columns.y + 2, screenWidth: w, screenHeight: h)
        #expect(s.calibration.drag?.target == .rangeHigh)
        s.dragged(toX: highColumn - 3)
        let edge = s.bins.edge(nearest: axis.threshold(atColumn: highColumn - 3))
        let far = s.analyzer.globalRates(edge: edge).far
        #expect(s.calibration.options.range == .far(farAtLow: farLowBefore, farAtHigh: far))
    }

    @Test func endsDoNotCross() throws {
        var s = sampleState()
        _ = s.handle(.character("r"))
        let columns = plot(s)
        let axis = ThresholdAxis(s.view, over: columns)
        s.click(x: axis.column(of: s.calibration.range.high), y: columns.y + 1, screenWidth: w, screenHeight: h)
        s.dragged(toX: columns.x)  // far left of the low end
        #expect(s.calibration.range.high > s.calibration.range.low)
        #expect(
            s.bins.edge(nearest: s.calibration.range.high) - s.bins.edge(nearest: s.calibration.range.low) <= 2,
            "stopped next to it")
    }

    @Test func pressingElsewhereDragsTheThreshold() throws {
        var s = sampleState()
        let columns = plot(s)
        let axis = ThresholdAxis(s.view, over: columns)
        let rangeBefore = s.calibration.range
        let start = columns.x + 2, end = columns.x + 9
        #expect(abs(start - axis.column(of: s.calibration.range.low)) > 1)
        s.click(x: start, y: columns.y + 1, screenWidth: w, screenHeight: h)
        #expect(s.calibration.drag?.target == .threshold)
        s.dragged(toX: end)
        #expect(s.calibration.cursor == s.bins.edge(nearest: axis.threshold(atColumn: end)))
        #expect(s.calibration.range == rangeBefore)
        s.dragged(toX: -40)  // beyond the plot: clamped to its first column
        #expect(s.calibration.cursor == s.bins.edge(nearest: axis.threshold(atColumn: columns.x)))
    }

    @Test func theRangeBarPicksUpItsEnds() throws {
        var s = sampleState()
        let bar = DashboardLayout.rangeBar(s.layout(width: w, height: h)!.panes[.range]!)
        let axis = ThresholdAxis(s.view, over: bar)
        s.click(x: axis.column(of: s.calibration.range.low), y: bar.y, screenWidth: w, screenHeight: h)
        #expect(s.calibration.drag?.target == .rangeLow)
        s.released()
        s.click(x: axis.column(of: s.calibration.range.high) + 1, y: bar.y, screenWidth: w, screenHeight: h)
        #expect(s.calibration.drag?.target == .rangeHigh)
    }

    @Test func theWheelOverTheCurvesMovesTheThreshold() throws {
        var s = sampleState()
        let columns = plot(s), step = s.cursorStep, c0 = s.calibration.cursor
        s.wheel(x: columns.x + 3, y: columns.y + 3, up: true, screenWidth: w, screenHeight: h)
        #expect(s.calibration.cursor == c0 + step)
        s.wheel(x: columns.x + 3, y: columns.y + 3, up: false, screenWidth: w, screenHeight: h)
        s.wheel(x: columns.x + 3, y: columns.y + 3, up: false, screenWidth: w, screenHeight: h)
        #expect(s.calibration.cursor == c0 - step)
        let table = s.layout(width: w, height: h)!.panes[.table]!
        s.wheel(x: table.x + 2, y: table.y + 2, up: true, screenWidth: w, screenHeight: h)
        #expect(s.calibration.cursor == c0 - step, "not over the curves: nothing")
    }
}
