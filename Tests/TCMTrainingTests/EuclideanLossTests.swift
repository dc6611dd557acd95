import Foundation
import Testing
import TCMData
import TCMKernels
@testable import TCMTraining

/// `--distance euclidean`: contrastive, triplet and lifted structure as pytorch-metric-learning
/// computes them with its default `LpDistance` on normalised embeddings, checked against the PML
/// formulas evaluated directly on ‖eᵢ − eⱼ‖ and against central differences.
@Suite struct EuclideanLossTests {
    static func euclidean(
        _ kind: TrainingConfig.LossSpec.Kind, mining: TripletMarginLoss.Mining = .all
    ) -> any SimilarityLoss {
        var spec = TrainingConfig.LossSpec(kind: kind, distance: .euclidean)
        spec.tripletMining = mining
        return spec.make()
    }

    /// Random unit vectors, their cosine matrix and their Euclidean distances computed from the coordinates.
    static func unitBatch(
        b: Int, dimension: Int, classes: Int, seed: UInt64
    ) -> (batch: SimilarityBatch, d: [[Double]], labels: [Int32]) {
        var g = TrainingRandom(seed: seed)
        let rows: [[Double]] = (0 ..< b).map { _ in
            let v = (0 ..< dimension).map { _ in Double(g.uniform(-1, 1)) }
            let n = v.map { $0 * $0 }.reduce(0, +).squareRoot()
            return v.map { $0 / n }
        }
        let labels = (0 ..< b).map { Int32($0 % classes) }
        let s = rows.flatMap { x in rows.map { y in zip(x, y).map(*).reduce(0, +) } }
        let d = rows.map { x in rows.map { y in zip(x, y).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot() } }
        return (SimilarityBatch(similarities: s, labels: labels), d, labels)
    }

    /// PML ContrastiveLoss(pos_margin=0, neg_margin=1), AvgNonZeroReducer on each part.
    static func referenceContrastive(_ d: [[Double]], _ y: [Int32]) -> Double {
        var pos: [Double] = [], neg: [Double] = []
        for i in y.indices {
            for j in y.indices where i != j {
                if y[i] == y[j] { pos.append(max(0, d[i][j] - 0)) } else { neg.append(max(0, 1 - d[i][j])) }
            }
        }
        func avgNonZero(_ v: [Double]) -> Double {
            let nz = v.filter { $0 > 0 }
            return nz.isEmpty ? 0 : nz.reduce(0, +) / Double(nz.count)
        }
        return avgNonZero(pos) + avgNonZero(neg)
    }

    /// PML TripletMarginLoss(margin=0.05) over the TripletMarginMiner's triplets, AvgNonZeroReducer.
    static func referenceTriplet(_ d: [[Double]], _ y: [Int32], mining: TripletMarginLoss.Mining) -> Double {
        var losses: [Double] = []
        for a in y.indices {
            for p in y.indices where p != a && y[p] == y[a] {
                for n in y.indices where y[n] != y[a] {
                    let gap = d[a][n] - d[a][p]  // the miner's triplet_margin for a distance
                    let mined: Bool
                    switch mining {
                    case .all: mined = true
                    case .semihard: mined = gap <= 0.05 && gap > 0
                    case .hard: mined = gap <= 0.05 && gap <= 0
                    }
                    if mined { losses.append(max(0, d[a][p] - d[a][n] + 0.05)) }
                }
            }
        }
        let nz = losses.filter { $0 > 0 }
        return nz.isEmpty ? 0 : nz.reduce(0, +) / Double(nz.count)
    }

    /// PML LiftedStructureLoss(neg_margin=1, pos_margin=0): per ordered positive pair,
    /// relu(log Σ e^{1 − d_an} + log-sum over p's negatives … + d_ap)² / 2, mean over pairs.
    static func referenceLifted(_ d: [[Double]], _ y: [Int32]) -> Double {
        var losses: [Double] = []
        for a in y.indices {
            for p in y.indices where p != a && y[p] == y[a] {
                var z = 0.0
                for n in y.indices where y[n] != y[a] { z += exp(1 - d[a][n]) }
                for n in y.indices where y[n] != y[p] { z += exp(1 - d[p][n]) }
                let j = max(0, log(z) + d[a][p] - 0)
                losses.append(j * j / 2)
            }
        }
        return losses.isEmpty ? 0 : losses.reduce(0, +) / Double(losses.count)
    }

    @Test func matchesPMLFormulasOnDistancesOfCoordinates() {
        for seed in [UInt64(3), 4, 5] {
            let (batch, d, y) = Self.unitBatch(b: 12, dimension: 4, classes: 3, seed: seed)
            var g = [Double](repeating: 0, count: 144)
            #expect(
                abs(Self.euclidean(.contrastive).evaluate(batch, gradient: &g) - Self.referenceContrastive(d, y)) < 1e-9
            )
            for mining in TripletMarginLoss.Mining.allCases {
                let value = Self.euclidean(.triplet, mining: mining).evaluate(batch, gradient: &g)
                #expect(abs(value - Self.referenceTriplet(d, y, mining: mining)) < 1e-9, "\(mining)")
            }
            #expect(
                abs(Self.euclidean(.liftedStructure).evaluate(batch, gradient: &g) - Self.referenceLifted(d, y)) < 1e-9)
        }
    }

    @Test func byHandOnThreePoints() {
        // e0 = (1, 0) and e1 = (0, 1) in class 0, e2 = (−1, 0) in class 1: d01 = d12 = √2, d02 = 2.
        let s = [1.0, 0, -1, 0, 1, 0, -1, 0, 1]
        let batch = SimilarityBatch(similarities: s, labels: [0, 0, 1])
        var g = [Double](repeating: 0, count: 9)
        // Positives relu(√2 − 0) twice → √2; negatives relu(1 − 2) = relu(1 − √2) = 0.
        #expect(abs(Self.euclidean(.contrastive).evaluate(batch, gradient: &g) - 2.0.squareRoot()) < 1e-12)
        // Anchor 0: relu(√2 − 2 + 0.05) = 0; anchor 1: relu(√2 − √2 + 0.05) = 0.05, the one non-zero triplet.
        #expect(abs(Self.euclidean(.triplet).evaluate(batch, gradient: &g) - 0.05) < 1e-12)
        // Both ordered pairs: J = log(e^{1−2} + e^{1−√2}) + √2, loss J²/2.
        let j = log(exp(-1.0) + exp(1 - 2.0.squareRoot())) + 2.0.squareRoot()
        #expect(abs(Self.euclidean(.liftedStructure).evaluate(batch, gradient: &g) - j * j / 2) < 1e-12)
    }

    static let losses: [any SimilarityLoss] = [
        euclidean(.contrastive), euclidean(.triplet), euclidean(.triplet, mining: .semihard),
        euclidean(.triplet, mining: .hard),
        euclidean(.liftedStructure),
    ]

    /// The largest gap between the analytic gradient and central differences, relative to the
    /// gradient's scale, and whether the check saw a non-zero gradient at all.
    static func gradientError(_ loss: any SimilarityLoss, _ batch: SimilarityBatch) -> (error: Double, exercised: Bool)
    {
        var analytic = [Double](repeating: 0, count: batch.similarities.count)
        _ = loss.evaluate(batch, gradient: &analytic)
        let numeric = finiteDifferences(loss, batch)
        let scale = max(1, numeric.map(abs).max()!)
        return (zip(analytic, numeric).map { abs($0 - $1) / scale }.max()!, numeric.contains { $0 != 0 })
    }

    @Test(arguments: 0 ..< losses.count)
    func gradientMatchesCentralDifferences(index: Int) {
        let loss = Self.losses[index]
        let batches =
            [UInt64(11), 12, 13].map { randomBatch(b: 10, classes: 3, seed: $0 * 31 + UInt64(index)) }
            + [randomMemoryBatch(rows: 6, columns: 15, classes: 3, seed: 90 + UInt64(index))]
        for (k, batch) in batches.enumerated() {
            let check = Self.gradientError(loss, batch)
            #expect(check.error < 1e-5, "\(loss.name) batch \(k): relative gap \(check.error)")
            #expect(check.exercised, "\(loss.name) batch \(k): the check must exercise a non-zero gradient")
        }
    }

    @Test func zeroDistanceHasZeroGradientNotInfinity() {
        // Two identical embeddings of different classes (s = 1, d = 0): contrastive's negative term
        // relu(1 − d) = 1 is active, but ∂d/∂s is taken as 0 there, as torch.cdist's backward does.
        let batch = SimilarityBatch(similarities: [1, 1, 1, 1], labels: [0, 1])
        var g = [Double](repeating: 0, count: 4)
        #expect(abs(Self.euclidean(.contrastive).evaluate(batch, gradient: &g) - 1) < 1e-12)
        #expect(g.allSatisfy { $0 == 0 })
    }

    @Test func cosineDefaultsAreUnchangedAndEuclideanOnlyForPairLosses() {
        #expect(TrainingConfig.LossSpec(kind: .contrastive).contrastiveMargins == [1, 0])
        #expect(TrainingConfig.LossSpec(kind: .contrastive, distance: .cosine).contrastiveMargins == [1, 0])
        #expect(TrainingConfig.LossSpec(kind: .contrastive, distance: .euclidean).contrastiveMargins == [0, 1])
        #expect(TrainingConfig.LossSpec(kind: .contrastive).make() is ContrastiveLoss)
        #expect(
            TrainingConfig.LossSpec(kind: .circle, distance: .euclidean).problem?.contains(
                "euclidean distance applies to") == true)
        #expect(TrainingConfig.LossSpec(kind: .triplet, distance: .euclidean).problem == nil)
    }

    @Test func checkpointKeepsTheDistanceAndOldHeadersReadAsCosine() throws {
        var config = smallConfig(.contrastive)
        config.loss = TrainingConfig.LossSpec(kind: .contrastive, distance: .euclidean)
        config.epochs = 1
        let state = try Trainer.run(TrainingState(config: config), data: clusterData()) { _ in }
        let bytes = try Checkpoint.encode(state)
        let parts = try CheckpointValidationTests.split(bytes)
        var header = parts.header
        let tensors = parts.tensors
        #expect(header["format"] as? Int == 2)
        #expect(try Checkpoint.decode(bytes, file: "x.tcms").config.loss.distance == .euclidean)
        // A format-1 header claiming a Euclidean loss is refused (a format-1 reader would train cosine).
        header["format"] = 1
        #expect(throws: DataError.self) {
            try Checkpoint.decode(try CheckpointValidationTests.join(header, tensors), file: "x.tcms")
        }
        // A header written before the field existed (format 1, no "distance") reads as cosine.
        var loss = try #require((header["config"] as? [String: Any])?["loss"] as? [String: Any])
        loss.removeValue(forKey: "distance")
        loss["contrastiveMargins"] = [1.0, 0.0]
        var configObject = try #require(header["config"] as? [String: Any])
        configObject["loss"] = loss
        header["config"] = configObject
        let old = try Checkpoint.decode(try CheckpointValidationTests.join(header, tensors), file: "old.tcms")
        #expect(old.config.loss.distance == .cosine && old.config.loss.contrastiveMargins == [1, 0])
    }
}
