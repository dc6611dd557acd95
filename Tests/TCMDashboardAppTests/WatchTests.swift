import Foundation
import Testing
@testable import TCMDashboard
import TCMData
import TCMJobs
import TCMKernels
import TCMMetrics
import TCMTerminal
@testable import TCMDashboardApp
@testable import TCMScopeSupport

/// `dash --watch` (issue 23): which files count as complete snapshots, the bounded timeline, and
/// the UI loop following a writer thread (also under TSan in .ci/run).
@Suite struct WatchTests {
    static func directory() -> String {
        let path = NSTemporaryDirectory() + "tcmscope-watch-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Three clusters in 4-D whose spread shrinks with `step`; written as a pair of .npy files,
    /// each to a hidden temporary name and then renamed (as examples/write_snapshot.py does).
    static func writeSnapshot(_ dir: String, name: String = "run", step: Int, rows perClass: Int = 12, classes: Int = 3)
    {
        var values: [Float] = [], labels: [Int64] = []
        var state = UInt64(step) &* 2_654_435_761 &+ 1
        func noise() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 24) - 0.5
        }
        for c in 0 ..< classes {
            for _ in 0 ..< perClass {
                var row = [Float](repeating: 0, count: 4)
                row[c % 4] = 1
                values += row.map { $0 + noise() * 2 / Float(step / 100 + 1) }
                labels.append(Int64(c))
            }
        }
        for (suffix, bytes) in [
            ("embeddings.npy", NpyWriter.bytes(floats: values, shape: [labels.count, 4])),
            ("labels.npy", NpyWriter.bytes(int64s: labels, shape: [labels.count])),
        ] {
            let final = "\(dir)/\(name)-\(step).\(suffix)", temporary = "\(dir)/.\(name)-\(step).\(suffix).tmp"
            _ = FileManager.default.createFile(atPath: temporary, contents: Data(bytes))
            rename(temporary, final)
        }
    }

    @Test func namesAreParsedStrictly() {
        #expect(Snapshot.parse("run-400.npz")?.step == 400)
        #expect(Snapshot.parse("my-run-12.safetensors").map { ($0.name, $0.step) } ?? ("", 0) == ("my-run", 12))
        #expect(Snapshot.parse("run-3.embeddings.npy")?.role == .embeddings)
        #expect(Snapshot.parse("run-3.labels.npy")?.role == .labels)
        for bad in [
            "run.npz", "-5.npz", "run-x.npz", ".run-5.npz", "run-5.npz.tmp", "run-5.npy",
            "run-99999999999999999999.npz",
        ] {
            #expect(Snapshot.parse(bad) == nil, "\(bad)")
        }
    }

    @Test func onlyCompleteSnapshotsAreDeliveredOnceInStepOrder() throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A settle time longer than the test: completeness comes from the looks' instants here,
        // never from the files' (fresh) modification times.
        let folder = SnapshotFolder(directory: dir, settle: .seconds(30))
        let t0 = ContinuousClock.now
        Self.writeSnapshot(dir, step: 300)
        Self.writeSnapshot(dir, step: 100)
        // Half a pair, a hidden temporary file and a file still growing.
        _ = FileManager.default.createFile(atPath: dir + "/run-200.embeddings.npy", contents: Data([1, 2, 3]))
        _ = FileManager.default.createFile(atPath: dir + "/.run-500.npz.tmp", contents: Data([1]))
        _ = FileManager.default.createFile(atPath: dir + "/grow-1.npz", contents: Data([1]))
        #expect(try folder.poll(now: t0).isEmpty, "nothing is complete at first sight")
        let handle = try #require(FileHandle(forWritingAtPath: dir + "/grow-1.npz"))
        handle.seekToEndOfFile()
        handle.write(Data([2, 3]))
        try handle.close()
        let second = try folder.poll(now: t0 + .seconds(31))
        #expect(second.map(\.step) == [100, 300], "\(second)")
        #expect(second.allSatisfy { $0.labels != nil })
        // The growing file changed between the looks: complete only after a quiet settle period.
        #expect(try folder.poll(now: t0 + .seconds(32)).isEmpty)
        let later = try folder.poll(now: t0 + .seconds(62))
        #expect(later.map(\.name) == ["grow"], "\(later)")
        #expect(try folder.poll(now: t0 + .seconds(70)).isEmpty, "each is delivered once")
        // Rewritten under the same name: read again once it settles.
        _ = FileManager.default.createFile(atPath: dir + "/grow-1.npz", contents: Data([9, 9, 9, 9]))
        #expect(try folder.poll(now: t0 + .seconds(71)).isEmpty)
        #expect(try folder.poll(now: t0 + .seconds(102)).map(\.name) == ["grow"])
        // Two spellings of one name and step (g-7, g-007) are one snapshot.
        _ = FileManager.default.createFile(atPath: dir + "/g-7.npz", contents: Data([1]))
        _ = FileManager.default.createFile(atPath: dir + "/g-007.npz", contents: Data([1]))
        #expect(try folder.poll(now: t0 + .seconds(103)).isEmpty)
        #expect(try folder.poll(now: t0 + .seconds(134)).map { "\($0.name)-\($0.step)" } == ["g-7"])
        // Deleting files is harmless; a folder that goes away is one error.
        try FileManager.default.removeItem(atPath: dir + "/run-100.labels.npy")
        #expect(try folder.poll(now: t0 + .seconds(140)).isEmpty)
        try FileManager.default.removeItem(atPath: dir)
        #expect(throws: DataError.self) { try folder.poll() }
    }

    @Test func aFileLastWrittenLongAgoIsCompleteAtFirstSight() throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        Self.writeSnapshot(dir, step: 5)
        // Its modification time an hour ago: nothing to wait for.
        for suffix in ["embeddings.npy", "labels.npy"] {
            try FileManager.default.setAttributes(
                [.modificationDate: Date().addingTimeInterval(-3600)], ofItemAtPath: "\(dir)/run-5.\(suffix)")
        }
        #expect(try SnapshotFolder(directory: dir, settle: .seconds(30)).poll().map(\.step) == [5])
    }

    /// Issue 31, cause 7: the folder's listing saw regular files (`lstat`); a link swapped in
    /// for one of them before it is read is refused when it is opened (`O_NOFOLLOW`, `fstat`),
    /// never followed: the docs promise links are not read. The same folder reads as usual
    /// once the files are regular again.
    @Test func aLinkSwappedInAfterTheListingIsNotRead() throws {
        let dir = Self.directory(), elsewhere = Self.directory()
        defer {
            try? FileManager.default.removeItem(atPath: dir)
            try? FileManager.default.removeItem(atPath: elsewhere)
        }
        Self.writeSnapshot(dir, step: 5)
        Self.writeSnapshot(elsewhere, step: 5)
        for suffix in ["embeddings.npy", "labels.npy"] {
            try FileManager.default.setAttributes(
                [.modificationDate: Date().addingTimeInterval(-3600)], ofItemAtPath: "\(dir)/run-5.\(suffix)")
        }
        let snapshot = try #require(try SnapshotFolder(directory: dir, settle: .seconds(30)).poll().first)
        for suffix in ["embeddings.npy", "labels.npy"] {
            let path = "\(dir)/run-5.\(suffix)", link = "\(dir)/.swap"
            #expect(symlink("\(elsewhere)/run-5.\(suffix)", link) == 0)
            let original = try #require(FileManager.default.contents(atPath: path))
            #expect(rename(link, path) == 0)
            #expect(throws: DataError(path, "is a symbolic link; links are not read here (give the file itself)")) {
                _ = try SnapshotAnalysis.analyse(snapshot, options: OPISOptions(), reference: nil)
            }
            try FileManager.default.removeItem(atPath: path)
            #expect(FileManager.default.createFile(atPath: path, contents: original))
        }
        let (analysed, _) = try SnapshotAnalysis.analyse(snapshot, options: OPISOptions(), reference: nil)
        #expect(analysed.point.samples == 36)
    }

    @Test func theTimelineKeepsEveryPointAndABoundedWindowOfCurves() throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        Self.writeSnapshot(dir, step: 1)
        let (a, _) = try SnapshotAnalysis.analyse(
            Snapshot(
                name: "run", step: 1, embeddings: dir + "/run-1.embeddings.npy", labels: dir + "/run-1.labels.npy"),
            options: OPISOptions(), reference: nil)
        var run = RunTimeline(directory: dir, capacity: 3)
        func add(_ step: Int) {
            let point = SnapshotPoint(
                name: "run", step: step, opis: Double(step), epsilonOPIS: 0, recallAt1: 1, eer: 0, samples: 36,
                classes: 3)
            run.add(
                point,
                WatchedSnapshot(
                    name: "run", step: step, counts: a.counts, retrieval: a.retrieval, meanCurve: [],
                    classes: a.report.classes)
            )
        }
        for step in [10, 20, 30, 40, 50] { add(step) }
        #expect(run.points.count == 5 && run.window.map(\.step) == [30, 40, 50] && run.following)
        // Back one: a new snapshot no longer moves the view, and the selection keeps its snapshot.
        #expect(run.move(-1) && run.current?.step == 40 && !run.following)
        add(60)
        #expect(run.current?.step == 40 && run.window.map(\.step) == [40, 50, 60])
        // A late, older step lands in order among the points.
        add(35)
        #expect(run.points.map(\.step) == [10, 20, 30, 35, 40, 50, 60])
        #expect(!run.move(-5) || run.selected == 0)
        // Thousands of snapshots: the window stays at its capacity.
        for step in 100 ..< 2100 { add(step) }
        #expect(run.points.count == 2007 && run.window.count == 3)
    }

    /// Not following, the snapshot on screen stays selected as new ones arrive; when it leaves
    /// the window, the oldest kept one is shown and the add says so.
    @Test func theShownSnapshotSurvivesTheWindowSliding() throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        Self.writeSnapshot(dir, step: 1)
        let (a, _) = try SnapshotAnalysis.analyse(
            Snapshot(name: "r", step: 1, embeddings: dir + "/run-1.embeddings.npy", labels: dir + "/run-1.labels.npy"),
            options: OPISOptions(), reference: nil)
        var run = RunTimeline(directory: dir, capacity: 3)
        func add(_ step: Int) -> Bool {
            run.add(
                SnapshotPoint(
                    name: "r", step: step, opis: 0, epsilonOPIS: 0, recallAt1: 1, eer: 0, samples: 36, classes: 3),
                WatchedSnapshot(
                    name: "r", step: step, counts: a.counts, retrieval: a.retrieval, meanCurve: [],
                    classes: a.report.classes))
        }
        for step in 1 ... 3 { _ = add(step) }
        #expect(run.move(-1) && run.current?.step == 2)
        #expect(!add(4), "the shown snapshot (2) is still in the window: nothing to redraw")
        #expect(run.current?.step == 2)
        #expect(add(5), "2 left the window: the oldest kept is shown")
        #expect(run.current?.step == 3 && run.window.map(\.step) == [3, 4, 5])
        // A rewrite of the shown snapshot replaces it (one point, one window entry).
        #expect(add(3) && run.points.filter { $0.step == 3 }.count == 1 && run.window.count == 3)
    }

    /// A writer thread puts snapshots into the folder while the UI loop runs on the test backend:
    /// the Run pane's timeline grows, the curves follow the newest, a damaged file is a status
    /// line, and `,` goes back one snapshot.
    @Test func theLoopFollowsAWriterThread() throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        Self.writeSnapshot(dir, step: 100)
        let folder = SnapshotFolder(directory: dir, settle: .milliseconds(20))
        var first: (AnalysedSnapshot, SnapshotReference)?
        let deadline = Date().addingTimeInterval(10)
        while first == nil && Date() < deadline {
            if let s = try folder.poll().first {
                first = try SnapshotAnalysis.analyse(s, options: OPISOptions(), reference: nil)
            }
            usleep(10_000)
        }
        let (a, reference) = try #require(first)
        let app = DashboardApp(
            dataset: nil, analysis: InitialAnalysis(counts: a.counts, retrieval: a.retrieval, pca: []), title: "watch",
            bundled: false, loss: .contrastive, epochs: 1, saveDirectory: dir + "/saved")
        app.watch(folder, first: a, reference: reference)
        let writer = Thread {
            for step in [200, 300, 400] {
                usleep(30_000)
                Self.writeSnapshot(dir, step: step)
            }
            _ = FileManager.default.createFile(atPath: dir + "/run-500.npz", contents: Data("not a zip".utf8))
        }
        writer.start()
        let backend = TestBackend(
            width: 160, height: 45,
            script: [
                .until { app.state.watch.run?.points.count == 4 && app.state.watch.run?.skipped == 1 },
                .events([.key(.character(","))]),
            ], longestWait: .seconds(30))
        #expect(EventLoop.run(app, on: backend, wake: app.wake))
        let run = try #require(app.state.watch.run)
        #expect(run.points.map(\.step) == [100, 200, 300, 400])
        #expect(run.lastSkipped.contains("run-500.npz"))
        #expect(run.current?.step == 300 && !run.following, "`,` went back one")
        let frame = try #require(backend.frames.last)
        let text = (0 ..< frame.height).map { frame.line($0) }.joined(separator: "\n")
        #expect(text.contains("Run ") && text.contains("run-300"), "\(text)")
        #expect(text.contains("skipped 1"), "\(text)")
        // The OPIS sparkline has a cell per snapshot.
        let lines = (0 ..< frame.height).map { frame.line($0) }
        let opisLine = try #require(lines.first { $0.contains("OPIS    ") && $0.contains("█") })
        #expect(opisLine.filter { "▁▂▃▄▅▆▇█".contains($0) }.count == 4, "\(opisLine)")
        app.watcher.stop()
    }

    /// `dash --watch DIR --bootstrap B`: every snapshot carries the intervals the same settings give
    /// for its file alone, and the Run pane draws a row of them under OPIS, with the ends of the
    /// snapshot on screen.
    @Test func eachSnapshotsIntervalIsDrawnUnderItsFigure() throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for step in [100, 200, 300] { Self.writeSnapshot(dir, step: step) }
        let settings = IntervalSettings(replicates: 200, seed: 7, level: 0.9)
        let folder = SnapshotFolder(directory: dir, settle: .milliseconds(0))
        var snapshots: [Snapshot] = []
        let deadline = Date().addingTimeInterval(10)
        while snapshots.count < 3 && Date() < deadline {
            snapshots += try folder.poll()
            usleep(10_000)
        }
        try #require(snapshots.count == 3)
        let (a, reference) = try SnapshotAnalysis.analyse(
            snapshots[0], options: OPISOptions(), reference: nil, intervals: settings)
        let app = DashboardApp(
            dataset: nil, analysis: InitialAnalysis(counts: a.counts, retrieval: a.retrieval, pca: []), title: "watch",
            bundled: false, loss: .contrastive, epochs: 1, saveDirectory: dir + "/saved")
        app.watch(folder, first: a, backlog: Array(snapshots.dropFirst()), reference: reference, bootstrap: settings)
        let backend = TestBackend(
            width: 160, height: 45, script: [.until { app.state.watch.run?.points.count == 3 }],
            longestWait: .seconds(30))
        #expect(EventLoop.run(app, on: backend, wake: app.wake))
        app.watcher.stop()
        let points = try #require(app.state.watch.run?.points)
        for (point, snapshot) in zip(points, snapshots) {
            // The same settings on the file alone, outside the watch job; and the class bootstrap
            // from that analysis's counts, called directly.
            let alone = try SnapshotAnalysis.analyse(snapshot, options: OPISOptions(), reference: nil).0
            let direct = BootstrapSummary.compute(
                report: alone.report, counts: alone.counts, retrieval: alone.retrieval, replicates: 200, seed: 7,
                level: 0.9, threads: 1)
            #expect(point.intervals == SnapshotIntervals(direct), "step \(point.step)")
            #expect(point.intervals!.opis.low <= point.opis && point.opis <= point.intervals!.opis.high)
        }
        let frame = try #require(backend.frames.last)
        let lines = (0 ..< frame.height).map { frame.line($0) }
        let opisRow = try #require(
            lines.firstIndex { $0.contains("OPIS    ") && $0.contains { "▁▂▃▄▅▆▇█".contains($0) } })
        let ciLine = lines[opisRow + 1]
        #expect(ciLine.contains(" 90% CI"), "\(lines.joined(separator: "\n"))")
        #expect(ciLine.filter { "▁▂▃▄▅▆▇█".contains($0) }.count == 3, "a cell per snapshot: \(ciLine)")
        let shown = try #require(points.last?.intervals?.opis)
        #expect(ciLine.contains("[\(Format.number(shown.low, 5)), \(Format.number(shown.high, 5))]"), "\(ciLine)")
    }
}
