/// A dense row-major matrix of `Float`: the one numeric container every module shares.
///
/// Rows are samples and columns are features, so row `i` is `values[i*cols ..< (i+1)*cols]`.
public struct Matrix: Sendable, Equatable {
    public let rows: Int
    public let cols: Int
    public var values: [Float]

    public init(rows: Int, cols: Int, values: [Float]) {
        precondition(
            rows >= 0 && cols >= 0 && values.count == rows * cols,
            "Matrix(\(rows)×\(cols)) needs \(rows * cols) values, got \(values.count)")
        self.rows = rows
        self.cols = cols
        self.values = values
    }

    public init(rows: Int, cols: Int, repeating value: Float = 0) {
        self.init(rows: rows, cols: cols, values: [Float](repeating: value, count: rows * cols))
    }

    /// Inlinable so that element loops in other modules (training, metrics) compile to plain
    /// loads and stores, not a call per element.
    @inlinable
    public subscript(row: Int, col: Int) -> Float {
        get { values[row * cols + col] }
        set { values[row * cols + col] = newValue }
    }

    /// One row as an array (a copy; use `values.withUnsafeBufferPointer` in hot loops).
    public func row(_ index: Int) -> [Float] {
        Array(values[index * cols ..< (index + 1) * cols])
    }

    /// The rows at `indices`, in that order.
    public func gatherRows(_ indices: [Int]) -> Matrix {
        var out = [Float](repeating: 0, count: indices.count * cols)
        values.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                guard let from = src.baseAddress, let to = dst.baseAddress else { return }
                for (k, i) in indices.enumerated() {
                    precondition(i >= 0 && i < rows, "row \(i) out of 0..<\(rows)")
                    (to + k * cols).update(from: from + i * cols, count: cols)
                }
            }
        }
        return Matrix(rows: indices.count, cols: cols, values: out)
    }

    public var transposed: Matrix {
        var out = Matrix(rows: cols, cols: rows)
        for i in 0 ..< rows { for j in 0 ..< cols { out.values[j * rows + i] = values[i * cols + j] } }
        return out
    }
}
