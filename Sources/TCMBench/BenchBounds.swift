import TCMScopeSupport

/// The bounds of `bench`'s numeric flags (the commands' are `Bounds`, in TCMScopeCLI).
enum BenchBounds {
    static let threads = SharedBounds.threads
    static let benchSamples = FlagBound(flag: "--samples", low: 10, high: 200_000)
    static let benchDimension = FlagBound(flag: "--dimension", low: 1, high: 4096)
    static let benchClasses = FlagBound(flag: "--classes", low: 2, high: 100_000)
    static let rangeChanges = FlagBound(flag: "--range-changes", low: 1, high: 10_000)
    static let repeats = FlagBound(flag: "--repeats", low: 1, high: 100)
    static let frames = FlagBound(flag: "--frames", low: 1, high: 100_000)
    static let bootstrap = FlagBound(flag: "--bootstrap", low: 1, high: 100_000)
}
