import Foundation
import Testing
import TCMKernels
@testable import TCMTraining

/// A random batch: B samples in a few classes and a random similarity "matrix" whose entries
/// are independent values in (−1, 1) (the losses treat every entry as its own variable).
func randomBatch(b: Int, classes: Int, seed: UInt64) -> SimilarityBatch {
    var g = TrainingRandom(seed: seed)
    let labels = (0 ..< b).map { Int32($0 % classes) }
    let s = (0 ..< b * b).map { _ in Double(g.uniform(-0.95, 0.95)) }
    return SimilarityBatch(similarities: s, labels: labels)
}

/// A rectangular batch, as under cross-batch memory: `rows` anchors against `columns` references,
/// row i's own entry at column `offset + i`.
func randomMemoryBatch(rows: Int, columns: Int, classes: Int, seed: UInt64) -> SimilarityBatch {
    var g = TrainingRandom(seed: seed)
    let offset = columns - rows - 2
    let rowLabels = (0 ..< rows).map { Int32($0 % classes) }
    var columnLabels = (0 ..< columns).map { _ in Int32(g.below(classes)) }
    for i in 0 ..< rows { columnLabels[offset + i] = rowLabels[i] }
    return SimilarityBatch(
        similarities: (0 ..< rows * columns).map { _ in Double(g.uniform(-0.95, 0.95)) },
        rowLabels: rowLabels, columnLabels: columnLabels, selfColumn: (0 ..< rows).map { offset + $0 })
}

/// Central differences of `loss` at every entry, in Float64. Circle loss's α weights are
/// detached (constants in the backward pass, as in PML), so they are held at the unperturbed batch.
func finiteDifferences(_ loss: any SimilarityLoss, _ batch: SimilarityBatch, h: Double = 1e-6) -> [Double] {
    var out = [Double](repeating: 0, count: batch.similarities.count)
    var scratch = [Double](repeating: 0, count: batch.similarities.count)
    func value(_ s: [Double]) -> Double {
        let perturbed = SimilarityBatch(
            similarities: s, rowLabels: batch.labels, columnLabels: batch.columnLabels, selfColumn: batch.selfColumn)
        if let circle = loss as? CircleLoss {
            return circle.evaluate(perturbed, weightsFrom: batch, gradient: &scratch)
        }
        return loss.evaluate(perturbed, gradient: &scratch)
    }
    for k in out.indices {
        var plus = batch.similarities, minus = batch.similarities
        plus[k] += h
        minus[k] -= h
        out[k] = (value(plus) - value(minus)) / (2 * h)
    }
    return out
}

let allLosses: [any SimilarityLoss] = [
    ContrastiveLoss(), ContrastiveLoss(positiveMargin: 0.8, negativeMargin: 0.3),
    TripletMarginLoss(margin: 0.2, mining: .all), TripletMarginLoss(margin: 0.2, mining: .semihard),
    TripletMarginLoss(margin: 0.2, mining: .hard),
    MultiSimilarityLoss(), MultiSimilarityLoss(mine: false), CircleLoss(), CircleLoss(m: 0.25, gamma: 32),
    LiftedStructureLoss(), LiftedStructureLoss(positiveMargin: 0.5, negativeMargin: 0.2),
    TCMRegularizer(), TCMRegularizer(positiveMargin: 0.6, negativeMargin: 0.1, positiveWeight: 0.5, negativeWeight: 2),
]

@Suite struct LossGradientTests {
    @Test(arguments: 0 ..< allLosses.count)
    func analyticGradientMatchesCentralDifferences(index: Int) {
        let loss = allLosses[index]
        for seed in [UInt64(1), 2, 3] {
            let batch = randomBatch(b: 10, classes: 3, seed: seed * 100 + UInt64(index))
            var analytic = [Double](repeating: 0, count: 100)
            let value = loss.evaluate(batch, gradient: &analytic)
            #expect(value.isFinite && value >= 0, "\(loss.name)")
            let numeric = finiteDifferences(loss, batch)
            let scale = max(1, numeric.map(abs).max()!)
            for k in analytic.indices {
                #expect(
                    abs(analytic[k] - numeric[k]) < 1e-5 * scale,
                    "\(loss.name) seed \(seed) entry \(k): \(analytic[k]) vs \(numeric[k])")
            }
            #expect(numeric.contains { $0 != 0 }, "\(loss.name): the check must exercise a non-zero gradient")
        }
        // And against a cross-batch memory (rectangular, the anchor's own entry excluded).
        let memory = randomMemoryBatch(rows: 6, columns: 15, classes: 3, seed: 77 + UInt64(index))
        var analytic = [Double](repeating: 0, count: 6 * 15)
        _ = loss.evaluate(memory, gradient: &analytic)
        let numeric = finiteDifferences(loss, memory)
        let scale = max(1, numeric.map(abs).max()!)
        for k in analytic.indices {
            #expect(abs(analytic[k] - numeric[k]) < 1e-5 * scale, "\(loss.name) memory entry \(k)")
        }
        for i in 0 ..< 6 {
            #expect(analytic[memory.index(i, memory.selfColumn[i])] == 0, "no gradient on a row's own entry")
        }
    }

    @Test func gradientsAccumulate() {
        let batch = randomBatch(b: 8, classes: 2, seed: 5)
        var both = [Double](repeating: 0, count: 64), one = both, other = both
        _ = ContrastiveLoss().evaluate(batch, gradient: &both)
        _ = TCMRegularizer().evaluate(batch, gradient: &both)
        _ = ContrastiveLoss().evaluate(batch, gradient: &one)
        _ = TCMRegularizer().evaluate(batch, gradient: &other)
        #expect(zip(both, zip(one, other)).allSatisfy { abs($0 - ($1.0 + $1.1)) < 1e-15 })
    }
}

@Suite struct HandWorkedLossTests {
    /// Labels [0, 0, 1]; s01 = s10 = 0.8, s02 = s20 = 0.6, s12 = s21 = 0.3.
    let batch = SimilarityBatch(similarities: [1, 0.8, 0.6, 0.8, 1, 0.3, 0.6, 0.3, 1], labels: [0, 0, 1])

    @Test func tcmByHand() {
        var g = [Double](repeating: 0, count: 9)
        // Positives ≤ 0.9: both 0.8 → mean(0.1, 0.1); negatives ≥ 0.5: both 0.6 → mean(0.1, 0.1).
        #expect(abs(TCMRegularizer().evaluate(batch, gradient: &g) - 0.2) < 1e-12)
        #expect(g[1] == -0.5 && g[3] == -0.5 && g[2] == 0.5 && g[6] == 0.5 && g[5] == 0 && g[7] == 0)
        // No violations, no loss: margins loose enough.
        var h = [Double](repeating: 0, count: 9)
        #expect(TCMRegularizer(positiveMargin: 0.5, negativeMargin: 0.7).evaluate(batch, gradient: &h) == 0)
        #expect(h.allSatisfy { $0 == 0 })
    }

    @Test func contrastiveByHand() {
        var g = [Double](repeating: 0, count: 9)
        // Positives: relu(1 − 0.8) = 0.2 twice → 0.2; negatives relu(s): 0.6, 0.6, 0.3, 0.3 → 0.45.
        #expect(abs(ContrastiveLoss().evaluate(batch, gradient: &g) - 0.65) < 1e-12)
    }

    @Test func tripletByHand() {
        var g = [Double](repeating: 0, count: 9)
        #expect(TripletMarginLoss(margin: 0.05).evaluate(batch, gradient: &g) == 0)
        // Raise s02 to 0.78: anchor 0 has relu(0.78 − 0.8 + 0.05) = 0.03, the only non-zero triplet.
        var s = batch.similarities
        s[2] = 0.78
        var h = [Double](repeating: 0, count: 9)
        #expect(
            abs(
                TripletMarginLoss(margin: 0.05).evaluate(
                    SimilarityBatch(similarities: s, labels: [0, 0, 1]), gradient: &h) - 0.03) < 1e-12)
        #expect(h[2] == 1 && h[1] == -1)
    }

    @Test func tripletFastPathMatchesBruteForceTriplets() {
        for mining in TripletMarginLoss.Mining.allCases {
            for seed in [UInt64(7), 8] {
                let batch = randomBatch(b: 14, classes: 3, seed: seed)
                let m = 0.15
                var sum = 0.0, count = 0
                for a in 0 ..< 14 {
                    for p in 0 ..< 14 where p != a && batch.same(a, p) {
                        for n in 0 ..< 14 where !batch.same(a, n) {
                            let sap = batch.s(a, p), san = batch.s(a, n)
                            let mined: Bool
                            switch mining {
                            case .all: mined = true
                            case .semihard: mined = sap - san > 0 && sap - san <= m
                            case .hard: mined = sap - san <= 0
                            }
                            let l = max(0, san - sap + m)
                            if mined && l > 0 {
                                sum += l
                                count += 1
                            }
                        }
                    }
                }
                var g = [Double](repeating: 0, count: 196)
                let fast = TripletMarginLoss(margin: m, mining: mining).evaluate(batch, gradient: &g)
                #expect(abs(fast - (count > 0 ? sum / Double(count) : 0)) < 1e-12, "\(mining)")
            }
        }
    }

    @Test func multiSimilarityByHand() {
        // Without mining, anchor 0: (1/2)log(1 + e^{−2(0.8−0.5)}) + (1/50)log(1 + e^{50(0.6−0.5)}), etc.
        func term(_ pos: [Double], _ neg: [Double]) -> Double {
            log(1 + pos.reduce(0) { $0 + exp(-2 * ($1 - 0.5)) }) / 2 + log(
                1 + neg.reduce(0) { $0 + exp(50 * ($1 - 0.5)) }) / 50
        }
        let expected = (term([0.8], [0.6]) + term([0.8], [0.3]) + term([], [0.6, 0.3])) / 3
        var g = [Double](repeating: 0, count: 9)
        #expect(abs(MultiSimilarityLoss(mine: false).evaluate(batch, gradient: &g) - expected) < 1e-12)
    }

    @Test func circleByHand() {
        // Anchors 0 and 1 have a positive and a negative; anchor 2 has no positive (loss 0, left out).
        func anchor(_ sp: Double, _ sn: Double) -> Double {
            let m = 0.4, gamma = 80.0
            let lp = -gamma * max(0, 1 + m - sp) * (sp - (1 - m)), ln = gamma * max(0, sn + m) * (sn - m)
            return log1p(exp(lp + ln))
        }
        var g = [Double](repeating: 0, count: 9)
        let expected = (anchor(0.8, 0.6) + anchor(0.8, 0.3)) / 2
        #expect(abs(CircleLoss().evaluate(batch, gradient: &g) - expected) < 1e-9)
    }
}

@Suite struct ProxyAnchorTests {
    @Test func cosineGradientMatchesCentralDifferences() {
        var g = TrainingRandom(seed: 12)
        let b = 9, classes = 4
        let labels = (0 ..< b).map { Int32($0 % 3) }  // class 3 has no positive in the batch
        let cos = (0 ..< b * classes).map { _ in Double(g.uniform(-0.9, 0.9)) }
        let loss = ProxyAnchorLoss()
        let (value, analytic) = loss.evaluate(cosines: cos, labels: labels, classes: classes)
        // By hand: 3 proxies with positives, 4 in all.
        var pos = 0.0, neg = 0.0
        for c in 0 ..< classes {
            let p = (0 ..< b).filter { labels[$0] == Int32(c) }.map { exp(-32 * (cos[$0 * classes + c] - 0.1)) }
            let n = (0 ..< b).filter { labels[$0] != Int32(c) }.map { exp(32 * (cos[$0 * classes + c] + 0.1)) }
            if !p.isEmpty { pos += log(1 + p.reduce(0, +)) }
            neg += log(1 + n.reduce(0, +))
        }
        #expect(abs(value - (pos / 3 + neg / 4)) < 1e-9)
        for k in cos.indices {
            var up = cos, down = cos
            up[k] += 1e-6
            down[k] -= 1e-6
            let numeric =
                (loss.evaluate(cosines: up, labels: labels, classes: classes).0
                    - loss.evaluate(cosines: down, labels: labels, classes: classes).0) / 2e-6
            #expect(abs(numeric - analytic[k]) < 1e-5 * max(1, abs(numeric)), "entry \(k)")
        }
    }

    @Test func proxyGradientThroughNormalisation() {
        // L(E, P) computed in Double from raw proxies; compare ∂L/∂P with the Float chain rule.
        var g = TrainingRandom(seed: 13)
        let b = 6, classes = 3, d = 4
        let e = RowNorms.normalized(Matrix(rows: b, cols: d, values: (0 ..< b * d).map { _ in g.uniform(-1, 1) }))
        var proxies = Matrix(rows: classes, cols: d, values: (0 ..< classes * d).map { _ in g.uniform(-1, 1) })
        let labels = (0 ..< b).map { Int32($0 % classes) }
        let loss = ProxyAnchorLoss(margin: 0.1, alpha: 4)
        func reference(_ p: Matrix) -> Double {
            var cos = [Double]()
            for i in 0 ..< b {
                for c in 0 ..< classes {
                    let norm = (0 ..< d).reduce(0.0) { $0 + Double(p[c, $1]) * Double(p[c, $1]) }.squareRoot()
                    cos.append((0 ..< d).reduce(0.0) { $0 + Double(e[i, $1]) * Double(p[c, $1]) } / norm)
                }
            }
            return loss.evaluate(cosines: cos, labels: labels, classes: classes).0
        }
        let (_, _, dp) = loss.evaluate(embeddings: e, labels: labels, proxies: proxies)
        for k in proxies.values.indices {
            let original = proxies.values[k]
            proxies.values[k] = original + 1e-3
            let up = reference(proxies)
            proxies.values[k] = original - 1e-3
            let down = reference(proxies)
            proxies.values[k] = original
            #expect(abs((up - down) / 2e-3 - Double(dp.values[k])) < 1e-3, "proxy entry \(k)")
        }
    }

    @Test func proxiesAreCheckpointedAndResumeExactly() throws {
        let data = clusterData()
        var config = smallConfig(.proxyAnchor, tcm: true)
        config.epochs = 4
        let straight = try Trainer.run(TrainingState(config: config), data: data) { _ in }
        #expect(straight.proxies?.rows == 6)
        var half = config
        half.epochs = 2
        let first = try Trainer.run(TrainingState(config: half), data: data) { _ in }
        let path = NSTemporaryDirectory() + "tcmscope-proxy-\(UUID().uuidString).tcms"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Checkpoint.write(first, to: path)
        var loaded = try Checkpoint.read(path)
        #expect(loaded.proxies == first.proxies && loaded.proxyOptimizer == first.proxyOptimizer)
        loaded.config.epochs = 4
        let resumed = try Trainer.run(loaded, data: data) { _ in }
        #expect(resumed.model == straight.model && resumed.proxies == straight.proxies)
    }
}
