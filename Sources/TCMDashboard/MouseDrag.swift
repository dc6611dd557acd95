import TCMMetrics

/// What a mouse press on the curves or the range bar picked up.
public enum DragTarget: Sendable, Equatable {
    case threshold, rangeLow, rangeHigh
}

extension DashboardState {
    /// A press within this many columns of a range end picks the end up (ends one column wide are
    /// hard to hit; two ends closer than that go to the nearer one).
    static let rangeEndGrab = 1

    /// The range end under column `c` of `axis`, if any, else the threshold.
    func dragTarget(atColumn c: Int, axis: ThresholdAxis) -> DragTarget {
        let low = axis.column(of: calibration.range.low), high = axis.column(of: calibration.range.high)
        let toLow = abs(c - low), toHigh = abs(c - high)
        guard min(toLow, toHigh) <= Self.rangeEndGrab else { return .threshold }
        return toLow < toHigh || (toLow == toHigh && c <= low) ? .rangeLow : .rangeHigh
    }

    /// The pointer moved with the button held: the picked-up threshold or range end follows it,
    /// read on the axis the press was on (the window stays as it was at the press). An end that
    /// would cross the other stops one bin short of it.
    mutating func dragged(toX x: Int) {
        guard let (target, view) = calibration.drag, let columns = calibration.dragColumns, columns.width > 0 else {
            return
        }
        let column = min(max(x, columns.x), columns.maxX - 1)
        let edge = bins.edge(nearest: ThresholdAxis(view, over: columns).threshold(atColumn: column))
        switch target {
        case .threshold:
            calibration.cursor = edge
            moveOperatingPoint()
            thresholdMovedByUser()
            status = "threshold set by mouse"
        case .rangeLow, .rangeHigh:
            setRangeEnd(target, toEdge: edge)
        }
    }

    /// The button went up: the drag ends and the window may adapt to the new range again.
    mutating func released() {
        calibration.drag = nil
        calibration.dragColumns = nil
    }

    /// The wheel over the curves or the range bar moves the threshold a step (up: higher).
    mutating func wheel(x: Int, y: Int, up: Bool, screenWidth: Int, screenHeight: Int) {
        guard !showHelp, let layout = layout(width: screenWidth, height: screenHeight) else { return }
        let over = [layout.panes[.curves], layout.otherCurves, layout.panes[.range]].contains {
            $0?.contains(x: x, y: y) == true
        }
        guard over else { return }
        moveCursor(up ? cursorStep : -cursorStep)
        status = "threshold set by wheel"
    }

    /// Puts one end of the calibration range at a bin edge, in the mode the range is edited in
    /// (a global FAR, or a similarity), keeping the other end.
    mutating func setRangeEnd(_ end: DragTarget, toEdge wanted: Int) {
        let lowEdge = bins.edge(nearest: calibration.range.low), highEdge = bins.edge(nearest: calibration.range.high)
        let edge = end == .rangeLow ? min(wanted, highEdge - 1) : max(wanted, lowEdge + 1)
        guard edge >= 0 && edge < bins.count else { return }
        let t = bins.threshold(atEdge: edge)
        if calibration.rangeInFAR {
            let far = analyzer.globalRates(edge: edge).far
            // FAR falls as the threshold rises: the low end has the larger FAR.
            let farLow = end == .rangeLow ? far : calibration.range.farAtLow,
                farHigh = end == .rangeHigh ? far : calibration.range.farAtHigh
            guard farLow > farHigh, farHigh > 0 else {
                status = "range ends would cross (in FAR)"
                return
            }
            calibration.options.range = .far(farAtLow: farLow, farAtHigh: farHigh)
        } else {
            calibration.options.range = .similarity(
                low: end == .rangeLow ? t : calibration.range.low, high: end == .rangeHigh ? t : calibration.range.high)
        }
        recompute()
        status = "range \(end == .rangeLow ? "low" : "high") end set by mouse"
    }
}
