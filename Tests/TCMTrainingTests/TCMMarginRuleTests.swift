import Foundation
import Testing
import TCMData
import TCMJobs
import TCMKernels
@testable import TCMTraining

/// `--tcm-margins auto`: the margin rule on hand-made similarity distributions, the checkpoint
/// round trip of auto margins, and a short deterministic run whose margins and OPIS are stable.
@Suite struct TCMMarginRuleTests {
    /// `n` similarities evenly spaced from `low` to `high`, both included.
    static func spaced(_ n: Int, from low: Double, to high: Double) -> [Double] {
        (0 ..< n).map { low + (high - low) * Double($0) / Double(n - 1) }
    }

    /// 100 negatives at 0.00525, 0.01525, …, 0.99525: the global FAR is ≤ 1e-1 first at the edge
    /// above 0.89525 (lo = 0.8953: ten negatives at or above it) and ≤ 1e-2 first at the edge above
    /// 0.98525 (hi = 0.9853: one negative at or above it), so m⁻ = (lo + hi) / 2 = 0.9403 and
    /// m⁺ = (hi + 1) / 2 = 0.99265. The values sit inside bins, away from the edges, so float
    /// rounding cannot move them.
    @Test func evenlySpacedNegatives() throws {
        let negatives = (0 ..< 100).map { Double($0) / 100 + 0.00525 }
        let positives = (0 ..< 100).map { 0.50125 + Double($0) * 0.005 }
        let m = try #require(TCMMarginRule.margins(positives: positives, negatives: negatives))
        #expect(abs(m.negative - 0.9403) < 1e-9)
        #expect(abs(m.positive - 0.99265) < 1e-9)
        #expect(negatives.filter { $0 >= m.negative }.count == 6)
        #expect(negatives.filter { $0 >= m.positive }.count == 1)
    }

    /// The margins are the calibration range's ends: they depend on the negatives only, not on
    /// where the positives are (a margin taken from the positives' own quantile chases them).
    @Test func positivesDoNotMoveTheMargins() throws {
        let negatives = Self.spaced(1000, from: -0.3, to: 0.3)
        let near = try #require(
            TCMMarginRule.margins(positives: Self.spaced(500, from: 0.2, to: 0.5), negatives: negatives))
        let far = try #require(
            TCMMarginRule.margins(positives: Self.spaced(50, from: 0.9, to: 1), negatives: negatives))
        #expect(near == far)
        // lo and hi at the 0.9 and 0.99 quantiles of the negatives (0.24 and 0.294).
        #expect(abs(near.negative - 0.267) <= 1e-3)
        #expect(abs(near.positive - 0.647) <= 1e-3)
    }

    /// Shifting the negatives shifts the range with them (to the 1e-4 axis): m⁻ by the same
    /// amount, m⁺ by half of it (it is halfway from the range's top to 1).
    @Test func followsTheNegatives() throws {
        let negatives = Self.spaced(1000, from: -0.3, to: 0.3), positives = Self.spaced(100, from: 0.4, to: 0.9)
        let m = try #require(TCMMarginRule.margins(positives: positives, negatives: negatives))
        let shifted = try #require(
            TCMMarginRule.margins(positives: positives, negatives: negatives.map { $0 + 0.35 }))
        #expect(abs((shifted.negative - m.negative) - 0.35) <= 2e-4)
        #expect(abs((shifted.positive - m.positive) - 0.175) <= 2e-4)
        #expect(m.positive > m.negative)
    }

    /// A stricter range (FAR 1e-2 to 1e-4) moves both margins up with the negatives' tail; FAR
    /// ends given in either order mean the same range.
    @Test func stricterRangeMovesTheMarginsUp() throws {
        let negatives = Self.spaced(10_001, from: -0.5, to: 0.5), positives = [0.6, 0.7]
        let standard = try #require(TCMMarginRule.margins(positives: positives, negatives: negatives))
        let strict = try #require(
            TCMMarginRule.margins(positives: positives, negatives: negatives, range: (1e-2, 1e-4)))
        #expect(strict.negative > standard.negative && strict.positive > standard.positive)
        // lo, hi = 0.4, 0.49 (FAR 1e-1, 1e-2) and 0.49, 0.4999 (FAR 1e-2, 1e-4).
        #expect(abs(standard.negative - 0.445) <= 2e-4 && abs(standard.positive - 0.745) <= 2e-4)
        #expect(abs(strict.negative - 0.49495) <= 2e-4 && abs(strict.positive - 0.74995) <= 2e-4)
        #expect(TCMMarginRule.margins(positives: positives, negatives: negatives, range: (1e-4, 1e-2)) == strict)
    }

    /// A point mass: every negative at 0.2 gives lo = hi = 0.2001 (just below it the FAR is 1,
    /// from the edge above the mass it is 0), so m⁻ = 0.2001 and m⁺ = 0.60005.
    @Test func pointMass() throws {
        let m = try #require(
            TCMMarginRule.margins(
                positives: [Double](repeating: 0.7, count: 50), negatives: [Double](repeating: 0.2, count: 500)))
        #expect(abs(m.negative - 0.2001) <= 1e-9 + 1e-4)
        #expect(abs(m.positive - 0.60005) <= 1e-9 + 1e-4)
    }

    /// No positive or no negative pair: no estimate (the trainer keeps the margins it has).
    @Test func missingPairsGiveNoEstimate() {
        #expect(TCMMarginRule.margins(positives: [], negatives: [0.1, 0.2]) == nil)
        #expect(TCMMarginRule.margins(positives: [0.5], negatives: []) == nil)
    }

    /// The estimate from a model equals the rule applied to the brute-force list of every ordered
    /// pair of the sampled rows' embeddings.
    @Test func estimateMatchesBruteForcePairs() throws {
        let data = clusterData()
        let model = MLP(widths: [12, 16, 8], seed: 4)
        let rows = TCMMarginRule.sampleRows(data.trainInputs.rows, count: 60, seed: 9)
        #expect(rows.count == 60 && Set(rows).count == 60 && rows == rows.sorted())
        let estimate = try #require(
            TCMMarginRule.estimate(
                model: model, inputs: data.trainInputs, labels: data.trainLabels, rows: rows, range: (0.1, 0.01),
                threads: 1))
        let e = RowNorms.normalized(model.embed(data.trainInputs.gatherRows(rows)))
        var positives: [Double] = [], negatives: [Double] = []
        for a in 0 ..< rows.count {
            for b in 0 ..< rows.count where a != b {
                var s: Float = 0
                for k in 0 ..< e.cols { s += e.values[a * e.cols + k] * e.values[b * e.cols + k] }
                if data.trainLabels[rows[a]] == data.trainLabels[rows[b]] {
                    positives.append(Double(s))
                } else {
                    negatives.append(Double(s))
                }
            }
        }
        let brute = try #require(TCMMarginRule.margins(positives: positives, negatives: negatives))
        // A pair within float rounding of a bin edge may land on either side of it.
        #expect(abs(estimate.positive - brute.positive) <= 1e-4 + 1e-9)
        #expect(abs(estimate.negative - brute.negative) <= 1e-4 + 1e-9)
    }

    static func autoConfig(epochs: Int = 12) -> TrainingConfig {
        var config = smallConfig(.multiSimilarity, tcm: true)
        config.tcm!.auto = TCMAutoMargins(every: 5, sampleRows: 120)
        config.epochs = epochs
        return config
    }

    /// An auto-margin run's checkpoint keeps the last estimate and the rule's settings (format 3),
    /// and a checkpoint written before `auto` existed reads as fixed margins.
    @Test func checkpointRoundTripOfAutoMargins() throws {
        let state = try Trainer.run(TrainingState(config: Self.autoConfig(epochs: 1)), data: clusterData()) { _ in }
        let tcm = try #require(state.config.tcm)
        #expect(tcm.auto == TCMAutoMargins(every: 5, sampleRows: 120))
        #expect(tcm.positiveMargin != 0.9 || tcm.negativeMargin != 0.5)  // estimated, not the defaults
        let bytes = try Checkpoint.encode(state)
        let (header, tensors) = try CheckpointValidationTests.split(bytes)
        #expect(header["format"] as? Int == 3)
        let back = try Checkpoint.decode(bytes, file: "auto.tcms")
        #expect(back == state)
        #expect(back.config.tcm?.margins == tcm.margins)

        // An older checkpoint (format 1, no `auto` key) reads as fixed margins.
        var old = header
        var config = try #require(old["config"] as? [String: Any])
        var oldTCM = try #require(config["tcm"] as? [String: Any])
        oldTCM["auto"] = nil
        config["tcm"] = oldTCM
        old["config"] = config
        old["format"] = 1
        let fixed = try Checkpoint.decode(try CheckpointValidationTests.join(old, tensors), file: "old.tcms")
        #expect(fixed.config.tcm?.auto == nil)
        #expect(fixed.config.tcm?.margins == tcm.margins)

        // Format 1 or 2 claiming auto margins, or format 3 without them, is refused.
        var mislabelled = header
        mislabelled["format"] = 1
        #expect(throws: DataError.self) {
            try Checkpoint.decode(try CheckpointValidationTests.join(mislabelled, tensors), file: "bad.tcms")
        }
        old["format"] = 3
        #expect(throws: DataError.self) {
            try Checkpoint.decode(try CheckpointValidationTests.join(old, tensors), file: "bad.tcms")
        }
        // Unusable rule settings are refused like any other configuration problem.
        var badRule = header
        var badConfig = try #require(badRule["config"] as? [String: Any])
        var badTCM = try #require(badConfig["tcm"] as? [String: Any])
        badTCM["auto"] = ["farAtLow": 1.5, "farAtHigh": 0.01, "every": 5, "sampleRows": 120]
        badConfig["tcm"] = badTCM
        badRule["config"] = badConfig
        #expect(throws: DataError.self) {
            try Checkpoint.decode(try CheckpointValidationTests.join(badRule, tensors), file: "bad.tcms")
        }
    }

    /// A short run (12 epochs of 7 steps, margins every 5 steps) is deterministic (the same margins
    /// and OPIS twice); its margins are estimated at the stated cadence, always m⁺ > m⁻, and
    /// settle; its OPIS stays low. A run resumed from a mid-run checkpoint ends exactly where the
    /// uninterrupted one does.
    @Test func shortRunMarginsAndOPISAreStable() throws {
        let config = Self.autoConfig()
        var first: [TrainingSnapshot] = [], second: [TrainingSnapshot] = []
        let end = try Trainer.run(TrainingState(config: config), data: clusterData()) { first.append($0) }
        _ = try Trainer.run(TrainingState(config: config), data: clusterData()) { second.append($0) }
        let evaluations = first.compactMap(\.evaluation), again = second.compactMap(\.evaluation)
        #expect(evaluations == again)
        #expect(evaluations.count == 13)  // step 0 and each of 12 epochs
        let margins = evaluations.map { TCMMargins(positive: $0.tcmPositiveMargin!, negative: $0.tcmNegativeMargin!) }
        #expect(margins.allSatisfy { $0.positive > $0.negative })
        // The margins change only right after a multiple of `every` steps.
        for (before, after) in zip(first, first.dropFirst()) where after.tcmMargins != before.tcmMargins {
            #expect(after.step % 5 == 1, "margins changed at step \(after.step)")
        }
        // The margins follow the negatives as TCM spreads them, in shrinking steps: from epoch 6
        // on, at most 0.06 an epoch, and the last third's mean step under half the first third's.
        let start = evaluations[0].opis
        func step(_ i: Int) -> Double {
            max(abs(margins[i].positive - margins[i - 1].positive), abs(margins[i].negative - margins[i - 1].negative))
        }
        for i in 7 ..< evaluations.count { #expect(step(i) <= 0.06, "epoch \(i): margins moved \(step(i))") }
        let early = (1 ... 4).map(step).reduce(0, +) / 4, late = (9 ... 12).map(step).reduce(0, +) / 4
        #expect(late < early / 2, "mean step \(early) in epochs 1–4, \(late) in 9–12")
        // OPIS drops below a seventh of the starting model's after the first epoch and stays there.
        for i in 1 ..< evaluations.count {
            #expect(
                evaluations[i].opis < start / 7,
                "step \(evaluations[i].step): OPIS \(evaluations[i].opis), start \(start)")
        }
        #expect(evaluations.last!.opisStrictRange != nil)

        // Stop at step 13 (not a multiple of 5), save, resume: the same end state.
        let data = clusterData()
        let control = JobControl()
        let partial = try Trainer.run(TrainingState(config: config), data: data, control: control) {
            if $0.step == 13 { control.cancel() }
        }
        #expect(partial.step == 13)
        let resumed = try Checkpoint.decode(try Checkpoint.encode(partial), file: "mid.tcms")
        let finished = try Trainer.run(resumed, data: data) { _ in }
        #expect(finished == end)
    }
}
