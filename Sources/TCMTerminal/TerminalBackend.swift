import TCMCells
import TCMJobs

/// What the UI loop needs from a terminal: its size, a way to show a frame, and a wait for the
/// next events. `NcursesTerminal` is the real one; `TestBackend` records frames and replays
/// scripted events, so the loop runs in unit tests (ratatui's `Backend` / `TestBackend` split).
///
/// Contract: every method is called from one thread, the loop's; other threads reach the loop
/// only through the `Wakeup` passed to `waitForEvents`.
public protocol TerminalBackend: AnyObject {
    /// Columns and rows of the screen now.
    var size: (width: Int, height: Int) { get }
    /// Shows `buffer` (its size is `size` as read just before).
    func draw(_ buffer: CellBuffer)
    /// Returns the events that are ready; when none is, blocks until input arrives, `wake` is
    /// signalled (then `.wake` is among the events) or `timeout` passes (nil: no deadline of the
    /// caller's; a backend may still return early, with no events). An empty result means
    /// "nothing happened".
    func waitForEvents(timeout: Duration?, wake: Wakeup) -> [Event]
}
