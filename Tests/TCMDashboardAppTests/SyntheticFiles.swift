import Foundation
import TCMData
import TCMScopeSupport

/// `SyntheticData.clustered` written to `dir` as e.npy and l.npy, and loaded the way a user's
/// files are (so the dashboard sees what it would see from disk).
func loadClusteredFiles(n: Int, dimension: Int, classes: Int, seed: UInt64, in dir: String) throws -> Dataset {
    let (matrix, labels) = SyntheticData.clustered(n: n, dimension: dimension, classes: classes, seed: seed)
    try AtomicFile.write(
        NpyWriter.bytes(floats: matrix.values, shape: [matrix.rows, matrix.cols]), to: dir + "/e.npy")
    try AtomicFile.write(
        NpyWriter.bytes(int64s: labels.classOf.map(Int64.init), shape: [matrix.rows]), to: dir + "/l.npy")
    return try Dataset.load(
        embeddings: dir + "/e.npy", labels: dir + "/l.npy", options: .init(), dropZeroVectors: false)
}
