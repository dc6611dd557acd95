import ArgumentParser

// The bound itself lives in TCMTraining, which holds a checkpoint's configuration to the same
// bounds; here are its command-line uses. Re-exported so that every user of this module sees it.
@_exported import struct TCMTraining.FlagBound

extension FlagBound {
    /// Throws the `ValidationError` of a value outside the bound (exit status 64).
    public func check(_ value: Value) throws {
        if let problem = problem(value) { throw ValidationError(problem) }
    }

    public func check(_ value: Value?) throws { if let value { try check(value) } }

    public func check(_ values: [Value]) throws { for value in values { try check(value) } }

    /// `text` with the range appended, for the flag's help.
    public func help(_ text: String, valueName: String? = nil) -> ArgumentHelp {
        ArgumentHelp("\(text) Range \(range).", valueName: valueName)
    }
}

/// Bounds of the flags that more than one module's commands take, or that a file read back is
/// held to (a report's bootstrap section: `AnalysisDocument.validate`).
public enum SharedBounds {
    public static let threads = FlagBound(flag: "--threads", low: 1, high: 256)
    // analyze --bootstrap and compare's paired bootstrap.
    public static let bootstrap = FlagBound(flag: "--bootstrap", low: 1, high: 100_000)
    public static let ciLevel = FlagBound(flag: "--ci-level", low: 0.5, high: 0.999, lowExclusive: true)
}
