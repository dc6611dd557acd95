/// L2 norms and normalisation of matrix rows, accumulated in Double so that long rows of
/// large values do not lose precision or overflow.
public enum RowNorms {
    /// The Euclidean norm of each row.
    public static func norms(_ m: Matrix) -> [Double] {
        var out = [Double](repeating: 0, count: m.rows)
        m.values.withUnsafeBufferPointer { v in
            for i in 0 ..< m.rows {
                var acc = 0.0
                let base = i * m.cols
                for j in 0 ..< m.cols {
                    let x = Double(v[base + j])
                    acc += x * x
                }
                out[i] = acc.squareRoot()
            }
        }
        return out
    }

    /// Each row divided by its norm. Rows whose norm is zero are left as zeros; callers reject
    /// or drop them first (a zero vector has no direction, so no cosine similarity).
    public static func normalized(_ m: Matrix) -> Matrix {
        var out = Matrix(rows: m.rows, cols: m.cols)
        m.values.withUnsafeBufferPointer { v in
            out.values.withUnsafeMutableBufferPointer { o in
                for i in 0 ..< m.rows {
                    normalize(v.baseAddress! + i * m.cols, count: m.cols, into: o.baseAddress! + i * m.cols)
                }
            }
        }
        return out
    }

    /// One row divided by its norm (accumulated in Double, as `norms`), written to `output`; a
    /// zero row is copied as it is. The one definition of a unit row: the row stream
    /// (`ClassLayout(streaming:…)`) and `normalized` give the same bits.
    @inlinable
    public static func normalize(_ row: UnsafePointer<Float>, count: Int, into output: UnsafeMutablePointer<Float>) {
        var acc = 0.0
        for j in 0 ..< count {
            let x = Double(row[j])
            acc += x * x
        }
        let norm = acc.squareRoot()
        guard norm > 0 else {
            output.update(from: row, count: count)
            return
        }
        let inv = 1.0 / norm
        for j in 0 ..< count { output[j] = Float(Double(row[j]) * inv) }
    }
}
