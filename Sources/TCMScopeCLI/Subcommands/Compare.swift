import ArgumentParser
import Foundation
import TCMData
import TCMKernels
import TCMMetrics

/// `tcmscope compare`: two models' threshold consistency side by side, and a regression gate.
struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: """
            Compare two models: OPIS, ε-OPIS, R@1, MAP@R and each class's OPIS term and FRR at a common FAR.
            """,
        discussion: """
            Either A.emb B.emb LABELS (two embeddings files of the same rows, analysed with the same \
            options as analyze; or A.emb B.emb --label-column for CSV/TSV), or A.json B.json (two \
            `analyze --out` reports, refused if their settings differ). Changes are B − A: a \
            positive change in OPIS, an OPIS term or an FRR means B is worse. Classes are listed \
            worse first. FRR is each model's at its own threshold where the global FAR reaches --far. \
            With --bootstrap (1000 replicates by default when --fail-if-worse is given, embeddings \
            files only), a paired bootstrap over the classes both models share gives the interval of \
            Δ OPIS = B − A and a one-sided p-value for "B is worse"; the gate then trips only when \
            Δ > delta and p < --significance. Two JSON reports carry no per-class curves: there the \
            gate is Δ > delta alone. Three or more runs (analyze reports, or embeddings files of the \
            same rows with --labels) print a table of OPIS, ε-OPIS and R@1 with their bootstrap \
            intervals, and --plot draws R@1 against OPIS. Two count files (analyze --counts-out, \
            merge --counts-out) compare like their embeddings, paired test included, without a pair pass.
            """
    )

    @Argument(
        help: ArgumentHelp(
            """
            A B [LABELS]: two embeddings files and their labels, or two JSON reports.
            """, valueName: "files"))
    var files: [String] = []

    @OptionGroup var input: InputOptions
    @OptionGroup var analysis: AnalysisOptions

    @Option(
        help: Bounds.commonFAR.help(
            """
            Global FAR at which each model's per-class FRR is compared (with JSON reports: one of their TAR@FAR \
            targets).
            """,
            valueName: "far"))
    var far = 1e-2

    @Flag(help: "Print the comparison as JSON on stdout.")
    var json = false

    @Flag(help: "Print the per-class comparison as CSV on stdout.")
    var csv = false

    @Option(
        name: .customLong("out"), help: ArgumentHelp("Also write the JSON comparison to this file.", valueName: "file"))
    var output: String?

    @Option(
        help: Bounds.failIfWorse.help(
            """
            Exit with status 1 when B's OPIS exceeds A's by more than this and the paired bootstrap finds B worse \
            at --significance (a CI regression gate).
            """,
            valueName: "delta"))
    var failIfWorse: Double?

    @OptionGroup var bootstrapOptions: BootstrapOptions

    @Option(
        help: Bounds.significance.help(
            """
            α of the paired bootstrap test: --fail-if-worse trips only when its p-value is below it.
            """,
            valueName: "alpha"))
    var significance = 0.05

    @Option(help: Bounds.threads.help("Compute threads (default: all cores)."))
    var threads: Int?

    @Option(
        name: .customLong("labels"),
        help: ArgumentHelp(
            """
            Labels of every embeddings file of a many-run comparison (compare A B C … --labels L).
            """, valueName: "file")
    )
    var labelsForRuns: String?

    @Option(
        help: ArgumentHelp(
            """
            With three or more runs: write Recall@1 against OPIS, with intervals, as SVG.
            """, valueName: "file"))
    var plot: String?

    /// Replicates of the paired test: as given, else 1000 when a gate is asked for, else none.
    var pairedReplicates: Int? { bootstrapOptions.bootstrap ?? (failIfWorse != nil ? 1000 : nil) }

    func validate() throws {
        if json && csv { throw ValidationError("choose one of --json and --csv") }
        guard files.count >= 2 else {
            throw ValidationError(
                "compare takes A B [LABELS] (embeddings), A.json B.json (reports), or three or more runs, got \(files.count) file(s)"
            )
        }
        if comparesRuns {
            if failIfWorse != nil { throw ValidationError("--fail-if-worse compares two models: give A and B") }
            if csv {
                throw ValidationError("--csv is the per-class table of two models; many runs print a table or --json")
            }
            try input.checkLabelSource(labelsFile: labelsForRuns, named: "--labels")
            if files.allSatisfy(Self.isJSONReport) {
                // Reports carry their rows' figures and their own intervals: nothing to label or resample.
                let given = [
                    (labelsForRuns != nil, "--labels"), (bootstrapOptions.bootstrap != nil, "--bootstrap"),
                    (bootstrapOptions.seedOption != nil, "--seed"),
                    (bootstrapOptions.ciLevelOption != nil, "--ci-level"),
                ]
                if let flag = given.first(where: \.0)?.1 {
                    throw ValidationError(
                        "\(flag) does not apply to JSON reports, which carry their own figures and intervals (analyze --bootstrap B): drop it"
                    )
                }
            }
        } else {
            if plot != nil { throw ValidationError("--plot draws three or more runs") }
            try input.checkLabelSource(labelsFile: files.count == 3 ? files[2] : nil)
        }
        try Bounds.commonFAR.check(far)
        try Bounds.failIfWorse.check(failIfWorse)
        try Bounds.threads.check(threads)
        try Bounds.significance.check(significance)
        // Many runs from embeddings get intervals (1000 replicates unless --bootstrap says); two
        // models get the paired test with --fail-if-worse.
        try bootstrapOptions.check(bootstrapRuns: comparesRuns || failIfWorse != nil)
        try analysis.check()
    }

    func run() throws {
        try OutputTransaction.check([output, plot].compactMap { $0 })
        OutputTransaction.removeTemporariesOnSignals()
        if comparesRuns {
            let comparison = try compareRuns()
            let transaction = OutputTransaction()
            if let output { try transaction.stage(comparison.json(), to: output) }
            if let plot { try transaction.stage(comparison.svg(), to: plot) }
            try transaction.commit()
            print(json ? comparison.json() : comparison.text(), terminator: json ? "\n" : "")
            return
        }
        let reports = files.prefix(2).map(Self.isJSONReport)
        let document: ComparisonDocument
        let countFiles = files.prefix(2).map(Self.isCountFile)
        if countFiles.contains(true) {
            guard countFiles == [true, true], files.count == 2 else {
                throw DataError(
                    files[countFiles[0] ? min(1, files.count - 1) : 0],
                    "give two count files (each a merged or whole-pass count file of one model), or two embeddings files"
                )
            }
            document = try compareCounts(files[0], files[1])
        } else {
            document = try compareByKind(reports)
        }
        try finish(document)
    }

    func compareByKind(_ reports: [Bool]) throws -> ComparisonDocument {
        let document: ComparisonDocument
        switch (reports[0], reports[1]) {
        case (true, true):
            guard files.count == 2 else {
                throw DataError(files[2], "two JSON reports are compared without a labels file")
            }
            document = try compareReports(files[0], files[1])
        case (false, false):
            // Without LABELS the labels come from each file (.npz / safetensors holding both, a CSV
            // column); the loader names the file when it has none.
            document = try compareEmbeddings(files[0], files[1], labels: files.count == 3 ? files[2] : nil)
        case (true, false):
            throw DataError(
                files[1], "is not a JSON report but \(files[0]) is: give two reports or two embeddings files")
        case (false, true):
            throw DataError(
                files[1], "is a JSON report but \(files[0]) is not: give two reports or two embeddings files")
        }
        return document
    }

    /// Writes, prints and gates a two-model comparison.
    func finish(_ document: ComparisonDocument) throws {
        if let output {
            let transaction = OutputTransaction()
            try transaction.stage(document.json(), to: output)
            try transaction.commit()
        }
        if json {
            print(document.json())
        } else if csv {
            print(document.csv(), terminator: "")
        } else {
            print(document.text(), terminator: "")
        }
        guard let delta = failIfWorse, document.change.opis > delta else { return }
        let worse =
            "OPIS of B \(format(document.b.opis)) exceeds A's \(format(document.a.opis)) by \(format(document.change.opis))"
        guard let test = document.bootstrap else {
            throw GateFailure(message: "\(worse), more than --fail-if-worse \(format(delta))")
        }
        // The test is one-sided, so the gate prints the one-sided bound it inverts: above 0
        // exactly when p < α (`PairedBootstrap.oneSidedLowerBound`).
        let confidence = String(format: "%g", (1 - test.alpha) * 100)
        let bound =
            test.oneSidedLowerBound.map { format($0) }
            ?? "none (\(test.replicates) resamples are too few for α \(format(test.alpha)))"
        let evidence = "one-sided \(confidence)% lower bound of B − A \(bound), p = \(format(test.pValueWorse))"
        if test.pValueWorse < significance {  // with Δ > delta: `PairedBootstrap.trips`
            throw GateFailure(
                message:
                    "\(worse), more than --fail-if-worse \(format(delta)), and significantly: B − A > 0 at one-sided \(confidence)% (\(evidence) < α \(format(significance)), \(test.replicates) paired class resamples)"
            )
        }
        Terminal.printError(
            "tcmscope: \(worse), more than --fail-if-worse \(format(delta)), but not significantly: B − A > 0 is not shown at one-sided \(confidence)% (\(evidence) ≥ α \(format(significance))): the gate passes"
        )
    }

    /// An `analyze --out` report starts with `{`; no embeddings format does. Only the first
    /// bytes of a regular file are looked at, through the descriptor that was checked
    /// (`CheckedFile`); anything else is left to the loaders' messages.
    static func isJSONReport(_ path: String) -> Bool {
        guard let head = try? CheckedFile(path).prefix(64) else { return false }
        return head.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) } == UInt8(ascii: "{")
    }

    /// A count file (analyze --counts-out, merge --counts-out) starts with the TCMCOUNT magic.
    static func isCountFile(_ path: String) -> Bool {
        (try? CheckedFile(path).prefix(CountFile.magic.count)) == CountFile.magic
    }

    /// Two models' count files (each every shard of one analysis): the per-class histograms give
    /// the curves, so the paired bootstrap works as from embeddings, without a pair pass.
    func compareCounts(_ a: String, _ b: String) throws -> ComparisonDocument {
        let options = try analysis.options()
        func model(_ path: String) throws -> (ComparisonDocument.Model, ThresholdReport, [String]) {
            let merged = try MergedCounts.merge([CountFile(bytes: FileBytes.read(path), path: path)])
            try OPISCoverage.requireAClassWithTwoSamples(classSizes: merged.header.classSizes, file: path)
            let report = ThresholdAnalyzer(counts: merged.counts).report(options)
            let retrieval = merged.header.retrievalKs.flatMap { $0.contains(1) ? merged.retrieval(ks: [1]) : nil }
            return (
                .init(
                    source: path, report: report, retrieval: retrieval,
                    frrAtFAR: ClassFRRAtFAR(counts: merged.counts, targetFAR: far)), report, merged.header.classNames
            )
        }
        let (first, reportA, namesA) = try model(a), (second, reportB, namesB) = try model(b)
        guard namesA == namesB, first.report.classes.map(\.size) == second.report.classes.map(\.size) else {
            throw DataError(b, "counts other classes or rows than \(a): compare needs the same rows and labels")
        }
        return try document(first, second, reportA, reportB, file: b)
    }

    func compareEmbeddings(_ a: String, _ b: String, labels: String?) throws -> ComparisonDocument {
        let options = try analysis.options()
        func model(_ path: String, _ name: String) throws -> (ComparisonDocument.Model, ThresholdReport) {
            let run = try AnalysisRun.compute(
                embeddings: path, labels: labels, input: input, options: options, retrievalKs: [1],
                threads: threads, progressLabel: "model \(name): pair pass + retrieval")
            return (
                .init(
                    source: path, report: run.report, retrieval: run.retrieval,
                    frrAtFAR: ClassFRRAtFAR(counts: run.counts, targetFAR: far)), run.report
            )
        }
        let (first, reportA) = try model(a, "A"), (second, reportB) = try model(b, "B")
        guard first.report.classes.map(\.size) == second.report.classes.map(\.size) else {
            throw DataError(
                b,
                "holds \(second.report.classes.map(\.size).reduce(0, +)) usable rows, \(a) \(first.report.classes.map(\.size).reduce(0, +)): compare needs the same rows"
            )
        }
        // Labels read from each file (no LABELS given) must name the same classes.
        guard first.report.classes.map(\.name) == second.report.classes.map(\.name) else {
            throw DataError(b, "has other classes than \(a): compare needs the same rows and labels")
        }
        return try document(first, second, reportA, reportB, file: b)
    }

    /// The comparison of two models, with the paired test when one runs.
    func document(
        _ first: ComparisonDocument.Model, _ second: ComparisonDocument.Model, _ reportA: ThresholdReport,
        _ reportB: ThresholdReport, file b: String
    ) throws -> ComparisonDocument {
        var document = ComparisonDocument(a: first, b: second, commonFAR: far)
        if let replicates = pairedReplicates {
            document.bootstrap = try pairedTest(reportA, reportB, replicates: replicates, file: b)
            document.significance = significance
        }
        return document
    }

    /// The paired bootstrap of Δ OPIS over the classes in OPIS in both reports (matched by name).
    func pairedTest(_ a: ThresholdReport, _ b: ThresholdReport, replicates: Int, file: String) throws -> PairedBootstrap
    {
        var rowInB: [String: Int] = [:]
        for (row, c) in b.curveClasses.enumerated() { rowInB[b.classes[c].name] = row }
        var curvesA: [[Double]] = [], curvesB: [[Double]] = []
        for (row, c) in a.curveClasses.enumerated() {
            guard let other = rowInB[a.classes[c].name] else { continue }
            curvesA.append(a.curves[row])
            curvesB.append(b.curves[other])
        }
        guard !curvesA.isEmpty else {
            throw DataError(
                file, "shares no class with two samples with A, so the paired bootstrap has nothing to resample")
        }
        func weighted(_ r: ThresholdReport, _ curves: [[Double]]) -> WeightedOPIS {
            let t = r.settings.thresholds
            return WeightedOPIS(
                curves: curves,
                gridWeights: ThresholdGrid.trapezoidWeights(points: t.count, collapsed: t.first == t.last),
                epsilon: r.settings.epsilon, ranking: OPISOptions.Ranking(rawValue: r.settings.ranking) ?? .perThreshold
            )
        }
        return PairedBootstrap.compute(
            a: weighted(a, curvesA), b: weighted(b, curvesB), replicates: replicates,
            seed: bootstrapOptions.seed, level: bootstrapOptions.ciLevel, alpha: significance,
            threads: threads ?? defaultThreadCount)
    }

    func compareReports(_ a: String, _ b: String) throws -> ComparisonDocument {
        func load(_ path: String) throws -> AnalysisDocument { try Self.loadReport(path) }
        if bootstrapOptions.bootstrap != nil {
            throw DataError(
                b,
                "JSON reports carry no per-class utility curves, so the paired bootstrap (--bootstrap) needs the embeddings files: compare A B LABELS"
            )
        }
        let first = try load(a), second = try load(b)
        let differences = ComparisonDocument.settingDifferences(first.report.settings, second.report.settings)
        guard differences.isEmpty else {
            throw DataError(
                b,
                "analysed with other settings than \(a) (\(differences.joined(separator: "; "))): rerun analyze with the same options"
            )
        }
        func model(_ path: String, _ d: AnalysisDocument) throws -> ComparisonDocument.Model {
            var rates: ClassFRRAtFAR? = nil
            if let all = d.classFRRAtFAR {
                rates = all.first { abs($0.targetFAR - far) <= 1e-12 * far }
                guard let found = rates, found.frr.count == d.report.classes.count else {
                    if rates != nil { throw DataError(path, "per-class FRR does not match its classes") }
                    throw DataError(
                        path,
                        "has per-class FRR at FAR \(all.map { String(format: "%g", $0.targetFAR) }.joined(separator: ", ")) only, not --far \(String(format: "%g", far))"
                    )
                }
            }
            return .init(source: path, report: d.report, retrieval: d.retrieval, frrAtFAR: rates)
        }
        return ComparisonDocument(a: try model(a, first), b: try model(b, second), commonFAR: far)
    }
}
