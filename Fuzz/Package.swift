// swift-tools-version:6.0
import Foundation
import PackageDescription

// libFuzzer targets for the input parsers (README, "Fuzzing"). Every directory under Sources/ is
// one target: Sources/<name>/<Name>.swift defines `LLVMFuzzerTestOneInput`, Fuzz/corpus/<name>/
// holds its seeds, and Fuzz/run.sh builds and runs them all. To add one, create both directories
// and list the products it needs in `dependencies` below.
let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Sources").path
let targetNames = ((try? FileManager.default.contentsOfDirectory(atPath: sources)) ?? []).filter { name in
    var isDirectory: ObjCBool = false
    return FileManager.default.fileExists(atPath: sources + "/" + name, isDirectory: &isDirectory)
        && isDirectory.boolValue
}.sorted()

/// The main package's libraries a target may use (TCMData for the file parsers, TCMTraining for
/// checkpoints, TCMMetrics for count files, TCMScopeSupport for the JSON report reader).
let dependencies: [Target.Dependency] = [
    .product(name: "TCMData", package: "TCMScope"),
    .product(name: "TCMMetrics", package: "TCMScope"),
    .product(name: "TCMTraining", package: "TCMScope"),
    .product(name: "TCMScopeSupport", package: "TCMScope"),
]

let package = Package(
    name: "TCMScopeFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "TCMScope", path: "..")],
    targets: targetNames.map { .executableTarget(name: $0, dependencies: dependencies, path: "Sources/\($0)") },
    swiftLanguageModes: [.v6]
)
