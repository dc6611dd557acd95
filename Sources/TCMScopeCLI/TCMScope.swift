import ArgumentParser
import Foundation
import TCMBench
import TCMData
import TCMKernels
import TCMTraining

/// The root command. Subcommands do the work; with no subcommand, `analyze` runs on the bundled sample.
public struct TCMScope: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "tcmscope",
        abstract: "Threshold consistency (OPIS, ε-OPIS) of deep-metric-learning embeddings.",
        discussion: """
            Points at embeddings and labels (.npy, .npz, safetensors, CSV/TSV, MNIST IDX) and reports how far each class's \
            utility-vs-threshold curve strays from the overall one across a calibration range. \
            Definitions: docs/definitions.md.

            Exit status: \(ExitStatus.table)
            """,
        version: TCMScope.version,
        subcommands: [
            Dash.self, Analyze.self, Merge.self, Compare.self, Project.self, Train.self, Apply.self, Export.self,
            Bench.self,
        ],
        defaultSubcommand: Dash.self
    )

    public init() {}

    /// What `tcmscope --version` prints.
    public static let version = "0.13.0"

    /// Runs the command line and returns the process exit status; bad input becomes one line on stderr.
    public static func run(arguments: [String]) -> Int32 {
        #if os(Linux)
        // Keep large blocks in the heap instead of mmap/munmap per allocation: training allocates
        // batch-sized matrices every step, and fresh pages cost 14 % of a run in page clearing.
        _ = glibcMallopt(-3 /* M_MMAP_THRESHOLD */, 256 << 20)
        _ = glibcMallopt(-1 /* M_TRIM_THRESHOLD */, 512 << 20)
        #endif
        // A bad TCMSCOPE_KERNELS is refused before any work (KernelPath.current would ignore it).
        do { _ = try KernelPath.fromEnvironment() } catch {
            Terminal.printError("tcmscope: error: \(error)")
            return 2
        }
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
            return ExitStatus.ok
        } catch let error as DataError {
            Terminal.printError("tcmscope: error: \(error)")
            return ExitStatus.badInput
        } catch let error as TrainingError {
            Terminal.printError("tcmscope: error: \(escapingControlCharacters(error.description))")
            if case .diverged = error { return ExitStatus.trainingFailed }
            return ExitStatus.badInput
        } catch let error as GateFailure {
            Terminal.printError("tcmscope: \(error.message)")
            return ExitStatus.gateTripped
        } catch {
            let code = exitStatus(forOther: error)
            if code == 0 {
                print(fullMessage(for: error))
                return 0
            }
            // A usage error is one line too (ArgumentParser's own adds the usage and a hint).
            let line = message(for: error).split(whereSeparator: \.isNewline).joined(separator: " ")
            Terminal.printError("tcmscope: error: \(escapingControlCharacters(line)) (see --help)")
            return code
        }
    }
}

extension TCMScope {
    /// The status of an error none of the typed catches took: the parser's own (help, version,
    /// usage: 0 or 64, or an explicit `ExitCode`), and for anything else `ExitStatus.failed`, so
    /// an unexpected failure is never mistaken for a tripped gate (1).
    static func exitStatus(forOther error: Error) -> Int32 {
        let code = exitCode(for: error).rawValue
        if code == ExitCode.failure.rawValue && !(error is ExitCode) { return ExitStatus.failed }
        return code
    }
}

/// The process exit statuses (listed in the root --help and in README).
enum ExitStatus {
    static let ok: Int32 = 0
    static let gateTripped: Int32 = 1
    static let badInput: Int32 = 2
    static let trainingFailed: Int32 = 3
    /// Anything else that went wrong (not the input, not a gate, not the command line).
    static let failed: Int32 = 4
    static let usage: Int32 = 64
    static let table = """
        0 ok; 1 an --fail-above-* gate tripped; likewise compare's --fail-if-worse; 2 bad input (a file, an output target, or data \
        the command cannot use; one line on stderr); 3 training failed (diverged); 4 any other \
        failure (one line on stderr); 64 bad command \
        line (a flag out of range, one line); 130/143 interrupted by SIGINT/SIGTERM (temporary \
        output files removed, earlier outputs untouched).
        """
}

#if os(Linux)
/// glibc's `mallopt` (declared in <malloc.h>, which the Glibc module does not import).
@_silgen_name("mallopt")
func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif

/// A quality gate (such as `--fail-above-opis`) that the result did not pass.
struct GateFailure: Error { let message: String }

enum Terminal {
    static func printError(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }
}

/// Draws `[#####     ]  45% label` on stderr, only when stderr is a terminal.
final class ProgressBar: Sendable {
    let label: String
    let enabled: Bool

    init(_ label: String, enabled: Bool = Terminal.stderrIsTerminal) {
        self.label = label
        self.enabled = enabled
    }

    var callback: (@Sendable (Double) -> Void)? {
        guard enabled else { return nil }
        let label = self.label
        return { fraction in
            let width = 30
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
            FileHandle.standardError.write(
                Data("\r[\(bar)] \(String(format: "%3d", Int(fraction * 100)))% \(label)".utf8))
        }
    }

    func finish() {
        if enabled { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
    }
}
