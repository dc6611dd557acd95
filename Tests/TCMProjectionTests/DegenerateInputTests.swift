import Foundation
import Testing
import TCMData
import TCMKernels
@testable import TCMProjection

/// Small and degenerate inputs: every projection function either works (finite layouts, checked
/// against hand-worked answers) or throws a `ProjectionError` with a one-line message; none traps.
@Suite struct DegenerateInputTests {
    func rows(_ values: [[Float]]) -> Matrix {
        Matrix(rows: values.count, cols: values.first?.count ?? 0, values: values.flatMap { $0 })
    }

    func quick(_ iterations: Int = 60) -> TSNEOptions {
        var o = TSNEOptions()
        o.iterations = iterations
        o.threads = 1
        return o
    }

    // MARK: PCA

    @Test func pcaOfOneDimensionalDataPadsTheSecondAxisWithZeros() {
        let x = rows([[1], [2], [4], [9]])
        let pca = PCA(fitting: x, components: 2)
        #expect(pca.components == [[1], [0]])
        // Sample variance of 1, 2, 4, 9 (mean 4): (9 + 4 + 0 + 25) / 3.
        #expect(abs(pca.variances[0] - 38.0 / 3) < 1e-9 && pca.variances[1] == 0)
        #expect(pca.explainedRatio == [1, 0])
        let y = pca.transform(x)
        #expect(y.values == [-3, 0, -2, 0, 0, 0, 5, 0])
    }

    @Test func pcaOfTwoRowsOneRowAndNoRowsDoesNotTrap() {
        let two = PCA(fitting: rows([[0, 0], [2, 0]]), components: 2)
        #expect(two.transform(rows([[0, 0], [2, 0]])).values.map(abs) == [1, 0, 1, 0])
        let one = PCA(fitting: rows([[3, 4]]), components: 2)
        #expect(one.transform(rows([[3, 4]])).values == [0, 0], "a single row sits at the origin")
        let none = PCA(fitting: Matrix(rows: 0, cols: 3), components: 2)
        #expect(none.transform(Matrix(rows: 0, cols: 3)).values.isEmpty)
        #expect(PCA(fitting: rows([[1, 2]]), components: 0).components.isEmpty)
    }

    @Test func pcaOfIdenticalRowsPutsEveryRowAtTheOrigin() {
        let x = rows(Array(repeating: [0.6, 0.8, 0], count: 20))
        let y = PCA(fitting: x, components: 2).transform(x)
        #expect(y.values.allSatisfy { $0 == 0 })
    }

    // MARK: t-SNE

    @Test func tsneOnThreeRowsClampsThePerplexityAndGivesAFiniteLayout() throws {
        let x = RowNorms.normalized(rows([[1, 0], [0, 1], [1, 1]]))
        let layout = try #require(try TSNE.run(unitRows: x, options: TSNEOptions()))
        #expect(layout.count == 6 && layout.allSatisfy(\.isFinite))
        // The third point lies between the other two in the input (45° from each), so it is
        // the one nearest the middle of the layout.
        func distance(_ i: Int, _ j: Int) -> Float {
            hypot(layout[2 * i] - layout[2 * j], layout[2 * i + 1] - layout[2 * j + 1])
        }
        #expect(distance(0, 2) < distance(0, 1) && distance(1, 2) < distance(0, 1))
    }

    @Test func tsneOnOneDimensionalAndIdenticalRows() throws {
        // 1-D unit rows are ±1: two groups. The layout is finite and separates them.
        let line = rows((0 ..< 30).map { [$0 % 2 == 0 ? 1 : -1] as [Float] })
        let layout = try #require(try TSNE.run(unitRows: line, options: quick(300)))
        #expect(layout.allSatisfy { $0.isFinite })
        let xs = (0 ..< 30).map { layout[2 * $0] }
        let evens = (0 ..< 30).filter { $0 % 2 == 0 }.map { xs[$0] },
            odds = (0 ..< 30).filter { $0 % 2 == 1 }.map { xs[$0] }
        #expect(
            evens.max()! < odds.min()! || odds.max()! < evens.min()!, "the two values end up apart along the first axis"
        )
        let same = rows(Array(repeating: [0, 1, 0], count: 25))
        #expect(try TSNE.run(unitRows: same, options: quick())?.allSatisfy(\.isFinite) == true)
    }

    @Test func tsneRefusesTooFewRowsBeforeWork() {
        for n in 0 ... 2 {
            let x = Matrix(rows: n, cols: 2, values: [Float](repeating: 0.5, count: 2 * n))
            #expect(throws: ProjectionError.tooFewPoints(method: "t-SNE", needed: 3, got: n)) {
                _ = try TSNE.run(unitRows: x, options: quick()) { _ in Issue.record("no work") }
            }
        }
        #expect(
            ProjectionError.tooFewPoints(method: "t-SNE", needed: 3, got: 2).description
                == "t-SNE needs at least 3 points, got 2")
    }

    @Test func tsneRefusesOptionsOutsideTheirDomain() {
        let x = RowNorms.normalized(rows((0 ..< 10).map { [Float($0), 1] }))
        let cases: [((inout TSNEOptions) -> Void, String)] = [
            ({ $0.learningRate = .infinity }, "t-SNE learning rate must be a positive finite number, got inf"),
            ({ $0.learningRate = .nan }, "t-SNE learning rate must be a positive finite number, got nan"),
            ({ $0.learningRate = 0 }, "t-SNE learning rate must be a positive finite number, got 0.0"),
            ({ $0.perplexity = .nan }, "t-SNE perplexity must be a finite number ≥ 1, got nan"),
            ({ $0.perplexity = 0.5 }, "t-SNE perplexity must be a finite number ≥ 1, got 0.5"),
            ({ $0.iterations = -1 }, "t-SNE iterations must be 0 or more, got -1"),
            ({ $0.theta = -.infinity }, "t-SNE theta must be a finite number ≥ 0, got -inf"),
            ({ $0.earlyExaggeration = .nan }, "t-SNE early exaggeration must be a positive finite number"),
            ({ $0.threads = 0 }, "t-SNE threads must be at least 1, got 0"),
        ]
        for (change, message) in cases {
            var options = quick()
            change(&options)
            #expect(throws: ProjectionError.invalidOption(message)) { _ = try TSNE.run(unitRows: x, options: options) }
        }
    }

    @Test func tsneRefusesABadWarmStart() {
        let x = RowNorms.normalized(rows((0 ..< 10).map { [Float($0), 1] }))
        #expect(throws: ProjectionError.invalidWarmStart("holds NaN or infinite coordinates")) {
            _ = try TSNE.run(unitRows: x, options: quick(), initial: [Float](repeating: .nan, count: 20))
        }
        #expect(throws: ProjectionError.invalidWarmStart("holds NaN or infinite coordinates")) {
            _ = try TSNE.run(unitRows: x, options: quick(), initial: (0 ..< 20).map { $0 == 7 ? .infinity : Float($0) })
        }
        #expect(throws: ProjectionError.invalidWarmStart("19 values (9 points), expected 20 (10 points × 2)")) {
            _ = try TSNE.run(unitRows: x, options: quick(), initial: [Float](repeating: 0, count: 19))
        }
        #expect(throws: ProjectionError.invalidWarmStart("0 values (0 points), expected 20 (10 points × 2)")) {
            _ = try TSNE.run(unitRows: x, options: quick(), initial: [])
        }
        // The command line names the warm-start file for these, the input file otherwise.
        #expect(throws: DataError("w.npy", "warm-start layout: holds NaN or infinite coordinates")) {
            try ProjectionError.naming(input: "e.npy", warmStart: "w.npy") {
                _ = try TSNE.run(unitRows: x, options: quick(), initial: [Float](repeating: .nan, count: 20))
            }
        }
        #expect(throws: DataError("e.npy", "t-SNE needs at least 3 points, got 2")) {
            try ProjectionError.naming(input: "e.npy", warmStart: "w.npy") {
                _ = try TSNE.run(unitRows: Matrix(rows: 2, cols: 1, values: [1, 1]), options: quick())
            }
        }
    }

    @Test func tsneRefusesNonFiniteRowsAndReportsDivergence() {
        var x = RowNorms.normalized(rows((0 ..< 10).map { [Float($0), 1] }))
        let clean = x
        x.values[3] = .nan
        #expect(throws: ProjectionError.nonFiniteInput) { _ = try TSNE.run(unitRows: x, options: quick()) }
        var wild = quick(50)
        wild.learningRate = 1e300
        #expect(throws: ProjectionError.self) { _ = try TSNE.run(unitRows: clean, options: wild) }
        do { _ = try TSNE.run(unitRows: clean, options: wild) } catch let error as ProjectionError {
            guard case .diverged = error else {
                Issue.record("expected divergence, got \(error)")
                return
            }
            #expect(error.description.hasSuffix("lower the learning rate"))
        } catch { Issue.record("\(error)") }
    }

    @Test func perplexityLargerThanTheDataIsClampedNotFatal() throws {
        let x = RowNorms.normalized(rows((0 ..< 6).map { [Float($0), 1, Float($0 % 2)] }))
        var options = quick()
        options.perplexity = 1e6
        #expect(try TSNE.run(unitRows: x, options: options)?.allSatisfy(\.isFinite) == true)
        // Affinities of 2 points (the smallest they accept): each is the other's only neighbour.
        let p = try TSNE.affinities(unitRows: rows([[1, 0], [0, 1]]), perplexity: 30)
        #expect(p.values == [0.5, 0.5] && p.columns == [1, 0])
        #expect(throws: ProjectionError.self) { _ = try TSNE.affinities(unitRows: rows([[1, 0]]), perplexity: 30) }
        #expect(throws: ProjectionError.self) {
            _ = try TSNE.affinities(unitRows: rows([[1, 0], [0, 1]]), perplexity: .infinity)
        }
    }

    // MARK: neighbours and trustworthiness

    @Test func neighbourListsRefuseKOutsideOneToNMinusOne() throws {
        let x = RowNorms.normalized(rows([[1, 0], [0, 1], [1, 1]]))
        for k in [0, -1, 3, 1000] {
            #expect(
                throws: ProjectionError.invalidOption(
                    "nearest neighbours need 1 ≤ k < 3 (the number of points), got k = \(k)")
            ) {
                _ = try NeighbourLists(unitRows: x, k: k)
            }
        }
        let lists = try NeighbourLists(unitRows: x, k: 2, threads: 0)
        #expect(lists.indices[0 ..< 2] == [2, 1], "row 0's nearest is the diagonal, then the orthogonal row")
    }

    @Test func trustworthinessRefusesKThatDoesNotFit() throws {
        let x = RowNorms.normalized(rows((0 ..< 6).map { [Float($0), 1] }))
        // Each row's angle on the unit circle: layout distances order neighbours as the rows' own.
        let layout: [Float] = (0 ..< 6).flatMap { [atan2(1, Float($0)), 0] as [Float] }
        #expect(Trustworthiness.maximumK(points: 6) == 3 && Trustworthiness.maximumK(points: 1) == 0)
        // k = N / 2 fits (2n − 3k − 1 = 2 > 0); k = 4 does not.
        #expect(
            try Trustworthiness.score(unitRows: x, layout: layout, k: 3) == 1,
            "the rows' own angles keep every neighbour")
        for k in [0, 4, 6, 100] {
            #expect(throws: ProjectionError.invalidNeighbourCount(k: k, points: 6, maximum: 3)) {
                _ = try Trustworthiness.score(unitRows: x, layout: layout, k: k)
            }
        }
        #expect(
            ProjectionError.invalidNeighbourCount(k: 4, points: 6, maximum: 3).description
                == "trustworthiness needs 1 ≤ k ≤ 3 for 6 points, got k = 4")
        #expect(throws: ProjectionError.self) {
            _ = try Trustworthiness.score(unitRows: x, layout: Array(layout.dropLast()), k: 2)
        }
        #expect(throws: ProjectionError.nonFiniteInput) {
            _ = try Trustworthiness.score(unitRows: x, layout: [.nan] + layout.dropFirst(), k: 2)
        }
        #expect(throws: ProjectionError.self) {
            _ = try Trustworthiness.score(unitRows: Matrix(rows: 0, cols: 2), layout: [], k: 1)
        }
    }

    // MARK: subsampling and the background job

    @Test func stratifiedSampleOfTinyLimits() {
        let labels = Labels(integers: [0, 0, 1, 1, 2])
        #expect(
            StratifiedSample.indices(labels: labels, limit: 0, seed: 1).count <= 3,
            "at least one per class, never more than the classes")
        #expect(StratifiedSample.indices(labels: labels, limit: -5, seed: 1).count <= 3)
        #expect(StratifiedSample.indices(labels: labels, limit: 3, seed: 1).count == 3)
        #expect(StratifiedSample.indices(labels: Labels(integers: []), limit: 3, seed: 1).isEmpty)
    }

    @Test func backgroundProjectionReportsAFailureInsteadOfCrashing() {
        let job = BackgroundProjection(unitRows: Matrix(rows: 2, cols: 1, values: [1, -1]), options: quick())
        let deadline = Date().addingTimeInterval(30)
        while !job.isFinished && Date() < deadline { usleep(2000) }
        #expect(job.isFinished && job.snapshot == nil)
        #expect(job.failure == "t-SNE needs at least 3 points, got 2")
    }
}
