import ArgumentParser
import Foundation
import TCMDashboard
import TCMDashboardApp
import TCMData
import TCMKernels
import TCMMetrics
import TCMProjection
import TCMScopeSupport
import TCMTerminal

/// `dash --watch DIR`: the dashboard following a folder of snapshots a training loop writes.
struct DashWatchOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            """
            Follow a training run: DIR receives snapshots (NAME-STEP.npz or .safetensors with embeddings and labels, \
            or NAME-STEP.embeddings.npy + .labels.npy; see examples/write_snapshot.py); each complete one becomes a \
            point of the Run pane's timeline and its curves are shown (, and . move between snapshots).
            """, valueName: "dir"))
    var watch: String?

    @Option(
        help: Bounds.settle.help(
            "With --watch: a file is complete once its size and time are unchanged this long.", valueName: "ms"))
    var settleMs = 500

    func check(hasFiles: Bool, hasCounts: Bool) throws {
        try Bounds.settle.check(settleMs)
        guard let watch else { return }
        if hasFiles || hasCounts {
            throw ValidationError(
                "--watch \(watch) reads its snapshots from the folder: give no EMB/LABELS or --counts")
        }
    }
}

enum DashWatch {
    /// Waits (before the terminal is taken) for the first snapshot that analyses, then runs the
    /// dashboard on it with the folder polled in the background.
    static func run(_ w: DashWatchOptions, blocks: Bool, saveDirectory: String) throws {
        let directory = w.watch!
        // No terminal: say so now, not after the first snapshot arrives.
        guard isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1 else {
            throw DataError(
                "terminal",
                "stdin/stdout: not a terminal; the dashboard needs one (use `tcmscope analyze --watch \(directory) --out-dir DIR` for reports)"
            )
        }
        let folder = SnapshotFolder(directory: directory, settle: .milliseconds(w.settleMs))
        Terminal.printError(
            "tcmscope: waiting for a complete snapshot in \(escapingControlCharacters(directory)) (Ctrl-C stops)")
        let options = OPISOptions()
        var first: (AnalysedSnapshot, SnapshotReference)?
        var more: [AnalysedSnapshot] = []
        while first == nil {
            for snapshot in try folder.poll() {
                do {
                    let (a, ref) = try SnapshotAnalysis.analyse(snapshot, options: options, reference: first?.1)
                    if first == nil { first = (a, ref) } else { more.append(a) }
                } catch let e as DataError {
                    Terminal.printError("tcmscope: skipped: \(e.description)")
                }
            }
            if first == nil { Thread.sleep(forTimeInterval: 0.2) }
        }
        let (a, reference) = first!
        let terminal: NcursesTerminal
        do { terminal = try NcursesTerminal() } catch let e as TerminalUnavailable {
            throw DataError("terminal", e.description)
        }
        defer { terminal.close() }
        let unit = RowNorms.normalized(a.embeddings)
        let initial = InitialAnalysis(
            counts: a.counts, retrieval: a.retrieval, pca: PCA(fitting: unit, components: 2).transform(unit).values)
        let app = DashboardApp(
            dataset: nil, analysis: initial, title: (directory as NSString).lastPathComponent, bundled: false,
            loss: .contrastive, epochs: 1, saveDirectory: saveDirectory)
        if blocks { app.state.canvasMode = .blocks }
        app.watch(folder, first: a, more: more, reference: reference)
        app.run(terminal)
    }
}
