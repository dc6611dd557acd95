import ArgumentParser

/// The allowed values of one numeric flag: checked in `validate()` (a value outside gives one
/// line naming the flag, the value and the range, and exit status 64) and shown in the flag's
/// help, so that no flag can ask for an allocation or a loop the machine cannot finish.
/// Comparisons with NaN are false, so NaN is outside every bound; infinities are outside the
/// finite ones.
struct FlagBound<Value: Comparable & Sendable>: Sendable {
    let flag: String
    let low: Value
    let high: Value
    var lowExclusive = false
    var highExclusive = false

    /// "[2, 10000]", "(0, 0.5]"…
    var range: String { "\(lowExclusive ? "(" : "[")\(low), \(high)\(highExclusive ? ")" : "]")" }

    func contains(_ value: Value) -> Bool {
        (lowExclusive ? value > low : value >= low) && (highExclusive ? value < high : value <= high)
    }

    func check(_ value: Value) throws {
        guard contains(value) else { throw ValidationError("\(flag) \(value) is out of range; allowed: \(range)") }
    }

    func check(_ value: Value?) throws { if let value { try check(value) } }

    func check(_ values: [Value]) throws { for value in values { try check(value) } }

    /// `text` with the range appended, for the flag's help.
    func help(_ text: String, valueName: String? = nil) -> ArgumentHelp {
        ArgumentHelp("\(text) Range \(range).", valueName: valueName)
    }
}

/// Every numeric flag's bound, in one place.
enum Bounds {
    // Shared by analyze, project and bench.
    static let threads = FlagBound(flag: "--threads", low: 1, high: 256)

    // analyze (and the calibration options the dashboard shares).
    static let points = FlagBound(flag: "--points", low: 2, high: 4096)
    static let recallK = FlagBound(flag: "--k", low: 1, high: 10_000)
    /// How many --k values one run may ask for.
    static let recallKCount = FlagBound(flag: "--k (number of values)", low: 1, high: 64)
    static let beta = FlagBound(flag: "--beta", low: 0.0, high: 100, lowExclusive: true)
    static let epsilon = FlagBound(flag: "--epsilon", low: 0.0, high: 0.5, lowExclusive: true)
    static let threshold = FlagBound(flag: "--threshold", low: -1.0, high: 1)
    // OPIS and ε-OPIS average squared differences of utilities in [0, 1], so lie in [0, 1].
    static let failAboveOpis = FlagBound(flag: "--fail-above-opis", low: 0.0, high: 1)
    static let failAboveEpsilonOpis = FlagBound(flag: "--fail-above-epsilon-opis", low: 0.0, high: 1)

    /// Tasks of a sharded analysis (the count file format allows as many).
    static let shardCount = FlagBound(flag: "--shard-count", low: 1, high: 65_536)

    // project.
    static let maxSamples = FlagBound(flag: "--max-samples", low: 3, high: 100_000)
    static let perplexity = FlagBound(flag: "--perplexity", low: 1.0, high: 1000)
    static let iterations = FlagBound(flag: "--iterations", low: 1, high: 100_000)
    static let learningRate = FlagBound(flag: "--learning-rate", low: 0.0, high: 1e6, lowExclusive: true)
    static let trustworthinessK = FlagBound(flag: "--trustworthiness-k", low: 0, high: 1000)

    // train (and the dashboard's fine-tuning).
    static let epochs = FlagBound(flag: "--epochs", low: 1, high: 10_000)
    static let classesPerBatch = FlagBound(flag: "--classes-per-batch", low: 2, high: 1024)
    static let samplesPerClass = FlagBound(flag: "--samples-per-class", low: 2, high: 1024)
    /// Rows of a batch (--classes-per-batch × --samples-per-class): its similarity matrix is batch² doubles.
    static let batch = FlagBound(flag: "--classes-per-batch × --samples-per-class", low: 4, high: 8192)
    static let xbm = FlagBound(flag: "--xbm", low: 4, high: 65_536)
    /// Entries of the cross-batch similarity matrix (batch × memory doubles, 512 MB at most).
    static let xbmEntries = FlagBound(flag: "--xbm × batch", low: 0, high: 1 << 26)
    static let width = FlagBound(flag: "--widths", low: 1, high: 4096)
    static let layers = FlagBound(flag: "--widths (number of layers)", low: 1, high: 16)
    static let lr = FlagBound(flag: "--lr", low: Float(0), high: 10, lowExclusive: true)
    static let weightDecay = FlagBound(flag: "--weight-decay", low: Float(0), high: 1)
    static let evalEvery = FlagBound(flag: "--eval-every", low: 0, high: 1_000_000)
    static let evalFraction = FlagBound(flag: "--eval-fraction", low: 0.0, high: 1, lowExclusive: true, highExclusive: true)
    static let tcmMargin = FlagBound(flag: "--tcm-margins", low: -1.0, high: 1)
    static let tcmWeight = FlagBound(flag: "--tcm-weights", low: 0.0, high: 1000)

    // dash.
    static let evaluateEvery = FlagBound(flag: "--evaluate-every", low: 1, high: 1_000_000)

    // bench.
    static let benchSamples = FlagBound(flag: "--n", low: 10, high: 200_000)
    static let benchDimension = FlagBound(flag: "--d", low: 1, high: 4096)
    static let benchClasses = FlagBound(flag: "--classes", low: 2, high: 100_000)
    static let rangeChanges = FlagBound(flag: "--range-changes", low: 1, high: 10_000)
    static let repeats = FlagBound(flag: "--repeats", low: 1, high: 100)
    static let frames = FlagBound(flag: "--frames", low: 1, high: 100_000)
}
