import Foundation
import Testing
import TCMData
import TCMKernels
import TCMMetrics
@testable import TCMDashboard

/// Counts of the sample state's rows after a seeded perturbation: a "fine-tuned" model's curves
/// on the same rows and classes.
func perturbedCounts(seed: UInt64, scale: Float) -> PairCounts {
    var rng = SplitMix64(seed: seed)
    var values: [Float] = [], labels: [Int64] = []
    for c in 0 ..< 3 {
        for i in 0 ..< 30 {
            let a = Float(c) * 2.1 + Float(i - 15) * 0.02 * Float(c + 1)
            let point: [Float] = [cos(a), sin(a), 0.3 * Float(i % 5) / 5]
            for x in point { values.append(x + scale * (Float(rng.next() >> 40) / Float(1 << 24) * 2 - 1)) }
            labels.append(Int64(c))
        }
    }
    return PairCounts.compute(
        layout: ClassLayout(embeddings: Matrix(rows: 90, cols: 3, values: values), labels: Labels(integers: labels)))
}

@Suite struct ABStateTests {
    /// An A/B state with curves for both runs: A noisier than B.
    func abState() -> (DashboardState, a: PairCounts, b: PairCounts) {
        var s = sampleState()
        _ = s.handle(.character("A"))
        s.beginAB(lossName: "contrastive")
        let a = perturbedCounts(seed: 1, scale: 0.3), b = perturbedCounts(seed: 2, scale: 0.05)
        s.installAB(.base, counts: a, retrieval: nil, meanCurve: nil, step: 10)
        s.installAB(.tcm, counts: b, retrieval: nil, meanCurve: nil, step: 10)
        return (s, a, b)
    }

    @Test func keyAAsksForTheRunsAndTheShownRunIsTheScreensAnalysis() throws {
        var s = sampleState()
        #expect(s.handle(.character("A")) == .startAB)
        let (ab, a, b) = abState()
        let state = try #require(ab.comparison)
        // Each run's report is its own counts' report at the screen's options, computed here directly.
        #expect(state[.base].report?.opis == ThresholdAnalyzer(counts: a).report(ab.calibration.options).opis)
        #expect(state[.tcm].report?.opis == ThresholdAnalyzer(counts: b).report(ab.calibration.options).opis)
        #expect(state[.base].report?.opis != state[.tcm].report?.opis)
        // B (+ TCM) is shown first; A is the ghost.
        #expect(ab.report.opis == ThresholdAnalyzer(counts: b).report(ab.calibration.options).opis)
        #expect(ab.ghost?.counts.globalPositiveAtOrAbove == a.globalPositiveAtOrAbove)
    }

    @Test func flippingSwapsTheShownRunAndTheGhost() throws {
        var (s, a, b) = abState()
        _ = s.handle(.character("a"))
        #expect(s.comparison?.shown == .base)
        #expect(s.report.opis == ThresholdAnalyzer(counts: a).report(s.calibration.options).opis)
        #expect(s.ghost?.counts.globalPositiveAtOrAbove == b.globalPositiveAtOrAbove)
        _ = s.handle(.character("a"))
        #expect(
            s.comparison?.shown == .tcm
                && s.report.opis == ThresholdAnalyzer(counts: b).report(s.calibration.options).opis)
    }

    @Test func bothRunsFollowTheRangeAndTheThreshold() throws {
        var (s, a, b) = abState()
        for key: Key in [.character("]"), .character("]"), .character("}"), .right, .right] { _ = s.handle(key) }
        let ab = try #require(s.comparison)
        for (side, counts) in [(ABSide.base, a), (.tcm, b)] {
            let direct = ThresholdAnalyzer(counts: counts).report(s.calibration.options)
            let report = try #require(ab[side].report)
            #expect(report.opis == direct.opis && report.epsilonOPIS == direct.epsilonOPIS)
            #expect(report.global.far == direct.global.far, "the operating point moved for \(side) too")
            #expect(report.classes.map(\.opisTerm) == direct.classes.map(\.opisTerm))
        }
    }

    @Test func panesShowBothRunsAndTheDifference() throws {
        let (s, _, _) = abState()
        let ab = try #require(s.comparison)
        let opisA = try #require(ab[.base].report?.opis), opisB = try #require(ab[.tcm].report?.opis)
        var buffer = CellBuffer(width: 200, height: 60)
        Dashboard.render(s, into: &buffer)
        let text = buffer.text
        let difference = opisB - opisA
        #expect(text.contains(Format.number(opisA, 5)) && text.contains(Format.number(opisB, 5)))
        #expect(text.contains((difference > 0 ? "+" : "") + Format.number(difference, 5)))
        #expect(text.contains("term A") && text.contains("OPIS A") && text.contains("OPIS B"))
        // The split view: both curves panes, each titled with its run.
        #expect(text.contains("[B contrastive + TCM]") && text.contains("[A contrastive]"))
        // The focused class's row holds both terms and B − A.
        let c = try #require(s.focusedClass)
        let ta = try #require(ab[.base].report?.classes[c].opisTerm),
            tb = try #require(ab[.tcm].report?.classes[c].opisTerm)
        #expect(text.contains(String(format: "%.1e", tb - ta)))
    }

    @Test func theSplitViewNeedsAWideScreen() {
        #expect(DashboardLayout(width: 200, height: 60, expanded: false, split: true)?.otherCurves != nil)
        #expect(DashboardLayout(width: 159, height: 40, expanded: false, split: true)?.otherCurves == nil)
        #expect(DashboardLayout(width: 120, height: 40, expanded: true, split: true)?.otherCurves != nil)
        #expect(DashboardLayout(width: 200, height: 60, expanded: false, split: false)?.otherCurves == nil)
        // The halves tile the curves' place without overlap.
        let layout = DashboardLayout(width: 200, height: 60, expanded: false, split: true)!
        let shown = layout.panes[.curves]!, other = layout.otherCurves!
        #expect(shown.maxX == other.x && shown.y == other.y && shown.height == other.height)
        #expect(shown.width + other.width == 200 * 3 / 5)
    }

    @Test func sparklinesOfBothRunsShareOneScale() {
        // B's values all below A's: on the shared scale B draws only low bars and A only high ones.
        let a = [4.0, 5, 6], b = [1.0, 2, 3]
        let scale = a + b
        #expect(Widgets.sparkline(a, width: 10, scale: scale) == "▅▇█")
        #expect(Widgets.sparkline(b, width: 10, scale: scale) == "▁▂▄")
    }
}

@Suite struct ABSplitBeforeCurvesTests {
    @Test func theOtherPaneWaitsForItsRunsCurvesInsteadOfRepeatingTheShownOne() {
        var s = sampleState()
        s.beginAB(lossName: "contrastive")
        s.installAB(.tcm, counts: perturbedCounts(seed: 2, scale: 0.05), retrieval: nil, meanCurve: nil, step: 10)
        var buffer = CellBuffer(width: 200, height: 60)
        Dashboard.render(s, into: &buffer)
        #expect(buffer.text.contains("[A contrastive]") && buffer.text.contains("curves after its first evaluation"))
        #expect(buffer.text.components(separatedBy: "[B contrastive + TCM]").count == 2, "B's pane once")
    }
}
