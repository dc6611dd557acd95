import Foundation
import TCMDashboard
import TCMData
import TCMFigures
import TCMKernels
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
    func save(embeddings: Matrix?, labels: Labels?, state: DashboardState, checkpoint: TrainingState?) -> String {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let files = OutputTransaction()  // all the files of a save, or none
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
                    CurvesFigureData(report: state.report, counts: state.analyzer.counts, spec: state.options.utility)),
                to: directory + "/curves.svg")
            if let labels, !state.projection.isEmpty, state.projection.count == 2 * state.projectionLabels.count {
                try files.stage(
                    ProjectionFigure.svg(
                        layout: state.projection, classOf: state.projectionLabels.map { Int($0) },
                        classNames: labels.classNames,
                        title: "\(state.projectionStatus.isEmpty ? "Projection" : state.projectionStatus)"),
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
