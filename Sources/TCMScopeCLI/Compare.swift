import ArgumentParser
import Foundation
import TCMData
import TCMMetrics

/// `tcmscope compare`: two models' threshold consistency side by side, and a regression gate.
struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare two models: OPIS, ε-OPIS, R@1, MAP@R and each class's OPIS term and FRR at a common FAR.",
        discussion: """
        Either A.emb B.emb LABELS (two embeddings files of the same rows, analysed with the same \
        options as analyze; or A.emb B.emb --label-column for CSV/TSV), or A.json B.json (two \
        `analyze --out` reports, refused if their settings differ). Changes are B − A: a \
        positive change in OPIS, an OPIS term or an FRR means B is worse. Classes are listed \
        worse first. FRR is each model's at its own threshold where the global FAR reaches --far.
        """
    )

    @Argument(help: ArgumentHelp("A B [LABELS]: two embeddings files and their labels, or two JSON reports.", valueName: "files"))
    var files: [String] = []

    @OptionGroup var input: InputOptions
    @OptionGroup var analysis: AnalysisOptions

    @Option(help: Bounds.commonFAR.help("Global FAR at which each model's per-class FRR is compared (with JSON reports: one of their TAR@FAR targets).", valueName: "far"))
    var far = 1e-2

    @Flag(help: "Print the comparison as JSON on stdout.")
    var json = false

    @Flag(help: "Print the per-class comparison as CSV on stdout.")
    var csv = false

    @Option(name: .customLong("out"), help: ArgumentHelp("Also write the JSON comparison to this file.", valueName: "file"))
    var output: String?

    @Option(help: Bounds.failIfWorse.help("Exit with status 1 when B's OPIS exceeds A's by more than this (a CI regression gate).", valueName: "delta"))
    var failIfWorse: Double?

    @Option(help: Bounds.threads.help("Compute threads (default: all cores)."))
    var threads: Int?

    func validate() throws {
        if json && csv { throw ValidationError("choose one of --json and --csv") }
        guard files.count == 2 || files.count == 3 else {
            throw ValidationError("compare takes A B LABELS (embeddings) or A.json B.json (reports), got \(files.count) file(s)")
        }
        try input.checkLabelSource(labelsFile: files.count == 3 ? files[2] : nil)
        try Bounds.commonFAR.check(far)
        try Bounds.failIfWorse.check(failIfWorse)
        try Bounds.threads.check(threads)
        try analysis.check()
    }

    func run() throws {
        try OutputTransaction.check([output].compactMap { $0 })
        OutputTransaction.removeTemporariesOnSignals()
        let reports = files.prefix(2).map(Self.isJSONReport)
        let document: ComparisonDocument
        switch (reports[0], reports[1]) {
        case (true, true):
            guard files.count == 2 else { throw DataError(files[2], "two JSON reports are compared without a labels file") }
            document = try compareReports(files[0], files[1])
        case (false, false):
            // Without LABELS the labels come from each file (.npz / safetensors holding both, a CSV
            // column); the loader names the file when it has none.
            document = try compareEmbeddings(files[0], files[1], labels: files.count == 3 ? files[2] : nil)
        case (true, false): throw DataError(files[1], "is not a JSON report but \(files[0]) is: give two reports or two embeddings files")
        case (false, true): throw DataError(files[1], "is a JSON report but \(files[0]) is not: give two reports or two embeddings files")
        }
        if let output {
            let transaction = OutputTransaction()
            try transaction.stage(document.json(), to: output)
            try transaction.commit()
        }
        if json { print(document.json()) } else if csv { print(document.csv(), terminator: "") } else { print(document.text(), terminator: "") }
        if let delta = failIfWorse, document.change.opis > delta {
            throw GateFailure(message: "OPIS of B \(format(document.b.opis)) exceeds A's \(format(document.a.opis)) by \(format(document.change.opis)), more than --fail-if-worse \(format(delta))")
        }
    }

    /// An `analyze --out` report starts with `{`; no embeddings format does. Only the first
    /// bytes of a regular file are looked at; anything else is left to the loaders' messages.
    static func isJSONReport(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return false }
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var head = [UInt8](repeating: 0, count: 64)
        let n = head.withUnsafeMutableBytes { read(fd, $0.baseAddress!, 64) }
        return head.prefix(max(0, n)).first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) } == UInt8(ascii: "{")
    }

    func compareEmbeddings(_ a: String, _ b: String, labels: String?) throws -> ComparisonDocument {
        let options = try analysis.options()
        func model(_ path: String, _ name: String) throws -> ComparisonDocument.Model {
            let run = try AnalysisRun.compute(embeddings: path, labels: labels, input: input, options: options, retrievalKs: [1],
                                              threads: threads, progressLabel: "model \(name): pair pass + retrieval")
            guard run.report.classesInOPIS > 0 || failIfWorse == nil else {
                throw DataError(labels ?? path, "no class has two samples, so OPIS measures nothing and the --fail-if-worse gate cannot be checked")
            }
            return .init(source: path, report: run.report, retrieval: run.retrieval, frrAtFAR: ClassFRRAtFAR(counts: run.counts, targetFAR: far))
        }
        let first = try model(a, "A"), second = try model(b, "B")
        guard first.report.classes.map(\.size) == second.report.classes.map(\.size) else {
            throw DataError(b, "holds \(second.report.classes.map(\.size).reduce(0, +)) usable rows, \(a) \(first.report.classes.map(\.size).reduce(0, +)): compare needs the same rows")
        }
        // Labels read from each file (no LABELS given) must name the same classes.
        guard first.report.classes.map(\.name) == second.report.classes.map(\.name) else {
            throw DataError(b, "has other classes than \(a): compare needs the same rows and labels")
        }
        return ComparisonDocument(a: first, b: second, commonFAR: far)
    }

    func compareReports(_ a: String, _ b: String) throws -> ComparisonDocument {
        func load(_ path: String) throws -> AnalysisDocument {
            let document: AnalysisDocument
            do { document = try JSONDecoder().decode(AnalysisDocument.self, from: Data(FileBytes.read(path))) } catch let error as DataError {
                throw error
            } catch {
                throw DataError(path, "is not an analyze --out JSON report")
            }
            try document.validate(file: path)
            return document
        }
        let first = try load(a), second = try load(b)
        let differences = ComparisonDocument.settingDifferences(first.report.settings, second.report.settings)
        guard differences.isEmpty else {
            throw DataError(b, "analysed with other settings than \(a) (\(differences.joined(separator: "; "))): rerun analyze with the same options")
        }
        func model(_ path: String, _ d: AnalysisDocument) throws -> ComparisonDocument.Model {
            guard failIfWorse == nil || d.report.classesInOPIS > 0 else {
                throw DataError(path, "no class has two samples, so OPIS measures nothing and the --fail-if-worse gate cannot be checked")
            }
            var rates: ClassFRRAtFAR? = nil
            if let all = d.classFRRAtFAR {
                rates = all.first { abs($0.targetFAR - far) <= 1e-12 * far }
                guard let found = rates, found.frr.count == d.report.classes.count else {
                    if rates != nil { throw DataError(path, "per-class FRR does not match its classes") }
                    throw DataError(path, "has per-class FRR at FAR \(all.map { String(format: "%g", $0.targetFAR) }.joined(separator: ", ")) only, not --far \(String(format: "%g", far))")
                }
            }
            return .init(source: path, report: d.report, retrieval: d.retrieval, frrAtFAR: rates)
        }
        return ComparisonDocument(a: try model(a, first), b: try model(b, second), commonFAR: far)
    }
}
