import Testing
import TCMCells
@testable import TCMTerminal

/// The ncurses backend drawing into /dev/null (never the test's own terminal), on terminal
/// types with 256, 8 and no colours. Serialized: ncurses has one global current screen.
@Suite(.serialized) struct TerminalColourTests {
    /// A buffer that uses 256-palette colours in both foreground and background.
    func colourfulBuffer() -> CellBuffer {
        var b = CellBuffer(width: 100, height: 30)
        for (i, c) in [196, 46, 21, 226, 231, 240, 24].enumerated() {
            b.write(
                "colour \(c) ⣿⣿ ▄▀", x: 2, y: 2 + i,
                style: Style(
                    foreground: .palette(UInt8(c)), background: .palette(UInt8((c + 7) % 256)), bold: i % 2 == 0))
        }
        return b
    }

    func colours(in terminal: NcursesTerminal) -> [(fg: Int, bg: Int)] {
        terminal.pairs.keys.map { (($0 >> 16) - 1, ($0 & 0xFFFF) - 1) }
    }

    @Test func twoHundredFiftySixColoursAreUsedAsTheyAre() throws {
        let t = try NcursesTerminal(offscreenWidth: 100, height: 30, term: "xterm-256color")
        defer { t.close() }
        #expect(t.colorCount == 256)
        t.draw(colourfulBuffer())
        let used = colours(in: t)
        #expect(used.count == 7)
        #expect(used.contains { $0.fg == 196 && $0.bg == 203 })
    }

    @Test func eightColourTerminalsGetTheNearestBasicColour() throws {
        let t = try NcursesTerminal(offscreenWidth: 100, height: 30, term: "xterm")
        defer { t.close() }
        #expect(t.colorCount == 8)
        t.draw(colourfulBuffer())
        let used = colours(in: t)
        #expect(!used.isEmpty && used.allSatisfy { (0 ..< 8).contains($0.fg) && (0 ..< 8).contains($0.bg) })
        #expect(used.contains { $0.fg == 1 }, "196 (red) became red")
        #expect(used.contains { $0.fg == 2 }, "46 (green) became green")
    }

    @Test func monochromeTerminalsDrawWithoutColourPairs() throws {
        let t = try NcursesTerminal(offscreenWidth: 100, height: 30, term: "vt100")
        defer { t.close() }
        #expect(t.colorCount == 0)
        t.draw(colourfulBuffer())
        #expect(t.pairs.isEmpty)
    }

    @Test func anUnknownTerminalTypeIsAnError() {
        #expect(throws: TerminalUnavailable.self) {
            _ = try NcursesTerminal(offscreenWidth: 80, height: 24, term: "no-such-terminal-xyz")
        }
    }

    @Test func nearestBasicColours() {
        #expect(NcursesTerminal.nearestBasic(196) == 1)  // red
        #expect(NcursesTerminal.nearestBasic(46) == 2)  // green
        #expect(NcursesTerminal.nearestBasic(21) == 4)  // blue
        #expect(NcursesTerminal.nearestBasic(226) == 3)  // yellow
        #expect(NcursesTerminal.nearestBasic(231) == 7)  // white
        #expect(NcursesTerminal.nearestBasic(16) == 0)  // black
        #expect(NcursesTerminal.nearestBasic(9) == 1)  // bright red → red
        #expect(NcursesTerminal.nearestBasic(235) == 0 && NcursesTerminal.nearestBasic(250) == 7)  // greys
    }
}
