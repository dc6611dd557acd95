import TCMDashboard
import TCMJobs
import TCMTerminal

/// The one UI loop of the dashboard and of its loading screen (ratatui's draw → wait → handle):
/// draws when something changed, then blocks until the next input, a worker's wake-up or the
/// screen's deadline, instead of polling on a fixed tick. Runs on the thread that owns the
/// terminal; workers reach it only through `wake`.
public protocol LoopScreen: AnyObject {
    /// Takes what background jobs published (their mailboxes); true if the screen changed.
    func update() -> Bool
    /// Draws the whole screen.
    func render(into buffer: inout CellBuffer)
    /// Reacts to one event; `.quit` ends the loop.
    func handle(_ event: Event, size: (width: Int, height: Int)) -> EventOutcome
    /// The longest the loop may wait for events now (nil: until something happens); a screen
    /// that animates or must check something on a schedule returns its next deadline.
    var nextDeadline: Duration? { get }
    /// True when the loop should end without waiting (a result arrived, say).
    var isDone: Bool { get }
}

/// What an event did to the screen.
public enum EventOutcome: Equatable, Sendable { case unchanged, changed, quit }

public enum EventLoop {
    /// Runs `screen` on `backend` until it quits or is done. Returns true if it quit.
    @discardableResult
    public static func run(_ screen: LoopScreen, on backend: TerminalBackend, wake: Wakeup) -> Bool {
        var dirty = true
        while true {
            dirty = screen.update() || dirty
            if screen.isDone { return false }
            if dirty {
                let (width, height) = backend.size
                var buffer = CellBuffer(width: width, height: height)
                screen.render(into: &buffer)
                backend.draw(buffer)
                dirty = false
            }
            for event in backend.waitForEvents(timeout: screen.nextDeadline, wake: wake) {
                switch screen.handle(event, size: backend.size) {
                case .quit: return true
                case .changed: dirty = true
                case .unchanged: break
                }
            }
        }
    }
}
