import Foundation
import Testing
import TCMData
import TCMKernels
import TCMMetrics
@testable import TCMDashboard

/// Whole rendered frames against plain-text fixtures in GoldenFrames/ (as ratatui's tests compare
/// whole buffers): the text, then each cell's style as one letter with a legend. A layout or
/// styling change shows up as a reviewable diff. After an intended change, re-record with
/// `TCMSCOPE_RECORD_FRAMES=1 swift test --disable-xctest --filter GoldenFrameTests` and review
/// `git diff Tests/TCMDashboardTests/GoldenFrames`.
///
/// The data is `sampleState()` (three classes laid out by formula) and, for the A/B screen, its
/// rows moved by seeded noise (`perturbedCounts`): nothing random, nothing timed on screen.
@Suite struct GoldenFrameTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "GoldenFrames"
    ).path
    static let recording = ProcessInfo.processInfo.environment["TCMSCOPE_RECORD_FRAMES"] == "1"
    static let sizes = [(80, 24), (120, 40), (200, 60)]

    /// The screens, each from the idle sample state.
    static let scenes: [String: @Sendable (inout DashboardState) -> Void] = [
        "idle": { s in s.apply(.tcmMarginsNames(["contrastive": "margins auto"])) },
        "help": { s in s.apply(.key(.character("?"))) },
        "expanded": { s in s.apply(.key(.character("e"))) },
        "blocks": { s in s.apply(.key(.character("b"))) },
        "ab": { s in abScene(&s) },
    ]

    /// An A/B run halfway: both runs' curves in, fixed steps, losses and OPIS trajectories, all
    /// sent as the events the app sends.
    static func abScene(_ s: inout DashboardState) {
        s.apply(.abStarted(lossName: "contrastive", tcmMarginsAuto: true, adapter: false))
        for (side, seed, scale) in [(ABSide.base, UInt64(1), Float(0.3)), (.tcm, 2, 0.05)] {
            let curves = FineTunedCurves(
                counts: perturbedCounts(seed: seed, scale: scale), retrieval: nil, meanCurve: nil, step: 40)
            s.apply(.abCurves(side, curves, adapter: false))
        }
        for (side, losses) in [(ABSide.base, [0.9, 0.7, 0.6, 0.55]), (.tcm, [0.95, 0.72, 0.61, 0.52])] {
            var t = TrainingStatus()
            t.running = true
            t.step = 40
            t.totalSteps = 80
            t.loss = losses.last!
            t.lossHistory = losses
            t.opisHistory = losses.map { $0 * (side == .tcm ? 1e-3 : 2e-3) }
            // B's TCM margins from the data, as its last step used them.
            if side == .tcm {
                t.positiveMargin = 0.6812
                t.negativeMargin = 0.1847
                t.marginsAuto = true
            }
            s.apply(.abProgress(side, t))
        }
    }

    /// The frame as text, a separator, the style legend and one letter per cell.
    static func encode(_ buffer: CellBuffer) -> String {
        var letters: [Style: Character] = [Style.plain: "."]
        var legend: [String] = []
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        func describe(_ c: Color) -> String {
            switch c {
            case .terminalDefault: return "-"
            case .palette(let n): return "\(n)"
            }
        }
        var styleRows: [String] = []
        for y in 0 ..< buffer.height {
            var row = ""
            for x in 0 ..< buffer.width {
                let style = buffer[x, y].style
                if letters[style] == nil {
                    let letter = alphabet[min(legend.count, alphabet.count - 1)]
                    letters[style] = letter
                    let flags = [style.bold ? "bold" : nil, style.reverse ? "reverse" : nil, style.dim ? "dim" : nil]
                    legend.append(
                        "\(letter) fg=\(describe(style.foreground)) bg=\(describe(style.background))"
                            + flags.compactMap { $0.map { " " + $0 } }.joined())
                }
                row.append(letters[style]!)
            }
            styleRows.append(row)
        }
        return buffer.text + "\n--- styles (. plain)\n" + legend.joined(separator: "\n") + "\n---\n"
            + styleRows.joined(separator: "\n") + "\n"
    }

    /// Every scene at every size, and the idle state on a screen one column and one row too small.
    static var cases: [String] {
        scenes.keys.sorted().flatMap { scene in sizes.map { "\(scene)-\($0.0)x\($0.1)" } } + ["too-small-79x23"]
    }

    @Test(arguments: cases)
    func frameMatchesItsFixture(_ name: String) throws {
        let parts = name.split(separator: "-")
        let size = parts.last!.split(separator: "x").map { Int($0)! }
        let scene = parts.dropLast().joined(separator: "-")
        var state = sampleState()
        if scene != "too-small" {
            let prepare = try #require(Self.scenes[scene])
            prepare(&state)
        }
        var buffer = CellBuffer(width: size[0], height: size[1])
        Dashboard.render(state, into: &buffer)
        let frame = Self.encode(buffer)
        let path = Self.fixtures + "/\(name).txt"
        if Self.recording {
            try FileManager.default.createDirectory(atPath: Self.fixtures, withIntermediateDirectories: true)
            try frame.write(toFile: path, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOfFile: path, encoding: .utf8)
        #expect(frame == expected, "\(name) changed; re-record with TCMSCOPE_RECORD_FRAMES=1 if intended")
    }

    /// The encoding is faithful: two frames that differ in one cell's style differ in the encoding.
    @Test func oneStyleChangeChangesTheEncoding() {
        var a = CellBuffer(width: 4, height: 2)
        a.write("ab", x: 0, y: 0)
        var b = a
        b[1, 1] = Cell(scalar: " ", style: Style(bold: true))
        #expect(Self.encode(a) != Self.encode(b))
        #expect(Self.encode(b).hasSuffix("---\n....\n.a..\n"))
    }
}
