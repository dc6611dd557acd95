import ArgumentParser
import Foundation
import TCMData
import TCMFigures
import TCMMetrics
import TCMScopeSupport

/// `analyze --watch DIR [--watch DIR2 …] --out-dir OUT`: follow the folders training loops write
/// snapshots into.
struct WatchOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            """
            Follow a folder of snapshots a training loop writes (NAME-STEP.npz or .safetensors holding \
            embeddings and labels, or NAME-STEP.embeddings.npy + NAME-STEP.labels.npy): each complete one is \
            analysed in step order; reports go to --out-dir. Give --watch once per run to follow several runs \
            into one timeline (their snapshots' NAMEs tell them apart).
            """, valueName: "dir"))
    var watch: [String] = []

    @Option(
        help: ArgumentHelp(
            """
            With --watch: where each snapshot's report (NAME-STEP.json) and timeline.csv (every run's \
            snapshots; rows already there are kept) go. Created when missing.
            """, valueName: "dir"))
    var outDir: String?

    @Option(
        help: ArgumentHelp(
            """
            With --watch: also write OPIS, ε-OPIS, Recall@1 and EER as TensorBoard scalars (tcmscope/opis, …; \
            with --bootstrap, tcmscope/opis_ci_low and _high too), one sub-folder per run NAME, so they appear \
            beside the run's own curves in TensorBoard.
            """, valueName: "dir"))
    var tensorboard: String?

    @Flag(
        help: """
            With --watch: analyse the snapshots complete now, then exit (2 if any was skipped).
            """)
    var once = false

    @Option(
        help: Bounds.idleExit.help(
            """
            With --watch: exit after this many seconds without a new snapshot (default: never).
            """, valueName: "seconds")
    )
    var idleExit: Double?

    @Option(
        help: Bounds.settle.help(
            """
            With --watch: a file is complete once its size and time are unchanged this long (for writers that do \
            not rename).
            """,
            valueName: "ms"))
    var settleMs = 500

    /// The most folders one watch follows (each is polled several times a second).
    static let maxRuns = 16

    var active: Bool { !watch.isEmpty }

    /// `ignored`: options of a plain analyze that a watch would not apply, named for the refusal.
    func check(hasFiles: Bool, asksForReport: Bool, ignored: [String] = []) throws {
        try Bounds.idleExit.check(idleExit)
        try Bounds.settle.check(settleMs)
        guard let first = watch.first else {
            if outDir != nil || once || idleExit != nil || tensorboard != nil {
                throw ValidationError("--out-dir, --tensorboard, --once and --idle-exit go with --watch DIR")
            }
            return
        }
        if hasFiles {
            throw ValidationError("--watch \(first) reads its snapshots from the folder: give no EMBEDDINGS/LABELS")
        }
        if watch.count > Self.maxRuns {
            throw ValidationError("--watch follows at most \(Self.maxRuns) folders, got \(watch.count)")
        }
        if let twice = watch.indices.first(where: { i in watch[..<i].contains { $0.utf8.elementsEqual(watch[i].utf8) } }
        ) {
            throw ValidationError("--watch \(watch[twice]) is given twice: give each run's folder once")
        }
        if outDir == nil { throw ValidationError("--watch needs --out-dir DIR for the reports") }
        if asksForReport {
            throw ValidationError(
                "--watch writes a report per snapshot to --out-dir: drop --out/--curves/--json/--csv and the gates (--plot FILE draws the timeline)"
            )
        }
        if let flag = ignored.first {
            throw ValidationError(
                "--watch reads snapshots as examples/write_snapshot.py writes them (embeddings and labels, Recall@1): \(flag) does not apply"
            )
        }
    }
}

enum AnalyzeWatch {
    /// One watched folder: its poller and the rows every snapshot of it must share (its first
    /// snapshot's). Its points are the timeline's, in `points`.
    struct Run {
        let folder: SnapshotFolder
        var reference: SnapshotReference?
    }

    /// Polls the folders until `--once` has seen everything complete, `--idle-exit` passes, or a
    /// signal ends the run (each output is written whole, so an interrupt never leaves half a file).
    /// `plot`: the timeline figure, rewritten with each snapshot. With `bootstrap.bootstrap`, each
    /// snapshot's report, row, figure and scalars carry the intervals `analyze --bootstrap` gives.
    static func run(
        _ w: WatchOptions, plot: String?, options: OPISOptions, bootstrap: BootstrapOptions, threads: Int?
    ) throws {
        let out = w.outDir!
        // A line per snapshot as it comes, flushed: also into a pipe or a log (tail -f, tee, CI),
        // and kept when a signal ends the watch.
        func line(_ text: String) {
            print(text)
            fflush(nil)
        }
        try makeDirectory(out, flag: "--out-dir")
        if let plot { try OutputTransaction.check([plot]) }
        OutputTransaction.removeTemporariesOnSignals()
        // Rows of an earlier watch into this folder (other runs, or this one before a restart) stay.
        var points = try TimelineCSV.read(out + "/timeline.csv")
        var runs = w.watch.map { Run(folder: SnapshotFolder(directory: $0, settle: .milliseconds(w.settleMs))) }
        // Which folder a snapshot NAME belongs to: two folders writing one NAME would write over
        // each other's reports.
        var owner: [[UInt8]: Int] = [:]
        var boards: [[UInt8]: TensorBoardEventWriter] = [:]
        var skipped = 0, analysed = 0
        let started = ContinuousClock.now
        var lastNew = started, quietPolls = 0
        func skip(_ message: String) {
            skipped += 1
            Terminal.printError("tcmscope: skipped: \(message)")
        }
        let folders = w.watch.map(escapingControlCharacters).joined(separator: ", ")
        line("watching \(folders) (reports to \(escapingControlCharacters(out)))")
        while true {
            var any = false
            for r in runs.indices {
                let snapshots: [Snapshot]
                do { snapshots = try runs[r].folder.poll() } catch {
                    line("\(analysed) snapshot(s) analysed, \(skipped) skipped")
                    throw error
                }
                any = any || !snapshots.isEmpty
                for refusal in runs[r].folder.takeRefusals() { skip(refusal.description) }
                for snapshot in snapshots {
                    let name = Array(snapshot.name.utf8)
                    if let other = owner[name], other != r {
                        skip(
                            "\(snapshot.embeddings): the snapshot name \(snapshot.name) is also written to \(w.watch[other]); give each run its own NAME"
                        )
                        continue
                    }
                    do {
                        // With --bootstrap, the intervals of `analyze --bootstrap`, from the counts just made.
                        let (a, reference) = try SnapshotAnalysis.analyse(
                            snapshot, options: options, reference: runs[r].reference, threads: threads ?? 1,
                            intervals: bootstrap.intervalSettings)
                        let intervals = a.intervals, p = a.point
                        let updated = SnapshotPoint.adding(p, to: points)
                        // Written first: a snapshot whose report cannot be written is not in the timeline.
                        try write(a, intervals: intervals, points: updated, plot: plot, to: out)
                        points = updated
                        owner[name] = r
                        runs[r].reference = reference
                        analysed += 1
                        if let directory = w.tensorboard {
                            if boards[name] == nil {
                                boards[name] = try TensorBoardEventWriter(directory: directory + "/" + p.name)
                            }
                            try boards[name]!.write(step: p.step, scalars: scalars(p))
                        }
                        line(
                            "step \(p.step)  OPIS \(format(p.opis, 6))\(ends(p.intervals?.opis))  ε-OPIS \(format(p.epsilonOPIS, 6))\(ends(p.intervals?.epsilonOPIS))  R@1 \(format(p.recallAt1))  EER \(format(p.eer))  (\(escapingControlCharacters(p.name))-\(p.step))"
                        )
                    } catch let error as DataError {
                        skip(error.description)
                    }
                }
            }
            let now = ContinuousClock.now
            if any { lastNew = now }
            quietPolls = any ? 0 : quietPolls + 1
            // --once: two quiet polls a settle period apart (every file complete now was read).
            if w.once && quietPolls >= 2 && now - started >= .milliseconds(w.settleMs) { break }
            // The idle clock starts once a first look has had its settle time.
            let idleFrom = max(lastNew, started + .milliseconds(w.settleMs))
            if let idle = w.idleExit, now - idleFrom >= .milliseconds(Int(idle * 1000)) { break }
            Thread.sleep(forTimeInterval: min(0.25, max(0.02, Double(w.settleMs) / 2000)))
        }
        line("\(analysed) snapshot(s) analysed, \(skipped) skipped")
        if w.once && skipped > 0 {
            throw DataError(folders, "\(skipped) snapshot(s) could not be analysed (see the lines above)")
        }
    }

    /// A point's TensorBoard scalars: the four figures, and the ends of their intervals where the
    /// bootstrap gave them (ε-OPIS's only from 1000 classes).
    static func scalars(_ p: SnapshotPoint) -> [(tag: String, value: Double)] {
        var scalars = [
            ("tcmscope/opis", p.opis), ("tcmscope/epsilon_opis", p.epsilonOPIS),
            ("tcmscope/recall_at_1", p.recallAt1), ("tcmscope/eer", p.eer),
        ]
        if let opis = p.intervals?.opis {
            scalars += [("tcmscope/opis_ci_low", opis.low), ("tcmscope/opis_ci_high", opis.high)]
        }
        if let epsilon = p.intervals?.epsilonOPIS {
            scalars += [("tcmscope/epsilon_opis_ci_low", epsilon.low), ("tcmscope/epsilon_opis_ci_high", epsilon.high)]
        }
        return scalars
    }

    /// " [low, high]" after a figure on a snapshot's line, nothing without an interval.
    static func ends(_ e: SnapshotIntervals.Ends?) -> String {
        e.map { " [\(format($0.low, 6)), \(format($0.high, 6))]" } ?? ""
    }

    /// `path` as a directory, made (with its parents) when missing; anything else there is refused.
    static func makeDirectory(_ path: String, flag: String) throws {
        var info = stat()
        if stat(path, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFDIR else {
                throw DataError(path, "\(flag) exists and is not a directory")
            }
            return
        }
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw DataError(path, "\(flag) cannot be created: \(String(cString: strerror(errno)))")
        }
    }

    /// NAME-STEP.json, the whole timeline.csv and the figure, in one transaction. The report's name
    /// comes from a file name someone else wrote, so a link at either target is refused, never
    /// written through (it could point anywhere).
    static func write(
        _ a: AnalysedSnapshot, intervals: BootstrapSummary?, points: [SnapshotPoint], plot: String?, to out: String
    ) throws {
        let report = out + "/\(a.point.name)-\(a.point.step).json", csvPath = out + "/timeline.csv"
        for target in [report, csvPath] {
            var st = stat()
            if lstat(target, &st) == 0 && (st.st_mode & S_IFMT) != S_IFREG {
                throw DataError(target, "exists and is not a regular file (a link, a directory…); refusing to write it")
            }
        }
        let document = AnalysisDocument(
            input: a.input, report: a.report, retrieval: a.retrieval, seconds: 0,
            classFRRAtFAR: nil, bootstrap: intervals)
        let transaction = OutputTransaction()
        // The report's name comes from the snapshot's file name, which holds no "/".
        try transaction.stage(document.json(), to: report)
        try transaction.stage(TimelineCSV.render(points), to: csvPath)
        if let plot {
            try transaction.stage(
                TimelineFigure.svg(points, title: "Threshold consistency during training"), to: plot)
        }
        try transaction.commit()
    }
}
