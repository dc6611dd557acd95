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
        let n = norms(m)
        var out = m
        out.values.withUnsafeMutableBufferPointer { v in
            for i in 0 ..< m.rows where n[i] > 0 {
                let inv = 1.0 / n[i]
                let base = i * m.cols
                for j in 0 ..< m.cols { v[base + j] = Float(Double(v[base + j]) * inv) }
            }
        }
        return out
    }
}
