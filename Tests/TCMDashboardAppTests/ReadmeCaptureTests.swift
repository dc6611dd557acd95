import Foundation
import Testing
import TCMDashboard
import TCMData
@testable import TCMDashboardApp
import TCMScopeSupport

/// README's screen capture is a recorded golden frame, not a hand-pasted one: the dashboard as
/// `tcmscope` opens it on the bundled sample at 120×40 (the app's own start-up: the first
/// analysis, PCA, the panes' texts), kept in the golden-frame folder, and README's block holds the
/// same bytes (lazygit checks its generated cheat sheet the same way).
///
/// After an intended change of the screen: `TCMSCOPE_RECORD_FRAMES=1` re-records the frame,
/// `TCMSCOPE_RECORD_README=1` copies it into README; review `git diff`.
@Suite struct ReadmeCaptureTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let frame = root + "/Tests/TCMDashboardTests/GoldenFrames/bundled-120x40.txt"
    static let readme = root + "/README.md"
    static let start = "<!-- The capture below is Tests/TCMDashboardTests/GoldenFrames/bundled-120x40.txt"
    static let end = "<!-- end of the capture -->"

    /// The first frame of `tcmscope` on the bundled sample, as text without the blanks that pad
    /// lines to the screen's width (editors and markdown tools strip them from README).
    static func render() throws -> String {
        let dataset = try Dataset.load(
            embeddings: try SampleData.path(SampleData.baselineEmbeddings),
            labels: try SampleData.path(SampleData.baselineLabels))
        let app = DashboardApp(
            dataset: dataset, title: "eval-embeddings.npy", bundled: true, loss: .contrastive, epochs: 3,
            saveDirectory: NSTemporaryDirectory() + "tcmscope-readme-unused")
        var buffer = CellBuffer(width: 120, height: 40)
        Dashboard.render(app.state, into: &buffer)
        return buffer.text.split(separator: "\n", omittingEmptySubsequences: false).map {
            String($0.reversed().drop { $0 == " " }.reversed())
        }.joined(separator: "\n") + "\n"
    }

    @Test func theBundledSampleOpensAsRecorded() throws {
        let frame = try Self.render()
        #expect(frame.split(separator: "\n").allSatisfy { $0.unicodeScalars.count <= 120 })
        if ProcessInfo.processInfo.environment["TCMSCOPE_RECORD_FRAMES"] == "1" {
            try frame.write(toFile: Self.frame, atomically: true, encoding: .utf8)
        }
        let recorded = try String(contentsOfFile: Self.frame, encoding: .utf8)
        #expect(frame == recorded, "the bundled sample's first frame changed; re-record with TCMSCOPE_RECORD_FRAMES=1")
    }

    /// README's capture block between its markers is the recorded frame, byte for byte.
    @Test func readmeShowsTheRecordedFrame() throws {
        let text = try String(contentsOfFile: Self.readme, encoding: .utf8)
        let recorded = try String(contentsOfFile: Self.frame, encoding: .utf8)
        let startLine = try #require(text.range(of: Self.start), "README has no capture marker").lowerBound
        let afterStart = try #require(text[startLine...].range(of: "-->\n")).upperBound
        let endLine = try #require(text[afterStart...].range(of: Self.end), "README's capture has no end").lowerBound
        let block = "```\n" + recorded + "```\n"
        if ProcessInfo.processInfo.environment["TCMSCOPE_RECORD_README"] == "1" {
            try (text[..<afterStart] + block + text[endLine...]).write(
                toFile: Self.readme, atomically: true, encoding: .utf8)
            return
        }
        #expect(
            String(text[afterStart ..< endLine]) == block,
            "README's capture differs from \(Self.frame): TCMSCOPE_RECORD_README=1 swift test --disable-xctest --filter ReadmeCaptureTests"
        )
    }
}
