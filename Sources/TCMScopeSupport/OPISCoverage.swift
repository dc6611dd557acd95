import TCMData

/// OPIS averages over the classes with two or more samples (each needs a positive pair). Data in
/// which no class has two samples (all labels distinct, or N = 2 of 2 classes) leave OPIS,
/// ε-OPIS, the TPR, the EER and Recall@1 undefined: the pass would print `OPIS 0 (0 classes)` and
/// `EER 1 at t = −1`, numbers that mean nothing and pass any gate. Every command that reports
/// OPIS (analyze, compare, merge, the dashboard) refuses such data here, before any pass, and the
/// report reader refuses a report of it.
public enum OPISCoverage {
    /// Throws a `DataError(file, …)` when no class of `classSizes` has two samples.
    public static func requireAClassWithTwoSamples(classSizes: [Int], file: String) throws {
        guard !classSizes.contains(where: { $0 >= 2 }) else { return }
        let rows = classSizes.reduce(0, +)
        throw DataError(file, "\(problem) (\(rows) rows in \(classSizes.count) classes)\(remedy)")
    }

    static let problem = "no class has two samples"
    static let remedy =
        ": OPIS, ε-OPIS, TPR, EER and Recall@1 are undefined (no positive pair); give some class 2 or more rows"
}
