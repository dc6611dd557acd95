import Foundation
import Testing

@testable import TCMDashboard

/// The one key table drives handling, the footer, the `?` overlay and README's key table: a key
/// bound here and missing there (or the reverse) fails.
@Suite struct KeyTableTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// How README's key table writes a key.
    static func token(_ key: Key) -> String {
        switch key {
        case .left: "←"
        case .right: "→"
        case .up: "↑"
        case .down: "↓"
        case .tab: "Tab"
        case .backTab: "Shift-Tab"
        case .escape: "Esc"
        case .enter: "Enter"
        case .character(let c): String(c)
        }
    }

    static let bound = KeyTable.groups.flatMap { $0.bindings.map(\.key) }

    @Test func everyKeyIsBoundOnceAndEveryCommandHasAKey() {
        let tokens = Self.bound.map(Self.token)
        #expect(Set(tokens).count == tokens.count, "a key bound twice: \(tokens)")
        let commands = KeyTable.groups.flatMap { $0.bindings.map(\.command) }
        for command in DashboardCommand.allCases {
            #expect(commands.contains(command), "\(command) has no key")
        }
    }

    // README's and docs/guide/dashboard.md's key tables: KeyDocsTests.

    @Test func theFooterAndTheHelpComeFromTheTable() {
        for pane in Pane.allCases {
            for hasAB in [false, true] {
                let footer = KeyTable.footer(focus: pane, hasAB: hasAB)
                #expect(footer.contains { $0 == ("q", "quit") } && footer.contains { $0 == ("?", "help") })
                #expect(
                    footer.contains { $0.0 == (hasAB ? "a" : "A") } && !footer.contains { $0.0 == (hasAB ? "A" : "a") })
            }
        }
        let help = KeyTable.helpLines(saveDirectory: "runs/today")
        for group in KeyTable.groups {
            #expect(
                help.contains {
                    $0.caps.split(separator: " ").contains(Substring(group.caps.split(separator: " ")[0]))
                        && $0.text.contains(group.help)
                }, "\(group.caps)")
        }
        #expect(help.contains { $0.text.contains("(runs/today/)") })
        // Every bound key does what the table says when pressed (a few through the state).
        #expect(
            KeyTable.command(for: .character("n")) == .nextLoss
                && KeyTable.command(for: .character("l")) == .thresholdUp)
        #expect(KeyTable.command(for: .character("Z")) == nil)
    }
}
