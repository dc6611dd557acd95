import TCMMetrics

/// Two watched runs (`dash --watch A --watch B`) compared as a practitioner asks it: at the same
/// training step. They go on the same comparison model as the A/B fine-tuning (`comparison`), so Metrics,
/// Classes, the split curves and `a` show A, B and B − A for both kinds of comparison.
extension DashboardState {
    /// The newest step both runs have reached: what the screen shows while following.
    var latestCommonStep: Int? {
        guard let a = watch.run?.window.last?.step, let b = watch.secondRun?.window.last?.step else { return nil }
        return min(a, b)
    }

    /// The step both runs are shown at: the one `,` `.` chose, or the latest both have.
    public var comparedStep: Int? { watch.pairedStep ?? latestCommonStep }

    /// Puts each run's newest snapshot at or before the compared step on the comparison model
    /// (a run without that step shows its nearest earlier snapshot, and its name says which).
    mutating func pairRuns() {
        guard var a = watch.run, var b = watch.secondRun, let step = comparedStep else { return }
        a.keepAtOrBelow = step
        b.keepAtOrBelow = step
        a.select(atOrBefore: step)
        b.select(atOrBefore: step)
        watch.run = a
        watch.secondRun = b
        guard let shownA = a.current, let shownB = b.current else { return }
        var comparison = ABComparison(lossName: "")
        comparison.shown = watch.pair?.shown ?? .base
        func label(_ letter: String, _ s: WatchedSnapshot) -> String {
            "\(letter) \(s.name)-\(s.step)" + (s.step == step ? "" : " (≤ \(step))")
        }
        comparison.runNames = [label("A", shownA), label("B", shownB)]
        for (side, snapshot) in [(ABSide.base, shownA), (.tcm, shownB)] {
            comparison[side].analyzer = ThresholdAnalyzer(counts: snapshot.counts)
            comparison[side].retrieval = snapshot.retrieval
            comparison[side].meanCurve = snapshot.meanCurve
            comparison[side].curvesStep = snapshot.step
            comparison[side].training.message = "watched"
        }
        // The shown run's counts go on screen first (which also moves the threshold with the run);
        // then each side's report is made once, at that threshold (`replace` leaves sides without
        // a report alone).
        watch.pair = comparison
        let shown = comparison[comparison.shown]
        replace(counts: shown.analyzer!.counts, retrieval: shown.retrieval, meanCurve: shown.meanCurve)
        for side in ABSide.allCases {
            watch.pair![side].report = watch.pair![side].analyzer!.report(calibration.options)
        }
        showProjectionOfShownRun()
        status =
            "step \(step)\(watch.pairedStep == nil ? " (following)" : ""): \(comparison.name(.base)) · \(comparison.name(.tcm))"
    }

    /// The projection pane shows the run in focus (the one the curves show, flipped by `a`), and
    /// says whose: each snapshot carries its own PCA and the class of each point, so B's rows are
    /// drawn in B's classes even when B holds other rows or classes than A.
    mutating func showProjectionOfShownRun() {
        guard let pair = watch.pair,
            let snapshot = pair.shown == .base ? watch.run?.current : watch.secondRun?.current,
            !snapshot.pca.isEmpty, snapshot.pca.count == 2 * snapshot.pcaClasses.count
        else { return }
        projection.points = snapshot.pca
        projection.labels = snapshot.pcaClasses
        projection.status = "PCA  \(pair.shown.letter) \(snapshot.name)-\(snapshot.step)"
    }

    /// `,` / `.` with two runs: the previous or next step either run has (among the snapshots whose
    /// curves are kept), up to the latest step both have, where following resumes.
    mutating func moveBothRuns(_ delta: Int) {
        guard let a = watch.run, let b = watch.secondRun, let top = latestCommonStep, let current = comparedStep else {
            status = "waiting for both runs' first snapshots"
            return
        }
        let steps = Set((a.window + b.window).map(\.step)).filter { $0 <= top }.sorted()
        let target: Int?
        if delta < 0 {
            target = steps.last { $0 < current }
        } else {
            target = steps.first { $0 > current }
        }
        guard let target else {
            status =
                delta < 0
                ? "oldest step with curves in both runs' windows (each keeps \(a.capacity))"
                : "the latest step both runs have"
            return
        }
        watch.pairedStep = target >= top ? nil : target
        pairRuns()
    }
}
