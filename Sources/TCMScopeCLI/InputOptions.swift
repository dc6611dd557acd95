import ArgumentParser
import Foundation
import TCMData
import TCMKernels
import TCMMetrics

/// How to read the input files (analyze, project, train, dash).
struct InputOptions: ParsableArguments {
    @OptionGroup var files: FileOptions

    @Flag(help: "Drop all-zero embedding rows (reported) instead of failing on them.")
    var dropZeroVectors = false

    var labelColumn: String? { files.labelColumn }
    var loaderOptions: EmbeddingLoader.Options { files.loaderOptions }
}

/// How to read an embeddings file and find its arrays (every command that reads embeddings).
struct FileOptions: ParsableArguments {
    // Unconditional parsing: "-1" is a value here, not an option.
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            """
            CSV/TSV column holding the labels: header name or 0-based index (-1 = last).
            """, valueName: "column"))
    var labelColumn: String?

    @Flag(inversion: .prefixedNo, help: "Whether CSV/TSV files start with a header row (default: detect).")
    var header: Bool? = nil

    @Option(
        help: ArgumentHelp(
            """
            Array of a .npz/safetensors file holding the embeddings (default: embeddings, emb, features, x…, else \
            the only 2-D array).
            """,
            valueName: "name"))
    var embeddingsKey: String?

    @Option(
        help: ArgumentHelp(
            """
            Array holding the labels, in the LABELS file or else the embeddings file (default: labels, y, \
            targets…, else the only 1-D array).
            """,
            valueName: "name"))
    var labelsKey: String?

    var loaderOptions: EmbeddingLoader.Options {
        .init(labelColumn: labelColumn, hasHeader: header, embeddingsKey: embeddingsKey, labelsKey: labelsKey)
    }
}
