/// Batches of `classesPerBatch` classes × `samplesPerClass` samples (pytorch-metric-learning's
/// `MPerClassSampler` with batch size = classes × m): each batch draws its classes without
/// replacement, then m samples of each, without replacement when the class has at least m
/// samples and with replacement otherwise. Seeded; an epoch is ⌊N / batch size⌋ batches.
public struct MPerClassSampler: Sendable {
    public let classesPerBatch: Int
    public let samplesPerClass: Int
    let members: [[Int]]
    var generator: TrainingRandom

    /// Throws `TrainingError.unsuitableData` (before any work) for a negative label, a batch shape
    /// below 1 × 1, or fewer distinct classes than `classesPerBatch`.
    public init(labels: [Int32], classesPerBatch: Int, samplesPerClass: Int, seed: UInt64) throws {
        guard classesPerBatch >= 1 && samplesPerClass >= 1 else {
            throw TrainingError.unsuitableData(
                "a batch needs at least 1 class of at least 1 sample, got \(classesPerBatch) × \(samplesPerClass)")
        }
        guard labels.allSatisfy({ $0 >= 0 }) else {
            throw TrainingError.unsuitableData("class indices must not be negative")
        }
        let classCount = Int(labels.max() ?? -1) + 1
        var members = [[Int]](repeating: [], count: classCount)
        for (i, c) in labels.enumerated() { members[Int(c)].append(i) }
        self.members = members.filter { !$0.isEmpty }
        guard self.members.count >= classesPerBatch else {
            throw TrainingError.unsuitableData(
                "a batch takes \(classesPerBatch) classes, the training rows have \(self.members.count)")
        }
        self.classesPerBatch = classesPerBatch
        self.samplesPerClass = samplesPerClass
        generator = TrainingRandom(seed: seed)
    }

    public var batchSize: Int { classesPerBatch * samplesPerClass }

    public mutating func nextBatch() -> [Int] {
        var classes = Array(members.indices)
        for k in 0 ..< classesPerBatch { classes.swapAt(k, k + generator.below(classes.count - k)) }
        var batch: [Int] = []
        batch.reserveCapacity(batchSize)
        for c in classes.prefix(classesPerBatch) {
            var pool = members[c]
            if pool.count >= samplesPerClass {
                for k in 0 ..< samplesPerClass { pool.swapAt(k, k + generator.below(pool.count - k)) }
                batch += pool.prefix(samplesPerClass)
            } else {
                for _ in 0 ..< samplesPerClass { batch.append(pool[generator.below(pool.count)]) }
            }
        }
        return batch
    }
}
