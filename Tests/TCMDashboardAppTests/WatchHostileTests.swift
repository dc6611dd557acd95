import Foundation
import Testing
@testable import TCMDashboard
import TCMData
import TCMMetrics
@testable import TCMDashboardApp
@testable import TCMScopeSupport

/// Issue 31's watch-mode causes: two runs of other class sets on one screen, names that are one
/// Swift `String` but two files, and names that look like snapshots but cannot be taken.
@Suite struct WatchHostileTests {
    /// Creates a file whose name is given as bytes (which need not be UTF-8).
    static func create(_ dir: String, nameBytes: [UInt8], contents: [UInt8] = [1, 2, 3]) {
        let path = Array(dir.utf8) + [UInt8(ascii: "/")] + nameBytes + [0]
        let fd = path.withUnsafeBufferPointer { p in
            p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) {
                open($0, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            }
        }
        precondition(fd >= 0, "cannot create a test file: \(String(cString: strerror(errno)))")
        _ = contents.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }

    /// `café-5.npz` in NFC and in NFD are two files: two snapshots, each delivered once, and the
    /// folder then stays quiet (one key for both made every poll take one for a rewrite of the other).
    @Test func namesEqualUnderNormalisationAreTwoSnapshotsDeliveredOnce() throws {
        let dir = WatchTests.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let nfc = Array("caf\u{E9}-5.npz".utf8), nfd = Array("cafe\u{301}-5.npz".utf8)
        #expect("caf\u{E9}-5.npz" == "cafe\u{301}-5.npz", "Swift String equality is canonical equivalence")
        Self.create(dir, nameBytes: nfc, contents: [1])
        Self.create(dir, nameBytes: nfd, contents: [1, 2])
        let folder = SnapshotFolder(directory: dir, settle: .seconds(30))
        let t0 = ContinuousClock.now
        #expect(try folder.poll(now: t0).isEmpty)
        let delivered = try folder.poll(now: t0 + .seconds(31))
        #expect(delivered.count == 2, "\(delivered)")
        #expect(Set(delivered.map { Array(URL(fileURLWithPath: $0.embeddings).lastPathComponent.utf8) }) == [nfc, nfd])
        for k in 1 ... 5 {
            #expect(try folder.poll(now: t0 + .seconds(31 + 40 * k)).isEmpty, "poll \(k) re-delivered a snapshot")
        }
        #expect(folder.takeRefusals().isEmpty)
        // Their points are two points, not one replacing the other.
        let points = delivered.reduce(into: [SnapshotPoint]()) { points, s in
            points = SnapshotPoint.adding(
                SnapshotPoint(
                    name: s.name, step: s.step, opis: 0, epsilonOPIS: 0, recallAt1: 1, eer: 0, samples: 2, classes: 1),
                to: points)
        }
        #expect(points.count == 2)
    }

    /// A name that looks like a snapshot but cannot be one (not UTF-8; a step of 19 digits) is one
    /// "skipped" refusal, said once while the file is there, and again if it comes back.
    @Test func snapshotLikeNamesThatCannotBeTakenAreRefusedOnce() throws {
        let dir = WatchTests.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        Self.create(dir, nameBytes: Array("run".utf8) + [0xFF] + Array("-5.npz".utf8))
        Self.create(dir, nameBytes: Array("run-1234567890123456789.npz".utf8))
        // Not snapshot-like: never mentioned.
        Self.create(dir, nameBytes: Array("notes".utf8) + [0xFE] + Array(".txt".utf8))
        Self.create(dir, nameBytes: Array("model.npz".utf8))
        let folder = SnapshotFolder(directory: dir, settle: .seconds(30))
        #expect(try folder.poll().isEmpty)
        let refusals = folder.takeRefusals().map(\.description).sorted()
        #expect(refusals.count == 2, "\(refusals)")
        #expect(refusals.contains { $0.contains("run\\xFF-5.npz") && $0.contains("not valid UTF-8") }, "\(refusals)")
        #expect(refusals.contains { $0.contains("run-1234567890123456789.npz") && $0.contains("19 digits") })
        _ = try folder.poll()
        #expect(folder.takeRefusals().isEmpty, "said once")
        try FileManager.default.removeItem(atPath: dir + "/run-1234567890123456789.npz")
        _ = try folder.poll()
        Self.create(dir, nameBytes: Array("run-1234567890123456789.npz".utf8))
        _ = try folder.poll()
        #expect(folder.takeRefusals().count == 1, "a file that came back is said again")
    }

    /// The red team's crash: `dash --watch A --watch B` where B's evaluation set has other classes
    /// than A's. Each run's curves pane draws from its own classes: fewer (2 of 3) or more (5).
    @Test(arguments: [2, 5]) func aSecondRunWithOtherClassesDrawsItsOwn(classesOfB: Int) throws {
        let dirA = WatchTests.directory(), dirB = WatchTests.directory()
        defer {
            try? FileManager.default.removeItem(atPath: dirA)
            try? FileManager.default.removeItem(atPath: dirB)
        }
        let a = try WatchedRunsByStepTests.snapshot(dirA, "a", 100)
        let b = try WatchedRunsByStepTests.snapshot(dirB, "b", 100, classes: classesOfB)
        #expect(b.report.classes.count == classesOfB)
        let app = WatchedRunsByStepTests.watching(dirA, first: a)
        app.watchSecond(
            SnapshotFolder(directory: dirB, settle: .seconds(3600)), first: b,
            reference: SnapshotReference(labels: b.labels, dimension: 4))
        defer {
            app.watcher.stop()
            app.secondWatcher.stop()
        }
        for row in [0, 1, 2] {
            if row > 0 { app.send(.key(.down)) }
            #expect(app.state.table.focusedRow == row)
            var frame = CellBuffer(width: 200, height: 60)
            Dashboard.render(app.state, into: &frame)
            let lines = (0 ..< frame.height).map { frame.line($0) }
            // The second pane's legend: the row under its title, from its left edge on.
            // Its pane's title names the run and its snapshot ("[B b-100]").
            let titleRow = try #require(lines.firstIndex { $0.contains("b-100]") }, "\(lines.joined(separator: "\n"))")
            let title = Array(lines[titleRow]), mark = Array("b-100]")
            let at = try #require(title.indices.first { Array(title[$0...].prefix(mark.count)) == mark })
            let paneLeft = try #require(title[..<at].lastIndex(of: "┌"))
            let legend = String(Array(lines[titleRow + 1]).dropFirst(paneLeft))
            let drawn = (0 ..< 8).filter { legend.contains("■\($0) ") }
            #expect(drawn == Array(0 ..< classesOfB), "B's legend names B's classes: \(legend)")
        }
    }
}

/// Issue 33: two watched runs at different speeds are compared at the same step, on the A/B
/// comparison model (Metrics and Classes show A, B and B − A), and `,` `.` move both by step.
@Suite struct WatchedRunsByStepTests {
    /// Writes and analyses `name`'s snapshot at `step` (3 classes, or `classes`).
    static func snapshot(_ dir: String, _ name: String, _ step: Int, classes: Int = 3) throws -> AnalysedSnapshot {
        WatchTests.writeSnapshot(dir, name: name, step: step, classes: classes)
        return try SnapshotAnalysis.analyse(
            Snapshot(
                name: name, step: step, embeddings: "\(dir)/\(name)-\(step).embeddings.npy",
                labels: "\(dir)/\(name)-\(step).labels.npy"),
            options: OPISOptions(), reference: nil
        ).0
    }

    /// A dashboard watching `dir`, its first snapshot on screen (the folder's own job adds nothing:
    /// its settle time is an hour).
    static func watching(_ dir: String, first: AnalysedSnapshot) -> DashboardApp {
        let app = DashboardApp(
            dataset: nil, analysis: InitialAnalysis(counts: first.counts, retrieval: first.retrieval, pca: []),
            title: "watched", bundled: false, loss: .contrastive, epochs: 1, saveDirectory: dir + "/saved")
        app.watch(
            SnapshotFolder(directory: dir, settle: .seconds(3600)), first: first,
            reference: SnapshotReference(labels: first.labels, dimension: 4))
        return app
    }

    /// A snapshot arriving as the watch job hands it to the screen.
    static func arrive(_ a: AnalysedSnapshot, in app: DashboardApp, second: Bool = false) throws {
        guard
            case .analysed(let point, let watched, _, _, _) = WatchController.result(a, utility: OPISOptions().utility)
        else { throw DataError(a.snapshot.embeddings, "not analysed") }
        app.send(.snapshotArrived(second ? .second : .first, point, watched))
    }

    @Test func runsArePairedByStepAndMoveTogether() throws {
        let dirA = WatchTests.directory(), dirB = WatchTests.directory()
        defer {
            try? FileManager.default.removeItem(atPath: dirA)
            try? FileManager.default.removeItem(atPath: dirB)
        }
        let a100 = try Self.snapshot(dirA, "a", 100), b100 = try Self.snapshot(dirB, "b", 100, classes: 2)
        let app = Self.watching(dirA, first: a100)
        app.watchSecond(
            SnapshotFolder(directory: dirB, settle: .seconds(3600)), first: b100,
            reference: SnapshotReference(labels: b100.labels, dimension: 4))
        defer {
            app.watcher.stop()
            app.secondWatcher.stop()
        }
        func add(_ a: AnalysedSnapshot, second: Bool) throws { try Self.arrive(a, in: app, second: second) }
        // A runs ahead: B reaches 250 while A is at 300, then A goes on to 1,000 (more snapshots than
        // a window of 8 keeps); its snapshot nearest below B's step stays.
        for step in [200, 300] { try add(try Self.snapshot(dirA, "a", step), second: false) }
        try add(try Self.snapshot(dirB, "b", 250, classes: 2), second: true)
        for step in stride(from: 400, through: 1000, by: 100) {
            try add(try Self.snapshot(dirA, "a", step), second: false)
        }
        #expect(app.state.comparedStep == 250 && app.state.watch.pairedStep == nil)
        let ab = try #require(app.state.comparison)
        #expect(ab[.base].curvesStep == 200 && ab[.tcm].curvesStep == 250, "A's nearest earlier snapshot, kept")
        #expect(ab.name(.base) == "A a-200 (≤ 250)" && ab.name(.tcm) == "B b-250")
        #expect(
            app.state.watch.run?.window.count == 8 && app.state.watch.run?.window.contains { $0.step == 200 } == true)
        #expect(ab[.base].report?.classes.count == 3 && ab[.tcm].report?.classes.count == 2)
        // Metrics: both runs' OPIS and B − A, as computed from each run's own counts.
        var frame = CellBuffer(width: 200, height: 60)
        Dashboard.render(app.state, into: &frame)
        var text = (0 ..< frame.height).map { frame.line($0) }.joined(separator: "\n")
        let opisA = try #require(ab[.base].report?.opis), opisB = try #require(ab[.tcm].report?.opis)
        #expect(text.contains(Format.number(opisA, 5)) && text.contains(Format.number(opisB, 5)), "\(text)")
        #expect(text.contains("[A a-200 (≤ 250)]") && text.contains("[B b-250]"), "\(text)")
        #expect(text.contains("term A   term B"), "the class table compares by name")
        // `,` goes back to the previous step either run has (B's 100; A's window no longer has it,
        // so A shows its oldest kept); `.` comes back and follows again.
        _ = app.handle(.key(.character(",")), size: (200, 60))
        #expect(app.state.comparedStep == 200 && app.state.watch.pairedStep == 200)
        #expect(app.state.comparison?[.base].curvesStep == 200 && app.state.comparison?[.tcm].curvesStep == 100)
        _ = app.handle(.key(.character(".")), size: (200, 60))
        #expect(app.state.watch.pairedStep == nil && app.state.comparison?[.tcm].curvesStep == 250)
        // A new B snapshot moves the compared step while following.
        try add(try Self.snapshot(dirB, "b", 600, classes: 2), second: true)
        #expect(app.state.comparedStep == 600 && app.state.comparison?[.base].curvesStep == 600)
        frame = CellBuffer(width: 200, height: 60)
        Dashboard.render(app.state, into: &frame)
        text = (0 ..< frame.height).map { frame.line($0) }.joined(separator: "\n")
        #expect(text.contains("[A a-600]") && text.contains("[B b-600]"), "\(text)")
        // s saves both runs' reports, their comparison, and the timeline of every snapshot of both.
        _ = app.handle(.key(.character("s")), size: (200, 60))
        #expect(app.state.status.hasPrefix("saved A/B"), "\(app.state.status)")
        let saved = dirA + "/saved/ab"
        for file in ["A/report.json", "B/report.json", "comparison.json", "timeline.csv", "timeline.svg"] {
            #expect(FileManager.default.fileExists(atPath: "\(saved)/\(file)"), "\(file)")
        }
        let rows = try TimelineCSV.read(saved + "/timeline.csv")
        #expect(rows.filter { $0.name == "a" }.count == 10 && rows.filter { $0.name == "b" }.count == 3)
    }
}

/// Issue 33: while watching, the threshold follows the run — each snapshot's range centre until
/// the user moves it, then the global FAR they chose — instead of staying where step 0 put it.
@Suite struct WatchedThresholdTests {
    @Test func theThresholdFollowsTheRunAtAGlobalFAR() throws {
        let dir = WatchTests.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // The spread shrinks with the step: each snapshot's similarities (and range) move up.
        let first = try WatchedRunsByStepTests.snapshot(dir, "r", 100)
        let app = WatchedRunsByStepTests.watching(dir, first: first)
        defer { app.watcher.stop() }
        func add(_ step: Int) throws -> AnalysedSnapshot {
            let a = try WatchedRunsByStepTests.snapshot(dir, "r", step)
            try WatchedRunsByStepTests.arrive(a, in: app)
            return a
        }
        func centre(_ a: AnalysedSnapshot) -> Int {
            let grid = ThresholdGrid(
                spec: app.state.calibration.options.range, points: app.state.calibration.options.points,
                counts: a.counts)
            return (grid.lowEdge + grid.highEdge) / 2
        }
        #expect(app.state.calibration.cursor == centre(first))
        let later = try add(400)
        #expect(centre(later) != centre(first), "the test needs snapshots whose ranges differ")
        #expect(app.state.calibration.cursor == centre(later), "following: the new snapshot's range centre")
        // The user moves the threshold: its global FAR is held for the next snapshots.
        for _ in 0 ..< 30 { _ = app.handle(.key(.right), size: (160, 45)) }
        let held = try #require(app.state.watch.heldFAR)
        #expect(held == ThresholdAnalyzer(counts: later.counts).globalRates(edge: app.state.calibration.cursor).far)
        let last = try add(900)
        let expected = ThresholdGrid.edge(forGlobalFAR: held, counts: last.counts)
        #expect(app.state.calibration.cursor == expected)
        // Independently: the global FAR there is at most the held one, and one edge lower it is above.
        let analyzer = ThresholdAnalyzer(counts: last.counts)
        #expect(analyzer.globalRates(edge: expected).far <= held)
        #expect(expected == 0 || analyzer.globalRates(edge: expected - 1).far > held)
    }
}
