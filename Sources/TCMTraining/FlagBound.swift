/// The allowed values of one numeric flag. The command line checks it in `validate()` (a value
/// outside gives one line naming the flag, the value and the range, and exit status 64; see
/// TCMScopeSupport) and shows it in the flag's help; a checkpoint's configuration is held to the
/// same bounds when it is read (`TrainingConfig.flagRangeProblem`), so a file can ask for nothing
/// the command line would refuse. It lives here, below the command line, for that second use.
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

    /// "--epochs 0 is out of range; allowed: [1, 10000]", or nil when `value` is allowed.
    public func problem(_ value: Value) -> String? {
        contains(value) ? nil : "\(flag) \(value) is out of range; allowed: \(range)"
    }

    /// The same bound under another spelling of the flag (an old name kept as an alias), so a
    /// refusal names the flag as the user typed it.
    public func named(_ other: String) -> FlagBound {
        FlagBound(flag: other, low: low, high: high, lowExclusive: lowExclusive, highExclusive: highExclusive)
    }
}
