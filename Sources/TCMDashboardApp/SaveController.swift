import Foundation
import TCMDashboard
import TCMData
import TCMFigures
import TCMKernels
import TCMMetrics
import TCMScopeSupport
import TCMTraining

/// s: writes what is on screen — the embeddings and labels of the rows shown, the curves (CSV and
/// the `curves.svg` figure), the report, the projection as `layout.svg` (once one is drawn) and,
/// after fine-tuning, the checkpoint and the adapter for PyTorch (`adapter.safetensors`, as
/// `tcmscope export` writes it) — all or none (`OutputTransaction`). It runs on
/// the UI thread: a few files of the size of the evaluated rows, written before the next frame.
struct SaveController {
    let directory: String

    /// Saves and returns the status line to show.
    /// - Parameters: embeddings, labels: the rows on screen; nil on a count file alone (`dash --counts`),
    ///   which saves the curves and the report only.
    ///   timeline: while watching, every snapshot's point of the watched runs, saved as `analyze
    ///   --watch` writes them (`timeline.csv`, and `timeline.svg` as its `--plot` draws them).
    func save(
        embeddings: Matrix?, labels: Labels?, state: DashboardState, checkpoint: TrainingState?,
        timeline: [SnapshotPoint]? = nil
    ) -> String {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let files = OutputTransaction()  // all the files of a save, or none
            try Self.stage(timeline, in: directory, files)
            if let embeddings, let labels {
                try files.stage(
                    NpyWriter.bytes(floats: embeddings.values, shape: [embeddings.rows, embeddings.cols]),
                    to: directory + "/embeddings.npy")
                try files.stage(
                    NpyWriter.bytes(strings: labels.classOf.map { labels.classNames[Int($0)] }),
                    to: directory + "/labels.npy")
            }
            try files.stage(
                ReportFormat.curvesCSV(state.report, counts: state.analyzer.counts), to: directory + "/curves.csv")
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try files.stage(
                String(decoding: try encoder.encode(state.report), as: UTF8.self), to: directory + "/report.json")
            try files.stage(
                CurvesFigure.svg(
                    CurvesFigureData(
                        report: state.report, counts: state.analyzer.counts, spec: state.calibration.options.utility)),
                to: directory + "/curves.svg")
            let projection = state.projection
            if let labels, !projection.points.isEmpty, projection.points.count == 2 * projection.labels.count {
                try files.stage(
                    ProjectionFigure.svg(
                        layout: projection.points, classOf: projection.labels.map { Int($0) },
                        classNames: labels.classNames,
                        title: "\(projection.status.isEmpty ? "Projection" : projection.status)"),
                    to: directory + "/layout.svg")
            }
            if let checkpoint {
                try files.stage(Checkpoint.encode(checkpoint), to: directory + "/checkpoint.tcms")
                try files.stage(AdapterExport.safetensorsBytes(checkpoint), to: directory + "/adapter.safetensors")
            }
            try files.commit()
            return "saved to \(directory)/"
        } catch {
            return "save failed: \(error)"
        }
    }
}

extension SaveController {
    /// The comparison `tcmscope compare` would make of the two runs' curves (FRR at global FAR 1e-2,
    /// compare's default), A the base loss, B with TCM; nil until both runs have curves.
    static let commonFAR = 1e-2

    static func comparison(_ ab: ABComparison) -> ComparisonDocument? {
        func model(_ side: ABSide) -> ComparisonDocument.Model? {
            guard let analyzer = ab[side].analyzer, let report = ab[side].report else { return nil }
            return .init(
                source: "\(ab.name(side)) (dashboard A/B, step \(ab[side].curvesStep))", report: report,
                retrieval: ab[side].retrieval, frrAtFAR: ClassFRRAtFAR(counts: analyzer.counts, targetFAR: commonFAR))
        }
        guard let a = model(.base), let b = model(.tcm) else { return nil }
        return ComparisonDocument(a: a, b: b, commonFAR: commonFAR)
    }

    /// Both runs as `compare RUN… --plot` draws them: Recall@1 against OPIS with the class
    /// bootstrap's 95 % intervals (200 replicates, seed 1, as the Metrics pane).
    static func runsFigure(_ ab: ABComparison) -> String {
        let points = ABSide.allCases.compactMap { side -> RunFigurePoint? in
            guard let analyzer = ab[side].analyzer, let report = ab[side].report else { return nil }
            let ci = BootstrapSummary.compute(
                report: report, counts: analyzer.counts, retrieval: ab[side].retrieval,
                replicates: DashboardState.intervalReplicates, seed: 1, level: 0.95, threads: 1)
            return RunFigurePoint(
                name: ab.name(side), opis: report.opis, opisInterval: (ci.opis.low, ci.opis.high),
                recallAt1: ab[side].recallAt1 ?? .nan, recallInterval: ci.recallAt1.map { ($0.low, $0.high) })
        }
        return RunsFigure.svg(points, title: "A/B: Recall@1 against OPIS", level: 0.95)
    }

    /// s during an A/B: each run's report, curves and (once ended) checkpoint under `ab/A` and
    /// `ab/B`, and the comparison as text and JSON, all or none.
    func saveAB(_ ab: ABComparison, checkpoints: [TrainingState?], timeline: [SnapshotPoint]? = nil) -> String {
        guard let comparison = Self.comparison(ab) else { return "nothing to save yet: both runs need curves" }
        do {
            let root = directory + "/ab"
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            let files = OutputTransaction()
            try Self.stage(timeline, in: root, files)
            for side in ABSide.allCases {
                guard let analyzer = ab[side].analyzer, let report = ab[side].report else { continue }
                let dir = root + "/" + side.letter
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                try files.stage(prettyJSON(report), to: dir + "/report.json")
                try files.stage(ReportFormat.curvesCSV(report, counts: analyzer.counts), to: dir + "/curves.csv")
                if let checkpoint = checkpoints[side.rawValue] {
                    try files.stage(Checkpoint.encode(checkpoint), to: dir + "/checkpoint.tcms")
                }
            }
            try files.stage(comparison.text(), to: root + "/comparison.txt")
            try files.stage(comparison.json(), to: root + "/comparison.json")
            try files.stage(Self.runsFigure(ab), to: root + "/runs.svg")
            try files.commit()
            return "saved A/B to \(root)/"
        } catch {
            return "save failed: \(error)"
        }
    }
}

extension SaveController {
    /// The watched runs' timeline, as `analyze --watch --plot` writes it, into the same save.
    static func stage(_ timeline: [SnapshotPoint]?, in directory: String, _ files: OutputTransaction) throws {
        guard let timeline, !timeline.isEmpty else { return }
        try files.stage(TimelineCSV.render(timeline), to: directory + "/timeline.csv")
        try files.stage(
            TimelineFigure.svg(timeline, title: "Threshold consistency during training"),
            to: directory + "/timeline.svg")
    }
}
