import ArgumentParser
import Foundation
import TCMData
import TCMKernels
import TCMMetrics
import TCMScopeSupport

/// `tcmscope bench`: one subcommand per benchmark, each with only its own options (a flag of
/// another benchmark is an error, not silently ignored). Every benchmark runs its peer (numpy,
/// faiss, scikit-learn…) in the same run and prints the ratio. Results and the commands that made
/// them: Benchmarks/README.md.
public struct Bench: ParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        abstract: "Benchmarks against peers in the same run (build with -c release).",
        discussion: """
            `bench` alone is `bench pass`: the standard set of pair passes against numpy. Results and the \
            commands: Benchmarks/README.md.
            """,
        subcommands: [
            BenchPass.self, BenchScale.self, BenchKernels.self, BenchTSNE.self, BenchTraining.self,
            BenchDashboard.self,
        ],
        defaultSubcommand: BenchPass.self
    )
}

/// What most benchmarks share: the peer's interpreter and the compute threads.
struct BenchPeerOptions: ParsableArguments {
    @Option(help: "Python interpreter for the peer; 'none' skips it.") var python = "python3"
    @Option(help: BenchBounds.threads.help("Compute threads.")) var threads = min(
        defaultThreadCount, BenchBounds.threads.high)

    func validate() throws { try BenchBounds.threads.check(threads) }
}

/// `bench pass`: the pair pass and range changes on synthetic clustered embeddings against
/// numpy's implementation of the same pass on the same data.
struct BenchPass: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pass",
        abstract: "Time the pair pass and range changes against a numpy peer.",
        discussion: """
            Without --samples, runs the standard set (10k×128/10 classes, 60k×64/10 classes, 60k×64/10,000 classes), \
            each in a child process so that peak RSS is per configuration.
            """)

    @Option(name: .customLong("samples"), help: BenchBounds.benchSamples.help("Samples (one configuration only)."))
    var n: Int?
    @Option(name: .customLong("dimension"), help: BenchBounds.benchDimension.help("Dimension.")) var d = 64
    @Option(help: BenchBounds.benchClasses.help("Classes (at most --samples).")) var classes = 10
    // The spellings before the CLI's names were unified, kept as hidden aliases for one release.
    @Option(name: .customLong("n"), help: .hidden) var nOldSpelling: Int?
    @Option(name: .customLong("d"), help: .hidden) var dOldSpelling: Int?
    @Option(help: "Seed of the synthetic data.") var seed: UInt64 = 1
    @OptionGroup var peer: BenchPeerOptions
    var python: String { peer.python }
    var threads: Int { peer.threads }
    @Option(help: BenchBounds.rangeChanges.help("Range changes to time (median reported).")) var rangeChanges = 50
    @Option(
        help: BenchBounds.repeats.help(
            "Passes to time (median and fastest reported); default 5 up to 20k samples, else 3.")) var repeats: Int?
    @Flag(help: "Emit one JSON line (used by the parent run).") var jsonLine = false
    @Option(
        help: BenchBounds.bootstrap.help(
            "With --samples: also time `analyze --bootstrap B` on the pass's report (OPIS alone; all its intervals, as often as the pass, and their median's share of the pass's)."
        ))
    var bootstrap: Int?

    mutating func validate() throws {
        let samplesFlag = nOldSpelling == nil ? "--samples" : "--n"
        if let old = nOldSpelling {
            try BenchBounds.benchSamples.named("--n").check(old)
            n = old
        }
        if let old = dOldSpelling {
            try BenchBounds.benchDimension.named("--d").check(old)
            d = old
        }
        try BenchBounds.benchSamples.check(n)
        try BenchBounds.benchDimension.check(d)
        try BenchBounds.benchClasses.check(classes)
        if let n, classes > n { throw ValidationError("--classes \(classes) is more than \(samplesFlag) \(n)") }
        try BenchBounds.rangeChanges.check(rangeChanges)
        try BenchBounds.repeats.check(repeats)
        try BenchBounds.bootstrap.check(bootstrap)
        if bootstrap != nil && n == nil {
            throw ValidationError("--bootstrap times one configuration: give --samples too")
        }
    }

    func run() throws {
        if !jsonLine { print(KernelPath.summary) }
        guard let n else { return try runStandardSet() }
        let result = try measure(n: n)
        if jsonLine {
            let data = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            for (k, v) in result.sorted(by: { $0.key < $1.key }) { print("\(k): \(v)") }
        }
    }

    /// One configuration: generate, save for the peer, time our pass, then run the peer.
    func measure(n: Int) throws -> [String: Any] {
        let (matrix, labels) = SyntheticData.clustered(n: n, dimension: d, classes: classes, seed: seed)
        let dir = NSTemporaryDirectory() + "tcmscope-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let embeddingPath = dir + "/e.npy", labelPath = dir + "/l.npy"
        try AtomicFile.write(NpyWriter.bytes(floats: matrix.values, shape: [n, d]), to: embeddingPath)
        try AtomicFile.write(NpyWriter.bytes(int64s: labels.classOf.map(Int64.init), shape: [n]), to: labelPath)

        var tiling = PairCounts.Tiling()
        tiling.threads = threads
        // A pass: normalise and regroup, fold all pairs, and the default report.
        var passTimes: [Double] = []
        var analyzer: ThresholdAnalyzer! = nil
        var report: ThresholdReport! = nil
        for _ in 0 ..< (repeats ?? (n <= 20_000 ? 5 : 3)) {
            analyzer = nil  // free the previous pass's counts, so peak RSS is one pass's
            report = nil
            let t0 = Date()
            let layout = ClassLayout(embeddings: matrix, labels: labels)
            analyzer = ThresholdAnalyzer(counts: PairCounts.compute(layout: layout, tiling: tiling))
            report = analyzer.report(OPISOptions())
            passTimes.append(Date().timeIntervalSince(t0))
        }
        passTimes.sort()
        let counts = analyzer.counts

        // Range changes: alternate between two FAR ranges so every call does real work.
        var times: [Double] = []
        var options = OPISOptions()
        for i in 0 ..< rangeChanges {
            options.range = i % 2 == 0 ? .far(farAtLow: 0.2, farAtHigh: 0.005) : .far(farAtLow: 0.1, farAtHigh: 0.01)
            let s = Date()
            _ = analyzer.report(options)
            times.append(Date().timeIntervalSince(s))
        }
        times.sort()
        var histogramBytes = 0
        for c in 0 ..< counts.classCount {
            histogramBytes += counts.positives[c].storageBytes + counts.negatives[c].storageBytes
        }
        var result: [String: Any] = [
            "n": n, "d": d, "classes": classes, "threads": threads,
            "pass_seconds": passTimes[passTimes.count / 2], "pass_seconds_fastest": passTimes[0],
            "passes": passTimes.count, "range_change_ms": times[times.count / 2] * 1000,
            "peak_rss_mb": peakRSSMegabytes(), "histogram_mb": Double(histogramBytes) / 1e6,
            "opis": report.opis, "epsilon_opis": report.epsilonOPIS,
        ]
        if let bootstrap {
            // The class bootstrap on this report: OPIS replicates alone (O(B × C × K)), then every
            // interval `analyze --bootstrap` writes (ε-OPIS, FAR/TPR, EER; no retrieval here).
            let t0 = Date()
            let curves = WeightedOPIS(report: report)
            Bootstrap.batches(count: bootstrap, classes: curves.classes, seed: seed, threads: threads) { rs, draws in
                _ = curves.opisAndStandardErrors(weights: draws.flatMap { $0 }, replicates: rs.count)
            }
            let opisSeconds = Date().timeIntervalSince(t0)
            // Every interval, timed as often as the pass (the machine may be shared): the median
            // against the pass's median, in the same run.
            var allTimes: [Double] = []
            for _ in 0 ..< passTimes.count {
                let t1 = Date()
                _ = BootstrapSummary.compute(
                    report: report, counts: counts, retrieval: nil, replicates: bootstrap, seed: seed, level: 0.95,
                    threads: threads)
                allTimes.append(Date().timeIntervalSince(t1))
            }
            allTimes.sort()
            let all = allTimes[allTimes.count / 2], pass = passTimes[passTimes.count / 2]
            result["bootstrap_replicates"] = bootstrap
            result["bootstrap_classes"] = curves.classes
            result["bootstrap_opis_seconds"] = opisSeconds
            result["bootstrap_all_seconds"] = all
            result["bootstrap_all_seconds_fastest"] = allTimes[0]
            // The target: every interval at most 10 % of the pass.
            result["bootstrap_all_share_of_pass"] = all / pass
        }
        if python != "none" { result["peer"] = runPeer(embeddingPath, labelPath) }
        return result
    }

    /// Runs Benchmarks/opis_numpy.py on the same files; its JSON, or an "error" entry.
    func runPeer(_ embeddings: String, _ labels: String) -> [String: Any] {
        switch PythonPeer.run(
            "opis_numpy.py", [embeddings, labels, "--range-changes", "\(rangeChanges)"], python: python,
            blasThreads: threads)
        {
        case .success(let run): return run.json
        case .failure(let failure): return ["error": failure.message]
        }
    }

    func runStandardSet() throws {
        let configurations = [(10_000, 128, 10), (60_000, 64, 10), (60_000, 64, 10_000)]
        print("TCMScope pair-pass benchmark (\(threads) threads; numpy peer on the same data in the same run)")
        print(
            "ours: median pass of 5 (10k) or 3 (60k) runs [fastest], median range change of \(rangeChanges); numpy: one pass"
        )
        print(
            "config                   ours: pass [fastest]       range chg  peak RSS | numpy: pass   range chg  peak RSS | pass ratio  OPIS ours / numpy"
        )
        for (n, d, c) in configurations {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            process.arguments = [
                "bench", "pass", "--samples", "\(n)", "--dimension", "\(d)", "--classes", "\(c)", "--seed", "\(seed)",
                "--threads", "\(threads)", "--range-changes", "\(rangeChanges)", "--python", python, "--json-line",
            ]
            let out = Pipe()
            process.standardOutput = out
            try process.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last,
                let r = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            else {
                print("\(n)×\(d), \(c) classes: child failed")
                continue
            }
            let peer = r["peer"] as? [String: Any] ?? [:]
            func num(_ o: [String: Any], _ k: String) -> Double { (o[k] as? NSNumber)?.doubleValue ?? .nan }
            let ours = num(r, "pass_seconds"), theirs = num(peer, "pass_seconds")
            let label = "\(n / 1000)k×\(d), \(c) cl".padding(toLength: 22, withPad: " ", startingAt: 0)
            print(
                label
                    + String(
                        format:
                            "   %8.3f s [%.3f s]  %9.3f ms  %5.0f MB | %8.3f s  %7.3f ms  %5.0f MB | %6.1f×     %.6f / %.6f",
                        ours, num(r, "pass_seconds_fastest"), num(r, "range_change_ms"), num(r, "peak_rss_mb"),
                        theirs, num(peer, "range_change_ms"), num(peer, "peak_rss_mb"),
                        theirs / ours, num(r, "opis"), num(peer, "opis")))
            if let error = peer["error"] { print("  numpy peer: \(error)") }
        }
    }
}

func peakRSSMegabytes() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024  // kilobytes on Linux
}
