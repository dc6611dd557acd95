import ArgumentParser
import Foundation
import TCMDashboard
import TCMDashboardApp
import TCMData
import TCMTerminal
import TCMTraining

/// `tcmscope dash` (the default): the interactive dashboard.
struct Dash: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open the dashboard: live utility curves, calibration range, metrics, projection and TCM fine-tuning.",
        discussion: """
        With no files it opens on the bundled baseline (MNIST test-set embeddings of a small \
        contrastive model) and fine-tunes from the bundled checkpoint. With EMB and LABELS it \
        opens on your embeddings and fine-tunes an adapter on them. Press ? inside for the keys.
        """
    )

    @Argument(help: "Embeddings file (N×D).") var embeddings: String?
    @Argument(help: "Labels file.") var labels: String?
    @OptionGroup var input: InputOptions
    @Flag(help: "Draw with block characters instead of Braille (for fonts without Braille).") var blocks = false
    @Option(help: "Base loss for fine-tuning (t); l in the Fine-tuning pane picks another.")
    var loss: TrainingConfig.LossSpec.Kind = .contrastive
    @Option(help: Bounds.epochs.help("Fine-tuning epochs.")) var epochs = 3
    @Option(help: Bounds.evaluateEvery.help("Steps between evaluations during fine-tuning (each refreshes curves, metrics and projection)."))
    var evaluateEvery = 100
    @Option(help: "Directory for s (save).") var saveDirectory = "tcmscope-saved"

    func validate() throws {
        try Bounds.epochs.check(epochs)
        try Bounds.evaluateEvery.check(evaluateEvery)
        if labels != nil && input.labelColumn != nil { throw ValidationError("give either a LABELS file or --label-column, not both") }
    }

    func run() throws {
        let bundled = embeddings == nil
        let embeddingPath = try embeddings ?? SampleData.path(SampleData.baselineEmbeddings)
        let labelPath: String? = bundled ? try SampleData.path(SampleData.baselineLabels) : labels
        let dataset = try Dataset.load(embeddings: embeddingPath, labels: labelPath, options: input.loaderOptions,
                                       dropZeroVectors: input.dropZeroVectors)
        // Refuse before starting curses, so the message lands on a normal screen.
        let terminal: NcursesTerminal
        do { terminal = try NcursesTerminal() } catch let e as TerminalUnavailable {
            throw DataError("terminal", e.description)
        }
        defer { terminal.close() }
        // q while loading returns here; the deferred close restores the terminal.
        guard let analysis = DashboardApp.load(dataset, path: embeddingPath, on: terminal) else { return }
        let app = DashboardApp(dataset: dataset, analysis: analysis, title: (embeddingPath as NSString).lastPathComponent, bundled: bundled,
                               loss: loss, epochs: epochs, saveDirectory: saveDirectory, evaluateEvery: evaluateEvery)
        if blocks { app.state.canvasMode = .blocks }
        app.run(terminal)
    }
}
