import Testing
import TCMKernels
import TCMMetrics

@testable import TCMDashboard

/// Each pane's widget rendered alone from its view into a small buffer: what it shows comes from
/// the view, and a tiny rectangle draws no more than its frame.
@Suite struct PaneWidgetTests {
    static func text(_ buffer: CellBuffer) -> String {
        (0 ..< buffer.height).map { buffer.line($0) }.joined(separator: "\n")
    }

    @Test func rangeShowsItsEndsTheCursorAndTheMode() {
        var view = sampleState().rangeView
        var buffer = CellBuffer(width: 70, height: 4)
        Widgets.range(view, &buffer, Rect(x: 0, y: 0, width: 70, height: 4))
        let shown = Self.text(buffer)
        #expect(shown.contains("edit by FAR") && shown.contains("K=\(view.range.points)"))
        #expect(shown.contains("[") && shown.contains("]") && shown.contains("┃"))
        view.editsByFAR = false
        view.threshold = 2  // off the bar: no cursor drawn
        buffer = CellBuffer(width: 70, height: 4)
        Widgets.range(view, &buffer, Rect(x: 0, y: 0, width: 70, height: 4))
        #expect(Self.text(buffer).contains("edit by similarity") && !Self.text(buffer).contains("┃"))
    }

    @Test func metricsShowTheReportAndMarkAStaleOne() {
        var view = sampleState().metricsView
        var buffer = CellBuffer(width: 50, height: 7)
        Widgets.metrics(view, &buffer, Rect(x: 0, y: 0, width: 50, height: 7))
        #expect(buffer.line(1).contains("OPIS") && buffer.line(1).contains(Format.number(view.report.opis, 5)))
        #expect(Self.text(buffer).contains("EER"))
        view.reportIsStale = true
        Widgets.metrics(view, &buffer, Rect(x: 0, y: 0, width: 50, height: 7))
        #expect(buffer.line(1).contains("(updating…)"))
    }

    @Test func tableListsClassesInItsOrderAroundTheFocus() {
        var view = sampleState().tableView
        view.order = view.order.reversed()
        view.focusedRow = 1
        var buffer = CellBuffer(width: 50, height: 6)
        Widgets.table(view, &buffer, Rect(x: 0, y: 0, width: 50, height: 6))
        let rows = (2 ..< 5).map { buffer.line($0) }
        for (i, c) in view.order.prefix(3).enumerated() {
            #expect(rows[i].contains(view.classes[c].name), "row \(i): \(rows[i])")
        }
        #expect(buffer[2, 3].style.reverse, "the focused row is highlighted")
        // Tiny: only the frame.
        var tiny = CellBuffer(width: 12, height: 2)
        Widgets.table(view, &tiny, Rect(x: 0, y: 0, width: 12, height: 2))
        #expect(!Self.text(tiny).contains("class"))
    }

    @Test func projectionDrawsEveryClassAndSaysWhenItHasNoPoints() {
        var view = sampleState().projectionView
        var buffer = CellBuffer(width: 30, height: 10)
        Widgets.projection(view, &buffer, Rect(x: 0, y: 0, width: 30, height: 10))
        let colours = Set((1 ..< 9).flatMap { y in (1 ..< 29).map { buffer[$0, y].style.foreground } })
        #expect(colours.count >= 3, "three classes, three colours")
        view.points = []
        buffer = CellBuffer(width: 30, height: 10)
        Widgets.projection(view, &buffer, Rect(x: 0, y: 0, width: 30, height: 10))
        #expect(buffer.line(1).contains("computing…"))
    }

    @Test func trainingSaysWhatTWouldDoThenShowsTheRun() {
        var view = sampleState().trainingView
        view.lossName = "circle"
        view.useTCM = true
        view.marginsNames = ["circle": "auto"]
        view.description = "adapter on your rows"
        var buffer = CellBuffer(width: 80, height: 5)
        Widgets.training(view, &buffer, Rect(x: 0, y: 0, width: 80, height: 5))
        #expect(buffer.line(0).contains("circle + TCM") && buffer.line(0).contains("[idle]"))
        #expect(
            buffer.line(1).contains("t  fine-tune: circle + TCM (auto)")
                && Self.text(buffer).contains("adapter on your rows"))
        view.training.running = true
        view.training.step = 50
        view.training.totalSteps = 100
        buffer = CellBuffer(width: 80, height: 5)
        Widgets.training(view, &buffer, Rect(x: 0, y: 0, width: 80, height: 5))
        #expect(buffer.line(0).contains("[running]") && buffer.line(1).contains("50/100"), "\(Self.text(buffer))")
    }
}
