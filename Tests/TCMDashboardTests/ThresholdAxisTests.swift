import Testing
import TCMDashboard

@Suite struct ThresholdAxisTests {
    /// Every column's middle maps back to that column, and the columns split the window into
    /// equal parts: checked against the plain interval arithmetic for several windows and widths.
    @Test func columnsAndThresholdsAgreeBothWays() {
        for (low, high) in [(-1.0, 1.0), (0.2, 0.45), (0.7301, 0.7802), (-0.35, -0.3)] {
            for width in [1, 7, 60, 143] {
                let axis = ThresholdAxis(low: low, high: high, x: 5, width: width)
                let columnWidth = (high - low) / Double(width)
                for c in 5 ..< 5 + width {
                    let t = axis.threshold(atColumn: c)
                    #expect(abs(t - (low + (Double(c - 5) + 0.5) * columnWidth)) < 1e-12)
                    #expect(axis.column(of: t) == c)
                }
                #expect(axis.column(of: low) == 5)
                #expect(axis.column(of: high) == 5 + width, "the window's top edge is one past the span")
                #expect(axis.column(of: low - columnWidth / 2) == 4, "outside the span: not clipped")
                #expect(axis.threshold(0, of: 4) == low && abs(axis.threshold(4, of: 4) - high) < 1e-15)
            }
        }
    }

    @Test func theDashboardsWindowOverAPane() {
        let axis = ThresholdAxis((low: 0.1, high: 0.9), over: Rect(x: 3, y: 9, width: 80, height: 5))
        #expect(axis == ThresholdAxis(low: 0.1, high: 0.9, x: 3, width: 80))
    }
}
