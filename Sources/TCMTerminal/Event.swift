import TCMCells

/// What the UI loop reacts to: input from the terminal and the wake-ups of background jobs,
/// in one type so the loop has one `switch`.
public enum Event: Equatable, Sendable {
    case key(Key)
    case resize
    /// A left click at a screen cell (terminals that report the mouse).
    case click(x: Int, y: Int)
    /// A background job published something; the loop reads the jobs' mailboxes.
    case wake
}

extension Duration {
    /// Whole milliseconds, rounded down (negative durations give negative values).
    public var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
