import TCMMetrics

/// The bootstrap section of a report read back (`analyze --bootstrap`, then `compare RUN…`) is
/// checked as the rest of the report is: before issue 31, intervals like [−5, 1e300], low above
/// high, a level of 7 with −3 replicates or R@1 [2.5, −1] were tabled and plotted at exit 0, and
/// ±1.7e308 put `y="-nan"` into the SVG.
///
/// The checks are driven by the fields themselves, so that a field added to `BootstrapSummary`
/// is held to them without a change here: every `ConfidenceInterval` it holds (found by
/// reflection) is an interval of a rate or of OPIS, so lies in [0, 1], low ≤ high, at the
/// section's level, from at most its replicates; every other number is finite and no count is
/// negative (and no count of replicates above their number). The named fields then get their own ranges: the level and replicates those of
/// `--ci-level` and `--bootstrap`, the classes those of the report.
extension BootstrapSummary {
    func validate(report: ThresholdReport, retrieval: RetrievalReport?, refuse: (String) -> Error) throws {
        if let problem = SharedBounds.ciLevel.problem(level) { throw refuse("bootstrap level: \(problem)") }
        if let problem = SharedBounds.bootstrap.problem(replicates) {
            throw refuse("bootstrap replicates: \(problem)")
        }
        guard classes == report.classesInOPIS else {
            throw refuse("bootstrap resampled \(classes) classes, the report has \(report.classesInOPIS) in OPIS")
        }
        guard !method.isEmpty && method.count <= 1000 else {
            throw refuse("bootstrap method is empty or longer than 1000 characters")
        }
        for (name, value) in Self.fields(of: self) {
            switch value {
            case let interval as ConfidenceInterval:
                try check(interval, "bootstrap \(name)", refuse: refuse)
            case let number as Double:
                guard number.isFinite && number >= 0 else {
                    throw refuse("bootstrap \(name) \(number) is not a finite number ≥ 0")
                }
            case let count as Int:
                guard count >= 0 else { throw refuse("bootstrap \(name) \(count) is negative") }
            default: break  // strings and the seed: any value is possible
            }
        }
        // Recall@1 is resampled only when the report has it.
        if recallAt1 != nil && retrieval?.recallAtK.contains(where: { $0.k == 1 }) != true {
            throw refuse("bootstrap has a recallAt1 interval, but the report has no Recall@1")
        }
    }

    /// An interval of a rate or of OPIS (both in [0, 1]) at this section's level.
    private func check(_ interval: ConfidenceInterval, _ name: String, refuse: (String) -> Error) throws {
        let (low, high) = (interval.low, interval.high)
        func inUnitRange(_ x: Double) -> Bool { x.isFinite && x >= -1e-9 && x <= 1 + 1e-9 }
        guard inUnitRange(low) && inUnitRange(high) else {
            throw refuse("\(name) interval [\(low), \(high)] is not within [0, 1]")
        }
        guard low <= high else { throw refuse("\(name) interval [\(low), \(high)] has its low end above its high end") }
        guard interval.level == level else {
            throw refuse("\(name) interval is at level \(interval.level), the bootstrap at \(level)")
        }
        guard interval.replicates >= 1 && interval.replicates <= replicates else {
            throw refuse("\(name) interval is from \(interval.replicates) replicates, not 1 to \(replicates)")
        }
    }

    /// Every stored property with its name; optionals unwrapped (a nil one is left out).
    private static func fields(of summary: BootstrapSummary) -> [(String, Any)] {
        Mirror(reflecting: summary).children.compactMap { child in
            guard let name = child.label else { return nil }
            let value = child.value
            let optional = Mirror(reflecting: value)
            guard optional.displayStyle == .optional else { return (name, value) }
            return optional.children.first.map { (name, $0.value) }
        }
    }
}
