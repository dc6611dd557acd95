import Foundation
import TCMData
// tcmbench FILE: TCMScope's reader, file → Float32 matrix (embeddings only), seconds.
let path = CommandLine.arguments[1]
let start = Date()
do {
    var options = EmbeddingLoader.Options()
    options.labelsFromSameFile = false
    let (m, _) = try EmbeddingLoader.load(path, options: options)
    print(String(format: "tcm %.3f s, %d × %d, sum %.3f", Date().timeIntervalSince(start), m.rows, m.cols, m.values.prefix(1000).reduce(0, +)))
} catch {
    print("error: \(error)")
    exit(2)
}
