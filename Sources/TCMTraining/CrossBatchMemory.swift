import TCMKernels

/// Cross-batch memory (XBM; Wang et al. 2020; PML `CrossBatchMemory`): a ring buffer of the
/// most recent embeddings and labels, detached. Each step enqueues the batch first, then the base
/// loss sees the batch as anchors against the whole memory as references (a B × M similarity
/// matrix), each anchor's own slot excluded; gradients reach only the batch. Not saved in
/// checkpoints: a resumed run starts with an empty memory.
public struct CrossBatchMemory: Sendable, Equatable {
    public let capacity: Int
    public let dimension: Int
    var embeddings: [Float]
    var labels: [Int32]
    var next = 0
    var filled = 0

    public init(capacity: Int, dimension: Int) {
        precondition(capacity > 0 && dimension > 0)
        self.capacity = capacity
        self.dimension = dimension
        embeddings = [Float](repeating: 0, count: capacity * dimension)
        labels = [Int32](repeating: 0, count: capacity)
    }

    /// Adds a batch (overwriting the oldest entries); returns the slot of each row.
    public mutating func enqueue(_ batch: Matrix, labels batchLabels: [Int32]) -> [Int] {
        precondition(batch.cols == dimension && batch.rows <= capacity, "a batch must fit in the memory")
        var slots: [Int] = []
        for i in 0 ..< batch.rows {
            let slot = next
            for j in 0 ..< dimension { embeddings[slot * dimension + j] = batch[i, j] }
            labels[slot] = batchLabels[i]
            slots.append(slot)
            next = (next + 1) % capacity
            filled = min(capacity, filled + 1)
        }
        return slots
    }

    /// The filled part of the memory (slots 0 ..< filled: the ring fills from slot 0).
    public var contents: (embeddings: Matrix, labels: [Int32]) {
        (
            Matrix(rows: filled, cols: dimension, values: Array(embeddings[0 ..< filled * dimension])),
            Array(labels[0 ..< filled])
        )
    }
}
