import ArgumentParser
import Foundation
import TCMDashboard
import TCMDashboardApp
import TCMData
import TCMMetrics
import TCMTerminal
import TCMTraining

/// `tcmscope dash` (the default): the interactive dashboard.
struct Dash: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            """
            Open the dashboard: live utility curves, calibration range, metrics, projection and TCM fine-tuning.
            """,
        discussion: """
            With no files it opens on the bundled baseline (MNIST test-set embeddings of a small \
            contrastive model) and fine-tunes from the bundled checkpoint. With EMB and LABELS it \
            opens on your embeddings and fine-tunes an adapter on them. With --counts it opens on the \
            count files of a sharded analysis (analyze --shard, merge --counts-out) without analysing: \
            curves, range, metrics and the class table; give EMB and LABELS too (the files the counts \
            were made from) for the projection and fine-tuning. A fine-tunes twice from the same start, \
            without and with TCM, side by side. Press ? inside for the keys.
            """
    )

    @OptionGroup var data: DataSetArguments
    @Option(
        help: ArgumentHelp(
            """
            Open on a count file instead of analysing: a merged one, or every part of one run (repeat --counts).
            """,
            valueName: "file"))
    var counts: [String] = []
    @OptionGroup(title: "Watching a training run") var watching: DashWatchOptions
    @Flag(
        help: """
            Draw with block characters instead of Braille (for fonts without Braille).
            """) var blocks = false
    @OptionGroup(title: "Fine-tuning (shared with train)") var fineTuning: FineTuningOptions
    var loss: TrainingConfig.LossSpec.Kind { fineTuning.loss }
    var distance: PairDistance { fineTuning.distance }
    var tcmMargins: TCMMarginsArgument? { fineTuning.tcmMargins }
    var evaluateEvery: Int { fineTuning.evalEvery ?? 100 }
    @Option(help: Bounds.epochs.help("Fine-tuning epochs.")) var epochs = 3
    @Option(name: .customLong("out"), help: ArgumentHelp("Directory for s (save).", valueName: "dir"))
    var saveDirectory = "tcmscope-saved"
    // The spellings before the CLI's names were unified, kept as hidden aliases for one release.
    @Option(name: .customLong("evaluate-every"), help: .hidden) var evaluateEveryOldSpelling: Int?
    @Option(name: .customLong("save-directory"), help: .hidden) var saveDirectoryOldSpelling: String?

    mutating func validate() throws {
        try watching.check(hasFiles: !data.bundled, hasCounts: !counts.isEmpty)
        try Bounds.epochs.check(epochs)
        if let old = evaluateEveryOldSpelling {
            try Bounds.evalEvery.named("--evaluate-every").check(old)
            fineTuning.evalEvery = old
        }
        if let old = saveDirectoryOldSpelling { saveDirectory = old }
        try fineTuning.check()
    }

    func run() throws {
        if !watching.watch.isEmpty { return try DashWatch.run(watching, blocks: blocks, saveDirectory: saveDirectory) }
        if !counts.isEmpty { return try runOnCounts() }
        let bundled = data.bundled
        let (dataset, embeddingPath, labelPath) = try data.load()
        try Self.requireMemory(dataset, file: embeddingPath)
        // Refuse before starting curses, so the message lands on a normal screen: data that leave
        // OPIS undefined would reach the loading screen and then show OPIS 0.
        try OPISCoverage.requireAClassWithTwoSamples(
            classSizes: dataset.labels.classSizes, file: labelPath ?? embeddingPath)
        let terminal: NcursesTerminal
        do { terminal = try NcursesTerminal() } catch let e as TerminalUnavailable {
            throw DataError("terminal", e.description)
        }
        defer { terminal.close() }
        // q while loading returns here; the deferred close restores the terminal.
        guard let analysis = DashboardApp.load(dataset, path: embeddingPath, on: terminal) else { return }
        let app = DashboardApp(
            dataset: dataset, analysis: analysis, title: (embeddingPath as NSString).lastPathComponent,
            bundled: bundled,
            loss: loss, distance: distance, epochs: epochs, saveDirectory: saveDirectory, evaluateEvery: evaluateEvery)
        if blocks { app.send(.canvasMode(.blocks)) }
        app.tcm = tcmMargins?.regularizer(weights: NumberPair(argument: "1:1")!, every: TCMAutoMargins().every)
        app.run(terminal)
    }

    /// The first analysis holds the rows as read, the pass's copies (`ClassLayout.passBytes`)
    /// and a normalised copy for PCA: refused in one line, before the terminal is taken, when
    /// the machine cannot give that (`MemoryBudget`).
    static func requireMemory(_ dataset: Dataset, file: String) throws {
        let rows = dataset.count, cols = dataset.dimension
        let copy = MemoryBudget.product(rows, cols, 4)
        try MemoryBudget.current().check(
            bytes: MemoryBudget.sum(ClassLayout.passBytes(rows: rows, cols: cols), copy, copy),
            needs:
                "the dashboard's first analysis of \(rows) × \(cols) float32 rows (the rows, class-ordered, packed and normalised for PCA)",
            file: file, advice: "use a machine with more memory, or analyze (which holds two copies)")
    }

    /// `--counts`: the first analysis read from count files; the rows, when given, must be the
    /// ones the counts were made from (the count file's fingerprint).
    func runOnCounts() throws {
        let (analysis, header) = try InitialAnalysis.fromCounts(counts)
        var dataset: Dataset?
        var title = "\((counts[0] as NSString).lastPathComponent) (\(header.samples) × \(header.dimension), counts)"
        if !data.bundled {
            let loaded = try data.load()
            let fingerprint = loaded.dataset.fingerprint
            guard fingerprint.labels == header.labelsHash && fingerprint.embeddings == header.embeddingsHash else {
                throw DataError(
                    counts[0],
                    "was not made from \(loaded.embeddingPath) and its labels (the data set's fingerprint differs): give the files it was analysed from, or analyse these"
                )
            }
            dataset = loaded.dataset
            title = (loaded.embeddingPath as NSString).lastPathComponent
        }
        let terminal: NcursesTerminal
        do { terminal = try NcursesTerminal() } catch let e as TerminalUnavailable {
            throw DataError("terminal", e.description)
        }
        defer { terminal.close() }
        let app = DashboardApp(
            dataset: dataset, analysis: analysis, title: title, bundled: false, loss: loss, distance: distance,
            epochs: epochs, saveDirectory: saveDirectory, evaluateEvery: evaluateEvery)
        if blocks { app.send(.canvasMode(.blocks)) }
        app.tcm = tcmMargins?.regularizer(weights: NumberPair(argument: "1:1")!, every: TCMAutoMargins().every)
        app.run(terminal)
    }
}
