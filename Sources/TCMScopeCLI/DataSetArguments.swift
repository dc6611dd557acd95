import ArgumentParser
import TCMData

/// EMBEDDINGS and LABELS with the input options, for the commands that read a data set with the
/// bundled baseline as the fallback (analyze, dash): the "LABELS or --label-column" check and
/// the fallback are written here once.
struct DataSetArguments: ParsableArguments {
    @Argument(help: "Embeddings file (N×D).")
    var embeddings: String?

    @Argument(
        help: """
            Labels file (N labels). Omit with --label-column, or when EMBEDDINGS (.npz/safetensors) holds them.
            """)
    var labels: String?

    @OptionGroup var input: InputOptions

    func validate() throws { try input.checkLabelSource(labelsFile: labels) }

    /// True when no files were given and the bundled baseline is used.
    var bundled: Bool { embeddings == nil }

    /// The files to read: the given ones, or the bundled baseline's.
    func paths() throws -> (embeddings: String, labels: String?) {
        guard let embeddings else {
            return (try SampleData.path(SampleData.baselineEmbeddings), try SampleData.path(SampleData.baselineLabels))
        }
        return (embeddings, labels)
    }

    /// Reads and checks the data set (see `Dataset.load`).
    func load() throws -> (dataset: Dataset, embeddingPath: String, labelPath: String?) {
        let (embeddingPath, labelPath) = try paths()
        let dataset = try Dataset.load(
            embeddings: embeddingPath, labels: labelPath, options: input.loaderOptions,
            dropZeroVectors: input.dropZeroVectors)
        return (dataset, embeddingPath, labelPath)
    }
}

extension InputOptions {
    /// The one "labels from a file or from a column, not both" check of every command that reads
    /// a data set; `labelsFile` is how the command names its labels file.
    func checkLabelSource(labelsFile: String?, named name: String = "a LABELS file") throws {
        if labelsFile != nil && labelColumn != nil {
            throw ValidationError("give either \(name) or --label-column, not both")
        }
    }
}
