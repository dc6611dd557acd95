import ArgumentParser

/// The allowed values of one numeric flag: checked in `validate()` (a value outside gives one
/// line naming the flag, the value and the range, and exit status 64) and shown in the flag's
/// help, so that no flag can ask for an allocation or a loop the machine cannot finish.
/// Comparisons with NaN are false, so NaN is outside every bound; infinities are outside the
/// finite ones.
public struct FlagBound<Value: Comparable & Sendable>: Sendable {
    public let flag: String
    public let low: Value
    public let high: Value
    public var lowExclusive = false
    public var highExclusive = false

    public init(flag: String, low: Value, high: Value, lowExclusive: Bool = false, highExclusive: Bool = false) {
        self.flag = flag
        self.low = low
        self.high = high
        self.lowExclusive = lowExclusive
        self.highExclusive = highExclusive
    }

    /// "[2, 10000]", "(0, 0.5]"…
    public var range: String { "\(lowExclusive ? "(" : "[")\(low), \(high)\(highExclusive ? ")" : "]")" }

    public func contains(_ value: Value) -> Bool {
        (lowExclusive ? value > low : value >= low) && (highExclusive ? value < high : value <= high)
    }

    public func check(_ value: Value) throws {
        guard contains(value) else { throw ValidationError("\(flag) \(value) is out of range; allowed: \(range)") }
    }

    public func check(_ value: Value?) throws { if let value { try check(value) } }

    public func check(_ values: [Value]) throws { for value in values { try check(value) } }

    /// `text` with the range appended, for the flag's help.
    public func help(_ text: String, valueName: String? = nil) -> ArgumentHelp {
        ArgumentHelp("\(text) Range \(range).", valueName: valueName)
    }
}

/// Every numeric flag's bound, in one place.
public enum Bounds {
    // Shared by analyze, project and bench.
    public static let threads = FlagBound(flag: "--threads", low: 1, high: 256)

    // analyze (and the calibration options the dashboard shares).
    public static let points = FlagBound(flag: "--points", low: 2, high: 4096)
    public static let recallK = FlagBound(flag: "--k", low: 1, high: 10_000)
    /// How many --k values one run may ask for.
    public static let recallKCount = FlagBound(flag: "--k (number of values)", low: 1, high: 64)
    public static let beta = FlagBound(flag: "--beta", low: 0.0, high: 100, lowExclusive: true)
    public static let epsilon = FlagBound(flag: "--epsilon", low: 0.0, high: 0.5, lowExclusive: true)
    public static let threshold = FlagBound(flag: "--threshold", low: -1.0, high: 1)
    // OPIS and ε-OPIS average squared differences of utilities in [0, 1], so lie in [0, 1].
    public static let failAboveOpis = FlagBound(flag: "--fail-above-opis", low: 0.0, high: 1)
    public static let failAboveEpsilonOpis = FlagBound(flag: "--fail-above-epsilon-opis", low: 0.0, high: 1)

    // project.
    public static let maxSamples = FlagBound(flag: "--max-samples", low: 3, high: 100_000)
    public static let perplexity = FlagBound(flag: "--perplexity", low: 1.0, high: 1000)
    public static let iterations = FlagBound(flag: "--iterations", low: 1, high: 100_000)
    public static let learningRate = FlagBound(flag: "--learning-rate", low: 0.0, high: 1e6, lowExclusive: true)
    public static let trustworthinessK = FlagBound(flag: "--trustworthiness-k", low: 0, high: 1000)

    // train (and the dashboard's fine-tuning).
    public static let epochs = FlagBound(flag: "--epochs", low: 1, high: 10_000)
    public static let classesPerBatch = FlagBound(flag: "--classes-per-batch", low: 2, high: 1024)
    public static let samplesPerClass = FlagBound(flag: "--samples-per-class", low: 2, high: 1024)
    /// Rows of a batch (--classes-per-batch × --samples-per-class): its similarity matrix is batch² doubles.
    public static let batch = FlagBound(flag: "--classes-per-batch × --samples-per-class", low: 4, high: 8192)
    public static let xbm = FlagBound(flag: "--xbm", low: 4, high: 65_536)
    /// Entries of the cross-batch similarity matrix (batch × memory doubles, 512 MB at most).
    public static let xbmEntries = FlagBound(flag: "--xbm × batch", low: 0, high: 1 << 26)
    public static let width = FlagBound(flag: "--widths", low: 1, high: 4096)
    public static let layers = FlagBound(flag: "--widths (number of layers)", low: 1, high: 16)
    public static let lr = FlagBound(flag: "--lr", low: Float(0), high: 10, lowExclusive: true)
    public static let weightDecay = FlagBound(flag: "--weight-decay", low: Float(0), high: 1)
    public static let evalEvery = FlagBound(flag: "--eval-every", low: 0, high: 1_000_000)
    public static let evalFraction = FlagBound(flag: "--eval-fraction", low: 0.0, high: 1, lowExclusive: true, highExclusive: true)
    public static let tcmMargin = FlagBound(flag: "--tcm-margins", low: -1.0, high: 1)
    public static let tcmWeight = FlagBound(flag: "--tcm-weights", low: 0.0, high: 1000)

    // dash.
    public static let evaluateEvery = FlagBound(flag: "--evaluate-every", low: 1, high: 1_000_000)

    // bench.
    public static let benchSamples = FlagBound(flag: "--n", low: 10, high: 200_000)
    public static let benchDimension = FlagBound(flag: "--d", low: 1, high: 4096)
    public static let benchClasses = FlagBound(flag: "--classes", low: 2, high: 100_000)
    public static let rangeChanges = FlagBound(flag: "--range-changes", low: 1, high: 10_000)
    public static let repeats = FlagBound(flag: "--repeats", low: 1, high: 100)
    public static let frames = FlagBound(flag: "--frames", low: 1, high: 100_000)
}
