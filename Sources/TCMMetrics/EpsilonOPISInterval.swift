/// Where ε-OPIS gets an interval. ε-OPIS is a gap between the means of the m most extreme
/// classes, and with few classes per group no resampling scheme measured holds its level:
/// on data generated from embeddings (Benchmarks/interval_coverage.py, docs/definitions.md) the
/// 95 % percentile interval covered the population value in 0.50 of data sets at 40 classes and
/// 0.86 at 100, an m-out-of-n bootstrap (half or a quarter of the classes a replicate) in 0.49 and
/// 0.77, the reflected ("basic") interval in 0.56 and 0.79. Through the whole `analyze --bootstrap`
/// pipeline (Benchmarks/interval_coverage.py --tcmscope, 300 data sets a cell) the percentile
/// interval covered 0.907 ± 0.017 at 400 classes, short of the 0.93 target beyond its error, and
/// 0.927 ± 0.015 at 1,000, at the target within its error. So below `minimumClasses` the report
/// gives no interval and says why; from there on, the percentile interval, measured at its level.
public enum EpsilonOPISInterval {
    /// Fewest classes in OPIS for an interval.
    public static let minimumClasses = 1_000

    public static func hasInterval(classes: Int) -> Bool { classes >= minimumClasses }

    /// Why there is no interval, in one short phrase.
    public static func withheld(classes: Int) -> String {
        "no interval under \(minimumClasses) classes: too few per group to hold its level"
    }
}
