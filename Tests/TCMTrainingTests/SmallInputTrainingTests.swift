import Foundation
import Testing
import TCMData
import TCMKernels
@testable import TCMTraining

/// The smallest inputs `analyze` accepts, and configurations no caller should pass: training
/// either works or refuses with one typed error before its first step, never traps.
@Suite struct SmallInputTrainingTests {
    /// N rows of D dimensions with the given training labels; evaluation on two rows of two classes.
    func data(_ labels: [Int32], dimension: Int = 1) -> TrainingData {
        let n = labels.count
        let inputs = Matrix(rows: n, cols: dimension, values: (0 ..< n * dimension).map { Float($0 % 7) - 3 })
        let eval = Matrix(rows: 2, cols: dimension, values: (0 ..< 2 * dimension).map { Float($0) + 1 })
        return TrainingData(
            trainInputs: inputs, trainLabels: labels, evalInputs: eval, evalLabels: Labels(integers: [0, 1]))
    }

    func config(widths: [Int], classes: Int = 2, samples: Int = 2) -> TrainingConfig {
        var c = TrainingConfig()
        c.widths = widths
        c.classesPerBatch = classes
        c.samplesPerClass = samples
        c.epochs = 2
        c.publishInterval = 0
        return c
    }

    @Test func threeRowsOfOneDimensionTwoClassesTrain() throws {
        // N = 3, D = 1, a one-sample class: the sampler draws with replacement.
        let end = try Trainer.run(TrainingState(config: config(widths: [1, 4, 2])), data: data([0, 0, 1])) { _ in }
        #expect(end.step == 2, "one step per epoch (3 rows < one batch of 4)")
        #expect(end.model.layers.allSatisfy { $0.weight.values.allSatisfy(\.isFinite) })
    }

    @Test func tooFewClassesForTheBatchIsRefusedBeforeWork() {
        #expect(throws: TrainingError.unsuitableData("a batch takes 3 classes, the training rows have 2")) {
            _ = try Trainer.run(TrainingState(config: config(widths: [1, 2], classes: 3)), data: data([0, 1, 1])) { _ in
                Issue.record("no work")
            }
        }
        #expect(throws: TrainingError.unsuitableData("a batch takes 11 classes, the training rows have 10")) {
            _ = try MPerClassSampler(
                labels: (0 ..< 10).map(Int32.init), classesPerBatch: 11, samplesPerClass: 2, seed: 1)
        }
    }

    @Test func samplerRefusesWhatItCannotDraw() {
        #expect(throws: TrainingError.unsuitableData("a batch needs at least 1 class of at least 1 sample, got 0 × 4"))
        {
            _ = try MPerClassSampler(labels: [0, 1], classesPerBatch: 0, samplesPerClass: 4, seed: 1)
        }
        #expect(throws: TrainingError.unsuitableData("a batch needs at least 1 class of at least 1 sample, got 2 × -1"))
        {
            _ = try MPerClassSampler(labels: [0, 1], classesPerBatch: 2, samplesPerClass: -1, seed: 1)
        }
        #expect(throws: TrainingError.unsuitableData("class indices must not be negative")) {
            _ = try MPerClassSampler(labels: [0, -1], classesPerBatch: 1, samplesPerClass: 1, seed: 1)
        }
        #expect(throws: TrainingError.unsuitableData("a batch takes 1 classes, the training rows have 0")) {
            _ = try MPerClassSampler(labels: [], classesPerBatch: 1, samplesPerClass: 1, seed: 1)
        }
    }

    @Test func dataThatDoesNotFitTheModelIsRefused() {
        #expect(throws: TrainingError.unsuitableData("the model takes 3-D inputs, the data has 1")) {
            _ = try Trainer.run(TrainingState(config: config(widths: [3, 2])), data: data([0, 1, 1])) { _ in }
        }
        var oneClassEval = data([0, 1, 1])
        oneClassEval = TrainingData(
            trainInputs: oneClassEval.trainInputs, trainLabels: oneClassEval.trainLabels,
            evalInputs: oneClassEval.evalInputs, evalLabels: Labels(integers: [4, 4]))
        #expect(throws: TrainingError.unsuitableData("the evaluation rows have fewer than 2 classes")) {
            _ = try Trainer.run(TrainingState(config: config(widths: [1, 2])), data: oneClassEval) { _ in }
        }
        let none = TrainingData(
            trainInputs: Matrix(rows: 0, cols: 1), trainLabels: [],
            evalInputs: Matrix(rows: 2, cols: 1, values: [1, 2]),
            evalLabels: Labels(integers: [0, 1]))
        #expect(throws: TrainingError.unsuitableData("no training rows")) {
            _ = try Trainer.run(TrainingState(config: config(widths: [1, 2])), data: none) { _ in }
        }
    }

    @Test func invalidConfigurationsAreRefusedBeforeWork() {
        let valid = config(widths: [1, 2])
        var cases: [(TrainingConfig, String)] = []
        var c = valid
        c.optimizer.learningRate = .infinity
        cases.append((c, "learning rate must be a positive finite number, got inf"))
        c = valid
        c.optimizer.learningRate = .nan
        cases.append((c, "learning rate must be a positive finite number, got nan"))
        c = valid
        c.optimizer.weightDecay = .nan
        cases.append((c, "weight decay must be a finite number ≥ 0, got nan"))
        c = valid
        c.epochs = 0
        cases.append((c, "epochs must be between 1 and 1000000, got 0"))
        c = valid
        c.loss.contrastiveMargins = [1]
        cases.append((c, "contrastive loss needs 2 margins, got 1"))
        c = valid
        c.loss.circleGamma = .nan
        cases.append((c, "loss parameters must be finite"))
        c = valid
        c.tcm = TCMRegularizer(positiveMargin: .infinity)
        cases.append((c, "TCM margins and weights must be finite"))
        c = valid
        c.crossBatchMemory = 1 << 30
        cases.append((c, "cross-batch memory 1073741824 must hold a batch (4) and at most 16777216 rows"))
        c = valid
        c.loss.kind = .proxyAnchor
        c.crossBatchMemory = 8
        cases.append((c, "cross-batch memory applies to pair losses, not proxy-anchor"))
        for (config, problem) in cases {
            // The state is built from a valid configuration (its model must exist); the run's own is checked.
            var state = TrainingState(config: valid)
            state.config = config
            #expect(throws: TrainingError.invalidConfiguration(problem)) {
                _ = try Trainer.run(state, data: data([0, 1, 1])) { _ in Issue.record("no work") }
            }
            #expect(TrainingError.invalidConfiguration(problem).description == "training configuration: \(problem)")
        }
        var negative = TrainingState(config: valid)
        negative.step = -5
        #expect(throws: TrainingError.invalidConfiguration("step -5 is negative")) {
            _ = try Trainer.run(negative, data: data([0, 1, 1])) { _ in }
        }
    }
}
