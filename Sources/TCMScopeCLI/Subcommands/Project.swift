import ArgumentParser
import Foundation
import TCMData
import TCMFigures
import TCMKernels
import TCMProjection

/// `tcmscope project`: a 2-D layout of embeddings (PCA or t-SNE), written to .npy or CSV.
struct Project: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: """
            Project embeddings to 2-D with PCA or Barnes–Hut t-SNE (cosine geometry).
            """,
        discussion: """
            Embeddings are L2-normalised first, so neighbourhoods are cosine neighbourhoods. Above \
            --max-samples the input is subsampled, stratified by class and seeded; the command says so \
            and writes which rows it kept. Output: .npy (N×2 float32, plus FILE.indices.npy when \
            subsampled) or .csv (index,label,x,y).
            """
    )

    @Argument(help: "Embeddings file (N×D).") var embeddings: String
    @Argument(help: "Labels file (N labels). Omit with --label-column.") var labels: String?
    @OptionGroup var input: InputOptions

    @Option(help: "Projection method.") var method: Method = .tsne
    @Option(
        help: ArgumentHelp("Output file: .npy or .csv (with FILE.indices.npy: both or neither).", valueName: "file"))
    var out: String
    @Option(help: ArgumentHelp("Also draw the layout as an SVG scatter plot coloured by class.", valueName: "file.svg"))
    var plot: String?
    @Option(help: Bounds.maxSamples.help("Subsample (stratified by class) above this many samples.")) var maxSamples =
        10_000
    @Option(help: "Seed of the subsample.") var seed: UInt64 = 1
    @Option(help: Bounds.perplexity.help("t-SNE perplexity.")) var perplexity = 30.0
    @Option(help: Bounds.iterations.help("t-SNE iterations.")) var iterations = 1000
    @Option(help: Bounds.learningRate.help("t-SNE learning rate (default: auto = max(N/48, 50)).")) var learningRate:
        Double?
    @Option(
        help: ArgumentHelp(
            """
            Start t-SNE from this layout (.npy N×2) instead of PCA, without early exaggeration.
            """, valueName: "file"))
    var warmStart: String?
    @Option(help: Bounds.trustworthinessK.help("Also report trustworthiness (k nearest) of the layout; 0 skips it."))
    var trustworthinessK = 10
    @Option(help: Bounds.threads.help("Compute threads (default: all cores).")) var threads: Int?

    enum Method: String, ExpressibleByArgument, CaseIterable { case pca, tsne }

    func validate() throws {
        let lower = out.lowercased()
        guard lower.hasSuffix(".npy") || lower.hasSuffix(".csv") else {
            throw ValidationError("--out must end in .npy or .csv")
        }
        try Bounds.maxSamples.check(maxSamples)
        try Bounds.perplexity.check(perplexity)
        try Bounds.iterations.check(iterations)
        try Bounds.learningRate.check(learningRate)
        try Bounds.trustworthinessK.check(trustworthinessK)
        try Bounds.threads.check(threads)
        try input.checkLabelSource(labelsFile: labels)
    }

    /// The files this run writes: the layout, and beside a .npy the rows kept when subsampling.
    var targets: [String] {
        (out.lowercased().hasSuffix(".csv") ? [out] : [out, indicesFile]) + [plot].compactMap { $0 }
    }
    var indicesFile: String { String(out.dropLast(4)) + ".indices.npy" }

    func run() throws {
        // Refuse a target that is a device, a directory or a FIFO before any work.
        try OutputTransaction.check(targets)
        OutputTransaction.removeTemporariesOnSignals()
        let dataset = try Dataset.load(
            embeddings: embeddings, labels: labels, options: input.loaderOptions,
            dropZeroVectors: input.dropZeroVectors)
        let kept = StratifiedSample.indices(labels: dataset.labels, limit: maxSamples, seed: seed)
        if kept.count < dataset.count {
            Terminal.printError(
                "tcmscope: projecting \(kept.count) of \(dataset.count) samples (stratified by class, seed \(seed)); kept rows are in the output"
            )
        }
        guard kept.count >= 3 else {
            throw DataError(embeddings, "t-SNE and PCA need at least 3 samples, got \(kept.count)")
        }
        let unit = RowNorms.normalized(dataset.embeddings.gatherRows(kept))
        let started = Date()
        let layout: [Float]
        switch method {
        case .pca:
            layout = PCA(fitting: unit, components: 2).transform(unit).values
        case .tsne:
            var options = TSNEOptions()
            options.perplexity = perplexity
            options.iterations = iterations
            options.learningRate = learningRate
            if let threads { options.threads = threads }
            var initial: [Float]? = nil
            if let warmStart {
                let array = try NpyArray(bytes: FileBytes.read(warmStart), file: warmStart)
                guard array.shape == [kept.count, 2] else {
                    throw DataError(
                        warmStart, "warm-start layout has shape \(array.shape), expected [\(kept.count), 2]")
                }
                initial = array.doubles().map(Float.init)
                options.earlyExaggerationIterations = 0
            }
            let bar = ProgressBar("t-SNE")
            let callback = bar.callback
            layout = try ProjectionError.naming(input: embeddings, warmStart: warmStart) {
                try TSNE.run(unitRows: unit, options: options, initial: initial) { snapshot in
                    callback?(Double(snapshot.iteration) / Double(snapshot.totalIterations))
                }!
            }
            bar.finish()
        }
        let seconds = Date().timeIntervalSince(started)
        let figure = plot.map { _ in
            ProjectionFigure.svg(
                layout: layout, classOf: kept.map { Int(dataset.labels.classOf[$0]) },
                classNames: dataset.labels.classNames,
                title:
                    "\(method == .pca ? "PCA" : "t-SNE") of \(kept.count) samples (\(dataset.dimension)-D, cosine), \(URL(fileURLWithPath: embeddings).lastPathComponent)"
            )
        }
        try write(
            layout: layout, kept: kept, labels: dataset.labels, subsampled: kept.count < dataset.count, figure: figure)
        var summary =
            "\(method.rawValue): \(kept.count) samples × \(dataset.dimension) → 2-D in \(String(format: "%.2f", seconds)) s, written to \(out)"
        if trustworthinessK > 0 && 3 * trustworthinessK + 1 < 2 * kept.count {
            let t = try Trustworthiness.score(
                unitRows: unit, layout: layout, k: trustworthinessK, threads: threads ?? defaultThreadCount)
            summary += String(format: "; trustworthiness(k=%d) %.4f", trustworthinessK, t)
        }
        print(summary)
    }

    /// Writes the layout (and the kept rows, and the figure) all or nothing.
    func write(layout: [Float], kept: [Int], labels: Labels, subsampled: Bool, figure: String?) throws {
        let transaction = OutputTransaction()
        if let plot, let figure { try transaction.stage(figure, to: plot) }
        if out.lowercased().hasSuffix(".csv") {
            var text = "index,label,x,y\n"
            for (r, i) in kept.enumerated() {
                text += CSVWriter.row([
                    "\(i)", labels.classNames[Int(labels.classOf[i])], "\(layout[2 * r])", "\(layout[2 * r + 1])",
                ])
            }
            try transaction.stage(text, to: out)
        } else {
            try transaction.stage(NpyWriter.bytes(floats: layout, shape: [kept.count, 2]), to: out)
            if subsampled {
                try transaction.stage(
                    NpyWriter.bytes(int64s: kept.map(Int64.init), shape: [kept.count]), to: indicesFile)
            }
        }
        try transaction.commit()
    }
}
