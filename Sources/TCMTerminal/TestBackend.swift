import TCMCells
import TCMJobs

/// A terminal for tests: a fixed-size screen that keeps every frame drawn, and a script of steps
/// the loop's waits play one by one (ratatui's `TestBackend`).
public final class TestBackend: TerminalBackend {
    /// One wait of the loop.
    public enum Step {
        /// These events are ready at once.
        case events([Event])
        /// Runs `action` (on the loop's thread, as a worker would publish from its own), then
        /// waits like a real terminal: returns `.wake` if the wakeup was signalled before the
        /// timeout, or nothing.
        case wait(action: () -> Void)
        /// Waits like `.wait` again and again until `condition` holds (checked before each wait),
        /// so a test can let background jobs run until the screen shows what it expects.
        case until(() -> Bool)
    }

    public private(set) var size: (width: Int, height: Int)
    /// Every frame drawn, oldest first.
    public private(set) var frames: [CellBuffer] = []
    /// The timeout the loop asked for at each wait (nil: none).
    public private(set) var timeouts: [Duration?] = []
    /// Runs inside `draw`, after the frame is recorded: a background result that arrives while a
    /// frame is being drawn.
    public var duringDraw: ((Int) -> Void)?
    private var script: [Step]
    /// What the loop gets when the script has run out (a key that quits, usually).
    private let whenDone: [Event]
    /// How long a `.wait` step blocks at most when the loop gave no timeout.
    private let longestWait: Duration

    public init(
        width: Int, height: Int, script: [Step], whenDone: [Event] = [.key(.character("q"))],
        longestWait: Duration = .seconds(30)
    ) {
        size = (width, height)
        self.script = script
        self.whenDone = whenDone
        self.longestWait = longestWait
    }

    public func resize(width: Int, height: Int) { size = (width, height) }

    public func draw(_ buffer: CellBuffer) {
        frames.append(buffer)
        duringDraw?(frames.count)
    }

    public func waitForEvents(timeout: Duration?, wake: Wakeup) -> [Event] {
        timeouts.append(timeout)
        guard let step = script.first else { return whenDone }
        func waitLikeATerminal() -> [Event] {
            let limit = min(timeout ?? longestWait, longestWait)
            return wake.wait(milliseconds: Int32(clamping: limit.milliseconds)) ? [.wake] : []
        }
        switch step {
        case .events(let events):
            script.removeFirst()
            return events + (wake.consume() ? [.wake] : [])
        case .wait(let action):
            script.removeFirst()
            action()
            return waitLikeATerminal()
        case .until(let condition):
            if condition() {
                script.removeFirst()
                return wake.consume() ? [.wake] : []
            }
            return waitLikeATerminal()
        }
    }
}
