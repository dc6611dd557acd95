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

    /// The same bound under another spelling of the flag (an old name kept as an alias), so a
    /// refusal names the flag as the user typed it.
    public func named(_ other: String) -> FlagBound {
        FlagBound(flag: other, low: low, high: high, lowExclusive: lowExclusive, highExclusive: highExclusive)
    }

    /// `text` with the range appended, for the flag's help.
    public func help(_ text: String, valueName: String? = nil) -> ArgumentHelp {
        ArgumentHelp("\(text) Range \(range).", valueName: valueName)
    }
}

/// Bounds of the flags that more than one module's commands take.
public enum SharedBounds {
    public static let threads = FlagBound(flag: "--threads", low: 1, high: 256)
}
