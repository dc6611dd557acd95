import Foundation
import TCMData
import TCMKernels
import TCMProjection
import TCMScopeSupport

/// `tcmscope bench tsne`: our t-SNE on the bundled MNIST test set (10k × 784, unit rows) against
/// scikit-learn's (and openTSNE's, when installed) on the same file in the same run: time and
/// trustworthiness (k = 10), each layout scored by our implementation and by scikit-learn's.
enum TSNEBench {
    static func run(python: String, threads: Int, peers: [String]) throws {
        let images = try SampleData.path(SampleData.mnistImages)
        let (pixels, _) = try EmbeddingLoader.load(images)
        let unit = RowNorms.normalized(pixels)
        let dir = NSTemporaryDirectory() + "tcmscope-tsne-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try AtomicFile.write(NpyWriter.bytes(floats: unit.values, shape: [unit.rows, unit.cols]), to: dir + "/x.npy")

        var options = TSNEOptions()
        options.threads = threads
        let start = Date()
        let layout = try TSNE.run(unitRows: unit, options: options)!
        let seconds = Date().timeIntervalSince(start)
        let trust = try Trustworthiness.score(unitRows: unit, layout: layout, k: 10, threads: threads)
        try AtomicFile.write(NpyWriter.bytes(floats: layout, shape: [unit.rows, 2]), to: dir + "/ours.npy")
        print(
            "t-SNE of MNIST test set (\(unit.rows) × \(unit.cols), unit rows), \(threads) threads, 1000 iterations, perplexity 30"
        )
        print(String(format: "  TCMScope            %7.2f s   trustworthiness(10) %.4f (ours)", seconds, trust))

        for peer in peers {
            let r: [String: Any]
            switch PythonPeer.run(
                "tsne_peer.py",
                [dir + "/x.npy", dir + "/ours.npy", dir + "/peer.npy", "--peer", peer, "--threads", "\(threads)"],
                python: python)
            {
            case .success(let run): r = run.json
            case .failure(let failure):
                print("  \(peer): failed (\(failure))")
                continue
            }
            let peerLayout = try NpyArray(bytes: FileBytes.read(dir + "/peer.npy"), file: "peer.npy").doubles().map(
                Float.init)
            let peerTrust = try Trustworthiness.score(unitRows: unit, layout: peerLayout, k: 10, threads: threads)
            let peerSeconds = (r["seconds"] as? Double) ?? .nan
            print(
                String(
                    format:
                        "  %-19@ %7.2f s   trustworthiness(10) %.4f (ours), %.4f (scikit-learn's)   time ratio %.2f×",
                    (r["peer"] as? String ?? peer) as NSString, peerSeconds, peerTrust,
                    (r["trustworthiness_peer_by_sklearn"] as? Double) ?? .nan, peerSeconds / seconds))
            print(
                String(
                    format: "  TCMScope's layout scored by scikit-learn: %.4f",
                    (r["trustworthiness_ours_by_sklearn"] as? Double) ?? .nan))
        }
    }
}
