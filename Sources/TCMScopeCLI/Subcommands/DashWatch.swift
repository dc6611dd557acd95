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

/// `dash --watch DIR [--watch DIR2]`: the dashboard following one or two folders of snapshots a
/// training loop writes.
struct DashWatchOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            """
            Follow a training run: DIR receives snapshots (NAME-STEP.npz or .safetensors with embeddings and labels, \
            or NAME-STEP.embeddings.npy + .labels.npy; see examples/write_snapshot.py); each complete one becomes a \
            point of the Run pane's timeline and its curves are shown (, and . move between snapshots). Give \
            --watch twice to follow two runs side by side (e.g. without and with TCM).
            """, valueName: "dir"))
    var watch: [String] = []

    @Option(
        help: Bounds.settle.help(
            """
            With --watch: a file is complete once its size and time are unchanged this long.
            """, valueName: "ms"))
    var settleMs = 500

    @OptionGroup var bootstrap: BootstrapOptions

    func check(hasFiles: Bool, hasCounts: Bool) throws {
        try Bounds.settle.check(settleMs)
        try bootstrap.check()
        guard let first = watch.first else {
            // The Metrics pane's interval of the report on screen needs no flag; --bootstrap sets
            // each watched snapshot's, and would be silently ignored here.
            if bootstrap.bootstrap != nil {
                throw ValidationError(
                    "--bootstrap applies to --watch (each snapshot's interval in the Run pane): add --watch DIR, or drop it"
                )
            }
            return
        }
        if watch.count > 2 { throw ValidationError("--watch follows one or two runs, got \(watch.count)") }
        if hasFiles || hasCounts {
            throw ValidationError(
                "--watch \(first) reads its snapshots from the folder: give no EMB/LABELS or --counts")
        }
    }
}

enum DashWatch {
    /// Waits (before the terminal is taken) for each folder's first snapshot that analyses, then
    /// runs the dashboard on them with the folders polled in the background.
    static func run(_ w: DashWatchOptions, blocks: Bool, saveDirectory: String) throws {
        let directory = w.watch[0]
        // No terminal: say so now, not after the first snapshot arrives.
        guard isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1 else {
            throw DataError(
                "terminal",
                "stdin/stdout: not a terminal; the dashboard needs one (use `tcmscope analyze --watch \(directory) --out-dir DIR` for reports)"
            )
        }
        let options = OPISOptions()
        // Each folder waits for its first snapshot that analyses; the others already there are the
        // watch job's backlog, read behind the first frame (with progress in the status line).
        var runs:
            [(folder: SnapshotFolder, first: AnalysedSnapshot, backlog: [Snapshot], reference: SnapshotReference)] =
                []
        for dir in w.watch {
            let folder = SnapshotFolder(directory: dir, settle: .milliseconds(w.settleMs))
            Terminal.printError(
                "tcmscope: waiting for a complete snapshot in \(escapingControlCharacters(dir)) (Ctrl-C stops)")
            var found: (AnalysedSnapshot, [Snapshot], SnapshotReference)?
            var saidMissing = false
            while found == nil {
                // A folder the training loop has not made yet is waited for, as its first snapshot is.
                var info = stat()
                if stat(dir, &info) != 0 && errno == ENOENT {
                    if !saidMissing {
                        Terminal.printError(
                            "tcmscope: \(escapingControlCharacters(dir)) does not exist yet: waiting for it (Ctrl-C stops)"
                        )
                    }
                    saidMissing = true
                    Thread.sleep(forTimeInterval: 0.2)
                    continue
                }
                var snapshots = try folder.poll()[...]
                for refusal in folder.takeRefusals() {
                    Terminal.printError("tcmscope: skipped: \(refusal.description)")
                }
                while found == nil, let snapshot = snapshots.popFirst() {
                    do {
                        let (a, reference) = try SnapshotAnalysis.analyse(
                            snapshot, options: options, reference: nil, intervals: w.bootstrap.intervalSettings)
                        found = (a, Array(snapshots), reference)
                    } catch let e as DataError {
                        Terminal.printError("tcmscope: skipped: \(e.description)")
                    }
                }
                if found == nil { Thread.sleep(forTimeInterval: 0.2) }
            }
            runs.append((folder, found!.0, found!.1, found!.2))
        }
        let terminal: NcursesTerminal
        do { terminal = try NcursesTerminal() } catch let e as TerminalUnavailable {
            throw DataError("terminal", e.description)
        }
        defer { terminal.close() }
        let first = runs[0].first
        let unit = RowNorms.normalized(first.embeddings)
        let initial = InitialAnalysis(
            counts: first.counts, retrieval: first.retrieval,
            pca: PCA(fitting: unit, components: 2).transform(unit).values)
        let app = DashboardApp(
            dataset: nil, analysis: initial,
            title: w.watch.map { ($0 as NSString).lastPathComponent }.joined(separator: " vs "),
            bundled: false, loss: .contrastive, epochs: 1, saveDirectory: saveDirectory)
        if blocks { app.send(.canvasMode(.blocks)) }
        app.watch(
            runs[0].folder, first: first, backlog: runs[0].backlog, reference: runs[0].reference,
            bootstrap: w.bootstrap.intervalSettings)
        if runs.count == 2 {
            app.watchSecond(
                runs[1].folder, first: runs[1].first, backlog: runs[1].backlog, reference: runs[1].reference,
                bootstrap: w.bootstrap.intervalSettings)
        }
        app.run(terminal)
    }
}
