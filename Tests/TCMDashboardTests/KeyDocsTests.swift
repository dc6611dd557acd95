import Foundation
import Testing

@testable import TCMDashboard

/// README's and docs/guide/dashboard.md's key tables are generated from `KeyDocs` and name exactly
/// the keys `KeyTable` binds (lazygit checks its generated cheat sheet the same way in CI).
@Suite struct KeyDocsTests {
    static let documents = ["README.md", "docs/guide/dashboard.md"]

    @Test func everyBoundKeyIsInExactlyOneRow() {
        let named = KeyDocs.rows.flatMap { KeyDocs.tokens($0.caps) }
        let bound = KeyTableTests.bound.map(KeyTableTests.token)
        #expect(Set(named).count == named.count, "a key in two rows: \(named)")
        #expect(
            Set(named) == Set(bound),
            "rows only: \(Set(named).subtracting(bound)); key table only: \(Set(bound).subtracting(named))")
    }

    /// Each document holds the generated table as it is now; `TCMSCOPE_RECORD_KEYS=1` rewrites it.
    @Test(arguments: documents) func theDocumentHoldsTheGeneratedTable(_ name: String) throws {
        let path = KeyTableTests.packageRoot + "/" + name
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let generated = try #require(
            KeyDocs.replacingTable(in: text), "\(name) has no generated key table (its markers are missing)")
        if ProcessInfo.processInfo.environment["TCMSCOPE_RECORD_KEYS"] == "1" {
            try generated.write(toFile: path, atomically: true, encoding: .utf8)
            return
        }
        #expect(
            generated == text,
            "\(name)'s key table differs from KeyDocs: TCMSCOPE_RECORD_KEYS=1 swift test --disable-xctest --filter KeyDocsTests"
        )
    }
}

/// While a run is watched, its own loop trains it: every fine-tuning key (the table's
/// `.fineTuning` context) says so and changes nothing, and the footer offers `,` `.`, not `A`.
@Suite struct WatchingKeysTests {
    @Test func fineTuningKeysAreOffWhileWatching() throws {
        var state = sampleState()
        state.apply(.watchStarted(.first, directory: "runs/tcm"))
        let before = (state.fineTuning.useTCM, state.fineTuning.lossName, state.fineTuning.frozen)
        for key in ["T", "n", "f", "t", "A", "p", "c"] {
            state.apply(.message(""))
            let action = state.apply(.key(.character(Character(key)))).first
            #expect(action == nil, "\(key) asked the app for \(String(describing: action))")
            #expect(
                state.status.hasPrefix("\(key) (") && state.status.contains("off while watching"), "\(state.status)")
        }
        #expect(
            state.fineTuning.useTCM == before.0 && state.fineTuning.lossName == before.1
                && state.fineTuning.frozen == before.2)
        for pane in Pane.allCases {
            let footer = KeyTable.footer(focus: pane, hasAB: false, watching: true)
            #expect(footer.contains { $0 == (", .", "snapshot") } && !footer.contains { $0.0 == "A" }, "\(pane)")
        }
        // Not watching: the same keys act.
        var free = sampleState()
        #expect(free.handle(.character("T")) == nil && free.fineTuning.useTCM == !before.0)
        #expect(free.handle(.character("t")) == .startTraining)
        #expect(KeyTable.footer(focus: .curves, hasAB: false).contains { $0.0 == "A" })
    }
}
