import Foundation
import Testing
import TCMData
import TCMKernels
@testable import TCMTraining

/// Gaussian clusters in `dimension` dimensions, split into train and eval by sample.
func clusterData(classes: Int = 6, perClass: Int = 40, dimension: Int = 12, seed: UInt64 = 1) -> TrainingData {
    var g = TrainingRandom(seed: seed)
    let centres = (0 ..< classes).map { _ in (0 ..< dimension).map { _ in g.uniform(-1, 1) } }
    var train: [Float] = [], trainLabels: [Int32] = [], eval: [Float] = [], evalLabels: [Int64] = []
    for c in 0 ..< classes {
        for i in 0 ..< perClass {
            let row = centres[c].map { $0 + 0.6 * g.uniform(-1, 1) }
            if i % 4 == 0 {
                eval += row
                evalLabels.append(Int64(c))
            } else {
                train += row
                trainLabels.append(Int32(c))
            }
        }
    }
    return TrainingData(
        trainInputs: Matrix(rows: trainLabels.count, cols: dimension, values: train), trainLabels: trainLabels,
        evalInputs: Matrix(rows: evalLabels.count, cols: dimension, values: eval),
        evalLabels: Labels(integers: evalLabels))
}

func smallConfig(_ loss: TrainingConfig.LossSpec.Kind = .contrastive, tcm: Bool = false) -> TrainingConfig {
    var c = TrainingConfig()
    c.widths = [12, 16, 8]
    c.loss = .init(kind: loss)
    c.tcm = tcm ? TCMRegularizer() : nil
    c.classesPerBatch = 4
    c.samplesPerClass = 6
    c.epochs = 6
    c.optimizer.learningRate = 5e-3
    c.publishInterval = 0
    return c
}

@Suite struct SamplerTests {
    @Test func mPerClassBatches() throws {
        let labels = (0 ..< 100).map { Int32($0 % 10 == 9 ? 9 : $0 % 9) } + [9]  // class 9 is small
        var sampler = try MPerClassSampler(labels: labels, classesPerBatch: 4, samplesPerClass: 5, seed: 3)
        for _ in 0 ..< 50 {
            let batch = sampler.nextBatch()
            #expect(batch.count == 20)
            let classes = Dictionary(grouping: batch, by: { labels[$0] })
            #expect(classes.count == 4 && classes.values.allSatisfy { $0.count == 5 })
            for (c, members) in classes where c != 9 {
                #expect(Set(members).count == 5, "without replacement when the class is big enough")
            }
        }
        var again = try MPerClassSampler(labels: labels, classesPerBatch: 4, samplesPerClass: 5, seed: 3)
        var first = try MPerClassSampler(labels: labels, classesPerBatch: 4, samplesPerClass: 5, seed: 3)
        #expect(again.nextBatch() == first.nextBatch())
    }
}

@Suite struct TrainerTests {
    @Test(arguments: TrainingConfig.LossSpec.Kind.allCases)
    func trainingImprovesRetrievalAndReportsProgress(loss: TrainingConfig.LossSpec.Kind) throws {
        let data = clusterData()
        var snapshots: [TrainingSnapshot] = []
        let end = try Trainer.run(TrainingState(config: smallConfig(loss, tcm: true)), data: data) {
            snapshots.append($0)
        }
        let evaluations = snapshots.compactMap(\.evaluation)
        #expect(evaluations.count == 7, "before training and after each of 6 epochs")
        #expect(evaluations.first!.step == 0 && evaluations.last!.step == end.step)
        #expect(
            evaluations.last!.mapAtR > evaluations.first!.mapAtR,
            "\(loss): MAP@R \(evaluations.first!.mapAtR) → \(evaluations.last!.mapAtR)")
        #expect(snapshots.contains { $0.evaluation == nil && $0.baseLoss.isFinite && $0.samplesPerSecond > 0 })
        #expect(snapshots.last?.evalEmbeddings?.rows == data.evalInputs.rows)
    }

    @Test func tcmAloneSeparatesNegativesAndKeepsPositives() throws {
        // A base loss that is identically 0 (contrastive with margins −1 and 1), so TCM alone trains.
        let data = clusterData()
        var config = smallConfig()
        config.loss.contrastiveMargins = [-1, 1]
        config.tcm = TCMRegularizer()
        func means(_ model: MLP) -> (positive: Double, negative: Double) {
            let e = model.embed(data.trainInputs)
            let s = SimilarityAlgebra.similarities(e)
            var p = 0.0, np = 0, n = 0.0, nn = 0
            for i in 0 ..< e.rows {
                for j in 0 ..< e.rows where i != j {
                    if data.trainLabels[i] == data.trainLabels[j] {
                        p += s[i * e.rows + j]
                        np += 1
                    } else {
                        n += s[i * e.rows + j]
                        nn += 1
                    }
                }
            }
            return (p / Double(np), n / Double(nn))
        }
        let start = means(TrainingState(config: config).model)
        let end = means(try Trainer.run(TrainingState(config: config), data: data) { _ in }.model)
        // An untrained MLP maps everything close together; TCM pushes negatives under m⁻ = 0.5
        // while holding positives near m⁺ = 0.9.
        #expect(start.negative > 0.5, "start: negatives \(start.negative) violate m⁻")
        #expect(end.negative < start.negative - 0.2, "negatives \(start.negative) → \(end.negative)")
        #expect(end.positive > 0.75, "positives \(start.positive) → \(end.positive)")
    }

    @Test func checkpointRoundTripAndResumeEqualsOneRun() throws {
        let data = clusterData()
        var config = smallConfig(.multiSimilarity)
        config.epochs = 4
        let straight = try Trainer.run(TrainingState(config: config), data: data) { _ in }
        var half = config
        half.epochs = 2
        let firstHalf = try Trainer.run(TrainingState(config: half), data: data) { _ in }
        let dir = NSTemporaryDirectory() + "tcmscope-ckpt-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Checkpoint.write(firstHalf, to: dir + "/c.tcms")
        var loaded = try Checkpoint.read(dir + "/c.tcms")
        #expect(loaded == firstHalf)
        loaded.config.epochs = 4
        let resumed = try Trainer.run(loaded, data: data) { _ in }
        #expect(resumed.model == straight.model, "a resumed run continues exactly where it stopped")
        #expect(resumed.step == straight.step)

        // Corrupt and truncated checkpoints are refused with the file named.
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir + "/c.tcms")))
        _ = FileManager.default.createFile(atPath: dir + "/t.tcms", contents: Data(bytes.prefix(bytes.count - 10)))
        #expect(throws: DataError.self) { try Checkpoint.read(dir + "/t.tcms") }
        bytes[0] = 0
        _ = FileManager.default.createFile(atPath: dir + "/m.tcms", contents: Data(bytes))
        do {
            _ = try Checkpoint.read(dir + "/m.tcms")
            Issue.record("expected an error")
        } catch let e as DataError {
            #expect(e.file.hasSuffix("m.tcms") && e.problem.contains("bad magic"))
        }
    }

    @Test func divergenceIsReportedNotIgnored() {
        let data = clusterData()
        var config = smallConfig(.circle)
        config.optimizer.kind = .sgd
        config.optimizer.learningRate = 1e30
        #expect(throws: TrainingError.self) { _ = try Trainer.run(TrainingState(config: config), data: data) { _ in } }
    }

    @Test func backgroundRunPausesResumesAndCancels() throws {
        let data = clusterData(classes: 8, perClass: 200)
        var config = smallConfig()
        config.widths = [12, 64, 16]
        config.epochs = 10_000
        let job = BackgroundTraining(TrainingState(config: config), data: data)
        func wait(_ condition: () -> Bool) -> Bool {
            for _ in 0 ..< 3000 {
                if condition() { return true }
                usleep(10_000)
            }
            return false
        }
        #expect(wait { (job.snapshot?.step ?? 0) > 5 })
        job.control.pause()
        usleep(100_000)
        let pausedAt = job.snapshot?.step ?? 0
        usleep(300_000)
        #expect((job.snapshot?.step ?? 0) <= pausedAt + 1, "no progress while paused")
        job.control.resume()
        #expect(wait { (job.snapshot?.step ?? 0) > pausedAt + 5 })
        job.control.cancel()
        #expect(wait { !job.isRunning })
        if case .cancelled(let state) = job.outcome {
            #expect(state.step > pausedAt)
        } else {
            Issue.record("expected a cancelled outcome")
        }
        #expect(job.evaluation?.evaluation != nil)
    }
}

@Suite struct BundledBaselineTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    @Test func checkpointReproducesTheBundledEmbeddings() throws {
        let state = try Checkpoint.read(Self.root + "/sample-data/baseline/checkpoint.tcms")
        #expect(
            state.config.widths == [784, 256, 128] && state.config.loss.kind == .contrastive && state.config.tcm == nil)
        #expect(state.step == 2 * (60_000 / 256))
        let (pixels, _) = try EmbeddingLoader.load(Self.root + "/sample-data/mnist/t10k-images-idx3-ubyte.gz")
        let bundled = try NpyArray(
            bytes: FileBytes.read(Self.root + "/sample-data/baseline/eval-embeddings.npy"), file: "e")
        #expect(bundled.shape == [10_000, 128])
        let ours = state.model.embed(pixels)
        let reference = bundled.doubles()
        var worst = 0.0
        for i in 0 ..< ours.values.count { worst = max(worst, abs(Double(ours.values[i]) - reference[i])) }
        #expect(worst < 1e-5, "largest difference \(worst)")
        let labels = try LabelLoader.load(Self.root + "/sample-data/baseline/eval-labels.npy")
        #expect(
            labels.classOf == (try LabelLoader.load(Self.root + "/sample-data/mnist/t10k-labels-idx1-ubyte.gz")).classOf
        )
    }
}

@Suite struct CrossBatchMemoryTests {
    @Test func ringBufferKeepsTheNewest() {
        var memory = CrossBatchMemory(capacity: 5, dimension: 2)
        let a = Matrix(rows: 3, cols: 2, values: [1, 1, 2, 2, 3, 3])
        #expect(memory.enqueue(a, labels: [1, 2, 3]) == [0, 1, 2])
        #expect(memory.contents.labels == [1, 2, 3])
        let b = Matrix(rows: 3, cols: 2, values: [4, 4, 5, 5, 6, 6])
        #expect(memory.enqueue(b, labels: [4, 5, 6]) == [3, 4, 0])
        #expect(memory.contents.labels == [6, 2, 3, 4, 5], "the oldest entry was overwritten")
        #expect(memory.contents.embeddings.values == [6, 6, 2, 2, 3, 3, 4, 4, 5, 5])
    }

    @Test func aMemoryOfOneBatchSeesTheSamePairsAsTheBatch() {
        // Memory = exactly the batch: the B × M problem is the B × B one, so every loss agrees.
        var g = TrainingRandom(seed: 9)
        let e = RowNormsHelper.unit(Matrix(rows: 12, cols: 5, values: (0 ..< 60).map { _ in g.uniform(-1, 1) }))
        let labels = (0 ..< 12).map { Int32($0 % 3) }
        var memory = CrossBatchMemory(capacity: 12, dimension: 5)
        let slots = memory.enqueue(e, labels: labels)
        let (bank, bankLabels) = memory.contents
        let cross = SimilarityBatch(
            similarities: GEMM.multiplyTransposed(e, bank).values.map(Double.init),
            rowLabels: labels, columnLabels: bankLabels, selfColumn: slots)
        let square = SimilarityBatch(similarities: SimilarityAlgebra.similarities(e), labels: labels)
        for loss in allLosses {
            var g1 = [Double](repeating: 0, count: 144), g2 = g1
            #expect(
                abs(loss.evaluate(cross, gradient: &g1) - loss.evaluate(square, gradient: &g2)) < 1e-9, "\(loss.name)")
        }
    }

    @Test func trainingWithMemoryImproves() throws {
        var config = smallConfig(.contrastive, tcm: true)
        config.crossBatchMemory = 96
        var evaluations: [Evaluation] = []
        _ = try Trainer.run(TrainingState(config: config), data: clusterData()) {
            if let e = $0.evaluation { evaluations.append(e) }
        }
        #expect(evaluations.last!.mapAtR > evaluations.first!.mapAtR)
    }
}

enum RowNormsHelper {
    static func unit(_ m: Matrix) -> Matrix { RowNorms.normalized(m) }
}
