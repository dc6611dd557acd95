import ArgumentParser
import Foundation
import TCMData
import TCMKernels
import TCMTraining

/// `tcmscope apply`: a trained checkpoint's model run on new embeddings, written as .npy.
struct Apply: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: """
            Run a trained checkpoint's model (adapter) on embeddings and write the adapted embeddings.
            """,
        discussion: """
            Reads EMB like analyze does (.npy, .npz, safetensors, CSV/TSV, IDX), runs the checkpoint's \
            MLP on it in blocks of rows (the same Linear/ReLU layers and L2 normalisation as in \
            training) and writes N × OUT float32 to --out, atomically. Labels are not read.
            """
    )

    @Option(help: ArgumentHelp("Checkpoint written by train or the dashboard (checkpoint.tcms).", valueName: "file"))
    var checkpoint: String

    @Argument(help: "Embeddings file (N × D, D the checkpoint's input width).")
    var embeddings: String

    @OptionGroup var files: FileOptions

    @Option(help: ArgumentHelp("Output .npy file.", valueName: "file"))
    var out = "adapted.npy"

    @Option(help: Bounds.blockRows.help("Rows run through the model at a time."))
    var blockRows = 4096

    func validate() throws {
        guard out.lowercased().hasSuffix(".npy") else { throw ValidationError("--out must end in .npy") }
        try Bounds.blockRows.check(blockRows)
        if files.labelsKey != nil { throw ValidationError("apply reads no labels, so --labels-key does not apply") }
    }

    func run() throws {
        try OutputTransaction.check([out])
        OutputTransaction.removeTemporariesOnSignals()
        let state = try Checkpoint.read(checkpoint)
        var options = files.loaderOptions
        options.labelsFromSameFile = false
        let (input, _) = try EmbeddingLoader.load(embeddings, options: options)
        let adapted = try AdapterApply.npyBytes(
            model: state.model, input: input, file: embeddings, checkpoint: checkpoint, blockRows: blockRows)
        try AtomicFile.write(adapted, to: out)
        let widths = state.model.widths
        print(
            "wrote \(out): \(input.rows) × \(widths.last!) float32 (\(AdapterExport.architecture(state.model)) + L2 normalisation, from \(input.rows) × \(widths[0]))"
        )
    }
}

/// The model over a whole matrix, block by block, straight into `.npy` bytes.
enum AdapterApply {
    static func npyBytes(model: MLP, input: Matrix, file: String, checkpoint: String, blockRows: Int) throws -> [UInt8]
    {
        let widths = model.widths
        guard input.cols == widths[0] else {
            throw DataError(
                file, "has \(input.cols)-D rows, but the checkpoint \(checkpoint) takes \(widths[0])-D inputs")
        }
        let bad = (0 ..< input.rows).filter { r in
            !(0 ..< input.cols).allSatisfy { input.values[r * input.cols + $0].isFinite }
        }
        guard bad.isEmpty else {
            throw DataError(
                file,
                "NaN or infinite values in rows \(bad.prefix(8).map(String.init).joined(separator: ", "))\(bad.count > 8 ? ", … (\(bad.count) rows in all)" : "") (0-based)"
            )
        }
        let outWidth = widths.last!
        var bytes = NpyWriter.float32Header(shape: [input.rows, outWidth])
        let headerSize = bytes.count
        bytes += [UInt8](repeating: 0, count: 4 * input.rows * outWidth)
        var start = 0
        while start < input.rows {
            let rows = min(blockRows, input.rows - start)
            let block = Matrix(
                rows: rows, cols: input.cols,
                values: Array(input.values[start * input.cols ..< (start + rows) * input.cols]))
            let trace = model.forward(block)
            let embedded = trace.embeddings.values
            // A model can overflow on finite inputs: an infinite norm normalises a row to zeros,
            // an infinite value to NaN. Garbage rows are never written with exit 0.
            let badRow =
                trace.norms.firstIndex { !$0.isFinite } ?? embedded.firstIndex { !$0.isFinite }.map { $0 / outWidth }
            if let badRow {
                throw DataError(
                    checkpoint,
                    "the model gives non-finite values for row \(start + badRow) of \(file) (0-based); nothing was written"
                )
            }
            bytes.withUnsafeMutableBytes { raw in
                embedded.withUnsafeBytes { src in
                    // Float32 is little-endian on every platform Swift runs on here (x86-64, arm64).
                    (raw.baseAddress! + headerSize + 4 * start * outWidth).copyMemory(
                        from: src.baseAddress!, byteCount: src.count)
                }
            }
            start += rows
        }
        return bytes
    }
}
