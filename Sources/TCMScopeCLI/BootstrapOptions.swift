import ArgumentParser
import Foundation
import TCMKernels
import TCMMetrics

/// The class-level bootstrap's options, shared by `analyze` (intervals) and `compare` (the paired
/// test of --fail-if-worse).
struct BootstrapOptions: ParsableArguments {
    @Option(
        help: Bounds.bootstrap.help(
            "Bootstrap replicates: resample the classes with replacement this many times for percentile intervals (analyze) or the paired test (compare).",
            valueName: "B"))
    var bootstrap: Int?

    @Option(help: "Seed of the bootstrap's class draws (the same seed gives the same intervals).")
    var seed: UInt64 = 1

    @Option(help: Bounds.ciLevel.help("Confidence level of the bootstrap intervals.", valueName: "level"))
    var ciLevel = 0.95

    func check() throws {
        try Bounds.bootstrap.check(bootstrap)
        try Bounds.ciLevel.check(ciLevel)
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
