// swift-tools-version:6.0
// The TCMScope checkout as a path dependency: its identity is the checkout folder's name, so
// `package:` below must match it (the figures in README were made from a checkout named
// "i10-io"; from /work/main write "main"), and the path must point at the checkout.
import PackageDescription
let package = Package(
    name: "tcmbench",
    dependencies: [.package(path: "../../..")],
    targets: [.executableTarget(name: "tcmbench", dependencies: [.product(name: "TCMData", package: "i10-io")], swiftSettings: [.unsafeFlags(["-O"])])]
)
