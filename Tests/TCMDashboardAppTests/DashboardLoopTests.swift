import Foundation
import Testing
import TCMDashboard
import TCMData
import TCMJobs
import TCMKernels
import TCMProjection
import TCMTerminal
@testable import TCMDashboardApp
import TCMScopeSupport

/// The UI loop itself, through the scripted `TestBackend`: what it draws for which events, and
/// that a worker's result ends the loop's wait at once, including one that lands while a frame
/// is being drawn. Runs under TSan in .ci/run too.
@Suite struct DashboardLoopTests {
    /// A screen that shows the newest value a worker put in its mailbox.
    final class MailboxScreen: LoopScreen {
        let box: Mailbox<String>
        var shown = "nothing yet"
        var updates = 0
        init(wake: Wakeup) { box = Mailbox(wake: wake) }
        func update() -> Bool {
            updates += 1
            guard let v = box.take() else { return false }
            shown = v
            return true
        }
        func render(into buffer: inout CellBuffer) { buffer.write(shown, x: 0, y: 0, style: .plain) }
        func handle(_ event: Event, size: (width: Int, height: Int)) -> EventOutcome {
            switch event {
            case .key(.character("q")): return .quit
            case .resize: return .changed
            default: return .unchanged
            }
        }
        var nextDeadline: Duration? { nil }
        var isDone: Bool { false }
    }

    @Test func aResultPublishedMidFrameWakesTheLoopAndIsDrawnNext() {
        let wake = Wakeup()
        let screen = MailboxScreen(wake: wake)
        // Frame 1 is being drawn when a worker thread publishes; then the loop waits with no
        // deadline (the test backend would give up after 20 s): the wake must end that wait.
        let backend = TestBackend(
            width: 30, height: 3, script: [.wait(action: {}), .events([.key(.character("q"))])],
            whenDone: [], longestWait: .seconds(20))
        let box = screen.box
        backend.duringDraw = { frame in
            guard frame == 1 else { return }
            let published = DispatchSemaphore(value: 0)
            DispatchQueue.global().async {
                box.put("layout 7")
                published.signal()
            }
            published.wait()
        }
        let started = Date()
        let quit = EventLoop.run(screen, on: backend, wake: wake)
        let seconds = Date().timeIntervalSince(started)
        #expect(quit)
        #expect(backend.frames.count == 2, "the first frame, then the one with the result")
        #expect(backend.frames[0].line(0).hasPrefix("nothing yet"))
        #expect(backend.frames[1].line(0).hasPrefix("layout 7"))
        #expect(backend.timeouts.first == .some(nil), "no fixed tick: the loop waited without a deadline")
        #expect(seconds < 10, "woken by the worker, not by the 20 s limit (\(seconds) s)")
    }

    @Test func eventsThatChangeNothingDrawNothingAndResizeRedrawsAtTheNewSize() {
        let wake = Wakeup()
        let screen = MailboxScreen(wake: wake)
        let resizing = TestBackend(
            width: 20, height: 2,
            script: [
                .events([.key(.character("x")), .click(x: 1, y: 1)]),  // the screen ignores both
                .events([.resize]),
            ], whenDone: [.key(.character("q"))])
        let quit = EventLoop.run(screen, on: resizing, wake: wake)
        #expect(quit)
        #expect(resizing.frames.count == 2, "first frame, then the resize; the ignored key and click drew nothing")
        #expect(screen.updates == 3, "one update before each frame or wait")
    }

    /// The dashboard on the test backend: keys move the threshold exactly as `DashboardState`
    /// does on its own, m starts t-SNE on a Dispatch queue, and its layouts reach the screen
    /// through wake-ups until the run finishes.
    @Test func dashboardDrawsKeysAndTSNELayoutsFromItsWorkers() throws {
        let (matrix, labels) = SyntheticData.clustered(n: 240, dimension: 8, classes: 4, seed: 9)
        let dataset = try Dataset.validated(embeddings: matrix, labels: labels, embeddingFile: "e", labelFile: "l")
        let dir = NSTemporaryDirectory() + "tcmscope-loop-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let app = DashboardApp(
            dataset: dataset, title: "synthetic", bundled: false, loss: .contrastive, epochs: 1, saveDirectory: dir)
        app.tsneLimit = 60
        var expected = app.state
        for key in [Key.right, .right, .right, .left] { expected.apply(.key(key)) }

        let deadline = Date().addingTimeInterval(120)
        let backend = TestBackend(
            width: 120, height: 40,
            script: [
                .events([.key(.right), .key(.right)]),
                .events([.key(.right), .key(.left)]),
                .events([.key(.character("m"))]),
                .until { app.state.projection.status.hasPrefix("t-SNE of") || Date() > deadline },
            ])
        app.run(backend)

        #expect(
            app.state.threshold == expected.threshold && app.state.calibration.cursor == expected.calibration.cursor)
        #expect(app.state.projection.status == "t-SNE of 60 of 240 rows (stratified)", "\(app.state.projection.status)")
        // The layout on screen is the finished run's: the same computation done here directly.
        let kept = StratifiedSample.indices(labels: labels, limit: 60, seed: 1)
        var options = TSNEOptions()
        options.threads = 1
        let direct = try TSNE.run(unitRows: RowNorms.normalized(matrix.gatherRows(kept)), options: options)
        #expect(app.state.projection.points == direct)
        // Frames: the first, one per event batch that changed something, and more while t-SNE
        // published (each publish woke the loop); while it ran the loop waited at most 1 s.
        #expect(backend.frames.count > 4)
        #expect(backend.timeouts.contains(.some(.seconds(1))))
        let last = try #require(backend.frames.last).text
        #expect(last.contains("t-SNE"))
    }
}
