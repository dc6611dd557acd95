import Foundation
import Testing
import TCMData
import TCMKernels
import TCMMetrics
@testable import TCMDashboard

/// `DashboardState.apply`, the state's one writer, as The Elm Architecture tests it: events in,
/// the state and the effects out, with no app, thread or terminal.
@Suite struct ApplyTests {
    /// A watched snapshot of the sample's rows moved by seeded noise (`scale`), as the watch job
    /// hands it over: its point, its curves and its classes, computed here from the rows.
    static func snapshot(
        _ name: String, step: Int, seed: UInt64, scale: Float, classes: Int = 3
    ) -> (SnapshotPoint, WatchedSnapshot) {
        var rng = SplitMix64(seed: seed)
        var values: [Float] = [], labels: [Int64] = []
        for c in 0 ..< classes {
            for i in 0 ..< 30 {
                let a = Float(c) * 2.1 + Float(i - 15) * 0.02 * Float(c + 1)
                for x in [cos(a), sin(a), 0.3 * Float(i % 5) / 5] {
                    values.append(x + scale * (Float(rng.next() >> 40) / Float(1 << 24) * 2 - 1))
                }
                labels.append(Int64(c))
            }
        }
        let rows = labels.count
        let layout = ClassLayout(
            embeddings: Matrix(rows: rows, cols: 3, values: values), labels: Labels(integers: labels))
        let counts = PairCounts.compute(layout: layout), retrieval = Retrieval.compute(layout: layout)
        let report = ThresholdAnalyzer(counts: counts).report(OPISOptions())
        let point = SnapshotPoint(
            name: name, step: step, opis: report.opis, epsilonOPIS: report.epsilonOPIS,
            recallAt1: retrieval.recallAtK.first?.recall ?? .nan, eer: report.global.eer, samples: rows,
            classes: classes)
        let watched = WatchedSnapshot(
            name: name, step: step, counts: counts, retrieval: retrieval,
            meanCurve: DashboardState.meanCurve(ThresholdAnalyzer(counts: counts), OPISOptions().utility),
            // A stand-in layout: each row's first two coordinates, with its class.
            pca: (0 ..< rows).flatMap { [values[3 * $0], values[3 * $0 + 1]] }, pcaClasses: labels.map { Int32($0) },
            classes: report.classes)
        return (point, watched)
    }

    @discardableResult
    static func arrive(
        _ which: WatchedRun, _ name: String, _ step: Int, scale: Float = 0.1, classes: Int = 3,
        in state: inout DashboardState
    ) -> WatchedSnapshot {
        let (point, watched) = snapshot(
            name, step: step, seed: UInt64(step) + (which == .first ? 0 : 7), scale: scale, classes: classes)
        #expect(state.apply(.snapshotArrived(which, point, watched)).isEmpty)
        return watched
    }

    /// Run A writes a snapshot every 100 steps three times as fast as B; B's snapshots also
    /// arrive out of order (300 before 200). The screen compares both at the latest step both
    /// have, moves both by step with `,` `.`, and resumes following at the latest common step.
    @Test func twoWatchedRunsAtDifferentSpeedsArrivingOutOfOrderArePairedByStep() throws {
        var s = sampleState()
        s.apply(.watchStarted(.first, directory: "runs/a"))
        s.apply(.watchStarted(.second, directory: "runs/b"))
        for step in [100, 200, 300] { Self.arrive(.first, "a", step, in: &s) }
        #expect(s.comparison == nil, "no comparison until both runs have a snapshot")
        Self.arrive(.second, "b", 100, in: &s)
        #expect(s.comparedStep == 100 && s.watch.run?.current?.step == 100 && s.watch.secondRun?.current?.step == 100)
        #expect(s.comparison?.runNames == ["A a-100", "B b-100"])

        Self.arrive(.second, "b", 300, in: &s)
        #expect(s.comparedStep == 300 && s.watch.pairedStep == nil, "following: the latest step both have")
        #expect(s.watch.run?.current?.step == 300 && s.watch.secondRun?.current?.step == 300)
        Self.arrive(.second, "b", 200, in: &s)  // late: lands in order, the screen stays at 300
        #expect(s.watch.secondRun?.window.map(\.step) == [100, 200, 300] && s.watch.secondRun?.current?.step == 300)

        // Metrics' B − A is the difference of both snapshots' own reports at the screen's options.
        let ab = try #require(s.comparison)
        let a300 = Self.snapshot("a", step: 300, seed: 300, scale: 0.1).1
        let b300 = Self.snapshot("b", step: 300, seed: 307, scale: 0.1).1
        let opisA = ThresholdAnalyzer(counts: a300.counts).report(s.calibration.options).opis
        let opisB = ThresholdAnalyzer(counts: b300.counts).report(s.calibration.options).opis
        #expect(ab[.base].report?.opis == opisA && ab[.tcm].report?.opis == opisB)
        #expect(ab.difference { $0.report?.opis } == opisB - opisA)

        #expect(s.apply(.key(.character(","))).isEmpty)
        #expect(
            s.watch.pairedStep == 200 && s.watch.run?.current?.step == 200 && s.watch.secondRun?.current?.step == 200)
        Self.arrive(.first, "a", 400, in: &s)
        #expect(s.comparedStep == 200, "a chosen step stays while A runs ahead")
        s.apply(.key(.character(".")))
        #expect(s.watch.pairedStep == nil && s.comparedStep == 300, "back to following at the latest common step")
        #expect(s.watch.run?.current?.step == 300 && s.comparison?.runNames == ["A a-300", "B b-300"])
    }

    /// A report made in the background for an older range (a stale request) changes nothing;
    /// the one for the current range is installed.
    @Test func aReportForAnOlderRangeIsIgnored() throws {
        var s = ManyClassesTests().manyClassState()
        s.apply(.key(.character("]")))
        let old = try #require(s.pendingReport)
        s.apply(.key(.character("]")))
        let current = try #require(s.pendingReport)
        let opis = s.report.opis
        #expect(s.apply(.reportFinished(old.analyzer.report(old.options), for: old)).isEmpty)
        #expect(s.reportIsStale && s.report.opis == opis, "the stale report was refused")
        s.apply(.reportFinished(current.analyzer.report(current.options), for: current))
        #expect(!s.reportIsStale && s.report.opis == s.analyzer.report(s.calibration.options).opis)
    }

    /// An interval made for the analysis before new curves arrived (an older generation) is not
    /// shown beside the new OPIS.
    @Test func anIntervalOfAnOlderAnalysisIsIgnored() throws {
        var s = sampleState()
        let request = try #require(s.pendingInterval)
        let summary = BootstrapSummary.compute(
            report: request.report, counts: request.counts, retrieval: nil, replicates: 20, seed: 1, level: 0.95,
            threads: 1)
        let curves = FineTunedCurves(
            counts: perturbedCounts(seed: 3, scale: 0.1), retrieval: nil, meanCurve: nil, step: 10)
        s.apply(.trainingCurves(curves))
        #expect(s.status == "curves from training step 10")
        s.apply(.intervalFinished(summary, for: request.key))
        #expect(s.currentInterval == nil, "made for the analysis before")
        let fresh = try #require(s.pendingInterval)
        s.apply(.intervalFinished(summary, for: fresh.key))
        #expect(s.currentInterval != nil)
    }

    /// Keys come back as effects for the app to run, and the pause and cancel keys name the run
    /// that is going (a single run, or both runs of an A/B).
    @Test func keysAskForEffects() {
        var s = sampleState()
        #expect(s.apply(.key(.character("t"))) == [.startTraining])
        #expect(s.apply(.key(.character("A"))) == [.startAB])
        #expect(s.apply(.key(.character("s"))) == [.save])
        #expect(s.apply(.key(.character("m"))) == [.reproject])
        #expect(s.apply(.key(.character("q"))) == [.quit])
        s.apply(.abStarted(lossName: "contrastive", tcmMarginsAuto: true, adapter: false))
        #expect(s.apply(.key(.character("p"))) == [.pauseOrResumeAB])
        #expect(s.apply(.key(.character("c"))) == [.cancelAB])
    }

    /// Issue 33's bug at its root: after an A/B, `t` said "fine-tuning: contrastive + TCM" and
    /// nothing showed, because the finished A/B stayed on screen beside the new run. The run on
    /// screen is now one enum (`FineTuningRun`): starting a single run replaces the A/B, and a
    /// late word from either kind of run cannot bring the other back.
    @Test func tAfterAnABStartsASingleRunThatReplacesIt() throws {
        var s = sampleState()
        #expect(s.apply(.key(.character("A"))) == [.startAB])
        s.apply(.abStarted(lossName: "contrastive", tcmMarginsAuto: true, adapter: false))
        #expect(s.apply(.key(.character("t"))).isEmpty, "one run at a time")
        #expect(s.status == "fine-tuning already running (p pause, c cancel)")
        var lone = TrainingStatus()
        lone.running = true
        s.apply(.trainingProgress(lone))
        #expect(s.fineTuning.ab != nil && !s.fineTuning.training.running, "a stray single-run status is ignored")
        var done = TrainingStatus()
        done.step = 40
        done.totalSteps = 40
        done.message = "done"
        for (side, seed) in [(ABSide.base, UInt64(1)), (.tcm, 2)] {
            let curves = FineTunedCurves(
                counts: perturbedCounts(seed: seed, scale: 0.1), retrieval: nil, meanCurve: nil, step: 40)
            s.apply(.abCurves(side, curves, adapter: false))
            s.apply(.abProgress(side, done))
        }
        #expect(!s.fineTuning.running && s.comparison != nil, "the A/B ended and stays on screen")

        #expect(s.apply(.key(.character("t"))) == [.startTraining])
        var starting = TrainingStatus()
        starting.running = true
        starting.message = "preparing adapter…"
        s.apply(.trainingStarted(starting, adapter: true))
        guard case .single(let status) = s.fineTuning.run else {
            Issue.record("the A/B is still the run on screen")
            return
        }
        #expect(status.running && s.comparison == nil && s.status == "fine-tuning: contrastive + TCM")
        // A late word from the finished A/B changes nothing now.
        s.apply(.abProgress(.base, done))
        s.apply(
            .abCurves(
                .base,
                FineTunedCurves(counts: perturbedCounts(seed: 5, scale: 0.1), retrieval: nil, meanCurve: nil, step: 40),
                adapter: false))
        #expect(s.comparison == nil && s.fineTuning.training.running)

        // The new run's progress and curves are what the panes show.
        var progress = starting
        progress.step = 5
        progress.totalSteps = 10
        progress.message = ""
        s.apply(.trainingProgress(progress))
        let counts = perturbedCounts(seed: 4, scale: 0.1)
        s.apply(.trainingCurves(FineTunedCurves(counts: counts, retrieval: nil, meanCurve: nil, step: 5)))
        #expect(s.status == "curves from training step 5")
        #expect(s.report.opis == ThresholdAnalyzer(counts: counts).report(s.calibration.options).opis)
        var buffer = CellBuffer(width: 120, height: 40)
        Dashboard.render(s, into: &buffer)
        #expect(buffer.text.contains("Fine-tuning  contrastive + TCM  [running]") && !buffer.text.contains("A/B:"))
        #expect(buffer.text.contains(" 5/10 "))
    }

    /// With two watched runs the projection pane shows the run in focus and says whose: A's rows
    /// first, B's (other rows, other classes) after `a`, and B's again at the next step; `m`
    /// says why there is no t-SNE of one of them.
    @Test func theProjectionShowsTheRunInFocusAndSaysWhose() throws {
        var s = sampleState()
        s.apply(.watchStarted(.first, directory: "runs/a"))
        s.apply(.watchStarted(.second, directory: "runs/b"))
        let a = Self.arrive(.first, "a", 100, in: &s)
        let b = Self.arrive(.second, "b", 100, classes: 2, in: &s)
        #expect(s.projection.status == "PCA  A a-100")
        #expect(s.projection.points == a.pca && s.projection.labels == a.pcaClasses && a.pcaClasses.count == 90)
        s.apply(.key(.character("a")))
        #expect(s.projection.status == "PCA  B b-100")
        #expect(s.projection.points == b.pca && s.projection.labels == b.pcaClasses && b.pcaClasses.count == 60)
        var buffer = CellBuffer(width: 200, height: 60)
        Dashboard.render(s, into: &buffer)
        #expect(buffer.text.contains("Projection  PCA  B b-100"))
        Self.arrive(.first, "a", 200, in: &s)
        let b200 = Self.arrive(.second, "b", 200, classes: 2, in: &s)
        #expect(s.projection.status == "PCA  B b-200" && s.projection.points == b200.pca, "the focus stays on B")
        #expect(s.apply(.key(.character("m"))).isEmpty && s.status.contains("the PCA of the run in focus"))
    }

    /// While watching, the curves' axis keeps every snapshot's window: a later snapshot whose
    /// calibration range moved does not refit the axis and cut the earlier curves' rise.
    @Test func whileWatchingTheAxisKeepsTheCurvesWholeRise() throws {
        var s = sampleState()
        s.apply(.watchStarted(.first, directory: "runs/a"))
        Self.arrive(.first, "a", 100, scale: 0.02, in: &s)
        let first = s.view
        Self.arrive(.first, "a", 200, scale: 0.9, in: &s)
        let own = s.rangeWindow
        #expect(own.low > first.low + 1e-9 || own.high < first.high - 1e-9, "the range moved: its window alone cuts")
        let view = s.view
        #expect(view.low <= min(first.low, own.low) && view.high >= max(first.high, own.high))
        // Not watching, new curves refit the window to their range, as before.
        var free = sampleState()
        let curves = FineTunedCurves(
            counts: perturbedCounts(seed: 2, scale: 0.9), retrieval: nil, meanCurve: nil, step: 1)
        free.apply(.trainingCurves(curves))
        let window = free.rangeWindow
        try #require(free.threshold >= window.low && free.threshold <= window.high)
        #expect(free.view == window)
    }
}
