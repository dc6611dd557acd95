import Foundation
import TCMData
import TCMKernels

/// Seeded synthetic embeddings: Gaussian class centres, per-class spread, equal class sizes.
public enum SyntheticData {
    public static func clustered(n: Int, dimension: Int, classes: Int, seed: UInt64) -> (Matrix, Labels) {
        var generator = SplitMix64(seed: seed)
        func uniform() -> Float { generator.unitFloat() }
        func gaussian() -> Float {
            let u = max(uniform(), 1e-7), v = uniform()
            return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
        }
        let centres = (0 ..< classes * dimension).map { _ in gaussian() }
        let spreads = (0 ..< classes).map { _ in 0.5 + uniform() }
        var values = [Float](repeating: 0, count: n * dimension)
        var labels = [Int32](repeating: 0, count: n)
        for i in 0 ..< n {
            let c = i % classes
            labels[i] = Int32(c)
            for j in 0 ..< dimension {
                values[i * dimension + j] = centres[c * dimension + j] + spreads[c] * gaussian()
            }
        }
        return (
            Matrix(rows: n, cols: dimension, values: values),
            Labels(classOf: labels, classNames: (0 ..< classes).map(String.init))
        )
    }
}
