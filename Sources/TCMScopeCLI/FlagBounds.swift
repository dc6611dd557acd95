import TCMTraining

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
    static let bootstrap = SharedBounds.bootstrap
    static let ciLevel = SharedBounds.ciLevel
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

    // train (and the dashboard's fine-tuning): in TCMTraining, which holds checkpoints to them too.
    static let epochs = TrainingBounds.epochs
    static let classesPerBatch = TrainingBounds.classesPerBatch
    static let samplesPerClass = TrainingBounds.samplesPerClass
    static let batch = TrainingBounds.batch
    static let xbm = TrainingBounds.xbm
    static let xbmEntries = TrainingBounds.xbmEntries
    static let width = TrainingBounds.width
    static let layers = TrainingBounds.layers
    static let learningRateTrain = TrainingBounds.learningRate
    static let weightDecay = TrainingBounds.weightDecay
    static let evalEvery = TrainingBounds.evalEvery
    static let evalFraction = FlagBound(
        flag: "--eval-fraction", low: 0.0, high: 1, lowExclusive: true, highExclusive: true)
    static let tcmMargin = TrainingBounds.tcmMargin
    static let tcmWeight = TrainingBounds.tcmWeight
    static let tcmAutoEvery = TrainingBounds.tcmAutoEvery

    // apply.
    static let blockRows = FlagBound(flag: "--block-rows", low: 1, high: 65_536)

    // dash.
}
