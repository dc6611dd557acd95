import Foundation
import Testing
import TCMData
import ArgumentParser
@testable import TCMScopeCLI

/// Reads RFC 4180 CSV: quoted fields may hold commas, quotes (doubled), CR and LF. Written here,
/// independently of the tool's writer, to check what the tool wrote.
func parseCSV(_ text: String) -> [[String]] {
    var rows: [[String]] = [], row: [String] = [], field = String.UnicodeScalarView()
    var quoted = false, afterQuote = false
    var scalars = Array(text.unicodeScalars)[...]
    while let c = scalars.popFirst() {
        if quoted {
            if c == "\"" {
                if scalars.first == "\"" {
                    field.append("\"")
                    scalars.removeFirst()
                } else {
                    quoted = false
                    afterQuote = true
                }
            } else {
                field.append(c)
            }
            continue
        }
        switch c {
        case "\"" where field.isEmpty && !afterQuote: quoted = true
        case ",":
            row.append(String(field))
            field = .init()
            afterQuote = false
        case "\r" where scalars.first == "\n": continue
        case "\n":
            row.append(String(field))
            rows.append(row)
            row = []
            field = .init()
            afterQuote = false
        default: field.append(c)
        }
    }
    if !field.isEmpty || !row.isEmpty {
        row.append(String(field))
        rows.append(row)
    }
    return rows
}

/// Text from data (cause 9 of issue 8): class names reach the terminal escaped and every CSV
/// the tool writes quotes them, so a name can neither steer the terminal nor add a row or column.
@Suite struct TextFromDataTests {
    static let hostileNames = [
        "\u{1B}[31mred\u{1B}[0m", "carriage\rreturn", "crlf\r\nname", "comma,name", "quote\"name",
        "\u{202E}desrever", "c1\u{9B}2J", "plain",
    ]

    /// 8 classes of 6 points on a circle, labelled with the hostile names (a .npy of strings).
    func hostileData(_ dir: String) -> (String, String, [String]) {
        var values: [Float] = [], labels: [String] = []
        for (c, name) in Self.hostileNames.enumerated() {
            for i in 0 ..< 6 {
                let angle = Float(c) * 0.78 + Float(i) * 0.02
                values += [cos(angle), sin(angle), 0.05 * Float(i % 2)]
                labels.append(name)
            }
        }
        write(NpyWriter.bytes(floats: values, shape: [labels.count, 3]), dir + "/e.npy")
        write(NpyWriter.bytes(strings: labels), dir + "/l.npy")
        return (dir + "/e.npy", dir + "/l.npy", labels)
    }

    func expectNoTerminalControls(_ text: String, _ context: String) {
        let unsafe = text.unicodeScalars.filter { $0 != "\n" && isUnsafeForTerminal($0) }
        #expect(unsafe.isEmpty, "\(context): \(unsafe.map { String($0.value, radix: 16) })")
    }

    @Test func analyzeEscapesNamesOnTheTerminal() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (e, l, _) = hostileData(dir)
        let run = try tcmscope(["analyze", e, l, "--no-retrieval"])
        #expect(run.status == 0, "\(run.stderr)")
        expectNoTerminalControls(run.stdout, "text report")
        #expect(
            run.stdout.contains(#"\u{1B}[31mred"#) && run.stdout.contains(#"\u{202E}desrever"#)
                && run.stdout.contains(#"carriage\rre"#))
        // One table row per class: no name started a line of its own.
        let rows = run.stdout.split(separator: "\n").filter { $0.hasPrefix("  ") && $0.contains("      6  ") }
        #expect(rows.count == Self.hostileNames.count, "\(run.stdout)")
        // A hostile file name is escaped too.
        let odd = dir + "/odd\u{1B}]0;title\u{07}.npy"
        try FileManager.default.copyItem(atPath: e, toPath: odd)
        let named = try tcmscope(["analyze", odd, l, "--no-retrieval"])
        #expect(named.status == 0)
        expectNoTerminalControls(named.stdout, "file name")
    }

    @Test func everyCSVQuotesNamesAndParsesBack() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (e, l, labels) = hostileData(dir)
        let names = Set(Self.hostileNames)

        let table = try tcmscope([
            "analyze", e, l, "--no-retrieval", "--csv", "--curves", dir + "/curves.csv", "--points", "5",
        ])
        #expect(table.status == 0, "\(table.stderr)")
        let tableRows = parseCSV(table.stdout)
        #expect(tableRows.first?.first == "class" && tableRows.count == 1 + names.count)
        #expect(tableRows.allSatisfy { $0.count == 11 }, "every row has the header's 11 columns")
        #expect(Set(tableRows.dropFirst().map { $0[0] }) == names)

        let curves = parseCSV(try String(contentsOfFile: dir + "/curves.csv", encoding: .utf8))
        #expect(curves.first == ["class", "threshold", "utility", "tpr", "far"])
        #expect(curves.dropFirst().allSatisfy { $0.count == 5 } && curves.count == 1 + names.count * 5)
        #expect(Set(curves.dropFirst().map { $0[0] }) == names)

        let project = try tcmscope(["project", e, l, "--method", "pca", "--out", dir + "/p.csv"])
        #expect(project.status == 0, "\(project.stderr)")
        let layout = parseCSV(try String(contentsOfFile: dir + "/p.csv", encoding: .utf8))
        #expect(layout.first == ["index", "label", "x", "y"] && layout.count == 1 + labels.count)
        for row in layout.dropFirst() {
            #expect(
                row.count == 4 && Int(row[0]).map { labels[$0] } == row[1] && Float(row[2]) != nil
                    && Float(row[3]) != nil, "\(row)")
        }
    }

    @Test func writerQuotesExactlyWhatNeedsIt() {
        #expect(CSVWriter.field("plain") == "plain")
        #expect(CSVWriter.field("a,b") == "\"a,b\"")
        #expect(CSVWriter.field("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(
            CSVWriter.field("a\rb") == "\"a\rb\"" && CSVWriter.field("a\r\nb") == "\"a\r\nb\""
                && CSVWriter.field("a\nb") == "\"a\nb\"")
        #expect(CSVWriter.row(["x", "y,z"]) == "x,\"y,z\"\n")
        for name in Self.hostileNames { #expect(parseCSV(CSVWriter.row([name, "1"])) == [[name, "1"]], "\(name)") }
    }
}

/// Gates (cause 7) and exit statuses.
@Suite struct GateAndExitStatusTests {
    @Test func aGateOnDataWithNoPositivePairsIsAnError() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // All-unique labels, and the smallest case N = 2.
        for n in [6, 2] {
            let values = (0 ..< n).flatMap { i in [cos(Float(i)), sin(Float(i))] }
            write(NpyWriter.bytes(floats: values, shape: [n, 2]), dir + "/e.npy")
            write(NpyWriter.bytes(int64s: (0 ..< n).map(Int64.init), shape: [n]), dir + "/l.npy")
            write(Array("earlier".utf8), dir + "/r.json")
            for gate in ["--fail-above-opis", "--fail-above-epsilon-opis"] {
                let run = try tcmscope([
                    "analyze", dir + "/e.npy", dir + "/l.npy", gate, "0.5", "--output", dir + "/r.json",
                ])
                #expect(run.status == 2, "N=\(n) \(gate): \(run.status) \(run.stderr)")
                #expect(
                    run.stderr
                        == ReportAndCheckpointRangeTests.undefinedOPIS(dir + "/l.npy", rows: n, classes: n))
                #expect((try? String(contentsOfFile: dir + "/r.json", encoding: .utf8)) == "earlier")
            }
            // Without a gate too (issue 31): `OPIS 0 (0 classes)` and `EER 1 at t = −1` meant nothing.
            let plain = try tcmscope(["analyze", dir + "/e.npy", dir + "/l.npy", "--no-retrieval"])
            #expect(
                plain.status == 2 && plain.stdout.isEmpty
                    && plain.stderr == ReportAndCheckpointRangeTests.undefinedOPIS(dir + "/l.npy", rows: n, classes: n),
                "\(plain.stderr)")
        }
    }

    @Test func rootHelpListsTheExitStatuses() throws {
        let help = try tcmscope(["--help"])
        #expect(help.status == 0)
        let text = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        for fragment in [
            "0 ok;", "1 an --fail-above-* gate tripped;", "2 bad input", "3 training failed (diverged);",
            "4 any other failure", "64 bad command line", "130/143 interrupted", "docs/definitions.md",
        ] {
            #expect(text.contains(fragment), "root --help lacks '\(fragment)'")
        }
        #expect(!text.contains("opis-tcm.md"))
        #expect(FileManager.default.fileExists(atPath: packageRoot + "/docs/definitions.md"))
    }

    /// A failure that is neither bad input, a gate nor the command line gets its own status (4),
    /// not the gate's 1; the parser's own outcomes keep theirs.
    @Test func otherFailuresHaveTheirOwnStatus() throws {
        struct Unexpected: Error {}
        #expect(TCMScope.exitStatus(forOther: Unexpected()) == 4)
        #expect(TCMScope.exitStatus(forOther: CocoaError(.fileWriteUnknown)) == 4)
        #expect(TCMScope.exitStatus(forOther: ValidationError("bad")) == 64)
        #expect(TCMScope.exitStatus(forOther: ExitCode(1)) == 1, "an explicit ExitCode keeps its value")
        #expect(TCMScope.exitStatus(forOther: CleanExit.helpRequest()) == 0)
        let version = try tcmscope(["--version"])
        #expect(version.status == 0 && version.stdout == TCMScope.version + "\n")
    }
}
