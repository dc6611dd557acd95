// swift-tools-version:6.0
import PackageDescription

// The numeric kernels are compiled with optimisation even in debug builds (tests stay fast) and,
// on x86-64, for AVX2 + FMA: without target features swiftc emits SSE2 code and every fused
// multiply-add becomes a library call (see docs/design-notes in README). x86-64-v3 (AVX2/FMA) is
// present on every x86-64 server CPU of the last decade; other architectures get portable code.
#if arch(x86_64)
let simdFlags: [String] = ["-Xcc", "-mavx2", "-Xcc", "-mfma", "-Xcc", "-mf16c"]
let cSimdFlags: [String] = ["-mavx2", "-mfma", "-mf16c"]
// Only TCMKernelsAVX512 gets these, and its code runs only after cpuid said the CPU and OS
// support AVX-512 (TCMKernels.KernelPath): the binary still runs on AVX2-only machines.
let avx512Flags: [String] =
    simdFlags + ["-Xcc", "-mavx512f", "-Xcc", "-mavx512vl", "-Xcc", "-mavx512bw", "-Xcc", "-mavx512dq"]
#else
let simdFlags: [String] = []
let cSimdFlags: [String] = []
let avx512Flags: [String] = []
#endif
// Without this, clang's sqrtf keeps errno semantics and Swift's SIMD `squareRoot()` (through the
// stdlib shim) becomes one checked `sqrtf` call per lane; with it, one vsqrtps (same results).
let mathFlags: [String] = ["-Xcc", "-fno-math-errno"]
let kernelSettings: [SwiftSetting] = [.unsafeFlags(["-O"] + simdFlags + mathFlags)]

let package = Package(
    name: "TCMScope",
    // Linux only (Glibc, ncursesw, the Debian packages .ci/run installs): TCMJobs, TCMData and the
    // terminal backend call Glibc directly, and no macOS build is tested, so none is claimed.
    products: [
        .executable(name: "tcmscope", targets: ["tcmscope"]),
        // For the libFuzzer package in Fuzz/ (its targets link the parsers they exercise; TCMMetrics: count files).
        .library(name: "TCMData", targets: ["TCMData"]),
        .library(name: "TCMTraining", targets: ["TCMTraining"]),
        .library(name: "TCMMetrics", targets: ["TCMMetrics"]),
        // For the fuzz target of the JSON report reader (Fuzz/Sources/report).
        .library(name: "TCMScopeSupport", targets: ["TCMScopeSupport"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
    ],
    targets: [
        // zlib, for reading the gzip-compressed MNIST IDX files without a download or a decompress step.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        // Files in and out: .npy, CSV/TSV, IDX(.gz), label files, atomic writers. No numerics.
        .target(
            name: "TCMData", dependencies: ["CZlib", "CTempCleanup", "TCMKernels", "TCMText"],
            swiftSettings: kernelSettings),
        // Text for a terminal: escaping users' text for one-line messages, the unsafe-scalar test, the number formatter.
        .target(name: "TCMText"),
        // Unlinks a run's temporary output files from a signal handler (C: async-signal-safe).
        .target(name: "CTempCleanup"),
        // SIMD matrix products and the fused similarity → histogram kernel; picks the kernel path.
        .target(
            name: "TCMKernels", dependencies: ["CBins", "CCPUFeatures", "TCMKernelsAVX512"],
            swiftSettings: kernelSettings),
        // cpuid + xgetbv: which kernel paths this CPU and OS support, and the CPU's name.
        .target(name: "CCPUFeatures"),
        // The similarity → bin conversion, vectorised by clang (optimised even in debug builds).
        .target(name: "CBins", cSettings: [.unsafeFlags(["-O2"] + cSimdFlags)]),
        // The AVX-512 matrix products: the only target compiled for AVX-512 (see its header comment).
        .target(name: "TCMKernelsAVX512", swiftSettings: [.unsafeFlags(["-O"] + avx512Flags + mathFlags)]),
        // Background-job plumbing shared by the engine and the UI: a newest-value mailbox, pause/resume/cancel,
        // and the wake-up that lets a worker end the UI loop's wait.
        .target(name: "TCMJobs"),
        // Pair histograms, utility curves, OPIS, ε-OPIS, calibration ranges, retrieval metrics.
        .target(name: "TCMMetrics", dependencies: ["TCMData", "TCMKernels"], swiftSettings: kernelSettings),
        // Training: MLP embedder, losses on the similarity matrix (+ TCM), optimisers, sampler, trainer.
        .target(
            name: "TCMTraining", dependencies: ["TCMData", "TCMJobs", "TCMKernels", "TCMMetrics"],
            swiftSettings: kernelSettings),
        // 2-D layouts of embeddings: PCA, Barnes–Hut t-SNE, trustworthiness, stratified subsampling.
        .target(
            name: "TCMProjection", dependencies: ["TCMData", "TCMJobs", "TCMKernels"], swiftSettings: kernelSettings),
        // Figures for reports: utility curves and 2-D layouts as self-contained SVG strings.
        .target(name: "TCMFigures", dependencies: ["TCMMetrics"]),
        // The terminal's cells as values: CellBuffer, Style, Color, Rect, Key, the dot Canvas. What widgets
        // draw into and what a backend reads; no numerics, no data.
        .target(name: "TCMCells", dependencies: ["TCMText"]),
        // The dashboard as pure values: screen state, widgets rendering into a cell buffer.
        .target(name: "TCMDashboard", dependencies: ["TCMCells", "TCMData", "TCMKernels", "TCMMetrics", "TCMText"]),
        // ncurses (wide build) through a shim header, and the one backend that draws a cell buffer.
        .systemLibrary(name: "CNcurses", path: "Sources/CNcurses"),
        .target(name: "CTerminalGuard"),
        // The terminal backends behind one protocol (TerminalBackend): ncurses, and a scripted one for tests.
        .target(name: "TCMTerminal", dependencies: ["CNcurses", "CTerminalGuard", "TCMCells", "TCMJobs"]),
        // What the CLI and the dashboard app share: the bundled sample, report formats, the held-out split.
        // ... and every flag's bounds (FlagBounds) and the seeded synthetic data set of tests and benchmarks.
        .target(
            name: "TCMScopeSupport",
            dependencies: [
                "TCMData", "TCMKernels", "TCMMetrics", "TCMTraining",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // `tcmscope bench`: every benchmark (pair pass, kernels, scale configurations, t-SNE, training, dashboard
        // frames) and the one launcher of their Python peers (PythonPeer); a subcommand, in its own module.
        .target(
            name: "TCMBench",
            dependencies: [
                "TCMData", "TCMKernels", "TCMMetrics", "TCMProjection", "TCMTraining", "TCMDashboard",
                "TCMDashboardApp", "TCMTerminal",
                "TCMScopeSupport", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // The dashboard's UI loop (EventLoop) and its background jobs, one controller each:
        // analysis, projection (t-SNE), fine-tuning, saving; the loading screen's loop.
        .target(
            name: "TCMDashboardApp",
            dependencies: [
                "TCMData", "TCMFigures", "TCMJobs", "TCMKernels", "TCMMetrics", "TCMProjection", "TCMTraining",
                "TCMDashboard", "TCMTerminal",
                "TCMScopeSupport",
            ]),
        // The subcommands; a library so tests can drive them without a subprocess.
        .target(
            name: "TCMScopeCLI",
            dependencies: [
                "TCMData", "TCMKernels", "TCMMetrics", "TCMProjection", "TCMTraining", "TCMDashboard", "TCMTerminal",
                "TCMScopeSupport", "TCMDashboardApp", "TCMBench", "TCMFigures", "TCMText",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(name: "tcmscope", dependencies: ["TCMScopeCLI"]),
        .testTarget(name: "TCMDataTests", dependencies: ["TCMData", "TCMTestSupport"], exclude: ["Fixtures"]),
        // What the test targets share (swift-numerics' _TestSupport): the tests' draws from the one SplitMix64.
        .target(name: "TCMTestSupport", dependencies: ["TCMKernels"], path: "Tests/TCMTestSupport"),
        .testTarget(name: "TCMKernelsTests", dependencies: ["TCMKernels", "TCMTestSupport"]),
        .testTarget(name: "TCMMetricsTests", dependencies: ["TCMMetrics", "TCMData", "TCMKernels", "TCMTestSupport"]),
        .testTarget(name: "TCMTrainingTests", dependencies: ["TCMTraining", "TCMData", "TCMJobs", "TCMKernels"]),
        .testTarget(
            name: "TCMDashboardTests", dependencies: ["TCMDashboard", "TCMMetrics", "TCMData", "TCMKernels"],
            exclude: ["GoldenFrames"]),
        .testTarget(name: "TCMFiguresTests", dependencies: ["TCMFigures", "TCMMetrics", "TCMData", "TCMKernels"]),
        .testTarget(name: "TCMTerminalTests", dependencies: ["TCMTerminal", "TCMCells"]),
        .testTarget(name: "TCMProjectionTests", dependencies: ["TCMProjection", "TCMData", "TCMJobs", "TCMKernels"]),
        .testTarget(name: "TCMJobsTests", dependencies: ["TCMJobs"]),
        .testTarget(
            name: "TCMDashboardAppTests",
            dependencies: [
                "TCMDashboardApp", "TCMDashboard", "TCMTerminal", "TCMJobs", "TCMData", "TCMKernels", "TCMMetrics",
                "TCMProjection",
                "TCMScopeSupport", "TCMTraining",
            ]),
        .testTarget(
            name: "TCMScopeCLITests",
            dependencies: [
                "TCMScopeCLI", "TCMBench", "TCMScopeSupport", "TCMDashboardApp", "TCMCells", "TCMData", "TCMKernels",
                "TCMMetrics",
                "TCMTraining", "TCMTestSupport", "tcmscope",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ], exclude: ["HelpSnapshots"]),
    ],
    swiftLanguageModes: [.v6]
)
