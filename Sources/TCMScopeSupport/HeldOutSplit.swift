import TCMData
import TCMTraining

extension TrainingData {
    /// The bundled MNIST: the 60,000 training images to train on, the 10,000 test images to
    /// evaluate on (pixels /255). Used by `train --data mnist` and the dashboard's `t`.
    public static func bundledMNIST() throws -> TrainingData {
        let (trainX, _) = try EmbeddingLoader.load(try SampleData.path("mnist/train-images-idx3-ubyte.gz"))
        let trainY = try LabelLoader.load(try SampleData.path("mnist/train-labels-idx1-ubyte.gz"))
        let (testX, _) = try EmbeddingLoader.load(try SampleData.path(SampleData.mnistImages))
        let testY = try LabelLoader.load(try SampleData.path(SampleData.mnistLabels))
        return TrainingData(trainInputs: trainX, trainLabels: trainY.classOf, evalInputs: testX, evalLabels: testY)
    }
}

/// The seeded train/evaluation split of user embeddings, shared by `train` and the dashboard.
public enum HeldOutSplit {
    /// Hold out samples (closed-world evaluation) or whole classes (open-world).
    public enum Kind: String, CaseIterable, Sendable { case sample, `class` }

    /// Rows for training and for evaluation: a shuffled `evalFraction` of the samples, or of the
    /// classes (at least 2) for open-world evaluation.
    public static func rows(
        of labels: Labels, by kind: Kind, evalFraction: Double, seed: UInt64
    ) -> (train: [Int], eval: [Int]) {
        var generator = TrainingRandom(seed: seed &+ 0xD474)
        let count = labels.count
        var isEval = [Bool](repeating: false, count: count)
        switch kind {
        case .sample:
            var order = Array(0 ..< count)
            for k in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(k, generator.below(k + 1)) }
            for i in order.prefix(Int(Double(count) * evalFraction)) { isEval[i] = true }
        case .class:
            var classes = Array(0 ..< labels.classCount)
            for k in stride(from: classes.count - 1, to: 0, by: -1) { classes.swapAt(k, generator.below(k + 1)) }
            let held = Set(classes.prefix(max(2, Int(Double(classes.count) * evalFraction))))
            for i in 0 ..< count where held.contains(Int(labels.classOf[i])) { isEval[i] = true }
        }
        return ((0 ..< count).filter { !isEval[$0] }, (0 ..< count).filter { isEval[$0] })
    }
}
