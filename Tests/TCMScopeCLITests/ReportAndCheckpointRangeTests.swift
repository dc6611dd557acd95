import Foundation
import Testing
import TCMData
import TCMTestSupport

/// Issue 31 (hostile input, round 3) through the real binary: a report's bootstrap section, a
/// checkpoint's flag values, data where no class has two samples, and the runs of `compare RUN…`
/// are each refused with one line and the right exit status, leaving earlier outputs as they were.
@Suite struct ReportAndCheckpointRangeTests {
    let surface = HostileSurfaceTests()
    func contents(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

    static func jsonObject(_ path: String) throws -> [String: Any] {
        try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    static func writeJSON(_ object: [String: Any], _ path: String) throws {
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
    }

    /// Cause 3: every value of a report's bootstrap section is checked as the rest of the report
    /// is, by compare of two reports and of many runs, table and figure alike.
    @Test func theBootstrapSectionOfAReportIsValidated() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (embeddings, labels) = try CompareRunsTests.runs(dir)
        var reports: [String] = []
        for (k, e) in embeddings.enumerated() {
            let out = dir + "/r\(k).json"
            let run = try tcmscope(["analyze", e, labels, "--out", out, "--bootstrap", "200", "--recall-k", "1"])
            #expect(run.status == 0, "\(run.stderr)")
            reports.append(out)
        }
        let fine = try tcmscope(["compare"] + reports + ["--plot", dir + "/fine.svg"])
        #expect(fine.status == 0, "\(fine.stderr)")
        let original = try Self.jsonObject(reports[2])
        func interval(_ low: Double, _ high: Double, level: Double = 0.95, replicates: Int = 200) -> [String: Any] {
            ["low": low, "high": high, "level": level, "replicates": replicates]
        }
        let cases: [(String, Any, String)] = [
            ("opis", interval(-5, 1e300), "bootstrap opis interval [-5.0, 1e+300] is not within [0, 1]"),
            ("opis", interval(0.5, 0.1), "bootstrap opis interval [0.5, 0.1] has its low end above its high end"),
            ("level", 7.0, "bootstrap level: --ci-level 7.0 is out of range; allowed: (0.5, 0.999]"),
            ("replicates", -3, "bootstrap replicates: --bootstrap -3 is out of range; allowed: [1, 100000]"),
            ("recallAt1", interval(2.5, -1), "bootstrap recallAt1 interval [2.5, -1.0] is not within [0, 1]"),
            ("far", interval(-1.7e308, 1.7e308), "bootstrap far interval [-1.7e+308, 1.7e+308] is not within"),
            ("eer", interval(0.1, 0.2, level: 0.9), "bootstrap eer interval is at level 0.9, the bootstrap at 0.95"),
            ("tpr", interval(0.1, 0.2, replicates: 0), "bootstrap tpr interval is from 0 replicates, not 1 to 200"),
            ("classes", 99, "bootstrap resampled 99 classes, the report has 4 in OPIS"),
            // ε-OPIS's interval is optional (none under 1000 classes): held to the same rules when present.
            (
                "epsilonOPIS", interval(0.2, 0.1),
                "bootstrap epsilonOPIS interval [0.2, 0.1] has its low end above its high end"
            ),
            ("seconds", -1.0, "bootstrap seconds -1.0 is not a finite number ≥ 0"),
            ("method", "", "bootstrap method is empty"),
        ]
        for (field, value, mention) in cases {
            var object = original
            var bootstrap = try #require(object["bootstrap"] as? [String: Any])
            bootstrap[field] = value
            object["bootstrap"] = bootstrap
            let edited = dir + "/edited.json"
            try Self.writeJSON(object, edited)
            for target in ["c.json", "x.svg"] { write(Array("earlier".utf8), dir + "/" + target) }
            let runs = try tcmscope(
                ["compare", reports[0], reports[1], edited, "--plot", dir + "/x.svg", "--out", dir + "/c.json"])
            surface.expectRefusal(runs, status: 2, [edited, "impossible report", mention], "runs, \(field)")
            let two = try tcmscope(["compare", reports[0], edited, "--out", dir + "/c.json"])
            surface.expectRefusal(two, status: 2, [edited, mention], "two reports, \(field)")
            #expect(contents(dir + "/c.json") == "earlier" && contents(dir + "/x.svg") == "earlier", "\(field)")
        }
        // A Recall@1 interval in a report without Recall@1.
        var object = original
        object["retrieval"] = nil
        try Self.writeJSON(object, dir + "/edited.json")
        let orphan = try tcmscope(["compare", reports[0], reports[1], dir + "/edited.json"])
        surface.expectRefusal(orphan, status: 2, ["recallAt1 interval, but the report has no Recall@1"], "orphan R@1")
    }

    /// The exact refusal of data where no class has two samples.
    static func undefinedOPIS(_ file: String, rows: Int, classes: Int) -> String {
        "tcmscope: error: \(file): no class has two samples (\(rows) rows in \(classes) classes): OPIS, ε-OPIS, TPR, EER and Recall@1 are undefined (no positive pair); give some class 2 or more rows\n"
    }

    /// Cause 9: with no class in OPIS (all labels distinct; 2 rows of 2 classes) every command
    /// that reports OPIS refuses, gate or not, before writing anything: analyze (report, JSON,
    /// counts, shard), compare (two models, many runs, count files), merge and the dashboard.
    @Test func dataWhereNoClassHasTwoSamplesAreRefusedEverywhere() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for n in [200, 2] {
            let (e, l) = (dir + "/e\(n).npy", dir + "/l\(n).npy")
            let values = (0 ..< n).flatMap { i -> [Float] in [cos(Float(i)), sin(Float(i)), 0.5] }
            write(NpyWriter.bytes(floats: values, shape: [n, 3]), e)
            write(NpyWriter.bytes(int64s: (0 ..< n).map(Int64.init), shape: [n]), l)
            let expected = Self.undefinedOPIS(l, rows: n, classes: n)
            let commands: [[String]] = [
                ["analyze", e, l],
                ["analyze", e, l, "--json", "--out", dir + "/r.json"],
                ["analyze", e, l, "--fail-above-opis", "0.5", "--out", dir + "/r.json"],
                ["analyze", e, l, "--no-retrieval", "--counts-out", dir + "/x.tcmc"],
                ["analyze", e, l, "--shard", "0/2", "--counts-out", dir + "/x.tcmc"],
                ["compare", e, e, l, "--out", dir + "/r.json"],
                ["compare", e, e, e, "--labels", l, "--plot", dir + "/x.svg"],
                ["dash", e, l],
            ]
            for command in commands {
                for target in ["r.json", "x.tcmc", "x.svg"] { write(Array("earlier".utf8), dir + "/" + target) }
                let run = try tcmscope(command)
                #expect(run.status == 2 && run.stderr == expected, "\(command): \(run.status) \(run.stderr)")
                #expect(run.stdout.isEmpty, "\(command): \(run.stdout)")
                for target in ["r.json", "x.tcmc", "x.svg"] {
                    #expect(contents(dir + "/" + target) == "earlier", "\(command) wrote \(target)")
                }
            }
        }
        // Count files of such data (written before this refusal): merge, compare and dash --counts.
        let counts = dir + "/ones.tcmc"
        write(
            HostileSurfaceTests.countFile(sizes: [1, 1, 1], positives: [[], [], []], negatives: [[2], [2], [2]]),
            counts)
        write(Array("earlier".utf8), dir + "/r.json")
        for command in [
            ["merge", counts, "--out", dir + "/r.json"], ["merge", counts, "--fail-above-opis", "1"],
            ["compare", counts, counts], ["dash", "--counts", counts],
        ] {
            let run = try tcmscope(command)
            #expect(
                run.status == 2 && run.stderr == Self.undefinedOPIS(counts, rows: 3, classes: 3),
                "\(command): \(run.status) \(run.stderr)")
        }
        #expect(contents(dir + "/r.json") == "earlier")
    }

    /// Cause 9, the rest of it: a report's undefined values are kept out of its JSON as numbers.
    /// A one-sample class has no positive pair, so no TPR, FRR or utility: left out of the JSON
    /// (as its OPIS term is), empty in the CSV, "-" in the text; the reader takes the report back.
    @Test func aOneSampleClassHasNoRatesInTheReport() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sizes = [4, 3, 1]
        var values: [Float] = [], labels: [Int64] = []
        for (c, size) in sizes.enumerated() {
            for i in 0 ..< size {
                values += [cos(Float(c) * 2 + 0.05 * Float(i)), sin(Float(c) * 2 + 0.05 * Float(i))]
            }
            labels += Array(repeating: Int64(c), count: size)
        }
        write(NpyWriter.bytes(floats: values, shape: [8, 2]), dir + "/e.npy")
        write(NpyWriter.bytes(int64s: labels, shape: [8]), dir + "/l.npy")
        let json = try tcmscope(["analyze", dir + "/e.npy", dir + "/l.npy", "--json", "--out", dir + "/a.json"])
        #expect(json.status == 0, "\(json.stderr)")
        let report = try #require(try Self.jsonObject(dir + "/a.json")["report"] as? [String: Any])
        let classes = try #require(report["classes"] as? [[String: Any]])
        for row in classes {
            let defined = (row["positivePairs"] as? Int ?? 0) > 0
            for key in ["tpr", "frr", "utility"] { #expect((row[key] != nil) == defined, "\(key) in \(row)") }
            #expect(row["far"] is Double)
        }
        // Its FRR at each TAR@FAR target is null, and compare leaves its FRR columns empty.
        let document = try Self.jsonObject(dir + "/a.json")
        for rates in try #require(document["classFRRAtFAR"] as? [[String: Any]]) {
            let frr = try #require(rates["frr"] as? [Any])
            #expect(frr.count == 3 && frr[2] is NSNull && frr[0] is Double, "\(frr)")
        }
        let compared = try tcmscope(["compare", dir + "/a.json", dir + "/a.json", "--csv"])
        #expect(compared.stdout.split(separator: "\n").contains("2,,,,,,"), "\(compared.stdout)")
        let csv = try tcmscope(["analyze", dir + "/e.npy", dir + "/l.npy", "--csv"])
        let one = try #require(csv.stdout.split(separator: "\n").first { $0.hasPrefix("2,1,0,") })
        #expect(one.split(separator: ",", omittingEmptySubsequences: false).count == 11 && one.hasPrefix("2,1,0,,,,,"))
        let text = try tcmscope(["analyze", dir + "/e.npy", dir + "/l.npy"])
        let row = try #require(text.stdout.split(separator: "\n").first { $0.hasSuffix("left out") })
        #expect(row.components(separatedBy: "  -   ").count == 5, "U@t, TPR, FRR and avg U: \(row)")
        // The reader takes the report back, and refuses a one-sample class with rates.
        #expect(try tcmscope(["compare", dir + "/a.json", dir + "/a.json"]).status == 0)
        var object = try Self.jsonObject(dir + "/a.json")
        var edited = report
        edited["classes"] = classes.map { row -> [String: Any] in
            var row = row
            if row["positivePairs"] as? Int == 0 {
                row["tpr"] = 0.5
                row["frr"] = 0.5
            }
            return row
        }
        object["report"] = edited
        try Self.writeJSON(object, dir + "/edited.json")
        let refused = try tcmscope(["compare", dir + "/a.json", dir + "/edited.json"])
        surface.expectRefusal(refused, status: 2, ["class '2' has no positive pair but a utility, tpr or frr"], "rates")
    }

    /// Cause 9, watched: a snapshot of such data is skipped with the same line (the watch goes on).
    @Test func aWatchedSnapshotWithNoClassInOPISIsSkipped() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let snaps = dir + "/snaps", out = dir + "/out"
        for path in [snaps, out] {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        let n = 20
        let values = (0 ..< n).flatMap { i -> [Float] in [cos(Float(i)), sin(Float(i)), 0.5] }
        write(
            StoredZip.bytes([
                .init(name: "embeddings.npy", content: NpyWriter.bytes(floats: values, shape: [n, 3])),
                .init(name: "labels.npy", content: NpyWriter.bytes(int64s: (0 ..< n).map(Int64.init), shape: [n])),
            ]), snaps + "/solo-100.npz")
        let run = try tcmscope(["analyze", "--watch", snaps, "--out-dir", out, "--once", "--settle-ms", "50"])
        let skipped = run.stderr.split(separator: "\n").filter { $0.hasPrefix("tcmscope: skipped: ") }
        let expected = Self.undefinedOPIS(snaps + "/solo-100.npz", rows: n, classes: n)
            .replacingOccurrences(of: "tcmscope: error: ", with: "tcmscope: skipped: ").dropLast()
        #expect(run.status == 2 && skipped == [expected], "\(run.status) \(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out + "/solo-100.json"))
    }

    /// Cause 9, the reader: a report of such data (as versions before this one wrote them, with
    /// OPIS 0 of 0 classes and an EER of 1) is refused by compare like the data themselves.
    @Test func aReportWithNoClassInOPISIsRefused() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (e, l) = smallEmbeddings(dir)
        #expect(try tcmscope(["analyze", e, l, "--out", dir + "/a.json"]).status == 0)
        var object = try Self.jsonObject(dir + "/a.json")
        var report = try #require(object["report"] as? [String: Any])
        let n = 3
        report["classes"] = (0 ..< n).map { c -> [String: Any] in
            [
                "name": "c\(c)", "size": 1, "inOPIS": false, "utility": 0.0, "tpr": 0.0, "far": 0.0, "frr": 1.0,
                "positivePairs": 0, "negativePairs": n - 1,
            ]
        }
        report["classesInOPIS"] = 0
        report["opis"] = 0.0
        report["epsilonOPIS"] = 0.0
        report["excludedClasses"] = (0 ..< n).map { "c\($0)" }
        var global = try #require(report["global"] as? [String: Any])
        global["positivePairs"] = 0
        global["negativePairs"] = n * (n - 1)
        global["eer"] = 1.0
        global["eerThreshold"] = -1.0
        report["global"] = global
        object["report"] = report
        object["input"] = [
            "embeddings": "e.npy", "labels": "l.npy", "samples": n, "dimension": 3, "classes": n,
            "droppedZeroVectorRows": [Int](),
        ]
        object["retrieval"] = nil
        object["classFRRAtFAR"] = nil
        try Self.writeJSON(object, dir + "/none.json")
        let run = try tcmscope(["compare", dir + "/a.json", dir + "/none.json"])
        #expect(
            run.status == 2 && run.stderr == Self.undefinedOPIS(dir + "/none.json", rows: n, classes: n),
            "\(run.status) \(run.stderr)")
    }

    /// `.npy` bytes of run `k` of `CompareRunsTests.runs`, and its labels as strings.
    static func npzRun(_ embeddings: String, labels: [String], rows: Int? = nil) throws -> [UInt8] {
        let bytes = try #require(FileManager.default.contents(atPath: embeddings))
        var values = Array(bytes.dropFirst(128)).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        let count = rows ?? labels.count
        values = Array(values.prefix(count * 6))
        return StoredZip.bytes([
            .init(name: "embeddings.npy", content: NpyWriter.bytes(floats: values, shape: [count, 6])),
            .init(name: "labels.npy", content: NpyWriter.bytes(strings: Array(labels.prefix(count)))),
        ])
    }

    /// Cause 8: three `.npz` runs are three runs (not A B LABELS); runs of embeddings must hold
    /// the same rows and labels; --plot refuses runs without Recall@1 rather than draw an empty
    /// figure; runs with intervals at other levels are refused.
    @Test func manyRunsAreTheSameRowsAndPlotOnlyWhatExists() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (embeddings, labelsFile) = try CompareRunsTests.runs(dir)
        let labels = try String(contentsOfFile: labelsFile, encoding: .utf8).split(separator: "\n").map(String.init)
        var npz: [String] = []
        for (k, e) in embeddings.enumerated() {
            npz.append(dir + "/run\(k).npz")
            write(try Self.npzRun(e, labels: labels), npz[k])
        }
        let three = try tcmscope(["compare"] + npz + ["--bootstrap", "100", "--json"])
        #expect(three.status == 0, "\(three.stderr)")
        let runs = try #require(
            (try JSONSerialization.jsonObject(with: Data(three.stdout.utf8)) as? [String: Any])?["runs"]
                as? [[String: Any]])
        #expect(runs.map { $0["name"] as? String } == ["run0", "run1", "run2"])
        // Labels files and 1-D arrays are still the LABELS of A B LABELS.
        let twoModels = try tcmscope(["compare", embeddings[0], embeddings[1], labelsFile, "--json"])
        #expect(twoModels.status == 0 && twoModels.stdout.contains("\"change\""), "\(twoModels.stderr)")

        // Runs of other rows or labels: one line naming the run, before its pass.
        var relabelled = labels
        relabelled[0] = relabelled[59]
        write(try Self.npzRun(embeddings[2], labels: relabelled), dir + "/relabelled.npz")
        write(try Self.npzRun(embeddings[2], labels: labels, rows: 59), dir + "/short.npz")
        let cases: [(String, String)] = [
            (dir + "/relabelled.npz", "has other classes than \(npz[0])"),
            (dir + "/short.npz", "holds 59 usable rows of 59, \(npz[0]) 60 of 60"),
        ]
        for (odd, mention) in cases {
            write(Array("earlier".utf8), dir + "/c.json")
            let run = try tcmscope(["compare", npz[0], npz[1], odd, "--bootstrap", "50", "--out", dir + "/c.json"])
            surface.expectRefusal(
                run, status: 2, [odd, mention, "compare needs the same rows and labels"], "odd run \(odd)")
            #expect(contents(dir + "/c.json") == "earlier")
        }

        // --plot of runs without Recall@1: refused, nothing written; the table alone is fine.
        var reports: [String] = []
        for (k, e) in embeddings.enumerated() {
            reports.append(dir + "/n\(k).json")
            #expect(try tcmscope(["analyze", e, labelsFile, "--no-retrieval", "--out", reports[k]]).status == 0)
        }
        for target in ["c.json", "x.svg"] { write(Array("earlier".utf8), dir + "/" + target) }
        let plot = try tcmscope(["compare"] + reports + ["--plot", dir + "/x.svg", "--out", dir + "/c.json"])
        surface.expectRefusal(
            plot, status: 2, [reports[0], "has no Recall@1", "--plot draws Recall@1 against OPIS"], "plot")
        #expect(contents(dir + "/c.json") == "earlier" && contents(dir + "/x.svg") == "earlier")
        let table = try tcmscope(["compare"] + reports)
        #expect(table.status == 0 && table.stdout.contains("run"), "\(table.stderr)")

        // Intervals at two levels would be tabled under the first one's.
        for (k, e) in embeddings.enumerated() {
            let level = k == 2 ? ["--ci-level", "0.9"] : []
            let run = try tcmscope(["analyze", e, labelsFile, "--bootstrap", "50", "--out", reports[k]] + level)
            #expect(run.status == 0, "\(run.stderr)")
        }
        let levels = try tcmscope(["compare"] + reports)
        surface.expectRefusal(levels, status: 2, [reports[2], "has 90% intervals, an earlier run 95%"], "levels")
    }

    /// A checkpoint header with `edit` applied to its configuration.
    static func checkpoint(_ source: String, editing edit: (inout [String: Any]) -> Void) throws -> [UInt8] {
        let bytes = try #require(FileManager.default.contents(atPath: source).map(Array.init))
        let length = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        var header = try #require(
            try JSONSerialization.jsonObject(with: Data(bytes[12 ..< 12 + length])) as? [String: Any])
        var config = try #require(header["config"] as? [String: Any])
        edit(&config)
        header["config"] = config
        let json = [UInt8](try JSONSerialization.data(withJSONObject: header))
        var out = Array(bytes[0 ..< 8])
        withUnsafeBytes(of: UInt32(json.count).littleEndian) { out += $0 }
        return out + json + bytes[(12 + length)...]
    }

    /// Cause 4: TCM margins of ±1e300 and weights of −1e30 resumed and trained at exit 0 (a TCM
    /// loss of −2.7e29, rewarding violations), a weight of 1e300 ended as "training diverged"
    /// (exit 3). Every value a flag sets is now held to that flag's range when a checkpoint is
    /// read: train --resume, apply and export refuse with the flag's own words, exit 2.
    @Test func checkpointValuesAreHeldToTheirFlagsRanges() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let baseline = packageRoot + "/sample-data/baseline/checkpoint.tcms"
        func tcm(_ positiveMargin: Double, _ negativeMargin: Double, _ weights: (Double, Double)) -> [String: Any] {
            [
                "positiveMargin": positiveMargin, "negativeMargin": negativeMargin, "positiveWeight": weights.0,
                "negativeWeight": weights.1,
            ]
        }
        let cases: [((inout [String: Any]) -> Void, String)] = [
            ({ $0["tcm"] = tcm(1e300, -1e300, (1, 1)) }, "--tcm-margins 1e+300 is out of range; allowed: [-1.0, 1.0]"),
            ({ $0["tcm"] = tcm(0.9, 0.5, (1, -1e30)) }, "--tcm-weights -1e+30 is out of range; allowed: [0.0, 1000.0]"),
            ({ $0["tcm"] = tcm(0.9, 0.5, (1e300, 1)) }, "--tcm-weights 1e+300 is out of range; allowed: [0.0, 1000.0]"),
            ({ $0["epochs"] = 20_000 }, "--epochs 20000 is out of range; allowed: [1, 10000]"),
        ]
        write(NpyWriter.bytes(floats: [Float](repeating: 0.5, count: 784 * 3), shape: [3, 784]), dir + "/x.npy")
        try FileManager.default.createDirectory(atPath: dir + "/run", withIntermediateDirectories: true)
        for (edit, mention) in cases {
            let crafted = dir + "/crafted.tcms"
            write(try Self.checkpoint(baseline, editing: edit), crafted)
            for target in ["run/metrics.json", "out.npy", "a.safetensors"] {
                write(Array("earlier".utf8), dir + "/" + target)
            }
            let expected = "tcmscope: error: \(crafted): checkpoint configuration: \(mention)\n"
            for command in [
                ["train", "--resume", crafted, "--out", dir + "/run", "--epochs", "3"],
                ["apply", "--checkpoint", crafted, dir + "/x.npy", "--out", dir + "/out.npy"],
                ["export", "--checkpoint", crafted, "--out", dir + "/a.safetensors"],
            ] {
                let run = try tcmscope(command)
                #expect(run.status == 2 && run.stderr == expected, "\(command): \(run.status) \(run.stderr)")
            }
            for target in ["run/metrics.json", "out.npy", "a.safetensors"] {
                #expect(contents(dir + "/" + target) == "earlier", "\(mention): \(target)")
            }
        }
        // The baseline itself is within every range.
        let fine = try tcmscope(["apply", "--checkpoint", baseline, dir + "/x.npy", "--out", dir + "/out.npy"])
        #expect(fine.status == 0, "\(fine.stderr)")
    }
}
