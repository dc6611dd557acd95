import Foundation
import Testing
import TCMData
import TCMKernels
@testable import TCMMetrics
import TCMTestSupport

@Suite struct RetrievalTests {
    /// Points on a circle at 0°, 10° (class A) and 25°, 180° (class B), worked by hand:
    /// queries A0, A10, B180 find their class-mate first; B25's nearest are A10 then A0.
    @Test func handWorkedCircle() {
        let angles: [Double] = [0, 10, 25, 180]
        let m = Matrix(
            rows: 4, cols: 2, values: angles.flatMap { [Float(cos($0 * .pi / 180)), Float(sin($0 * .pi / 180))] })
        let layout = ClassLayout(embeddings: m, labels: Labels(names: ["A", "A", "B", "B"]))
        let r = Retrieval.compute(layout: layout, ks: [1, 2, 4])
        #expect(r.recallAtK.map(\.recall) == [0.75, 0.75, 1.0])
        #expect(r.rPrecision == 0.75)
        #expect(r.mapAtR == 0.75)
        #expect(r.queries == 4 && r.skippedQueries == 0)
    }

    @Test(arguments: [UInt64(21), 22, 23])
    func matchesBruteForceSorting(seed: UInt64) {
        let (m, labels) = clusteredData(sizes: [25, 14, 1, 40, 6, 2], dimension: 12, seed: seed)
        let brute = BruteForce(m, labels)
        let expected = brute.retrieval(ks: [1, 2, 4, 8])
        let got = Retrieval.compute(layout: ClassLayout(embeddings: m, labels: labels), ks: [1, 2, 4, 8], threads: 2)
        #expect(got.queries == expected.queries && got.skippedQueries == 1)
        for (a, b) in zip(got.recallAtK.map(\.recall), expected.recall) { #expect(abs(a - b) < 1e-12) }
        #expect(abs(got.rPrecision - expected.rPrecision) < 1e-12)
        #expect(abs(got.mapAtR - expected.mapAtR) < 1e-12)
    }

    @Test func nearestIsTheTopOfAFullSortWithTiesInColumnOrder() {
        var rng = SplitMix64(state: 5)
        for n in [2, 3, 9, 17, 64, 333] {
            // Few distinct values (many ties), both zeros, a lane-unaligned length.
            let row: [Float] = (0 ..< n).map { _ in
                let r = Int(rng.unitDouble() * 9)
                return r == 0 ? -0.0 : r == 1 ? 0.0 : Float(r - 4) / 4
            }
            let key = { (j: Int) in (UInt64(descendingKey(row[j])) << 32) | UInt64(j) }
            for excluding in Set([0, n / 2, n - 1]) {
                let full = (0 ..< n).filter { $0 != excluding }.sorted { key($0) < key($1) }
                for need in Set([1, 2, min(7, n - 1), n - 1]) where need <= n - 1 {
                    let got = row.withUnsafeBufferPointer {
                        Retrieval.nearest(row: $0.baseAddress!, count: n, excluding: excluding, need: need)
                    }
                    #expect(got == Array(full.prefix(need)), "n \(n), excluding \(excluding), need \(need)")
                }
            }
        }
    }

    @Test func selectionFindsTheKthLargest() {
        var rng = SplitMix64(state: 77)
        for n in [1, 2, 5, 64, 1000] {
            let values = (0 ..< n).map { _ in Float(Int(rng.unitDouble() * 20)) }  // many ties
            let sorted = values.sorted(by: >)
            for k in Set([1, n, (n + 1) / 2]) {
                var copy = values
                #expect(Selection.kthLargest(&copy, k: k) == sorted[k - 1])
            }
        }
    }
}
