import Foundation
import TCMData
import TCMScopeSupport

/// `bench scale --config NAME`: the whole `tcmscope analyze` process (full report, with retrieval,
/// default options) on a set of real size, against numpy's pair pass and faiss-cpu's exact kNN
/// run on the same files in the same run, and against issue 9's targets.
extension ScaleBench {
    static let peerNames: Set<String> = ["numpy", "faiss", "blas"]

    static func run(
        _ config: ScaleConfig, dataDirectory: String, repeats: Int, python: String, peers: Set<String>, threads: Int
    ) throws {
        // The CPU and kernel path were printed by `Bench.run` (KernelPath.summary).
        let files = try ensureData(config, in: dataDirectory, python: python)
        print("\(config.description)")
        print("data: \(files.embeddings), \(files.labels)")
        print(
            "whole process, spawn to exit (wall) and peak RSS (wait4 ru_maxrss); ours: median of \(repeats) [fastest], peers: one run each"
        )

        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
        let usePython = python != "none"
        // numpy's GEMM rate before and after our runs: the ratio is only as good as the load was
        // steady, and a rate that drifted between the two says it was not.
        let rateBefore = peers.contains("blas") && usePython ? blasRate(config, python: python, threads: threads) : nil
        var runs: [ChildRun] = []
        for _ in 0 ..< repeats {
            let run = try runChild([binary, "analyze", files.embeddings, files.labels])
            guard run.status == 0 else {
                throw DataError(
                    files.embeddings,
                    "tcmscope analyze exited with status \(run.status): \(run.stderr.split(separator: "\n").last ?? "")"
                )
            }
            runs.append(run)
        }
        let ours = median(runs.map(\.seconds)), fastest = runs.map(\.seconds).min() ?? .nan
        let ourRSS = runs.map(\.peakRSSMB).max() ?? .nan
        let ourOPIS = number(after: "\n  OPIS", in: runs[0].stdout),
            ourRecall = number(after: "R@1", in: runs[0].stdout)
        print(
            String(format: "  tcmscope analyze          %9.3f s [%7.3f s]  %7.0f MB", ours, fastest, ourRSS)
                + "   OPIS \(show(ourOPIS))  R@1 \(show(ourRecall))")

        if peers.contains("numpy") {
            if !usePython {
                print("  numpy pass: skipped (--python none)")
            } else {
                numpyPeer(files, python: python, threads: threads, ours: ours, ourOPIS: ourOPIS)
            }
        }
        if peers.contains("faiss") {
            if !usePython {
                print("  faiss kNN: skipped (--python none)")
            } else {
                faissPeer(files, python: python, threads: threads, ours: ours, ourRecall: ourRecall)
            }
        }
        if peers.contains("blas") {
            if !usePython {
                print("  BLAS limit: skipped (--python none)")
            } else {
                let rateAfter = blasRate(config, python: python, threads: threads)
                blasLimit(config, rates: [rateBefore, rateAfter].compactMap { $0 }, threads: threads, ours: ours)
            }
        }
        if let target = config.target {
            var verdicts: [String] = []
            if let seconds = target.seconds {
                verdicts.append(
                    "whole process ≤ \(show(seconds)) s: \(ours <= seconds ? "met" : "MISSED")"
                        + String(format: " (%.3f s, %.2f× the target)", ours, ours / seconds))
            }
            if let rss = target.rssMB {
                verdicts.append(
                    "peak RSS ≤ \(show(rss)) MB: \(ourRSS <= rss ? "met" : "MISSED")"
                        + String(format: " (%.0f MB)", ourRSS))
            }
            print("  target: " + verdicts.joined(separator: "; "))
        }
    }

    /// Benchmarks/opis_numpy.py: pair histograms and OPIS (no retrieval), the straightforward numpy way.
    static func numpyPeer(
        _ files: (embeddings: String, labels: String), python: String, threads: Int, ours: Double, ourOPIS: Double?
    ) {
        guard
            let (run, json) = peerRun(
                "opis_numpy.py", [files.embeddings, files.labels, "--range-changes", "1"], python: python,
                blasThreads: threads, name: "numpy pass")
        else { return }
        print(
            String(format: "  numpy pass (no retrieval) %9.3f s              %7.0f MB", run.seconds, run.peakRSSMB)
                + "   OPIS \(show(json["opis"]))"
                + String(
                    format: "   pass alone %.3f s;  numpy/ours wall %.2f×", json["pass_seconds"] ?? .nan,
                    run.seconds / ours))
        if let theirs = json["opis"], let ourOPIS, abs(theirs - ourOPIS) > 1e-3 * max(abs(theirs), 1e-12) {
            print("  note: OPIS differs from ours beyond the printed digits")
        }
    }

    /// Benchmarks/blas_rate.py: numpy's GEMM rate (GFLOP/s) on 8192-row blocks of this
    /// dimension, with the bench's threads, measured now; nil after printing why it failed.
    static func blasRate(_ config: ScaleConfig, python: String, threads: Int) -> Double? {
        guard
            let (_, json) = peerRun(
                "blas_rate.py", ["--dimension", "\(config.shape.dimension)"], python: python, blasThreads: threads,
                name: "BLAS limit"),
            let rate = json["gflops"], rate > 0
        else { return nil }
        return rate
    }

    /// The half product X·Xᵀ (N(N+1)/2 dot products of D multiply-adds) at numpy's rate, the mean
    /// of `rates` (measured before and after our runs), is the pair pass's physical limit: the
    /// whole analyze is printed as a multiple of it (issue 35's target: ≤ 1.3×), with a note
    /// when the two rates differ by more than 10 % (the load changed: rerun on a quiet machine).
    static func blasLimit(_ config: ScaleConfig, rates: [Double], threads: Int, ours: Double) {
        guard !rates.isEmpty else { return }
        let (rows, dimension) = config.shape
        let rate = rates.reduce(0, +) / Double(rates.count)
        let limit = halfProductSeconds(rows: rows, dimension: dimension, gflops: rate)
        print(
            String(
                format:
                    "  half product X·Xᵀ at numpy's BLAS rate (%.1f GFLOP/s on 8192 × %d blocks, %d thread(s)) %8.3f s"
                    + "   analyze/limit %.2f×",
                rate, dimension, threads, limit, ours / limit))
        guard rates.count == 2 else { return }
        let drift = abs(rates[1] - rates[0]) / min(rates[0], rates[1])
        print(
            String(
                format: "  BLAS rate before / after our runs: %.1f / %.1f GFLOP/s (%.0f %% apart)", rates[0], rates[1],
                100 * drift))
        if drift > 0.10 {
            print(
                "  note: the machine's load changed during the run; the ratio is not reliable: rerun when it is quiet")
        }
    }

    /// Seconds of the half product of `rows` × `dimension` (N(N+1)/2 dot products, 2D flops each).
    static func halfProductSeconds(rows: Int, dimension: Int, gflops: Double) -> Double {
        Double(rows) * Double(rows + 1) * Double(dimension) / (gflops * 1e9)
    }

    /// Benchmarks/knn_faiss.py: exact kNN (IndexFlatIP on unit rows, k = 12), every thread.
    static func faissPeer(
        _ files: (embeddings: String, labels: String), python: String, threads: Int, ours: Double, ourRecall: Double?
    ) {
        if let why = PythonPeer.missing(module: "faiss", package: "faiss-cpu", python: python) {
            return print("  faiss kNN: skipped (\(why)")
        }
        guard
            let (run, json) = peerRun(
                "knn_faiss.py", [files.embeddings, files.labels, "--k", "12", "--threads", "\(threads)"],
                python: python, name: "faiss kNN")
        else { return }
        print(
            String(format: "  faiss IndexFlatIP k=12    %9.3f s              %7.0f MB", run.seconds, run.peakRSSMB)
                + "   R@1 \(show(json["recall_at_1"]))"
                + String(
                    format: "   search alone %.3f s;  faiss/ours wall %.2f×", json["search_seconds"] ?? .nan,
                    run.seconds / ours))
        if let theirs = json["recall_at_1"], let ourRecall, abs(theirs - ourRecall) > 2e-4 {
            print("  note: faiss's R@1 differs from ours beyond rounding (ties may order differently)")
        }
    }

    /// A peer's run and the numbers of its last JSON line, or nil after printing why it failed.
    static func peerRun(
        _ script: String, _ arguments: [String], python: String, blasThreads: Int? = nil,
        name: String
    ) -> (ChildRun, [String: Double])? {
        switch PythonPeer.run(script, arguments, python: python, blasThreads: blasThreads) {
        case .success(let run): return (run.child, run.numbers)
        case .failure(let failure):
            print("  \(name): failed (\(failure))")
            return nil
        }
    }

    static func show(_ value: Double?) -> String { value.map { String(format: "%.4g", $0) } ?? "?" }
}
