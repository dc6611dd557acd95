import Foundation
import Testing
import TCMCells
import TCMData
import TCMKernels
import TCMMetrics
@testable import TCMDashboard

/// Issue 32: the metrics pane prints an interval's ends with the estimate's digits (they were at 3
/// beside a 5-digit estimate, and README's `0.00284 [9.6e-04, 0.003]` showed the top above the
/// estimate it equals), and the OPIS line stays within the pane at 120 columns (29 characters).
@Suite struct IntervalDigitsTests {
    static func ci(_ low: Double, _ high: Double) -> ConfidenceInterval {
        ConfidenceInterval(level: 0.95, low: low, high: high, replicates: 1000)
    }

    @Test func endsHaveTheEstimatesDigits() {
        #expect(Widgets.estimate(0.02339, Self.ci(0.021004, 0.025996), width: 60) == "0.02339  95% [0.02100, 0.02600]")
        // README's sample: the top end equals the estimate and now prints as it does.
        #expect(Widgets.estimate(0.00284, Self.ci(9.602e-4, 0.00284), width: 60) == "0.00284  95% [9.602e-04, 0.00284]")
        #expect(Widgets.estimate(0.3315, nil, width: 60) == "0.33150")
    }

    /// At the 120-column pane's 29 characters: the level goes first, then the exponents' zero.
    @Test func theLineFitsTheMetricsPaneAt120Columns() {
        #expect(Widgets.estimate(0.02339, Self.ci(0.021, 0.026), width: 29) == "0.02339 [0.02100, 0.02600]")
        #expect(Widgets.estimate(0.00284, Self.ci(9.602e-4, 0.00284), width: 29) == "0.00284 [9.602e-04, 0.00284]")
        #expect(Widgets.estimate(9.6e-4, Self.ci(7.1e-4, 0.0013), width: 29) == "9.600e-4 [7.100e-4, 0.00130]")
        #expect(Widgets.estimate(9.6e-4, Self.ci(7.1e-4, 9.9e-4), width: 29) == "9.600e-4 [7.100e-4, 9.900e-4]")
        for (x, low, high) in [(0.24, 0.2, 0.25), (1.2e-5, 2e-6, 9.9e-4), (0.5, 0.1, 0.9), (1e-3, 9.99e-4, 0.0011)] {
            #expect(Widgets.estimate(x, Self.ci(low, high), width: 29).count <= 29)
        }
    }

    /// An end just below (or above) the estimate never prints past it: the rounding is the same.
    @Test func anEndNeverPrintsAcrossTheEstimate() {
        // Estimates either side of 1e-3, where the format turns from exponent to fixed.
        for i in 0 ..< 2000 {
            let x = 0.000_95 + Double(i) * 1.3e-7
            for (low, high) in [(x - 4e-9, x + 4e-9), (x * (1 - 1e-6), x), (x, x * (1 + 1e-6))] {
                let text = Widgets.estimate(x, Self.ci(low, high), width: 60)
                let numbers = text.split(whereSeparator: { " [],".contains($0) }).compactMap { Double($0) }
                #expect(numbers.count == 3 && numbers[1] <= numbers[0] && numbers[0] <= numbers[2], "\(text)")
            }
        }
    }

    /// The pane itself at 120 columns (48 wide, as in the golden frames): the OPIS line holds its
    /// whole interval, with the estimate's digits.
    @Test func theRenderedPaneHoldsTheWholeInterval() {
        // 12 classes of 10 around points on a circle, each class its own spread.
        var g = SplitMix64(seed: 3)
        var values: [Float] = [], labels: [Int64] = []
        for c in 0 ..< 12 {
            for _ in 0 ..< 10 {
                let a = Float(c) * 0.5, noise = 0.05 * Float(c + 1)
                values += [cos(a), sin(a), 0.2].map { $0 + noise * (g.unitFloat() * 2 - 1) }
                labels.append(Int64(c))
            }
        }
        let counts = PairCounts.compute(
            layout: ClassLayout(
                embeddings: Matrix(rows: 120, cols: 3, values: values), labels: Labels(integers: labels)))
        let report = ThresholdAnalyzer(counts: counts).report(OPISOptions())
        let summary = BootstrapSummary.compute(
            report: report, counts: counts, retrieval: nil, replicates: 200, seed: 1, level: 0.95, threads: 1)
        var buffer = CellBuffer(width: 48, height: 7)
        let view = MetricsView(
            report: report, retrieval: nil, threshold: 0.5, reportIsStale: false, ab: nil, interval: summary)
        Widgets.metrics(view, &buffer, Rect(x: 0, y: 0, width: 48, height: 7))
        let line = buffer.line(1)
        let expected =
            "│OPIS             \(Format.number(report.opis, 5)) [\(Format.number(summary.opis.low, 5)), "
            + "\(Format.number(summary.opis.high, 5))]"
        #expect(line.hasPrefix(expected), "\(line)")
        #expect(line.hasSuffix("│") && line.count == 48, "\(line)")
    }
}
