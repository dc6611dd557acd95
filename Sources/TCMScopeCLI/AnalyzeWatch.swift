import ArgumentParser
import Foundation
import TCMData
import TCMMetrics
import TCMScopeSupport

/// `analyze --watch DIR --out-dir OUT`: follow a folder a training loop writes snapshots into.
struct WatchOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            """
            Follow a folder of snapshots a training loop writes (NAME-STEP.npz or .safetensors holding \
            embeddings and labels, or NAME-STEP.embeddings.npy + NAME-STEP.labels.npy): each complete one is \
            analysed in step order; reports go to --out-dir.
            """, valueName: "dir"))
    var watch: String?

    @Option(
        help: ArgumentHelp(
            "With --watch: where each snapshot's report (NAME-STEP.json) and timeline.csv go.", valueName: "dir"))
    var outDir: String?

    @Flag(help: "With --watch: analyse the snapshots complete now, then exit (2 if any was skipped).")
    var once = false

    @Option(
        help: Bounds.idleExit.help(
            "With --watch: exit after this many seconds without a new snapshot (default: never).", valueName: "seconds")
    )
    var idleExit: Double?

    @Option(
        help: Bounds.settle.help(
            "With --watch: a file is complete once its size and time are unchanged this long (for writers that do not rename).",
            valueName: "ms"))
    var settleMs = 500

    var active: Bool { watch != nil }

    /// `ignored`: options of a plain analyze that a watch would not apply, named for the refusal.
    func check(hasFiles: Bool, asksForReport: Bool, ignored: [String] = []) throws {
        try Bounds.idleExit.check(idleExit)
        try Bounds.settle.check(settleMs)
        guard let watch else {
            if outDir != nil || once || idleExit != nil {
                throw ValidationError("--out-dir, --once and --idle-exit go with --watch DIR")
            }
            return
        }
        if hasFiles {
            throw ValidationError("--watch \(watch) reads its snapshots from the folder: give no EMBEDDINGS/LABELS")
        }
        if outDir == nil { throw ValidationError("--watch needs --out-dir DIR for the reports") }
        if asksForReport {
            throw ValidationError(
                "--watch writes a report per snapshot to --out-dir: drop --out/--curves/--plot/--json/--csv and the gates"
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
    /// Polls the folder until `--once` has seen everything complete, `--idle-exit` passes, or a
    /// signal ends the run (each output is written whole, so an interrupt never leaves half a file).
    static func run(_ w: WatchOptions, options: OPISOptions, threads: Int?) throws {
        let directory = w.watch!, out = w.outDir!
        // A line per snapshot as it comes, flushed: also into a pipe or a log (tail -f, tee, CI),
        // and kept when a signal ends the watch.
        func line(_ text: String) {
            print(text)
            fflush(nil)
        }
        var info = stat()
        guard stat(out, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw DataError(out, "--out-dir must be an existing directory")
        }
        OutputTransaction.removeTemporariesOnSignals()
        let folder = SnapshotFolder(directory: directory, settle: .milliseconds(w.settleMs))
        var timeline = SnapshotTimeline()
        var skipped = 0
        let started = ContinuousClock.now
        var lastNew = started, quietPolls = 0
        line("watching \(escapingControlCharacters(directory)) (reports to \(escapingControlCharacters(out)))")
        while true {
            let snapshots: [Snapshot]
            do { snapshots = try folder.poll() } catch {
                line("\(timeline.points.count) snapshot(s) analysed, \(skipped) skipped")
                throw error
            }
            for refusal in folder.takeRefusals() {
                skipped += 1
                timeline.skip(refusal.description)
                Terminal.printError("tcmscope: skipped: \(refusal.description)")
            }
            for snapshot in snapshots {
                do {
                    let (analysed, reference) = try SnapshotAnalysis.analyse(
                        snapshot, options: options, reference: timeline.reference, threads: threads ?? 1)
                    // Written first: a snapshot whose report cannot be written is not in the timeline.
                    try write(analysed, points: SnapshotPoint.adding(analysed.point, to: timeline.points), to: out)
                    timeline.add(analysed, reference: reference)
                    let p = analysed.point
                    line(
                        "step \(p.step)  OPIS \(format(p.opis, 6))  ε-OPIS \(format(p.epsilonOPIS, 6))  R@1 \(format(p.recallAt1))  EER \(format(p.eer))  (\(escapingControlCharacters(p.name))-\(p.step))"
                    )
                } catch let error as DataError {
                    skipped += 1
                    timeline.skip(error.description)
                    Terminal.printError("tcmscope: skipped: \(error.description)")
                }
            }
            let now = ContinuousClock.now
            if !snapshots.isEmpty { lastNew = now }
            quietPolls = snapshots.isEmpty ? quietPolls + 1 : 0
            // --once: two quiet polls a settle period apart (every file complete now was read).
            if w.once && quietPolls >= 2 && now - started >= .milliseconds(w.settleMs) { break }
            // The idle clock starts once a first look has had its settle time.
            let idleFrom = max(lastNew, started + .milliseconds(w.settleMs))
            if let idle = w.idleExit, now - idleFrom >= .milliseconds(Int(idle * 1000)) { break }
            Thread.sleep(forTimeInterval: min(0.25, max(0.02, Double(w.settleMs) / 2000)))
        }
        line("\(timeline.points.count) snapshot(s) analysed, \(skipped) skipped")
        if w.once && skipped > 0 {
            throw DataError(directory, "\(skipped) snapshot(s) could not be analysed (see the lines above)")
        }
    }

    /// NAME-STEP.json and the whole timeline.csv, in one transaction. The report's name comes
    /// from a file name someone else wrote, so a link at either target is refused, never
    /// written through (it could point anywhere).
    static func write(_ a: AnalysedSnapshot, points: [SnapshotPoint], to out: String) throws {
        let report = out + "/\(a.point.name)-\(a.point.step).json", csvPath = out + "/timeline.csv"
        for target in [report, csvPath] {
            var st = stat()
            if lstat(target, &st) == 0 && (st.st_mode & S_IFMT) != S_IFREG {
                throw DataError(target, "exists and is not a regular file (a link, a directory…); refusing to write it")
            }
        }
        let document = AnalysisDocument(
            input: a.input, report: a.report, retrieval: a.retrieval, seconds: 0,
            classFRRAtFAR: nil)
        var csv = CSVWriter.row(["name", "step", "opis", "epsilon_opis", "recall_at_1", "eer", "samples", "classes"])
        for p in points {
            csv += CSVWriter.row([
                p.name, "\(p.step)", "\(p.opis)", "\(p.epsilonOPIS)", "\(p.recallAt1)", "\(p.eer)", "\(p.samples)",
                "\(p.classes)",
            ])
        }
        let transaction = OutputTransaction()
        // The report's name comes from the snapshot's file name, which holds no "/".
        try transaction.stage(document.json(), to: report)
        try transaction.stage(csv, to: csvPath)
        try transaction.commit()
    }
}
