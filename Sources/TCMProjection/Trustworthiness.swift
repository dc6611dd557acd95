import TCMKernels

/// Trustworthiness (Venna & Kaski; scikit-learn's `trustworthiness`): how far the k nearest
/// neighbours of each point in the layout are from being its neighbours in the original space.
///
///     T = 1 − 2 / (n k (2n − 3k − 1)) · Σ_i Σ_{j ∈ N_k^layout(i)} max(0, r(i, j) − k)
///
/// where r(i, j) is the rank of j among i's neighbours in the original space (1 = nearest).
/// 1 means every layout neighbour is a true neighbour. The original space here is the unit rows'
/// Euclidean distance (same order as cosine similarity).
public enum Trustworthiness {
    /// The largest k the formula allows for `points` points (its denominator 2n − 3k − 1 must be
    /// positive), 0 when there is none.
    public static func maximumK(points n: Int) -> Int { n >= 2 ? (2 * n - 2) / 3 : 0 }

    /// Throws `ProjectionError` for a layout that is not N × 2 or finite, or k outside 1…`maximumK`.
    public static func score(
        unitRows x: Matrix, layout: [Float], k: Int = 10, threads: Int = defaultThreadCount
    ) throws -> Double {
        let n = x.rows, d = x.cols
        guard layout.count == 2 * n else {
            throw ProjectionError.invalidOption(
                "trustworthiness needs a layout of \(n) points × 2, got \(layout.count) values")
        }
        guard k >= 1 && k <= maximumK(points: n) else {
            throw ProjectionError.invalidNeighbourCount(k: k, points: n, maximum: maximumK(points: n))
        }
        guard layout.allSatisfy(\.isFinite) && x.values.allSatisfy(\.isFinite) else {
            throw ProjectionError.nonFiniteInput
        }
        let threads = max(1, threads)
        let packed = PackedRows(x)
        let block = 64, blocks = (n + block - 1) / block
        let partial = SharedBuffer<Double>(count: blocks)
        parallelForEach(count: blocks, threads: threads) { b in
            let r0 = b * block, rows = min(block, n - r0)
            let tile = UnsafeMutablePointer<Float>.allocate(capacity: rows * n)
            defer { tile.deallocate() }
            x.values.withUnsafeBufferPointer { v in
                packed.multiply(a: v.baseAddress! + r0 * d, m: rows, lda: d, columns: 0, count: n, c: tile, ldc: n)
            }
            var penalty = 0.0
            var candidates = [Int32](repeating: 0, count: n)
            for r in 0 ..< rows {
                let i = r0 + r
                // The k nearest in the layout (squared 2-D distance), self excluded.
                let px = layout[2 * i], py = layout[2 * i + 1]
                var distance = [Float](repeating: 0, count: n)
                for j in 0 ..< n {
                    let dx = layout[2 * j] - px, dy = layout[2 * j + 1] - py
                    distance[j] = j == i ? .infinity : dx * dx + dy * dy
                    candidates[j] = Int32(j)
                }
                candidates.withUnsafeMutableBufferPointer { c in selectLargest(c, k: k) { -distance[Int($0)] } }
                let row = tile + r * n
                for t in 0 ..< k {
                    let j = Int(candidates[t])
                    let s = row[j]
                    var rank = 1
                    for l in 0 ..< n where l != i && row[l] > s { rank += 1 }
                    penalty += Double(max(0, rank - k))
                }
            }
            partial.initialize(b, to: penalty)
        }
        let total = partial.moveToArray().reduce(0, +)
        let nn = Double(n), kk = Double(k)
        return 1 - 2 / (nn * kk * (2 * nn - 3 * kk - 1)) * total
    }
}
