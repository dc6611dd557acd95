import ArgumentParser
import Foundation
import TCMData
import TCMScopeSupport

/// The synthetic sets of real sizes that `bench scale --config` runs (Benchmarks/make_synthetic.py
/// makes them from fixed seeds), with the targets for the whole `analyze` process (issue 21's:
/// SOP ≤ 10 s and 400 MB, iNat ≤ 60 s and 800 MB, 1M × 128 within the machine's 24 GB).
enum ScaleConfig: String, CaseIterable, ExpressibleByArgument {
    case sop, inat, tenK = "10k", tenKOverlap = "10k-overlap", oneMillion = "1m", tiny

    var description: String {
        switch self {
        case .sop: "SOP-sized: 60,502 × 512, 9,331 classes of 2–11 (seed 7)"
        case .inat: "iNat-sized: 136,093 × 512, 2,543 classes of 2–106 (seed 8)"
        case .tenK: "10k × 128, 10 classes of 1,000 (seed 1)"
        case .tenKOverlap: "10k × 128, 10 heavily overlapping classes of 1,000 (centres at 0.3, seed 1)"
        case .oneMillion: "1M × 128, 1,000 classes of 1,000 (seed 9)"
        case .tiny: "tiny: 200 × 8, 4 classes (a smoke test of the plumbing)"
        }
    }

    /// Targets: whole-process wall time with retrieval (none for 1M: its time is reported), and
    /// peak RSS.
    /// Rows and dimension of the generated set (the half product X·Xᵀ is rows² · dimension flops).
    var shape: (rows: Int, dimension: Int) {
        switch self {
        case .sop: (60_502, 512)
        case .inat: (136_093, 512)
        case .tenK, .tenKOverlap: (10_000, 128)
        case .oneMillion: (1_000_000, 128)
        case .tiny: (200, 8)
        }
    }

    var target: (seconds: Double?, rssMB: Double?)? {
        switch self {
        case .sop: (10, 400)
        case .inat: (60, 800)
        case .tenK: (0.3, nil)
        case .tenKOverlap: nil
        case .oneMillion: (nil, 24 * 1024)
        case .tiny: nil
        }
    }

    func files(in directory: String) -> (embeddings: String, labels: String) {
        (directory + "/\(rawValue)_e.npy", directory + "/\(rawValue)_l.npy")
    }
}

/// A finished child process: wall time from spawn to exit, its peak RSS and its output.
struct ChildRun {
    var seconds: Double
    var peakRSSMB: Double
    var status: Int32
    var stdout: String
    var stderr: String
}

enum ScaleBench {
    /// Runs `argv` with stdout and stderr in files; wall time and ru_maxrss come from wait4, so
    /// they are the child's alone (not the benchmark's, nor its other children's).
    static func runChild(
        _ argv: [String], environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> ChildRun {
        let base = NSTemporaryDirectory() + "tcmscope-bench-child-\(getpid())-\(UUID().uuidString)"
        defer { for s in [".out", ".err"] { try? FileManager.default.removeItem(atPath: base + s) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, base + ".out", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, base + ".err", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let cArguments = argv.map { strdup($0) } + [nil]
        let cEnvironment = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (cArguments + cEnvironment).forEach { free($0) } }
        var pid: pid_t = 0
        let started = DispatchTime.now().uptimeNanoseconds
        let spawned = posix_spawnp(&pid, argv[0], &actions, nil, cArguments, cEnvironment)
        guard spawned == 0 else { throw DataError(argv[0], "cannot start: \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) == -1 && errno == EINTR {}
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let exit = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        func read(_ suffix: String) -> String { (try? String(contentsOfFile: base + suffix, encoding: .utf8)) ?? "" }
        return ChildRun(
            seconds: seconds, peakRSSMB: Double(usage.ru_maxrss) / 1024, status: exit, stdout: read(".out"),
            stderr: read(".err"))
    }

    /// Makes the set with Benchmarks/make_synthetic.py unless both files are there already.
    static func ensureData(
        _ config: ScaleConfig, in directory: String, python: String
    ) throws -> (embeddings: String, labels: String) {
        let files = config.files(in: directory)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw DataError(directory, "--data-dir is a file, not a directory")
        }
        if FileManager.default.fileExists(atPath: files.embeddings)
            && FileManager.default.fileExists(atPath: files.labels)
        {
            return files
        }
        guard python != "none" else {
            throw DataError(files.embeddings, "missing, and --python none cannot generate it")
        }
        let script = try SampleData.repositoryFile("Benchmarks/make_synthetic.py")
        print("generating \(config.rawValue) in \(directory) with \(script) …")
        let run = try runChild([python, script, config.rawValue, directory])
        guard run.status == 0 else {
            throw DataError(script, "failed (status \(run.status)): \(run.stderr.split(separator: "\n").last ?? "")")
        }
        return files
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? .nan : sorted[sorted.count / 2]
    }

    /// The number after `label` in `analyze`'s text report ("OPIS        2.944e-04", "R@1 0.9489").
    static func number(after label: String, in report: String) -> Double? {
        guard let range = report.range(of: label) else { return nil }
        let rest = report[range.upperBound...].drop { $0 == " " }
        return Double(rest.prefix { "0123456789.-e+".contains($0) })
    }
}
