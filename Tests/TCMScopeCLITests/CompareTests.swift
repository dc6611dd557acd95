import Foundation
import Testing
import TCMData

/// `tcmscope compare`: every number checked against two `analyze` runs of the same files.
@Suite struct CompareTests {
    /// Two models of the same 60 rows (4 classes × 15, 6-D): B moves class "c2" towards the others.
    static func twoModels(_ dir: String) -> (a: String, b: String, labels: String) {
        var a: [Float] = [], b: [Float] = [], labels: [String] = []
        var seed: UInt64 = 12345
        func noise() -> Float {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: seed >> 11) % 1000) / 4000
        }
        for c in 0 ..< 4 {
            for _ in 0 ..< 15 {
                var row = [Float](repeating: 0, count: 6)
                row[c] = 1
                let jitter = (0 ..< 6).map { _ in noise() }
                a += zip(row, jitter).map { $0 + $1 }
                // Class 2 blurred towards class 3 in B; the others as in A with a little more noise.
                var rowB = zip(row, jitter).map { $0 + 0.5 * $1 }
                if c == 2 { rowB[3] += 0.8 + noise() }
                b += rowB
                labels.append("c\(c)")
            }
        }
        write(NpyWriter.bytes(floats: a, shape: [60, 6]), dir + "/a.npy")
        write(NpyWriter.bytes(floats: b, shape: [60, 6]), dir + "/b.npy")
        write(Array(labels.joined(separator: "\n").utf8), dir + "/labels.txt")
        return (dir + "/a.npy", dir + "/b.npy", dir + "/labels.txt")
    }

    static func object(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// The number after "lower bound of B − A " in the gate's message.
    static func lowerBound(_ message: String) -> Double? {
        guard let r = message.range(of: "lower bound of B − A ") else { return nil }
        return Double(message[r.upperBound...].prefix { !$0.isWhitespace && $0 != "," })
    }

    static func classes(_ report: [String: Any]) throws -> [String: [String: Any]] {
        let rows = try #require((report["report"] as? [String: Any])?["classes"] as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: rows.map { ($0["name"] as! String, $0) })
    }

    @Test func changesMatchTwoIndependentAnalyzeRuns() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (a, b, l) = Self.twoModels(dir)
        let runA = try tcmscope(["analyze", a, l, "--json", "--k", "1"]),
            runB = try tcmscope(["analyze", b, l, "--json", "--k", "1"])
        #expect(runA.status == 0 && runB.status == 0, "\(runA.stderr) \(runB.stderr)")
        let ra = try Self.object(runA.stdout), rb = try Self.object(runB.stdout)
        let compare = try tcmscope(["compare", a, b, l, "--json"])
        #expect(compare.status == 0, "\(compare.stderr)")
        let c = try Self.object(compare.stdout)
        func number(_ o: [String: Any], _ path: String...) -> Double? {
            var x: Any? = o
            for key in path { x = (x as? [String: Any])?[key] }
            return x as? Double
        }
        let opisA = try #require(number(ra, "report", "opis")), opisB = try #require(number(rb, "report", "opis"))
        #expect(number(c, "a", "opis") == opisA && number(c, "b", "opis") == opisB)
        #expect(abs(try #require(number(c, "change", "opis")) - (opisB - opisA)) < 1e-15)
        let epsA = try #require(number(ra, "report", "epsilonOPIS")),
            epsB = try #require(number(rb, "report", "epsilonOPIS"))
        #expect(abs(try #require(number(c, "change", "epsilonOPIS")) - (epsB - epsA)) < 1e-15)
        let mapA = try #require(number(ra, "retrieval", "mapAtR")),
            mapB = try #require(number(rb, "retrieval", "mapAtR"))
        #expect(abs(try #require(number(c, "change", "mapAtR")) - (mapB - mapA)) < 1e-15)
        let r1 = ((rb["retrieval"] as? [String: Any])?["recallAtK"] as? [[String: Any]])?.first?["recall"] as? Double
        #expect(number(c, "b", "recallAt1") == r1)

        // Per class: the OPIS term from each analyze, FRR from analyze at the threshold where the
        // global FAR reaches 0.01 (its TAR@FAR row), rerun with that operating threshold.
        func frr(_ file: String, _ report: [String: Any]) throws -> [String: Double] {
            let tars = try #require(
                (report["report"] as? [String: Any]).flatMap {
                    ($0["global"] as? [String: Any])?["tarAtFAR"] as? [[String: Any]]
                })
            let t = try #require(tars.first { ($0["targetFAR"] as? Double) == 0.01 }?["threshold"] as? Double)
            let rerun = try Self.object(
                try tcmscope(["analyze", file, l, "--json", "--no-retrieval", "--threshold", "\(t)"]).stdout)
            return try Self.classes(rerun).mapValues { $0["frr"] as! Double }
        }
        let frrA = try frr(a, ra), frrB = try frr(b, rb)
        let termsA = try Self.classes(ra).mapValues { $0["opisTerm"] as! Double },
            termsB = try Self.classes(rb).mapValues { $0["opisTerm"] as! Double }
        let rows = try #require(c["classes"] as? [[String: Any]])
        #expect(rows.count == 4)
        for row in rows {
            let name = row["name"] as! String
            #expect(abs((row["opisTermChange"] as! Double) - (termsB[name]! - termsA[name]!)) < 1e-15, "\(name)")
            #expect(
                abs((row["frrA"] as! Double) - frrA[name]!) < 1e-12
                    && abs((row["frrB"] as! Double) - frrB[name]!) < 1e-12, "\(name)")
            #expect(abs((row["frrChange"] as! Double) - (frrB[name]! - frrA[name]!)) < 1e-12, "\(name)")
        }
        // Worse first: the changes descend, and the blurred class leads.
        let changes = rows.map { $0["opisTermChange"] as! Double }
        #expect(changes == changes.sorted(by: >))
        #expect(rows.first?["name"] as? String == "c2")
    }

    @Test func twoJSONReportsGiveTheSameComparisonAsTheEmbeddings() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (a, b, l) = Self.twoModels(dir)
        #expect(try tcmscope(["analyze", a, l, "--output", dir + "/a.json"]).status == 0)
        #expect(try tcmscope(["analyze", b, l, "--output", dir + "/b.json"]).status == 0)
        let fromFiles = try Self.object(try tcmscope(["compare", a, b, l, "--json"]).stdout)
        let fromReports = try Self.object(try tcmscope(["compare", dir + "/a.json", dir + "/b.json", "--json"]).stdout)
        #expect(fromFiles["change"] as? [String: Double] == fromReports["change"] as? [String: Double])
        #expect(
            (fromFiles["classes"] as? [[String: Any]])?.map { $0["frrChange"] as? Double }
                == (fromReports["classes"] as? [[String: Any]])?.map { $0["frrChange"] as? Double })
        // CSV: RFC 4180 rows, one per class, the same order.
        let csv = parseCSV(try tcmscope(["compare", dir + "/a.json", dir + "/b.json", "--csv"]).stdout)
        #expect(
            csv.first == ["class", "opis_term_a", "opis_term_b", "opis_term_change", "frr_a", "frr_b", "frr_change"])
        #expect(
            csv.dropFirst().map { $0[0] } == (fromReports["classes"] as? [[String: Any]])?.map { $0["name"] as! String }
        )
    }

    @Test func theGateAndTheRefusals() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (a, b, l) = Self.twoModels(dir)
        let change = try #require(
            (try Self.object(try tcmscope(["compare", a, b, l, "--json"]).stdout)["change"] as? [String: Any])?["opis"]
                as? Double)
        #expect(change > 0)
        // The gate runs a paired bootstrap (1000 replicates): with 4 classes a worse B is not
        // significant at α = 0.05, so the gate passes and says why; at α = 0.5 it trips.
        let notSignificant = try tcmscope(["compare", a, b, l, "--fail-if-worse", "\(change / 2)"])
        #expect(
            notSignificant.status == 0 && notSignificant.stderr.contains("but not significantly")
                && notSignificant.stdout.contains("one-sided p (B worse) = "), "\(notSignificant.stderr)")
        let tripped = try tcmscope([
            "compare", a, b, l, "--fail-if-worse", "\(change / 2)", "--significance", "0.5", "--out", dir + "/c.json",
        ])
        #expect(
            tripped.status == 1 && tripped.stderr.hasPrefix("tcmscope: OPIS of B")
                && tripped.stderr.contains("more than --fail-if-worse")
                && tripped.stderr.contains("and significantly: B − A > 0 at one-sided 50% (one-sided 50% lower bound"),
            "\(tripped.stderr)")
        // The gate's words agree with the bound it prints: above 0 when it trips, not when it passes.
        #expect(try #require(Self.lowerBound(tripped.stderr)) > 0, "\(tripped.stderr)")
        #expect(
            notSignificant.stderr.contains("but not significantly: B − A > 0 is not shown at one-sided 95%")
                && !notSignificant.stderr.contains("CI"), "\(notSignificant.stderr)")
        #expect(try #require(Self.lowerBound(notSignificant.stderr)) <= 0, "\(notSignificant.stderr)")
        let saved = try Self.object(
            String(decoding: FileManager.default.contents(atPath: dir + "/c.json") ?? Data(), as: UTF8.self))
        let test = try #require(saved["bootstrap"] as? [String: Any])
        #expect(
            test["replicates"] as? Int == 1000 && test["sharedClasses"] as? Int == 4
                && saved["significance"] as? Double == 0.5)
        // Same seed, same p-value; a model against itself never trips.
        let again = try tcmscope([
            "compare", a, b, l, "--fail-if-worse", "\(change / 2)", "--significance", "0.5", "--json",
        ])
        #expect(
            (try Self.object(again.stdout)["bootstrap"] as? [String: Any])?["pValueWorse"] as? Double == test[
                "pValueWorse"] as? Double)
        #expect(try tcmscope(["compare", a, a, l, "--fail-if-worse", "0", "--significance", "0.5"]).status == 0)
        #expect(try tcmscope(["compare", a, b, l, "--significance", "0"]).status == 64)
        #expect(try tcmscope(["compare", a, b, l, "--bootstrap", "0"]).status == 64)
        #expect(try tcmscope(["compare", a, b, l, "--ci-level", "0.5"]).status == 64)
        #expect(
            tripped.stdout.contains("TCMScope comparison") && FileManager.default.fileExists(atPath: dir + "/c.json"))
        #expect(try tcmscope(["compare", a, b, l, "--fail-if-worse", "\(change * 2)"]).status == 0)
        #expect(try tcmscope(["compare", b, a, l, "--fail-if-worse", "0"]).status == 0)  // B better: no trip

        // Reports with different settings: one line, exit 2.
        #expect(try tcmscope(["analyze", a, l, "--output", dir + "/a.json"]).status == 0)
        #expect(try tcmscope(["analyze", b, l, "--points", "51", "--output", dir + "/b51.json"]).status == 0)
        let differ = try tcmscope(["compare", dir + "/a.json", dir + "/b51.json"])
        #expect(
            differ.status == 2
                && differ.stderr
                    == "tcmscope: error: \(dir)/b51.json: analysed with other settings than \(dir)/a.json (points 101 vs 51): rerun analyze with the same options\n"
        )
        // Reports carry no per-class curves: the paired bootstrap needs the embeddings files.
        #expect(try tcmscope(["analyze", b, l, "--output", dir + "/b.json"]).status == 0)
        let noCurves = try tcmscope(["compare", dir + "/a.json", dir + "/b.json", "--bootstrap", "100"])
        #expect(
            noCurves.status == 2 && noCurves.stderr.contains("no per-class utility curves")
                && noCurves.stderr.contains("compare A B LABELS"), "\(noCurves.stderr)")
        // --fail-if-worse alone on reports keeps the plain rule (Δ > delta trips).
        #expect(
            try tcmscope(["compare", dir + "/a.json", dir + "/b.json", "--fail-if-worse", "\(change / 2)"]).status == 1)
        // A report and an embeddings file; a FAR the reports do not hold; wrong file counts; bad gate value.
        #expect(try tcmscope(["compare", dir + "/a.json", b, l]).status == 2)
        let far = try tcmscope(["compare", dir + "/a.json", dir + "/a.json", "--far", "0.05"])
        #expect(
            far.status == 2
                && far.stderr.contains("has per-class FRR at FAR 0.1, 0.01, 0.001, 0.0001 only, not --far 0.05"))
        #expect(try tcmscope(["compare", a]).status == 64)
        #expect(try tcmscope(["compare", a, b, l, "--fail-if-worse", "nan"]).status == 64)
        #expect(try tcmscope(["compare", a, b, l, "--fail-if-worse", "-1"]).status == 64)
        // Different rows: refused.
        write(NpyWriter.bytes(floats: [Float](repeating: 0.5, count: 30 * 6), shape: [30, 6]), dir + "/short.npy")
        #expect(try tcmscope(["compare", a, dir + "/short.npy", l]).status == 2)
    }

    /// Without LABELS each file brings its own labels (a CSV column here, as an .npz would): the
    /// comparison equals the one with a shared labels file, and files naming other classes are
    /// refused in one line, exit 2.
    @Test func labelsFromEachFileMustNameTheSameClasses() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (a, b, l) = Self.twoModels(dir)
        let names = try String(contentsOfFile: l, encoding: .utf8).split(separator: "\n").map(String.init)
        func csv(_ npy: String, _ out: String, rename: (String) -> String) throws {
            let (m, _) = try EmbeddingLoader.load(npy)
            var text = (0 ..< m.cols).map { "x\($0)" }.joined(separator: ",") + ",label\n"
            for r in 0 ..< m.rows {
                text += (0 ..< m.cols).map { "\(m.values[r * m.cols + $0])" }.joined(separator: ",")
                text += "," + rename(names[r]) + "\n"
            }
            write(Array(text.utf8), out)
        }
        try csv(a, dir + "/a.csv") { $0 }
        try csv(b, dir + "/b.csv") { $0 }
        try csv(b, dir + "/other.csv") { "d" + $0.dropFirst() }

        let shared = try Self.object(try tcmscope(["compare", a, b, l, "--json"]).stdout)
        let own = try tcmscope(["compare", dir + "/a.csv", dir + "/b.csv", "--label-column", "label", "--json"])
        #expect(own.status == 0, "\(own.stderr)")
        let ownChange = try #require((try Self.object(own.stdout)["change"] as? [String: Any])?["opis"] as? Double)
        let sharedChange = try #require((shared["change"] as? [String: Any])?["opis"] as? Double)
        #expect(abs(ownChange - sharedChange) <= 1e-12 * max(1, abs(sharedChange)))

        let other = try tcmscope(["compare", dir + "/a.csv", dir + "/other.csv", "--label-column", "label"])
        #expect(
            other.status == 2
                && other.stderr
                    == "tcmscope: error: \(dir)/other.csv: has other classes than \(dir)/a.csv: compare needs the same rows and labels\n",
            "\(other.stderr)")
    }
}
