import Foundation
import TCMDashboard
import TCMDashboardApp
import TCMData
import TCMKernels
import TCMMetrics
import TCMScopeSupport
import TCMTerminal

/// `tcmscope bench dashboard`: launch-to-first-frame on the bundled sample, and the time of a
/// frame (state update + render into the cell buffer + ncurses drawing it) at 200×60, idle and
/// while fine-tuning runs on the other core. ncurses draws into /dev/null through the real
/// xterm-256color path, so its diffing and escape output are included.
enum DashboardBench {
    static func run(frames: Int) throws {
        let sinceLaunch = secondsSinceProcessStart
        let width = 200, height = 60
        let terminal = try NcursesTerminal(offscreenWidth: width, height: height)
        defer { terminal.close() }

        // The dashboard's own start-up path: load the bundled baseline, one pair pass, retrieval, PCA.
        let dataset = try Dataset.load(
            embeddings: try SampleData.path(SampleData.baselineEmbeddings),
            labels: try SampleData.path(SampleData.baselineLabels), options: EmbeddingLoader.Options(),
            dropZeroVectors: false)
        let app = DashboardApp(
            dataset: dataset, title: "eval-embeddings.npy", bundled: true, loss: .contrastive, epochs: 1,
            saveDirectory: NSTemporaryDirectory() + "tcmscope-bench-unused")
        var buffer = CellBuffer(width: width, height: height)
        Dashboard.render(app.state, into: &buffer)
        terminal.draw(buffer)
        let firstFrame = secondsSinceProcessStart
        print("Dashboard on the bundled sample (10,000 × 128, 10 classes), \(width)×\(height), release build")
        print(
            String(
                format:
                    "  launch → first frame     %6.0f ms   (process start to the first frame drawn; %.0f ms of it before main work began)",
                firstFrame * 1000, sinceLaunch * 1000))

        let idle = measureFrames(app, terminal, frames: frames, width: width, height: height)
        report("frame, idle", idle)

        // The same frames while fine-tuning runs on a background queue.
        app.startTraining()
        let deadline = Date().addingTimeInterval(60)
        while app.state.fineTuning.training.step == 0 && Date() < deadline {
            _ = app.poll()
            usleep(20_000)
        }
        let busy = measureFrames(app, terminal, frames: frames, width: width, height: height)
        report("frame, fine-tuning", busy)
        print(
            String(
                format: "  training step reached    %6d       (ratio busy/idle median %.2f×)",
                app.state.fineTuning.training.step,
                busy.median / idle.median))
        app.training?.control.cancel()

        // Many classes: only the 24 worst curves are drawn, but the mean curve sums every class.
        for classes in [1_000, 10_000] {
            let (matrix, labels) = SyntheticData.clustered(n: 30_000, dimension: 64, classes: classes, seed: 1)
            let layout = ClassLayout(embeddings: matrix, labels: labels)
            var state = DashboardState(title: "synthetic", counts: PairCounts.compute(layout: layout))
            let times = measureRender(&state, terminal, frames: max(20, frames / 5), width: width, height: height)
            report("frame, \(classes) classes", times)
            // A range key: the frame shows the new range at once; the report (OPIS over every
            // class) is made in the background from 1,000 classes on and lands a moment later.
            var catchUp: [Double] = []
            let range = measureRender(
                &state, terminal, frames: 20, width: width, height: height, keys: [.character("]"), .character("[")]
            ) { state in
                guard let request = state.pendingReport else { return }
                let start = DispatchTime.now().uptimeNanoseconds
                state.apply(.reportFinished(request.analyzer.report(request.options), for: request))
                catchUp.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
            report("range key, \(classes) cl.", range)
            if !catchUp.isEmpty {
                print(
                    String(
                        format: "  %@ %6.2f ms median (background; OPIS shows \"updating…\" until then)",
                        "  report catches up in".padding(toLength: 24, withPad: " ", startingAt: 0) as NSString,
                        median(catchUp)))
            }
        }
        print("  budget 5 ms a frame; first frame ≤ 2 s")
    }

    struct Times {
        var median: Double
        var p99: Double
        var renderMedian: Double
    }

    /// Frames as the UI loop makes them: take background results, apply a key, render, draw.
    static func measureFrames(
        _ app: DashboardApp, _ terminal: NcursesTerminal, frames: Int, width: Int, height: Int
    ) -> Times {
        timeFrames(frames, terminal, width: width, height: height) { i in
            _ = app.poll()
            app.send(.key(i % 2 == 0 ? .right : .left))
            return app.state
        }
    }

    /// Frames of a bare state: `keys` in turn; `between` runs untimed before each frame (what
    /// background jobs would deliver meanwhile).
    static func measureRender(
        _ state: inout DashboardState, _ terminal: NcursesTerminal, frames: Int, width: Int, height: Int,
        keys: [Key] = [.right, .left], between: (inout DashboardState) -> Void = { _ in }
    ) -> Times {
        timeFrames(frames, terminal, width: width, height: height, untimed: { _ in between(&state) }) { i in
            state.apply(.key(keys[i % keys.count]))
            return state
        }
    }

    /// Times `frames` frames: `update` (the state changes of frame i, returning what to draw),
    /// render into a fresh buffer, ncurses draw. `untimed` runs before each, outside the clock.
    static func timeFrames(
        _ frames: Int, _ terminal: NcursesTerminal, width: Int, height: Int,
        untimed: (Int) -> Void = { _ in }, update: (Int) -> DashboardState
    ) -> Times {
        var total: [Double] = [], render: [Double] = []
        for i in 0 ..< frames {
            untimed(i)
            let start = DispatchTime.now().uptimeNanoseconds
            let state = update(i)
            var buffer = CellBuffer(width: width, height: height)
            Dashboard.render(state, into: &buffer)
            let rendered = DispatchTime.now().uptimeNanoseconds
            terminal.draw(buffer)
            let end = DispatchTime.now().uptimeNanoseconds
            total.append(Double(end - start) / 1e6)
            render.append(Double(rendered - start) / 1e6)
        }
        return Times(median: median(total), p99: percentile(total, 0.99), renderMedian: median(render))
    }

    static func report(_ name: String, _ t: Times) {
        print(
            String(
                format:
                    "  %@ %6.2f ms median, %6.2f ms p99   (render %.2f ms, ncurses draw %.2f ms; %.2f× the 5 ms budget)",
                name.padding(toLength: 24, withPad: " ", startingAt: 0) as NSString, t.median, t.p99, t.renderMedian,
                t.median - t.renderMedian, t.median / 5))
    }

    static func median(_ v: [Double]) -> Double { percentile(v, 0.5) }
    static func percentile(_ v: [Double], _ p: Double) -> Double {
        let s = v.sorted()
        return s.isEmpty ? .nan : s[min(s.count - 1, Int(Double(s.count - 1) * p + 0.5))]
    }

    /// Seconds since this process started (from /proc: start time in clock ticks since boot).
    static var secondsSinceProcessStart: Double {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
            let uptime = try? String(contentsOfFile: "/proc/uptime", encoding: .utf8),
            let afterName = stat.range(of: ") ", options: .backwards)
        else { return .nan }
        let fields = stat[afterName.upperBound...].split(separator: " ")
        // Field 22 of the file is the start time; fields here begin at field 3.
        guard fields.count > 19, let ticks = Double(fields[19]), let now = Double(uptime.split(separator: " ")[0])
        else { return .nan }
        return now - ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
