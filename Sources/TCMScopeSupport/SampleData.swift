import Foundation
import TCMData

/// Finds the bundled `sample-data/` from the working directory or from the executable's location
/// (a checkout's `.build/*/`, or a Python wheel's `bin/` with the sample in `share/tcmscope/`).
public enum SampleData {
    public static let mnistImages = "mnist/t10k-images-idx3-ubyte.gz"
    public static let mnistLabels = "mnist/t10k-labels-idx1-ubyte.gz"
    /// The bundled baseline model's MNIST test-set embeddings (see docs/guide/train.md, "Bundled baseline").
    public static let baselineEmbeddings = "baseline/eval-embeddings.npy"
    public static let baselineLabels = "baseline/eval-labels.npy"

    public static func path(_ relative: String) throws -> String {
        try repositoryFile("sample-data/" + relative)
    }

    /// A file of the checkout, looked up from the working directory and the executable's folders.
    public static func repositoryFile(_ relative: String) throws -> String {
        var candidates = [FileManager.default.currentDirectoryPath]
        // argv[0] is a bare name when the binary is found through PATH; the kernel knows the real file.
        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0 ..< 6 {
            candidates.append(dir.path)
            dir = dir.deletingLastPathComponent()
        }
        // A wheel installs the sample as data files under its prefix: PREFIX/bin/tcmscope, PREFIX/share/tcmscope/.
        for base in candidates {
            for p in [base + "/" + relative, base + "/share/tcmscope/" + relative]
            where FileManager.default.fileExists(atPath: p) {
                return p
            }
        }
        throw DataError(
            relative, "bundled sample not found; run from the TCMScope checkout or give EMBEDDINGS and LABELS")
    }
}
