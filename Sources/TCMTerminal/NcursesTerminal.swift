import CNcurses
import CTerminalGuard
import Foundation
import TCMCells
import TCMJobs

/// Why the dashboard cannot start on this terminal.
public struct TerminalUnavailable: Error, CustomStringConvertible {
    public let description: String
}

/// The ncurses backend: draws a `CellBuffer` and reads keys. Not thread-safe by design: the UI
/// loop owns it, and it is the only code that touches ncurses.
public final class NcursesTerminal: TerminalBackend {
    private var screen: OpaquePointer?
    /// The descriptor ncurses reads keys from, for `poll(2)` beside a `Wakeup`.
    private let inputDescriptor: Int32
    /// Colour pairs made so far, keyed by (foreground + 1) << 16 | (background + 1).
    private(set) var pairs: [Int: Int16] = [:]
    /// How many colours the terminal has (0: monochrome).
    public let colorCount: Int

    /// Starts curses on the controlling terminal. Uses `newterm` rather than `initscr` so that an
    /// unknown TERM is an error we report, not an exit inside ncurses.
    public init() throws {
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
            throw TerminalUnavailable(
                description:
                    "stdin/stdout: not a terminal; the dashboard needs one (use `tcmscope analyze` for a text report)")
        }
        setlocale(LC_ALL, "")
        // A parent may hand us blocked or ignored signals (a worker thread's mask survives
        // fork and exec); without SIGWINCH curses never learns of a resize.
        tcm_guard_prepare_signals()
        tcm_guard_install(STDOUT_FILENO)  // saves the modes before curses changes them
        guard let screen = newterm(nil, tcm_stdout(), tcm_stdin()) else {
            tcm_guard_remove()
            let term = ProcessInfo.processInfo.environment["TERM"] ?? "(unset)"
            throw TerminalUnavailable(
                description: "TERM=\(term): unknown terminal type; set TERM (e.g. xterm-256color)")
        }
        self.screen = screen
        inputDescriptor = STDIN_FILENO
        colorCount = Self.setUp(screen)
    }

    /// A terminal of type `term` that draws into /dev/null at a fixed size: the whole ncurses
    /// path (cell diffing, escape sequences, output) without a screen, for benchmarks.
    public init(offscreenWidth width: Int, height: Int, term: String = "xterm-256color") throws {
        setlocale(LC_ALL, "C.UTF-8")
        guard let output = fopen("/dev/null", "w"), let input = fopen("/dev/null", "r"),
            let screen = newterm(term, output, input)
        else {
            throw TerminalUnavailable(description: "TERM=\(term): cannot start an offscreen terminal")
        }
        self.screen = screen
        inputDescriptor = fileno(input)
        colorCount = Self.setUp(screen)
        resizeterm(Int32(height), Int32(width))
    }

    /// Modes for a full-screen, key-at-a-time session; returns the number of colours.
    private static func setUp(_ screen: OpaquePointer) -> Int {
        set_term(screen)
        cbreak()
        noecho()
        nonl()
        keypad(tcm_stdscr(), true)
        curs_set(0)
        // The left button (press, drag, release) and the wheel; the right and middle buttons keep
        // the terminal's own behaviour. No press-to-click delay, so a click answers at once.
        mousemask(tcm_mouse_events(), nil)
        mouseinterval(0)
        tcm_drag_reporting(1)
        guard has_colors() else { return 0 }
        start_color()
        use_default_colors()
        return Int(tcm_colors())
    }

    deinit { close() }

    /// Restores the terminal (idempotent).
    public func close() {
        guard let screen else { return }
        tcm_drag_reporting(0)
        endwin()
        delscreen(screen)
        tcm_guard_remove()
        self.screen = nil
    }

    public var size: (width: Int, height: Int) { (Int(tcm_cols()), Int(tcm_lines())) }

    /// The longest a wait blocks in `poll(2)`: a resize (SIGWINCH) normally interrupts it, but the
    /// signal may land on another thread, and then this bounds how late the resize is seen.
    static let longestWaitMilliseconds: Int32 = 250

    /// Blocks in `poll(2)` on the keyboard and `wake` until either is readable or `timeout`
    /// passes, then reads every key ncurses has (without blocking). ncurses is touched only here,
    /// on the calling (UI) thread; workers only write to the wakeup's pipe.
    public func waitForEvents(timeout: Duration?, wake: Wakeup) -> [Event] {
        var events = readAvailable()
        if events.isEmpty && !wake.consume() {
            var limit = Self.longestWaitMilliseconds
            if let timeout { limit = min(limit, Int32(clamping: max(0, timeout.milliseconds))) }
            var fds = [
                pollfd(fd: inputDescriptor, events: Int16(POLLIN), revents: 0),
                pollfd(fd: wake.fileDescriptor, events: Int16(POLLIN), revents: 0),
            ]
            _ = poll(&fds, 2, limit)
            events = readAvailable()
            if wake.consume() { events.append(.wake) }
        } else if events.isEmpty {
            events.append(.wake)
        } else if wake.consume() {
            events.append(.wake)
        }
        return events
    }

    /// Every event ncurses can give without waiting (keys it has buffered count too).
    private func readAvailable() -> [Event] {
        var events: [Event] = []
        while events.count < 64, let event = next(timeout: 0) { events.append(event) }
        return events
    }

    /// Waits up to `milliseconds` for input.
    public func next(timeout milliseconds: Int32) -> Event? {
        timeout(milliseconds)
        var ch: wint_t = 0
        let result = get_wch(&ch)
        if result == ERR { return nil }
        if result == tcm_key_code_yes() {
            switch Int32(ch) {
            case tcm_key_resize(): return .resize
            case tcm_key_mouse():
                var x: Int32 = 0, y: Int32 = 0
                let kind = tcm_mouse_event(&x, &y)
                let (cx, cy) = (Int(x), Int(y))
                switch kind {
                case 1: return .click(x: cx, y: cy)
                case 2: return .drag(x: cx, y: cy)
                case 3: return .release(x: cx, y: cy)
                case 4, 5: return .wheel(x: cx, y: cy, up: kind == 4)
                default: return nil
                }
            case tcm_key_left(): return .key(.left)
            case tcm_key_right(): return .key(.right)
            case tcm_key_up(): return .key(.up)
            case tcm_key_down(): return .key(.down)
            case tcm_key_btab(): return .key(.backTab)
            case tcm_key_enter(): return .key(.enter)
            default: return nil
            }
        }
        switch ch {
        case 9: return .key(.tab)
        case 10, 13: return .key(.enter)
        case 27: return .key(.escape)
        default:
            guard let scalar = Unicode.Scalar(UInt32(ch)) else { return nil }
            return .key(.character(Character(scalar)))
        }
    }

    /// Draws the buffer: runs of cells with the same style go out as one wide string.
    public func draw(_ buffer: CellBuffer) {
        for y in 0 ..< buffer.height {
            var x = 0
            while x < buffer.width {
                let style = buffer[x, y].style
                var run: [wchar_t] = []
                let start = x
                while x < buffer.width && buffer[x, y].style == style {
                    run.append(wchar_t(bitPattern: buffer[x, y].scalar.value))
                    x += 1
                }
                // The bottom-right cell cannot be written without scrolling: leave it.
                if y == buffer.height - 1 && x == buffer.width {
                    run.removeLast()
                    if run.isEmpty { continue }
                }
                run.append(0)
                apply(style)
                _ = run.withUnsafeBufferPointer { mvaddwstr(Int32(y), Int32(start), $0.baseAddress) }
            }
        }
        attr_set(0, 0, nil)
        refresh()
    }

    private func apply(_ style: Style) {
        var attributes: attr_t = 0
        if style.bold { attributes |= tcm_a_bold() }
        if style.reverse { attributes |= tcm_a_reverse() }
        if style.dim { attributes |= tcm_a_dim() }
        attr_set(attributes, pair(for: style), nil)
    }

    /// A colour pair for (foreground, background), made on first use; colours degrade from 256 to 8
    /// and to none, as the terminal allows.
    private func pair(for style: Style) -> Int16 {
        guard colorCount >= 8 else { return 0 }
        let fg = index(style.foreground), bg = index(style.background)
        if fg == -1 && bg == -1 { return 0 }
        let key = Int(fg + 1) << 16 | Int(bg + 1)
        if let p = pairs[key] { return p }
        let next = Int16(pairs.count + 1)
        guard Int32(next) < tcm_color_pairs() else { return 0 }
        init_pair(next, fg, bg)
        pairs[key] = next
        return next
    }

    private func index(_ color: Color) -> Int16 {
        switch color {
        case .terminalDefault: return -1
        case .palette(let i):
            if colorCount >= 256 { return Int16(i) }
            return Int16(Self.nearestBasic(i))
        }
    }

    /// The nearest of the 8 basic colours to a 256-palette entry.
    static func nearestBasic(_ i: UInt8) -> Int {
        if i < 16 { return Int(i % 8) }
        if i >= 232 { return i < 244 ? 0 : 7 }
        let v = Int(i) - 16
        let r = v / 36, g = (v / 6) % 6, b = v % 6
        return (r >= 3 ? 1 : 0) | (g >= 3 ? 2 : 0) | (b >= 3 ? 4 : 0)
    }
}
