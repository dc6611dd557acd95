/// A mini-batch seen by the losses: cosine similarities of its L2-normalised embeddings (B×B,
/// row-major, Double so that losses and their finite-difference tests are exact) and labels.
public struct SimilarityBatch: Sendable {
    /// Anchors (the batch) and references: the batch itself, or, under cross-batch memory, the
    /// memory of recent embeddings. A row's own entry among the references is never a pair.
    public let rows: Int
    public let columns: Int
    public let similarities: [Double]
    public let labels: [Int32]
    public let columnLabels: [Int32]
    /// The reference column that is row i itself, or -1.
    public let selfColumn: [Int]

    /// The square case: every sample against every other.
    public init(similarities: [Double], labels: [Int32]) {
        self.init(
            similarities: similarities, rowLabels: labels, columnLabels: labels, selfColumn: Array(labels.indices))
    }

    public init(similarities: [Double], rowLabels: [Int32], columnLabels: [Int32], selfColumn: [Int]) {
        precondition(similarities.count == rowLabels.count * columnLabels.count && selfColumn.count == rowLabels.count)
        rows = rowLabels.count
        columns = columnLabels.count
        self.similarities = similarities
        labels = rowLabels
        self.columnLabels = columnLabels
        self.selfColumn = selfColumn
    }

    @inline(__always) public func s(_ i: Int, _ j: Int) -> Double { similarities[i * columns + j] }
    @inline(__always) public func same(_ i: Int, _ j: Int) -> Bool { labels[i] == columnLabels[j] }
    @inline(__always) public func isSelf(_ i: Int, _ j: Int) -> Bool { selfColumn[i] == j }
    @inline(__always) public func index(_ i: Int, _ j: Int) -> Int { i * columns + j }
}

/// A loss on the similarity matrix. `evaluate` returns the loss and *adds* ∂L/∂S (every entry
/// S[i][j] treated as its own variable, rows × columns) into `gradient`, so losses compose by
/// summing; the trainer pushes the total back to the embeddings with one product,
/// `dE = (G + Gᵀ)·E` for the batch against itself, `dE = G·M` against a (detached) memory M.
/// Nothing of size B²·D is ever formed.
public protocol SimilarityLoss: Sendable {
    var name: String { get }
    func evaluate(_ batch: SimilarityBatch, gradient: inout [Double]) -> Double
}

/// Mean over the terms that are non-zero (pytorch-metric-learning's `AvgNonZeroReducer`).
struct NonZeroMean {
    var sum = 0.0
    var count = 0
    mutating func add(_ value: Double) {
        if value > 0 {
            sum += value
            count += 1
        }
    }
    var value: Double { count > 0 ? sum / Double(count) : 0 }
    /// The weight each non-zero term's gradient gets.
    var weight: Double { count > 0 ? 1 / Double(count) : 0 }
}
