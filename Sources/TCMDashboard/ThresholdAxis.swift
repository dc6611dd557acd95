import TCMCells

/// A threshold window laid over a span of screen columns: the one conversion between thresholds
/// and columns, shared by the curves pane, the range bar and mouse clicks, so a click lands the
/// cursor under the pointer in every pane that shows the axis.
///
/// Contract: `low < high` and `width > 0` for the conversions to mean anything (the dashboard's
/// `view` is at least 0.05 wide); `column(of:)` may return a column outside the span (callers
/// clip); `threshold(atColumn:)` is the middle of the column, and
/// `column(of: threshold(atColumn: c)) == c` for every column of the span.
public struct ThresholdAxis: Equatable, Sendable {
    public var low: Double, high: Double
    /// The first column and how many columns the window spans.
    public var x: Int, width: Int

    public init(low: Double, high: Double, x: Int, width: Int) {
        self.low = low
        self.high = high
        self.x = x
        self.width = width
    }

    /// The dashboard's threshold window (`DashboardState.view`) over `columns`' horizontal span.
    public init(_ view: (low: Double, high: Double), over columns: Rect) {
        self.init(low: view.low, high: view.high, x: columns.x, width: columns.width)
    }

    /// The column that shows threshold `t` (rounded down).
    public func column(of t: Double) -> Int { x + Int(((t - low) / (high - low) * Double(width)).rounded(.down)) }

    /// The threshold in the middle of column `c`.
    public func threshold(atColumn c: Int) -> Double { threshold(Double(c - x) + 0.5, of: Double(width)) }

    /// The threshold `step` n-ths of the way from `low` to `high` (ticks, curve samples).
    public func threshold(_ step: Double, of n: Double) -> Double { low + (high - low) * step / n }
}
