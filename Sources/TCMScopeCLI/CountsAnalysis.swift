import TCMDashboardApp
import TCMData
import TCMMetrics

/// The dashboard on a count file (`dash --counts merged.tcmc`, issue 11): what
/// `DashboardApp.initialAnalysis` computes from the embeddings, read from counts instead.
extension InitialAnalysis {
    /// The counts and the retrieval at k = 1 of a count file holding every shard (a merged file,
    /// or all parts of one run: they are merged here): equal to what `initialAnalysis` gives for
    /// the same data (a test asserts it). `pca` is empty: the projection and fine-tuning panes
    /// need the embeddings. `header` names the data set (class names and sizes, N × D, paths).
    /// Errors are `DataError`s naming the file (exit 2), as for `merge`; counts where no class
    /// has two samples are refused as there (`OPISCoverage`).
    static func fromCounts(_ paths: [String]) throws -> (analysis: InitialAnalysis, header: CountFileHeader) {
        let files = try paths.map { try CountFile(bytes: FileBytes.read($0), path: $0) }
        let merged = try MergedCounts.merge(files)
        try OPISCoverage.requireAClassWithTwoSamples(classSizes: merged.header.classSizes, file: paths[0])
        guard let retrieval = merged.retrieval(ks: [1]) else {
            throw DataError(
                paths[0],
                "analysed with --no-retrieval: the dashboard needs the retrieval partials (analyze again without it)")
        }
        return (InitialAnalysis(counts: merged.counts, retrieval: retrieval, pca: []), merged.header)
    }
}
