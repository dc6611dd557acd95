/// A mini-batch seen by the losses: cosine similarities of its L2-normalised embeddings (B×B,
/// row-major, Double so that losses and their finite-difference tests are exact) and labels.
public struct SimilarityBatch: Sendable {
    public let count: Int
    public let similarities: [Double]
    public let labels: [Int32]

    public init(similarities: [Double], labels: [Int32]) {
        precondition(similarities.count == labels.count * labels.count)
        count = labels.count
        self.similarities = similarities
        self.labels = labels
    }

    @inline(__always) public func s(_ i: Int, _ j: Int) -> Double { similarities[i * count + j] }
    @inline(__always) public func same(_ i: Int, _ j: Int) -> Bool { labels[i] == labels[j] }
}

/// A loss on the similarity matrix. `evaluate` returns the loss and *adds* ∂L/∂S (every entry
/// S[i][j] treated as its own variable) into `gradient`, so losses compose by summing; the
/// trainer pushes the total back to the embeddings with one product, `dE = (G + Gᵀ)·E`.
/// Nothing of size B²·D is ever formed.
public protocol SimilarityLoss: Sendable {
    var name: String { get }
    func evaluate(_ batch: SimilarityBatch, gradient: inout [Double]) -> Double
}

/// Mean over the terms that are non-zero (pytorch-metric-learning's `AvgNonZeroReducer`).
struct NonZeroMean {
    var sum = 0.0
    var count = 0
    mutating func add(_ value: Double) { if value > 0 { sum += value; count += 1 } }
    var value: Double { count > 0 ? sum / Double(count) : 0 }
    /// The weight each non-zero term's gradient gets.
    var weight: Double { count > 0 ? 1 / Double(count) : 0 }
}
