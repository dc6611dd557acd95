import Foundation
import Testing
@testable import TCMScopeCLI

/// One vocabulary: strict a:b values, the new names and the old ones (hidden aliases) giving the
/// same result.
@Suite struct CLIVocabularyTests {
    @Test func pairsAndWidthsAreParsedStrictly() throws {
        for good in ["0.9:0.5", "-1:1", "1e-1:1e-2"] { #expect(NumberPair(argument: good) != nil, "\(good)") }
        for bad in ["1:x:2", "1:2:3", "1:", ":2", "12", "1:inf", "nan:1", "1;2", ""] {
            #expect(NumberPair(argument: bad) == nil, "\(bad) accepted")
        }
        #expect(NumberPair(argument: "0.25:-0.5").map { [$0.first, $0.second] } == [0.25, -0.5])
        #expect(WidthList(argument: "256, 128")?.values == [256, 128])
        for bad in ["256,", "256,,128", "a", "256;128", ""] {
            #expect(WidthList(argument: bad) == nil, "\(bad) accepted")
        }

        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (e, l) = smallEmbeddings(dir)
        for (args, flag) in [
            (["analyze", e, l, "--range", "1:x:2"], "--range <lo:hi>"),
            (["train", "--out", dir + "/t", "--tcm-margins", "1:x:2"], "--tcm-margins <m+:m-|auto>"),
            (["train", "--out", dir + "/t", "--tcm-margins", "Auto"], "--tcm-margins <m+:m-|auto>"),
            (["train", "--out", dir + "/t", "--widths", "256,,128"], "--widths <w,w>"),
        ] {
            let run = try tcmscope(args)
            #expect(run.status == 64, "\(args): \(run.status)")
            #expect(
                run.stderr.hasPrefix("tcmscope: error: The value '\(args.last!)' is invalid for '\(flag)'"),
                "\(run.stderr)")
        }
    }

    @Test func newAndOldSpellingsWriteTheSameReport() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (e, l) = smallEmbeddings(dir)
        let new = try tcmscope(["analyze", e, l, "--recall-k", "1", "3", "--out", dir + "/new.json", "--csv"])
        let old = try tcmscope(["analyze", e, l, "--k", "1", "3", "--output", dir + "/old.json", "--csv"])
        #expect(new.status == 0 && old.status == 0, "\(new.stderr) \(old.stderr)")
        #expect(new.stdout == old.stdout && !new.stdout.isEmpty)
        func report(_ path: String) throws -> [String: Any] {
            var json =
                try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]
                ?? [:]
            json["seconds"] = nil
            return json
        }
        let a = try report(dir + "/new.json"), b = try report(dir + "/old.json")
        #expect(NSDictionary(dictionary: a).isEqual(to: b) && a["retrieval"] != nil)
        let both = try tcmscope(["train", "--out", dir + "/t", "--data", e, "--labels", l, "--label-column", "0"])
        #expect(
            both.status == 64
                && both.stderr.hasPrefix("tcmscope: error: give either --labels or --label-column, not both"),
            "\(both.stderr)")
    }
}
