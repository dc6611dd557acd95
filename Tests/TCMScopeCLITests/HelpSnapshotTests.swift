import Foundation
import Testing
import ArgumentParser
@testable import TCMBench
@testable import TCMScopeCLI

/// Every command's --help against a plain-text fixture in HelpSnapshots/ (as swift-argument-parser's
/// own example tests do), at a fixed 100 columns, so a renamed option, a lost range or a default
/// that changed shows up as a diff. After an intended change, re-record the fixtures with
/// `TCMSCOPE_RECORD_HELP=1 swift test --disable-xctest --filter HelpSnapshotTests` and review the diff.
@Suite struct HelpSnapshotTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "HelpSnapshots"
    ).path
    static let recording = ProcessInfo.processInfo.environment["TCMSCOPE_RECORD_HELP"] == "1"

    static let commands: [(name: String, type: ParsableCommand.Type)] = [
        ("tcmscope", TCMScope.self), ("analyze", Analyze.self), ("project", Project.self), ("train", Train.self),
        ("dash", Dash.self), ("bench", Bench.self), ("compare", Compare.self), ("apply", Apply.self),
        ("export", Export.self), ("merge", Merge.self), ("bench-pass", BenchPass.self),
        ("bench-scale", BenchScale.self),
        ("bench-dashboard", BenchDashboard.self),
    ]

    @Test(arguments: commands.map(\.name))
    func helpMatchesItsFixture(_ name: String) throws {
        let type = try #require(Self.commands.first { $0.name == name }?.type)
        let help = TCMScope.helpMessage(for: type, columns: 100) + "\n"
        let path = Self.fixtures + "/\(name).txt"
        if Self.recording {
            try FileManager.default.createDirectory(atPath: Self.fixtures, withIntermediateDirectories: true)
            try help.write(toFile: path, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOfFile: path, encoding: .utf8)
        #expect(help == expected, "\(name) --help changed; re-record with TCMSCOPE_RECORD_HELP=1 if intended")
    }

    /// The old spellings work but are not advertised.
    @Test func oldSpellingsAreHidden() {
        let all = Self.commands.map { TCMScope.helpMessage(for: $0.type, columns: 100) }.joined(separator: "\n")
        for old in ["--evaluate-every", "--save-directory", "--lr ", "--output ", "--k <", "--n <", "--d <"] {
            #expect(!all.contains(old), "\(old) is listed")
        }
        for new in ["--eval-every", "--learning-rate", "--out <", "--recall-k", "--samples", "--dimension"] {
            #expect(all.contains(new), "\(new) is missing")
        }
    }
}
