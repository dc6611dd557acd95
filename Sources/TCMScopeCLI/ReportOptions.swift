import ArgumentParser
import Foundation
import TCMData
import TCMFigures
import TCMMetrics

/// Where the report goes and the CI gates on it: shared by `analyze` and `merge`, which print
/// the same report from the same counts.
struct ReportOptions: ParsableArguments {
    @Flag(help: "Print the report as JSON on stdout.")
    var json = false

    @Flag(help: "Print the per-class table as CSV on stdout.")
    var csv = false

    @Option(
        name: .customLong("out"),
        help: ArgumentHelp(
            """
            Also write the JSON report to this file (with --curves, --plot: all or none).
            """, valueName: "file"))
    var outNew: String?

    // The spelling before the CLI's names were unified, kept as a hidden alias for one release.
    @Option(name: .customLong("output"), help: .hidden) var outputOldSpelling: String?

    /// The JSON report's file, by either spelling.
    var output: String? { outNew ?? outputOldSpelling }

    @Option(
        help: ArgumentHelp(
            """
            Write per-class curves on the grid (class, threshold, utility, TPR, FAR) as CSV.
            """, valueName: "file"))
    var curves: String?

    @Option(
        help: ArgumentHelp(
            """
            Write the per-class utility curves as an SVG figure (range shaded, operating threshold, worst classes \
            named).
            """,
            valueName: "file.svg"))
    var plot: String?

    @Option(
        help: Bounds.failAboveOpis.help("Exit with status 1 when OPIS is above this value (a CI gate).", valueName: "x")
    )
    var failAboveOpis: Double?

    @Option(
        help: Bounds.failAboveEpsilonOpis.help("Exit with status 1 when ε-OPIS is above this value.", valueName: "x"))
    var failAboveEpsilonOpis: Double?

    func check() throws {
        if json && csv { throw ValidationError("choose one of --json and --csv") }
        if outNew != nil && outputOldSpelling != nil {
            throw ValidationError("give --out once (--output is its old spelling)")
        }
        try Bounds.failAboveOpis.check(failAboveOpis)
        try Bounds.failAboveEpsilonOpis.check(failAboveEpsilonOpis)
    }

    /// Whether any option asks for a report (a shard has none to give).
    var asksForReport: Bool {
        json || csv || output != nil || curves != nil || plot != nil || failAboveOpis != nil
            || failAboveEpsilonOpis != nil
    }

    var targets: [String] { [output, curves, plot].compactMap { $0 } }

    /// Writes and prints the report, then applies the gates. `extra` are further files staged in
    /// the same transaction (--counts-out): all are written or none.
    /// - Parameter gateFile: the file blamed when the data leave OPIS undefined.
    /// - Parameter utility: the report's utility, for the `--plot` figure.
    func emit(
        _ document: AnalysisDocument, counts: PairCounts, utility: UtilitySpec, gateFile: String,
        extra: [(bytes: [UInt8], path: String)] = []
    ) throws {
        let report = document.report
        // Data where no class has two samples are refused before the pass (`OPISCoverage`); this
        // is the last guard before anything is written or a gate is read.
        try OPISCoverage.requireAClassWithTwoSamples(classSizes: report.classes.map(\.size), file: gateFile)
        // Every file or none: a failure writing one leaves the others as they were.
        let transaction = OutputTransaction()
        if let output { try transaction.stage(document.json(), to: output) }
        if let curves { try transaction.stage(ReportFormat.curvesCSV(report, counts: counts), to: curves) }
        if let plot {
            try transaction.stage(
                CurvesFigure.svg(CurvesFigureData(report: report, counts: counts, spec: utility)), to: plot)
        }
        for file in extra { try transaction.stage(file.bytes, to: file.path) }
        try transaction.commit()
        if json {
            print(document.json())
        } else if csv {
            print(ReportFormat.classCSV(report), terminator: "")
        } else {
            print(ReportFormat.text(document), terminator: "")
        }

        if let limit = failAboveOpis, report.opis > limit {
            throw GateFailure(message: "OPIS \(format(report.opis)) is above --fail-above-opis \(format(limit))")
        }
        if let limit = failAboveEpsilonOpis, report.epsilonOPIS > limit {
            throw GateFailure(
                message: "ε-OPIS \(format(report.epsilonOPIS)) is above --fail-above-epsilon-opis \(format(limit))")
        }
    }
}
