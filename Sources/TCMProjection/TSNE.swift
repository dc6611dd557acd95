import Foundation
import Synchronization
import TCMJobs
import TCMKernels

/// Barnes–Hut t-SNE (van der Maaten 2014) with the defaults of scikit-learn and openTSNE:
/// perplexity 30, 1000 iterations, early exaggeration 12 for the first 250, momentum 0.5 then
/// 0.8, learning rate "auto" = max(N / exaggeration / 4, 50), gains with a 0.01 floor, θ = 0.5,
/// and a PCA start scaled to a standard deviation of 1e-4. Input rows are unit vectors, so
/// Euclidean neighbourhoods are cosine neighbourhoods.
public struct TSNEOptions: Sendable, Equatable {
    public var perplexity = 30.0
    public var iterations = 1000
    /// `nil` means "auto".
    public var learningRate: Double? = nil
    public var earlyExaggeration = 12.0
    public var earlyExaggerationIterations = 250
    public var theta = 0.5
    public var threads = defaultThreadCount
    /// Publish the layout every this many iterations.
    public var publishEvery = 25
    public init() {}

    /// The first option outside its domain, phrased for a user, or nil.
    public var problem: String? {
        guard perplexity.isFinite && perplexity >= 1 else {
            return "t-SNE perplexity must be a finite number ≥ 1, got \(perplexity)"
        }
        guard iterations >= 0 else { return "t-SNE iterations must be 0 or more, got \(iterations)" }
        if let learningRate, !(learningRate.isFinite && learningRate > 0) {
            return "t-SNE learning rate must be a positive finite number, got \(learningRate)"
        }
        guard earlyExaggeration.isFinite && earlyExaggeration > 0 else {
            return "t-SNE early exaggeration must be a positive finite number"
        }
        guard earlyExaggerationIterations >= 0 else { return "t-SNE early-exaggeration iterations must be 0 or more" }
        guard theta.isFinite && theta >= 0 else { return "t-SNE theta must be a finite number ≥ 0, got \(theta)" }
        guard threads >= 1 else { return "t-SNE threads must be at least 1, got \(threads)" }
        return nil
    }

    /// Settings for re-projecting from a previous layout (after a fine-tuning step): the
    /// clusters are already apart, so no exaggeration phase and fewer iterations.
    public static func warmStart(iterations: Int = 250) -> TSNEOptions {
        var o = TSNEOptions()
        o.iterations = iterations
        o.earlyExaggerationIterations = 0
        return o
    }
}

/// A layout in progress or finished.
public struct ProjectionSnapshot: Sendable {
    public let iteration: Int
    public let totalIterations: Int
    /// Row-major N×2.
    public let layout: [Float]
    public var finished: Bool { iteration >= totalIterations }
}

public enum TSNE {
    /// The symmetric, normalised affinity matrix P in compressed rows.
    public struct Affinities: Sendable {
        public let rowStart: [Int]
        public let columns: [Int32]
        public let values: [Double]
    }

    /// P from the exact `3·perplexity` nearest neighbours; σ of each point by bisection to the
    /// target perplexity (natural-log entropy, as scikit-learn does). Needs 2 rows or more and a
    /// positive finite perplexity.
    public static func affinities(
        unitRows x: Matrix, perplexity: Double, threads: Int = defaultThreadCount
    ) throws -> Affinities {
        let n = x.rows
        guard n >= 2 else { throw ProjectionError.tooFewPoints(method: "t-SNE affinities", needed: 2, got: n) }
        guard perplexity.isFinite && perplexity > 0 else {
            throw ProjectionError.invalidOption("perplexity must be a positive finite number, got \(perplexity)")
        }
        let k = min(n - 1, Int(min(3 * perplexity + 1, Double(n))))
        let neighbours = try NeighbourLists(unitRows: x, k: k, threads: max(1, threads))
        let conditional = SharedBuffer<Double>(count: n * k)
        let target = log(perplexity)
        parallelForEach(count: (n + 255) / 256, threads: threads) { chunk in
            var p = [Double](repeating: 0, count: k)
            for i in chunk * 256 ..< min(n, (chunk + 1) * 256) {
                // Distances relative to the nearest: the same P and entropy, but the nearest
                // neighbour's weight is exp(0) = 1, so the sum never underflows to 0 however
                // large β grows (a target perplexity below 1, as with 3 points, drives β up).
                let nearest = Double(neighbours.squaredDistances[i * k])
                let d = (0 ..< k).map { Double(neighbours.squaredDistances[i * k + $0]) - nearest }
                var beta = 1.0, lo = -Double.infinity, hi = Double.infinity
                for _ in 0 ..< 100 {
                    var sum = 0.0
                    for j in 0 ..< k {
                        p[j] = exp(-d[j] * beta)
                        sum += p[j]
                    }
                    if sum == 0 { sum = 1e-300 }
                    var weighted = 0.0
                    for j in 0 ..< k {
                        p[j] /= sum
                        weighted += d[j] * p[j]
                    }
                    let entropy = log(sum) + beta * weighted
                    let gap = entropy - target
                    if abs(gap) < 1e-5 { break }
                    if gap > 0 {
                        lo = beta
                        beta = hi.isFinite ? (beta + hi) / 2 : beta * 2
                    } else {
                        hi = beta
                        beta = lo.isFinite ? (beta + lo) / 2 : beta / 2
                    }
                }
                for j in 0 ..< k { conditional.initialize(i * k + j, to: p[j]) }
            }
        }
        let pc = conditional.moveToArray()
        // P = (P_cond + P_condᵀ) / Σ, merged row by row.
        var rows = [[Int32: Double]](repeating: [:], count: n)
        for i in 0 ..< n {
            for t in 0 ..< k {
                let j = Int(neighbours.indices[i * k + t]), v = pc[i * k + t]
                rows[i][Int32(j), default: 0] += v
                rows[j][Int32(i), default: 0] += v
            }
        }
        // Sorted rows first, then the total in that fixed order: dictionary order varies from run
        // to run, and t-SNE amplifies a last-bit difference into a different layout.
        var rowStart = [0], columns: [Int32] = [], values: [Double] = []
        for r in rows {
            for (j, v) in r.sorted(by: { $0.key < $1.key }) {
                columns.append(j)
                values.append(v)
            }
            rowStart.append(columns.count)
        }
        let total = values.reduce(0, +)
        return Affinities(rowStart: rowStart, columns: columns, values: values.map { $0 / total })
    }

    /// The scikit-learn start: the first two principal components, scaled so that the first has
    /// standard deviation 1e-4.
    /// Data of one dimension gives a second coordinate of 0 (PCA pads missing axes with zeros).
    public static func pcaStart(_ x: Matrix) -> [Double] {
        let y = PCA(fitting: x, components: 2).transform(x)
        let n = x.rows
        var mean = 0.0
        for i in 0 ..< n { mean += Double(y[i, 0]) }
        mean /= Double(n)
        var variance = 0.0
        for i in 0 ..< n { variance += (Double(y[i, 0]) - mean) * (Double(y[i, 0]) - mean) }
        let scale = 1e-4 / max((variance / Double(n)).squareRoot(), 1e-12)
        return y.values.map { Double($0) * scale }
    }

    /// Runs the optimisation. Returns the final layout (N×2, row-major), or nil if cancelled.
    /// Every input is checked before any work and refused with a `ProjectionError`: fewer than 3
    /// rows, non-finite rows, an option outside its domain (`TSNEOptions.problem`), a warm start
    /// of the wrong size or with non-finite values. A perplexity above (N − 1) / 3 is lowered to
    /// it (each point needs 3·perplexity neighbours); scikit-learn refuses perplexity ≥ N instead.
    /// A layout that becomes non-finite (a learning rate far too high) throws `diverged`.
    /// - Parameters:
    ///   - initial: a previous layout to start from (warm start); otherwise the PCA start.
    ///   - publish: receives a snapshot every `publishEvery` iterations and at the end.
    public static func run(
        unitRows x: Matrix, options: TSNEOptions, initial: [Float]? = nil,
        cancel: JobControl? = nil,
        publish: ((ProjectionSnapshot) -> Void)? = nil
    ) throws -> [Float]? {
        let n = x.rows
        guard n >= 3 else { throw ProjectionError.tooFewPoints(method: "t-SNE", needed: 3, got: n) }
        if let problem = options.problem { throw ProjectionError.invalidOption(problem) }
        guard x.values.allSatisfy(\.isFinite) else { throw ProjectionError.nonFiniteInput }
        if let initial {
            guard initial.count == 2 * n else {
                throw ProjectionError.invalidWarmStart(
                    "\(initial.count) values (\(initial.count / 2) points), expected \(2 * n) (\(n) points × 2)")
            }
            guard initial.allSatisfy(\.isFinite) else {
                throw ProjectionError.invalidWarmStart("holds NaN or infinite coordinates")
            }
        }
        let perplexity = min(options.perplexity, Double(n - 1) / 3)
        let p = try affinities(unitRows: x, perplexity: perplexity, threads: options.threads)
        if cancel?.isCancelled == true { return nil }
        var y: [Double]
        if let initial {
            y = initial.map(Double.init)
        } else {
            y = pcaStart(x)
        }
        let rate = options.learningRate ?? max(Double(n) / options.earlyExaggeration / 4, 50)
        var update = [Double](repeating: 0, count: 2 * n)
        var gains = [Double](repeating: 1, count: 2 * n)
        var gradient = [Double](repeating: 0, count: 2 * n)
        let chunk = 256, chunks = (n + chunk - 1) / chunk
        for iteration in 0 ..< options.iterations {
            if cancel?.isCancelled == true { return nil }
            let exploring = iteration < options.earlyExaggerationIterations
            let exaggeration = exploring ? options.earlyExaggeration : 1
            let momentum = exploring ? 0.5 : 0.8
            computeGradient(
                p: p, y: y, exaggeration: exaggeration, theta: options.theta, threads: options.threads,
                chunks: chunks, chunk: chunk, into: &gradient)
            for i in 0 ..< 2 * n {
                let g = gradient[i]
                gains[i] = (update[i] * g < 0) ? gains[i] + 0.2 : max(gains[i] * 0.8, 0.01)
                update[i] = momentum * update[i] - rate * gains[i] * g
                y[i] += update[i]
            }
            let done = iteration + 1
            // One sum per iteration (2N additions, nothing next to the gradient): NaN or ±∞
            // anywhere makes it non-finite.
            guard y.reduce(0, +).isFinite else { throw ProjectionError.diverged(iteration: done) }
            if let publish, done % max(1, options.publishEvery) == 0 || done == options.iterations {
                publish(
                    ProjectionSnapshot(iteration: done, totalIterations: options.iterations, layout: y.map(Float.init)))
            }
        }
        return y.map(Float.init)
    }

    /// Point indices sorted along a Z-order curve of their positions (finite positions; others
    /// are placed at the curve's start rather than trapping in the integer conversion).
    static func mortonOrder(_ xs: [Double], _ ys: [Double]) -> [Int] {
        guard let minX = xs.min(), let maxX = xs.max(), let minY = ys.min(), let maxY = ys.max() else { return [] }
        func cell(_ v: Double) -> UInt64 { v >= 0 && v <= 65535 ? UInt64(v) : 0 }
        let sx = 65535 / max(maxX - minX, 1e-12), sy = 65535 / max(maxY - minY, 1e-12)
        func spread(_ v: UInt64) -> UInt64 {
            var x = v & 0xFFFF
            x = (x | (x << 8)) & 0x00FF_00FF
            x = (x | (x << 4)) & 0x0F0F_0F0F
            x = (x | (x << 2)) & 0x3333_3333
            x = (x | (x << 1)) & 0x5555_5555
            return x
        }
        let codes = xs.indices.map { i in
            spread(cell((xs[i] - minX) * sx)) | spread(cell((ys[i] - minY) * sy)) << 1
        }
        return xs.indices.sorted { codes[$0] < codes[$1] || (codes[$0] == codes[$1] && $0 < $1) }
    }

    /// ∂KL/∂y = 4 [ Σ_j exag·P_ij w_ij (y_i − y_j) − Σ_j w_ij² (y_i − y_j) / Z ], with w = 1/(1+d²),
    /// Z = Σ_{k≠l} w_kl; the repulsive sums by Barnes–Hut.
    static func computeGradient(
        p: Affinities, y: [Double], exaggeration: Double, theta: Double, threads: Int,
        chunks: Int, chunk: Int, into gradient: inout [Double]
    ) {
        let n = y.count / 2
        let xs = (0 ..< n).map { y[2 * $0] }, ys = (0 ..< n).map { y[2 * $0 + 1] }
        let summaries = QuadTree(x: xs, y: ys).summaries()
        let order = mortonOrder(xs, ys)
        let attractive = SharedBuffer<Double>(count: 2 * n)
        let repulsive = SharedBuffer<Double>(count: 2 * n)
        let partialZ = SharedBuffer<Double>(count: chunks)
        let thetaSquared = theta * theta
        parallelForEach(count: chunks, threads: threads) { c in
            // Depth ≤ QuadTree.maxDepth and each pop pushes 4: 3·depth + 4 entries at most.
            let stack = UnsafeMutablePointer<Int32>.allocate(capacity: 4 * QuadTree.maxDepth + 8)
            defer { stack.deallocate() }
            var z = 0.0
            // Points in Morton order: neighbours in a chunk walk the same part of the tree.
            for position in c * chunk ..< min(n, (c + 1) * chunk) {
                let i = order[position]
                let px = xs[i], py = ys[i]
                var ax = 0.0, ay = 0.0
                for e in p.rowStart[i] ..< p.rowStart[i + 1] {
                    let j = Int(p.columns[e])
                    let dx = px - xs[j], dy = py - ys[j]
                    let w = p.values[e] * exaggeration / (1 + dx * dx + dy * dy)
                    ax += w * dx
                    ay += w * dy
                }
                attractive.initialize(2 * i, to: ax)
                attractive.initialize(2 * i + 1, to: ay)
                let r = summaries.withUnsafeBufferPointer {
                    QuadTree.repulsion(
                        of: i, px: Float(px), py: Float(py), thetaSquared: Float(thetaSquared), nodes: $0, stack: stack)
                }
                repulsive.initialize(2 * i, to: r.fx)
                repulsive.initialize(2 * i + 1, to: r.fy)
                z += r.z
            }
            partialZ.initialize(c, to: z)
        }
        let a = attractive.moveToArray(), r = repulsive.moveToArray()
        let z = max(partialZ.moveToArray().reduce(0, +), 1e-12)
        for i in 0 ..< 2 * n { gradient[i] = 4 * (a[i] - r[i] / z) }
    }
}
