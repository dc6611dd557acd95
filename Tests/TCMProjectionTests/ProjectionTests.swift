import Foundation
import Dispatch
import Testing
import TCMData
import TCMJobs
import TCMKernels
@testable import TCMProjection

/// Well-separated Gaussian clusters on the unit sphere.
func sphereClusters(classes: Int, perClass: Int, dimension: Int, spread: Double, seed: UInt64) -> (Matrix, Labels) {
    var g = SeededGenerator(seed: seed)
    func gaussian() -> Double {
        let u = max(Double(g.next() >> 11) / Double(1 << 53), 1e-300), v = Double(g.next() >> 11) / Double(1 << 53)
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }
    var values: [Float] = [], labels: [Int64] = []
    for c in 0 ..< classes {
        let centre = (0 ..< dimension).map { _ in gaussian() }
        for _ in 0 ..< perClass {
            values += centre.map { Float($0 + spread * gaussian()) }
            labels.append(Int64(c))
        }
    }
    return (RowNorms.normalized(Matrix(rows: labels.count, cols: dimension, values: values)), Labels(integers: labels))
}

@Suite struct PCATests {
    @Test func jacobiSolvesAKnownMatrix() {
        // [[2,1],[1,2]] has eigenvalues 3 and 1 with eigenvectors (1,1)/√2 and (1,−1)/√2.
        let (values, vectors) = SymmetricEigen.decompose([[2, 1], [1, 2]])
        #expect(abs(values[0] - 3) < 1e-12 && abs(values[1] - 1) < 1e-12)
        #expect(abs(abs(vectors[0][0]) - 0.5.squareRoot()) < 1e-12 && abs(vectors[0][0] - vectors[0][1]) < 1e-12)
    }

    @Test(arguments: [5, 40, 130])
    func subspaceIterationMatchesAFullJacobiSolve(dimension: Int) {
        var g = SeededGenerator(seed: UInt64(dimension))
        // A covariance with a clear spectrum: B Bᵀ for a random B.
        let b = (0 ..< dimension).map { _ in
            (0 ..< dimension).map { _ in Double(g.next() >> 11) / Double(1 << 53) - 0.5 }
        }
        let a = (0 ..< dimension).map { i in (0 ..< dimension).map { j in PCA.dot(b[i], b[j]) } }
        let (values, vectors) = PCA.leadingEigenvectors(a, count: 2)
        let (reference, referenceVectors) = SymmetricEigen.decompose(a, sweeps: 200)
        for k in 0 ..< 2 {
            #expect(abs(values[k] - reference[k]) < 1e-8 * reference[0])
            #expect(abs(abs(PCA.dot(vectors[k], referenceVectors[k])) - 1) < 1e-6)
            // The eigen equation itself: ‖A v − λ v‖ is tiny.
            let av = PCA.multiply(a, vectors[k])
            let residual = zip(av, vectors[k]).map { ($0 - values[k] * $1) * ($0 - values[k] * $1) }.reduce(0, +)
                .squareRoot()
            #expect(residual < 1e-6 * reference[0])
        }
    }

    @Test func projectsALineOntoTheFirstAxis() {
        // Points along (3, 4)/5, each with a twin either side of the line (an orthogonal wobble
        // uncorrelated with the position): the first axis is exactly (0.6, 0.8).
        var values: [Float] = []
        for i in 0 ..< 51 {
            let t = Float(i) - 25
            for w: Float in [0.1, -0.1] { values += [0.6 * t - 0.8 * w, 0.8 * t + 0.6 * w] }
        }
        let pca = PCA(fitting: Matrix(rows: 102, cols: 2, values: values))
        #expect(abs(pca.components[0][0] - 0.6) < 1e-6 && abs(pca.components[0][1] - 0.8) < 1e-6)
        #expect(
            abs(pca.components[1][0] - 0.8) < 1e-6 && abs(pca.components[1][1] + 0.6) < 1e-6,
            "sign: largest component positive")
        #expect(pca.explainedRatio[0] > 0.999)
        let y = pca.transform(Matrix(rows: 102, cols: 2, values: values))
        #expect(
            abs(y[0, 0] - (-25)) < 1e-3 && abs(abs(y[0, 1]) - 0.1) < 1e-4,
            "coordinates are position along the line and the wobble")
    }
}

@Suite struct SubsampleTests {
    @Test func stratifiedSeededAndComplete() {
        let labels = Labels(integers: (0 ..< 1000).map { Int64($0 < 700 ? 0 : ($0 < 990 ? 1 : 2)) })
        let a = StratifiedSample.indices(labels: labels, limit: 100, seed: 7)
        #expect(a.count == 100 && a == a.sorted() && Set(a).count == 100)
        let counts = [0, 1, 2].map { c in a.filter { labels.classOf[$0] == Int32(c) }.count }
        #expect(counts == [70, 29, 1], "proportional, and the 10-sample class keeps one")
        #expect(StratifiedSample.indices(labels: labels, limit: 100, seed: 7) == a, "same seed, same sample")
        #expect(StratifiedSample.indices(labels: labels, limit: 100, seed: 8) != a)
        #expect(StratifiedSample.indices(labels: labels, limit: 5000, seed: 1) == Array(0 ..< 1000))
    }
}

@Suite struct NeighbourTests {
    @Test func exactNeighboursMatchBruteForce() throws {
        let (x, _) = sphereClusters(classes: 4, perClass: 30, dimension: 9, spread: 0.7, seed: 3)
        let lists = try NeighbourLists(unitRows: x, k: 7, threads: 2)
        for i in 0 ..< x.rows {
            let sims = (0 ..< x.rows).map { j -> Double in
                j == i ? -.infinity : zip(x.row(i), x.row(j)).reduce(0) { $0 + Double($1.0) * Double($1.1) }
            }
            let expected = sims.indices.sorted { sims[$0] > sims[$1] }.prefix(7)
            #expect(lists.indices[i * 7 ..< i * 7 + 7].map(Int.init) == Array(expected))
            #expect(abs(Double(lists.squaredDistances[i * 7]) - (2 - 2 * sims[expected.first!])) < 1e-5)
        }
    }
}

@Suite struct TSNETests {
    @Test func affinitiesHitThePerplexityAndAreSymmetric() throws {
        let (x, _) = sphereClusters(classes: 3, perClass: 40, dimension: 10, spread: 0.8, seed: 4)
        let p = try TSNE.affinities(unitRows: x, perplexity: 10, threads: 2)
        let total = p.values.reduce(0, +)
        #expect(abs(total - 1) < 1e-9)
        var entries: [Int: Double] = [:]
        for i in 0 ..< x.rows {
            for e in p.rowStart[i] ..< p.rowStart[i + 1] { entries[i * x.rows + Int(p.columns[e])] = p.values[e] }
        }
        for (key, v) in entries {
            let (i, j) = (key / x.rows, key % x.rows)
            #expect(abs((entries[j * x.rows + i] ?? -1) - v) < 1e-15, "P is symmetric")
            #expect(i != j)
        }
    }

    @Test func trustworthinessOfKnownLayouts() throws {
        let (x, _) = sphereClusters(classes: 3, perClass: 30, dimension: 6, spread: 0.5, seed: 5)
        let n = x.rows
        // Unit vectors in a plane, laid out by their own coordinates: layout distances are the
        // original distances, so the layout is perfectly trustworthy; a random layout is not.
        let flat = Matrix(
            rows: n, cols: 3,
            values: (0 ..< n).flatMap { i -> [Float] in
                let a = Float(i) * 0.37
                return [cos(a), sin(a), 0]
            })
        let exact = try Trustworthiness.score(
            unitRows: flat, layout: flat.values.enumerated().filter { $0.offset % 3 != 2 }.map(\.element), k: 5)
        #expect(abs(exact - 1) < 1e-12)
        var g = SeededGenerator(seed: 1)
        let random = (0 ..< 2 * n).map { _ in Float(g.next() % 1000) }
        #expect(try Trustworthiness.score(unitRows: x, layout: random, k: 5) < 0.7)
    }

    @Test func trustworthinessMatchesTheFormulaByBruteForce() throws {
        let (x, _) = sphereClusters(classes: 2, perClass: 15, dimension: 5, spread: 1.0, seed: 6)
        let n = x.rows, k = 4
        var g = SeededGenerator(seed: 2)
        let layout = (0 ..< 2 * n).map { _ in Float(g.next() % 100_000) / 1000 }
        func sim(_ i: Int, _ j: Int) -> Double {
            zip(x.row(i), x.row(j)).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        var penalty = 0
        for i in 0 ..< n {
            let original = (0 ..< n).filter { $0 != i }.sorted { sim(i, $0) > sim(i, $1) }
            let low = (0 ..< n).filter { $0 != i }.sorted {
                let a = pow(layout[2 * $0] - layout[2 * i], 2) + pow(layout[2 * $0 + 1] - layout[2 * i + 1], 2)
                let b = pow(layout[2 * $1] - layout[2 * i], 2) + pow(layout[2 * $1 + 1] - layout[2 * i + 1], 2)
                return a < b
            }.prefix(k)
            for j in low { penalty += max(0, original.firstIndex(of: j)! + 1 - k) }
        }
        let expected = 1 - 2 / Double(n * k * (2 * n - 3 * k - 1)) * Double(penalty)
        let score = try Trustworthiness.score(unitRows: x, layout: layout, k: k)
        #expect(abs(score - expected) < 1e-12)
    }

    @Test func separatesClustersAndKeepsNeighbourhoods() throws {
        let (x, labels) = sphereClusters(classes: 5, perClass: 60, dimension: 20, spread: 0.35, seed: 7)
        var options = TSNEOptions()
        options.iterations = 400
        options.perplexity = 20
        var snapshots = 0
        let layout = try TSNE.run(unitRows: x, options: options) { _ in snapshots += 1 }!
        #expect(snapshots == 16, "one snapshot every 25 iterations")
        let trust = try Trustworthiness.score(unitRows: x, layout: layout, k: 10)
        #expect(trust > 0.9, "trustworthiness \(trust)")
        // Nearest layout neighbour of nearly every point is in its own class.
        var same = 0
        for i in 0 ..< x.rows {
            var best = -1, bestD = Float.infinity
            for j in 0 ..< x.rows where j != i {
                let d = pow(layout[2 * i] - layout[2 * j], 2) + pow(layout[2 * i + 1] - layout[2 * j + 1], 2)
                if d < bestD {
                    bestD = d
                    best = j
                }
            }
            if labels.classOf[best] == labels.classOf[i] { same += 1 }
        }
        #expect(Double(same) / Double(x.rows) > 0.95)
        // Same input, same layout.
        let again = try TSNE.run(unitRows: x, options: options)
        #expect(again == layout)
    }

    @Test func warmStartKeepsTheLayoutInPlace() throws {
        let (x, _) = sphereClusters(classes: 4, perClass: 40, dimension: 12, spread: 0.35, seed: 8)
        let options = TSNEOptions()
        let first = try TSNE.run(unitRows: x, options: options)!
        // A slightly perturbed input (as after a fine-tuning step), re-projected from the old layout.
        var g = SeededGenerator(seed: 9)
        let moved = RowNorms.normalized(
            Matrix(rows: x.rows, cols: x.cols, values: x.values.map { $0 + Float(Int(g.next() % 200) - 100) * 1e-4 }))
        let again = try TSNE.run(unitRows: moved, options: .warmStart(iterations: 100), initial: first)!
        let cold = try TSNE.run(
            unitRows: moved,
            options: {
                var o = options
                o.threads = 1
                return o
            }())!
        func displacement(_ a: [Float], _ b: [Float]) -> Double {
            zip(a, b).map { Double(($0 - $1) * ($0 - $1)) }.reduce(0, +) / Double(a.count)
        }
        let spread = displacement(first, [Float](repeating: 0, count: first.count))
        #expect(displacement(first, again) < 0.05 * spread, "warm start stays put")
        #expect(displacement(first, again) < displacement(first, cold))
    }

    @Test func cancellationStopsTheRun() throws {
        let (x, _) = sphereClusters(classes: 3, perClass: 30, dimension: 8, spread: 0.5, seed: 10)
        let flag = JobControl()
        var seen = 0
        var options = TSNEOptions()
        options.publishEvery = 10
        let result = try TSNE.run(unitRows: x, options: options, cancel: flag) { snapshot in
            seen = snapshot.iteration
            if snapshot.iteration >= 50 { flag.cancel() }
        }
        #expect(result == nil && seen == 50)
    }
}

@Suite struct BackgroundProjectionTests {
    func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(seconds * 1e9)
        while DispatchTime.now().uptimeNanoseconds < deadline {
            if condition() { return true }
            usleep(2000)
        }
        return condition()
    }

    @Test func publishesAndFinishes() throws {
        let (x, _) = sphereClusters(classes: 3, perClass: 30, dimension: 8, spread: 0.5, seed: 11)
        var options = TSNEOptions()
        options.iterations = 120
        options.publishEvery = 20
        let job = BackgroundProjection(unitRows: x, options: options)
        #expect(waitUntil(seconds: 60) { job.isFinished })
        let last = job.snapshot
        #expect(last?.finished == true && last?.layout.count == 2 * x.rows)
        let direct = try TSNE.run(unitRows: x, options: options)
        #expect(last?.layout == direct, "the background result is the same computation")
        #expect(job.failure == nil)
    }

    @Test func cancelEndsEarly() throws {
        let (x, _) = sphereClusters(classes: 3, perClass: 40, dimension: 8, spread: 0.5, seed: 12)
        var options = TSNEOptions()
        options.iterations = 100_000
        options.publishEvery = 5
        let job = BackgroundProjection(unitRows: x, options: options)
        #expect(waitUntil(seconds: 60) { job.snapshot != nil })
        job.cancel()
        #expect(waitUntil(seconds: 60) { job.isFinished })
        #expect((job.snapshot?.iteration ?? 0) < 100_000)
    }
}
