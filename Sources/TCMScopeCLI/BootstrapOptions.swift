import ArgumentParser
import Foundation
import TCMKernels
import TCMMetrics
import TCMScopeSupport

/// The class-level bootstrap's options, shared by `analyze` (intervals) and `compare` (the paired
/// test of --fail-if-worse).
struct BootstrapOptions: ParsableArguments {
    @Option(
        help: Bounds.bootstrap.help(
            """
            Bootstrap replicates: resample the classes with replacement this many times for intervals (OPIS \
            studentised, the rest percentile, ε-OPIS none under \(EpsilonOPISInterval.minimumClasses) classes) in \
            analyze, and with --watch each snapshot's (analyze, dash); or for the paired test (compare).
            """,
            valueName: "B"))
    var bootstrap: Int?

    @Option(
        name: .customLong("seed"),
        help: ArgumentHelp(
            """
            Seed of the bootstrap's class draws (the same seed gives the same intervals; default: 1).
            """,
            valueName: "seed"))
    var seedOption: UInt64?

    @Option(
        name: .customLong("ci-level"),
        help: Bounds.ciLevel.help("Confidence level of the bootstrap intervals (default: 0.95).", valueName: "level"))
    var ciLevelOption: Double?

    var seed: UInt64 { seedOption ?? 1 }
    var ciLevel: Double { ciLevelOption ?? 0.95 }
    /// Each watched snapshot's bootstrap (`--watch … --bootstrap B`); nil without --bootstrap.
    var intervalSettings: IntervalSettings? {
        bootstrap.map { IntervalSettings(replicates: $0, seed: seed, level: ciLevel) }
    }

    /// `bootstrapRuns`: whether a bootstrap runs without --bootstrap (compare's gate, many runs
    /// from embeddings); where none runs, --seed and --ci-level would be accepted and ignored.
    func check(bootstrapRuns: Bool = false) throws {
        try Bounds.bootstrap.check(bootstrap)
        try Bounds.ciLevel.check(ciLevelOption)
        if bootstrap == nil && !bootstrapRuns {
            if let flag = [(seedOption != nil, "--seed"), (ciLevelOption != nil, "--ci-level")].first(where: \.0)?.1 {
                throw ValidationError("\(flag) applies to the bootstrap: add --bootstrap B, or drop \(flag)")
            }
        }
    }
}

extension BootstrapSummary {
    /// Intervals of a report's figures, timed.
    static func compute(
        report: ThresholdReport, counts: PairCounts, retrieval: RetrievalReport?, options: BootstrapOptions,
        replicates: Int, threads: Int?
    ) -> BootstrapSummary {
        compute(
            report: report, counts: counts, retrieval: retrieval, replicates: replicates, seed: options.seed,
            level: options.ciLevel, threads: threads ?? defaultThreadCount,
            clock: { Date().timeIntervalSinceReferenceDate })
    }
}
