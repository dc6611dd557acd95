import TCMData
import TCMKernels

/// The samples reordered so that each class is one contiguous block of rows.
///
/// Why: with classes contiguous, "which pairs of this row are positives" is one column range,
/// so the fused pass needs no per-pair label lookup, and one thread can own a class outright.
public struct ClassLayout: Sendable {
    /// L2-normalised embeddings, rows grouped by class (class 0 first).
    public let unitRows: Matrix
    /// `order[i]` is the input row of sorted row `i`.
    public let order: [Int]
    /// Class `c` occupies sorted rows `classStart[c] ..< classStart[c + 1]`.
    public let classStart: [Int]
    public let classNames: [String]

    public var classCount: Int { classNames.count }
    public var sampleCount: Int { unitRows.rows }
    public func size(of c: Int) -> Int { classStart[c + 1] - classStart[c] }

    public init(dataset: Dataset) {
        self.init(embeddings: dataset.embeddings, labels: dataset.labels)
    }

    public init(embeddings: Matrix, labels: Labels) {
        let sizes = labels.classSizes
        var start = [Int](repeating: 0, count: sizes.count + 1)
        for c in 0 ..< sizes.count { start[c + 1] = start[c] + sizes[c] }
        var cursor = start
        var order = [Int](repeating: 0, count: labels.count)
        for (i, c) in labels.classOf.enumerated() {
            order[cursor[Int(c)]] = i
            cursor[Int(c)] += 1
        }
        self.order = order
        classStart = start
        classNames = labels.classNames
        unitRows = RowNorms.normalized(embeddings.gatherRows(order))
    }

    /// The class blocks of `sizes` without any rows (`unitRows` has no columns, `order` is empty):
    /// what the shard split needs, which depends on class sizes only. For checking count files,
    /// whose data set is not at hand.
    init(planningSizes sizes: [Int], names: [String]) {
        var start = [Int](repeating: 0, count: sizes.count + 1)
        for c in 0 ..< sizes.count { start[c + 1] = start[c] + sizes[c] }
        classStart = start
        classNames = names
        order = []
        unitRows = Matrix(rows: start[sizes.count], cols: 0, values: [])
    }

    /// Class of sorted row `i` (binary search over class starts).
    public func classOfRow(_ i: Int) -> Int {
        var lo = 0, hi = classCount
        while hi - lo > 1 {
            let mid = (lo + hi) >> 1
            if classStart[mid] <= i { lo = mid } else { hi = mid }
        }
        return lo
    }
}
