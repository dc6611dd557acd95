import ArgumentParser
import Foundation
import TCMKernels

/// `bench scale`: the whole `analyze` process on a synthetic set of real size.
struct BenchScale: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scale",
        abstract:
            "Time the whole `analyze` process on a synthetic set of real size against numpy's pass and faiss-cpu's exact kNN.",
        discussion: """
            --config sop|inat|10k|10k-overlap|1m|tiny: the set's size (made by Benchmarks/make_synthetic.py when missing).
            """)

    @Option(
        help: """
            The set: sop (60,502 × 512), inat (136,093 × 512), 10k (10,000 × 128), 10k-overlap (the same, its 10 \
            classes overlapping), 1m (1,000,000 × 128) or tiny.
            """)
    var config: ScaleConfig
    @Option(help: "Where the generated sets are kept.")
    var dataDir = NSTemporaryDirectory() + "tcmscope-bench-data"
    @Option(
        help: """
            Peers, comma-separated: numpy (its pass), faiss (exact kNN), blas (the half product at numpy's GEMM \
            rate, the pass's limit), or none.
            """)
    var peers = "numpy,faiss,blas"
    @Option(help: BenchBounds.repeats.help("Runs to time (median reported).")) var repeats = 3
    @OptionGroup var peer: BenchPeerOptions

    func validate() throws {
        try BenchBounds.repeats.check(repeats)
        let unknown = peerSet.subtracting(ScaleBench.peerNames)
        if !unknown.isEmpty {
            throw ValidationError("--peers: unknown peer '\(unknown.sorted()[0])' (known: numpy, faiss, blas, none)")
        }
    }

    var peerSet: Set<String> {
        Set(
            peers.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
                $0 != "none" && !$0.isEmpty
            })
    }

    func run() throws {
        print(KernelPath.summary)
        try ScaleBench.run(
            config, dataDirectory: dataDir, repeats: repeats, python: peer.python, peers: peerSet, threads: peer.threads
        )
    }
}

/// `bench kernels`: the GEMM kernel and the histogram fold on their own.
struct BenchKernels: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernels", abstract: "Time the GEMM kernel and the histogram fold on their own, against numpy.")

    func run() throws {
        print(KernelPath.summary)
        KernelBench.run()
    }
}

/// `bench tsne`: t-SNE on the bundled MNIST test set.
struct BenchTSNE: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tsne", abstract: "Time t-SNE on the bundled MNIST test set against scikit-learn and openTSNE.")
    @OptionGroup var peer: BenchPeerOptions

    func run() throws {
        print(KernelPath.summary)
        try TSNEBench.run(python: peer.python, threads: peer.threads, peers: ["sklearn", "opentsne"])
    }
}

/// `bench training`: training steps with and without TCM.
struct BenchTraining: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "training",
        abstract: "Time training steps (with and without TCM) and the all-triplet loss against numpy.")
    @Option(help: "Python interpreter for the numpy peer; 'none' skips it.") var python = "python3"

    func run() throws {
        print(KernelPath.summary)
        try TrainingBench.run(python: python, steps: 1000)
    }
}

/// `bench dashboard`: launch to first frame, and frames idle and while fine-tuning.
struct BenchDashboard: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "Time the dashboard: launch to first frame, and frames at 200×60 idle and while fine-tuning.")
    @Option(help: BenchBounds.frames.help("Frames to time.")) var frames = 300

    func validate() throws { try BenchBounds.frames.check(frames) }

    func run() throws {
        print(KernelPath.summary)
        try DashboardBench.run(frames: frames)
    }
}
