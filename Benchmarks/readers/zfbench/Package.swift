// swift-tools-version:6.0
import PackageDescription
let package = Package(
    name: "zfbench",
    dependencies: [.package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20")],
    targets: [.executableTarget(name: "zfbench", dependencies: ["ZIPFoundation"], swiftSettings: [.unsafeFlags(["-O"])])]
)
