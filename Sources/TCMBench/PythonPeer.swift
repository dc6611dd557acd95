import Foundation
import TCMScopeSupport

/// The one way a benchmark runs its Python peer (a script in Benchmarks/): found in the checkout,
/// run as a child process (`ScaleBench.runChild`: its own wall time and peak RSS), without the
/// machine's OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (they slow numpy's own OpenBLAS), its last
/// stdout line read as JSON. A peer that cannot run gives one line saying why and, when an
/// interpreter or a module is missing, the command that installs it.
enum PythonPeer {
    /// What each peer script imports, as pip package names (for the install hint).
    static let packages: [String: String] = [
        "opis_numpy.py": "numpy",
        "blas_rate.py": "numpy",
        "knn_faiss.py": "numpy faiss-cpu",
        "tsne_peer.py": "numpy scikit-learn openTSNE",
        "train_numpy.py": "numpy",
        "make_synthetic.py": "numpy",
    ]

    /// "install it with: python3 -m pip install numpy faiss-cpu".
    static func installHint(python: String, packages: String) -> String {
        "install it with: \(python) -m pip install \(packages)"
    }

    /// A finished peer run and the values of its last JSON line.
    struct Run {
        var child: ChildRun
        var json: [String: Any]
        /// The JSON's numbers as doubles (non-numbers dropped).
        var numbers: [String: Double] { json.compactMapValues { ($0 as? NSNumber)?.doubleValue } }
    }

    /// Runs `Benchmarks/<script>` with `arguments`; `blasThreads` sets OPENBLAS_NUM_THREADS.
    /// Returns the run, or the one-line reason it failed (with the install hint when the cause
    /// is a missing interpreter or module).
    static func run(
        _ script: String, _ arguments: [String], python: String, blasThreads: Int? = nil
    ) -> Result<Run, PeerFailure> {
        guard let path = try? SampleData.repositoryFile("Benchmarks/" + script) else {
            return .failure(PeerFailure(message: "Benchmarks/\(script) not found"))
        }
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_CORETYPE"] = nil
        environment["OPENBLAS_L2_SIZE"] = nil
        if let blasThreads { environment["OPENBLAS_NUM_THREADS"] = "\(blasThreads)" }
        let hint = installHint(python: python, packages: packages[script] ?? "numpy")
        let child: ChildRun
        do {
            child = try ScaleBench.runChild([python, path] + arguments, environment: environment)
        } catch {
            return .failure(PeerFailure(message: "\(python) did not start; \(hint)"))
        }
        let lastError = child.stderr.split(separator: "\n").last.map(String.init) ?? ""
        guard child.status == 0 else {
            let missing =
                child.status == 127 || lastError.contains("ModuleNotFoundError")
                || lastError.contains("No module named")
            return .failure(PeerFailure(message: "status \(child.status): \(lastError)" + (missing ? "; \(hint)" : "")))
        }
        guard let line = child.stdout.split(separator: "\n").last,
            let json = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        else {
            return .failure(PeerFailure(message: "no JSON result on its last line"))
        }
        return .success(Run(child: child, json: json))
    }

    /// Nil if `python` can import `module`; otherwise why not, with the install hint.
    static func missing(module: String, package: String, python: String) -> String? {
        let probe = try? ScaleBench.runChild([python, "-c", "import \(module)"])
        guard let probe, probe.status == 0 else {
            let why =
                probe.map { String($0.stderr.split(separator: "\n").last ?? "status \($0.status)") }
                ?? "\(python) did not start"
            return "\(why)); \(installHint(python: python, packages: package))"
        }
        return nil
    }
}

/// Why a peer did not run, as one line.
struct PeerFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
