/// Every numeric flag's bound, in one place (the benchmarks' are `BenchBounds`, in TCMBench).
enum Bounds {
    // Shared by analyze, project and bench.
    static let threads = SharedBounds.threads

    // analyze (and the calibration options the dashboard shares).
    static let points = FlagBound(flag: "--points", low: 2, high: 4096)
    static let recallK = FlagBound(flag: "--recall-k", low: 1, high: 10_000)
    /// How many --k values one run may ask for.
    static let recallKCount = FlagBound(flag: "--recall-k (number of values)", low: 1, high: 64)
    static let beta = FlagBound(flag: "--beta", low: 0.0, high: 100, lowExclusive: true)
    static let epsilon = FlagBound(flag: "--epsilon", low: 0.0, high: 0.5, lowExclusive: true)
    static let threshold = FlagBound(flag: "--threshold", low: -1.0, high: 1)
    // OPIS and ε-OPIS average squared differences of utilities in [0, 1], so lie in [0, 1].
    static let failAboveOpis = FlagBound(flag: "--fail-above-opis", low: 0.0, high: 1)
    static let failAboveEpsilonOpis = FlagBound(flag: "--fail-above-epsilon-opis", low: 0.0, high: 1)
    // analyze --bootstrap and compare's paired bootstrap.
    static let bootstrap = FlagBound(flag: "--bootstrap", low: 1, high: 100_000)
    static let ciLevel = FlagBound(flag: "--ci-level", low: 0.5, high: 0.999, lowExclusive: true)
    static let significance = FlagBound(flag: "--significance", low: 0.0, high: 0.5, lowExclusive: true)
    // compare
    static let failIfWorse = FlagBound(flag: "--fail-if-worse", low: 0.0, high: 1)
    static let commonFAR = FlagBound(flag: "--far", low: 0.0, high: 1, lowExclusive: true)

    // analyze --watch (and dash --watch).
    static let idleExit = FlagBound(flag: "--idle-exit", low: 0.0, high: 31_536_000, lowExclusive: true)
    static let settle = FlagBound(flag: "--settle-ms", low: 10, high: 600_000)

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
    static let learningRateTrain = FlagBound(flag: "--learning-rate", low: Float(0), high: 10, lowExclusive: true)
    static let weightDecay = FlagBound(flag: "--weight-decay", low: Float(0), high: 1)
    static let evalEvery = FlagBound(flag: "--eval-every", low: 0, high: 1_000_000)
    static let evalFraction = FlagBound(
        flag: "--eval-fraction", low: 0.0, high: 1, lowExclusive: true, highExclusive: true)
    static let tcmMargin = FlagBound(flag: "--tcm-margins", low: -1.0, high: 1)
    static let tcmWeight = FlagBound(flag: "--tcm-weights", low: 0.0, high: 1000)
    static let tcmAutoEvery = FlagBound(flag: "--tcm-auto-every", low: 1, high: 1_000_000)

    // apply.
    static let blockRows = FlagBound(flag: "--block-rows", low: 1, high: 65_536)

    // dash.
}
