import Testing
import TCMKernels
import TCMMetrics

@testable import TCMDashboard

/// The curves widget on its own: a `CurvesView` rendered into a small buffer (ratatui's
/// widget tests), independent of the rest of the screen.
@Suite struct CurvesWidgetTests {
    static func render(_ view: CurvesView, width: Int = 48, height: Int = 14) -> CellBuffer {
        var buffer = CellBuffer(width: width, height: height)
        Widgets.curves(view, &buffer, Rect(x: 0, y: 0, width: width, height: height))
        return buffer
    }

    @Test func titleLegendRangeAndCursorComeFromTheView() {
        let state = sampleState()
        let view = state.curvesView
        let buffer = Self.render(view)
        #expect(buffer.line(0).contains("Utility vs threshold"))
        #expect(buffer.line(1).contains("━ mean") && buffer.line(1).contains("│t="))
        // The range is shaded and the cursor column marked, where the threshold axis puts them.
        let parts = DashboardLayout.curveParts(Rect(x: 0, y: 0, width: 48, height: 14))
        let axis = ThresholdAxis(view.window, over: parts.plot)
        let cursor = axis.column(of: view.threshold)
        if cursor >= parts.plot.x && cursor < parts.plot.maxX {
            #expect(buffer[cursor, parts.plot.y].style.background == Palette.cursor)
        }
        let mid = axis.column(of: (view.range.low + view.range.high) / 2)
        if mid != cursor { #expect(buffer[mid, parts.plot.y].style.background == Palette.range) }
        // Outside the range and the cursor: no shading.
        #expect(
            buffer[parts.plot.x, parts.plot.y].style.background != Palette.range
                || axis.column(of: view.range.low) <= parts.plot.x)
    }

    @Test func anotherAnalysisDrawsOtherDotsInTheSameFrame() {
        let state = sampleState()
        var view = state.curvesView
        let first = Self.render(view)
        // The same classes with every pair's similarity made perfect: flat curves at U = 1 then 0.
        var flat = view
        flat.title = "other"
        flat.meanCurve = view.meanCurve.map { _ in 1 }
        let second = Self.render(flat)
        #expect(second.line(0).contains("other") && !second.line(0).contains("Utility vs threshold"))
        #expect((2 ..< 12).contains { first.line($0) != second.line($0) })
        // No classes in OPIS: only the mean is drawn, and the legend lists no class.
        view.classes = []
        view.order = []
        view.focusedClass = nil
        let empty = Self.render(view)
        #expect(!empty.line(1).contains("■"))
    }

    @Test func tinyRectanglesDrawOnlyTheFrame() {
        let view = sampleState().curvesView
        let buffer = Self.render(view, width: 12, height: 5)
        #expect(buffer.line(0).hasPrefix("┌"))
        #expect((1 ..< 4).allSatisfy { !buffer.line($0).contains("━ mean") })
    }
}
