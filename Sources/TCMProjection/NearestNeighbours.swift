import TCMKernels

/// Exact k nearest neighbours of every row of a unit-row matrix, by cosine similarity, from a
/// tiled pass of similarity rows (never the N×N matrix). Squared Euclidean distances between
/// unit vectors are `2 − 2s`, so the same lists serve Euclidean consumers.
public struct NeighbourLists: Sendable {
    public let k: Int
    /// `indices[i*k ..< (i+1)*k]`: the neighbours of i, nearest first (i itself excluded).
    public let indices: [Int32]
    /// Matching squared Euclidean distances.
    public let squaredDistances: [Float]

    /// Throws `ProjectionError.invalidOption` unless 1 ≤ k < N.
    public init(unitRows x: Matrix, k: Int, threads: Int = defaultThreadCount) throws {
        let n = x.rows, d = x.cols
        guard k >= 1 && k < n else {
            throw ProjectionError.invalidOption(
                "nearest neighbours need 1 ≤ k < \(n) (the number of points), got k = \(k)")
        }
        let threads = max(1, threads)
        self.k = k
        let packed = PackedRows(x)
        let block = 64
        let blocks = (n + block - 1) / block
        let outIndices = SharedBuffer<Int32>(count: n * k)
        let outDistances = SharedBuffer<Float>(count: n * k)
        parallelForEach(count: blocks, threads: threads) { b in
            let r0 = b * block, rows = min(block, n - r0)
            let tile = UnsafeMutablePointer<Float>.allocate(capacity: rows * n)
            defer { tile.deallocate() }
            x.values.withUnsafeBufferPointer { v in
                packed.multiply(a: v.baseAddress! + r0 * d, m: rows, lda: d, columns: 0, count: n, c: tile, ldc: n)
            }
            var order = [Int32](repeating: 0, count: n)
            for r in 0 ..< rows {
                let i = r0 + r
                let row = tile + r * n
                row[i] = -.infinity
                for j in 0 ..< n { order[j] = Int32(j) }
                // Partial selection of the k largest similarities, then sort those.
                order.withUnsafeMutableBufferPointer { o in
                    selectLargest(o, k: k) { row[Int($0)] }
                    o[0 ..< k].sort { row[Int($0)] > row[Int($1)] || (row[Int($0)] == row[Int($1)] && $0 < $1) }
                }
                for t in 0 ..< k {
                    let j = order[t]
                    outIndices.initialize(i * k + t, to: j)
                    outDistances.initialize(i * k + t, to: max(0, 2 - 2 * row[Int(j)]))
                }
            }
        }
        indices = outIndices.moveToArray()
        squaredDistances = outDistances.moveToArray()
    }
}

/// Reorders `items` so that the `k` with the largest keys come first (in no order): quickselect.
func selectLargest(_ items: UnsafeMutableBufferPointer<Int32>, k: Int, key: (Int32) -> Float) {
    var lo = 0, hi = items.count - 1
    let target = k - 1
    while lo < hi {
        let pivot = key(items[lo + (hi - lo) / 2])
        var i = lo, j = hi
        while i <= j {
            while key(items[i]) > pivot { i += 1 }
            while key(items[j]) < pivot { j -= 1 }
            if i <= j {
                items.swapAt(i, j)
                i += 1
                j -= 1
            }
        }
        if target <= j { hi = j } else if target >= i { lo = i } else { return }
    }
}
