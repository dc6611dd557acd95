import TCMCells

/// What the UI loop reacts to: input from the terminal and the wake-ups of background jobs,
/// in one type so the loop has one `switch`.
public enum Event: Equatable, Sendable {
    case key(Key)
    case resize
    /// A left click (the button going down) at a screen cell (terminals that report the mouse).
    case click(x: Int, y: Int)
    /// The pointer moved to a cell with the left button held (after a `click`).
    case drag(x: Int, y: Int)
    /// The left button went up.
    case release(x: Int, y: Int)
    /// The wheel turned over a cell: `up` away from the user.
    case wheel(x: Int, y: Int, up: Bool)
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
