/// Eigen-decomposition of small symmetric matrices by cyclic Jacobi rotations: simple, accurate
/// to rounding, and plenty fast for the ≤ 16×16 Ritz matrices that PCA hands it.
public enum SymmetricEigen {
    /// Eigenvalues (descending) and the matching unit eigenvectors (`vectors[k]` is the k-th).
    public static func decompose(_ a: [[Double]], sweeps: Int = 100) -> (values: [Double], vectors: [[Double]]) {
        let n = a.count
        var m = a
        var v = (0 ..< n).map { i in (0 ..< n).map { $0 == i ? 1.0 : 0.0 } }
        for _ in 0 ..< sweeps {
            var off = 0.0
            for p in 0 ..< n { for q in p + 1 ..< n { off += m[p][q] * m[p][q] } }
            if off < 1e-30 { break }
            for p in 0 ..< n {
                for q in p + 1 ..< n where m[p][q] != 0 {
                    let theta = (m[q][q] - m[p][p]) / (2 * m[p][q])
                    let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for k in 0 ..< n {
                        let mkp = m[k][p], mkq = m[k][q]
                        m[k][p] = c * mkp - s * mkq
                        m[k][q] = s * mkp + c * mkq
                    }
                    for k in 0 ..< n {
                        let mpk = m[p][k], mqk = m[q][k]
                        m[p][k] = c * mpk - s * mqk
                        m[q][k] = s * mpk + c * mqk
                    }
                    for k in 0 ..< n {
                        let vkp = v[k][p], vkq = v[k][q]
                        v[k][p] = c * vkp - s * vkq
                        v[k][q] = s * vkp + c * vkq
                    }
                }
            }
        }
        let order = (0 ..< n).sorted { m[$0][$0] > m[$1][$1] }
        return (order.map { m[$0][$0] }, order.map { col in (0 ..< n).map { v[$0][col] } })
    }
}
