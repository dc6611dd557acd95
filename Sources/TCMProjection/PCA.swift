import TCMKernels

/// Principal-component projection to a few dimensions.
///
/// The covariance (D×D) is formed with one GEMM; its leading eigenvectors come from subspace
/// iteration with Rayleigh–Ritz (exact up to a 1e-12 tolerance, and O(D²) per step, where a full
/// Jacobi solve of a 784×784 matrix would take seconds). Signs are fixed so that each axis's
/// largest-magnitude component is positive: the same data always gives the same picture.
public struct PCA: Sendable {
    public let mean: [Double]
    /// `components[k]` is the k-th principal axis (unit length).
    public let components: [[Double]]
    /// Variance along each axis.
    public let variances: [Double]
    /// Share of the total variance each axis explains.
    public let explainedRatio: [Double]

    /// Never traps: with more components asked than the data has dimensions (`k > D`, as for a
    /// 2-D picture of 1-D data) the extra axes are zero vectors of zero variance, so those
    /// coordinates are 0; with fewer than 2 rows the covariance is taken as 0 (every row maps to
    /// the origin). Non-finite input gives non-finite output; callers reject it first.
    public init(fitting x: Matrix, components requested: Int = 2) {
        let n = x.rows, d = x.cols
        let k = max(0, min(requested, d))
        var mean = [Double](repeating: 0, count: d)
        x.values.withUnsafeBufferPointer { v in
            for i in 0 ..< n { for j in 0 ..< d { mean[j] += Double(v[i * d + j]) } }
        }
        for j in 0 ..< d { mean[j] /= Double(max(n, 1)) }
        var centred = x
        centred.values.withUnsafeMutableBufferPointer { v in
            for i in 0 ..< n { for j in 0 ..< d { v[i * d + j] -= Float(mean[j]) } }
        }
        let covarianceF = GEMM.multiply(centred, transA: true, centred)
        let cov = (0 ..< d).map { i in (0 ..< d).map { n >= 2 ? Double(covarianceF[i, $0]) / Double(n - 1) : 0 } }
        let (values, vectors) = k > 0 ? PCA.leadingEigenvectors(cov, count: k) : ([], [])
        let total = (0 ..< d).reduce(0.0) { $0 + cov[$1][$1] }
        let padding = max(0, requested) - k
        self.mean = mean
        components = vectors + Array(repeating: [Double](repeating: 0, count: d), count: padding)
        variances = values + Array(repeating: 0, count: padding)
        explainedRatio = variances.map { total > 0 ? $0 / total : 0 }
    }

    /// Rows of `x` in the principal axes (N×k).
    public func transform(_ x: Matrix) -> Matrix {
        let k = components.count, d = x.cols
        var out = Matrix(rows: x.rows, cols: k)
        x.values.withUnsafeBufferPointer { v in
            for i in 0 ..< x.rows {
                for c in 0 ..< k {
                    var s = 0.0
                    for j in 0 ..< d { s += (Double(v[i * d + j]) - mean[j]) * components[c][j] }
                    out.values[i * k + c] = Float(s)
                }
            }
        }
        return out
    }

    /// Top `count` eigenpairs of a symmetric matrix by subspace iteration.
    static func leadingEigenvectors(_ a: [[Double]], count k: Int) -> ([Double], [[Double]]) {
        let d = a.count
        if d <= 32 {
            let (values, vectors) = SymmetricEigen.decompose(a)
            return (Array(values.prefix(k)), Array(vectors.prefix(k)).map(fixSign))
        }
        let width = min(d, k + 8)
        // A deterministic, generic start: columns of a fixed pseudo-random matrix.
        var state: UInt64 = 0x5EED
        var q = (0 ..< width).map { _ in
            (0 ..< d).map { _ -> Double in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return Double(state >> 11) / Double(1 << 53) - 0.5
            }
        }
        orthonormalise(&q)
        var previous = [Double](repeating: .infinity, count: k)
        var ritzValues: [Double] = [], ritzVectors: [[Double]] = []
        for _ in 0 ..< 1000 {
            var z = q.map { multiply(a, $0) }
            // Rayleigh–Ritz on span(q): T = Qᵀ A Q.
            let t = (0 ..< width).map { i in (0 ..< width).map { j in dot(q[i], z[j]) } }
            let (values, small) = SymmetricEigen.decompose(t)
            ritzValues = values
            ritzVectors = small.map { coefficients in
                var v = [Double](repeating: 0, count: d)
                for (c, qc) in zip(coefficients, q) { for r in 0 ..< d { v[r] += c * qc[r] } }
                return v
            }
            let converged = (0 ..< k).allSatisfy {
                abs(ritzValues[$0] - previous[$0]) <= 1e-12 * max(1, abs(ritzValues[0]))
            }
            previous = Array(ritzValues.prefix(k))
            if converged { break }
            orthonormalise(&z)
            q = z
        }
        return (Array(ritzValues.prefix(k)), Array(ritzVectors.prefix(k)).map(fixSign))
    }

    static func fixSign(_ v: [Double]) -> [Double] {
        guard let big = v.indices.max(by: { abs(v[$0]) < abs(v[$1]) }) else { return v }
        return v[big] < 0 ? v.map { -$0 } : v
    }

    static func multiply(_ a: [[Double]], _ x: [Double]) -> [Double] { a.map { dot($0, x) } }

    static func dot(_ a: [Double], _ b: [Double]) -> Double {
        var s = 0.0
        for i in a.indices { s += a[i] * b[i] }
        return s
    }

    /// Modified Gram–Schmidt, twice for stability.
    static func orthonormalise(_ q: inout [[Double]]) {
        for _ in 0 ..< 2 {
            for i in q.indices {
                for j in 0 ..< i {
                    let p = dot(q[i], q[j])
                    for r in q[i].indices { q[i][r] -= p * q[j][r] }
                }
                let norm = dot(q[i], q[i]).squareRoot()
                for r in q[i].indices { q[i][r] = norm > 0 ? q[i][r] / norm : 0 }
            }
        }
    }
}
