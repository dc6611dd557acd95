import Foundation
import Testing

/// The bundled sample is found from the executable's real location (/proc/self/exe), so it is
/// found when the binary is started through PATH (argv[0] a bare name) from any folder, and in a
/// Python wheel's layout: PREFIX/bin/tcmscope with the sample in PREFIX/share/tcmscope/ (issue 34).
@Suite struct SampleLookupTests {
    @Test func foundThroughPathFromAnotherFolder() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let binaryFolder = URL(fileURLWithPath: try binaryPath()).deletingLastPathComponent().path
        let path = binaryFolder + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        // `exec tcmscope` through the shell: the binary's argv[0] is the bare name, its folder is not the checkout.
        let run = try runProcess(
            "/bin/sh", ["-c", "exec tcmscope analyze --no-retrieval"], in: dir, environment: ["PATH": path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(
            run.stdout.contains("/sample-data/baseline/eval-embeddings.npy  (10000 × 128, 10 classes)"), "\(run.stdout)"
        )
    }

    @Test func foundInAWheelsShareFolder() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let prefix = dir + "/venv", share = prefix + "/share/tcmscope/sample-data/baseline"
        try FileManager.default.createDirectory(atPath: prefix + "/bin", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: share, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: try binaryPath(), toPath: prefix + "/bin/tcmscope")
        for name in ["eval-embeddings.npy", "eval-labels.npy"] {
            try FileManager.default.copyItem(
                atPath: packageRoot + "/sample-data/baseline/" + name, toPath: share + "/" + name)
        }
        let elsewhere = dir + "/work"
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        let run = try runProcess(prefix + "/bin/tcmscope", ["analyze", "--no-retrieval"], in: elsewhere)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains(share + "/eval-embeddings.npy  (10000 × 128, 10 classes)"), "\(run.stdout)")
    }
}
