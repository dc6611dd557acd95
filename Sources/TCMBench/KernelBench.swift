import Foundation
import TCMKernels

/// `tcmscope bench kernels`: GFLOP/s of the GEMM kernel on the shapes of design.md (the current
/// kernel path against numpy, and against the other supported paths), and the rate of the
/// similarity → histogram fold, each on one thread.
enum KernelBench {
    /// numpy's float32 `a @ b.T` on one thread, OPENBLAS_CORETYPE unset (see Bench.runPeer).
    static func numpyGFLOPs(m: Int, k: Int, n: Int) -> Double {
        let script = """
            import numpy as np, time
            a = np.random.rand(\(m), \(k)).astype(np.float32); b = np.random.rand(\(n), \(k)).astype(np.float32)
            a @ b.T
            reps = max(1, int(2e10 / (2 * \(m) * \(n) * \(k))))
            t = time.perf_counter()
            for _ in range(reps): a @ b.T
            print(2 * \(m) * \(n) * \(k) / ((time.perf_counter() - t) / reps) / 1e9)
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_CORETYPE"] = nil
        environment["OPENBLAS_L2_SIZE"] = nil
        environment["OPENBLAS_NUM_THREADS"] = "1"
        process.environment = environment
        let out = Pipe()
        process.standardOutput = out
        guard (try? process.run()) != nil else { return .nan }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Double(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? .nan
    }

    /// GFLOP/s of `A · Bᵀ` on one thread with the given kernel path (repeats totalling ~2e10 flops).
    static func ourGFLOPs(m: Int, k: Int, n: Int, path: KernelPath) -> Double {
        let a = (0 ..< m * k).map { Float($0 % 17) * 0.01 }, b = (0 ..< n * k).map { Float($0 % 13) * 0.01 }
        var c = [Float](repeating: 0, count: m * n)
        let reps = max(1, Int(2e10 / Double(2 * m * n * k)))
        var seconds = 0.0
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    let ap = pa.baseAddress!, bp = pb.baseAddress!, cp = pc.baseAddress!
                    let call = {
                        GEMM.sgemm(
                            transA: false, transB: true, m: m, n: n, k: k, a: ap, lda: k, b: bp, ldb: k,
                            c: cp, ldc: n, path: path)
                    }
                    call()  // warm-up: page in C, fill the caches
                    let start = Date()
                    for _ in 0 ..< reps { call() }
                    seconds = Date().timeIntervalSince(start) / Double(reps)
                }
            }
        }
        return 2 * Double(m * n * k) / seconds / 1e9
    }

    static func run() {
        // The current path against numpy, and every other supported path for the ratio between paths.
        let others = KernelPath.supported.filter { $0 != KernelPath.current && $0 != .portable }
        for (m, k, n) in [(256, 784, 256), (10_000, 64, 10_000), (1024, 128, 10_000), (96, 64, 1024)] {
            let ours = ourGFLOPs(m: m, k: k, n: n, path: KernelPath.current)
            let peer = numpyGFLOPs(m: m, k: k, n: n)
            var line = String(
                format: "GEMM A·Bᵀ %5d×%3d · %3d×%5d: ours (%@) %6.1f GFLOP/s, numpy %6.1f GFLOP/s, ratio %.2f",
                m, k, k, n, KernelPath.current.rawValue as NSString, ours, peer, ours / peer)
            for path in others {
                let other = ourGFLOPs(m: m, k: k, n: n, path: path)
                line += String(
                    format: "; %@ %6.1f (%@/%@ %.2f×)", path.rawValue as NSString, other,
                    KernelPath.current.rawValue as NSString, path.rawValue as NSString, ours / other)
            }
            print(line)
        }
        let bins = ThresholdBins.standard
        let values = (0 ..< 1 << 20).map { Float(sin(Double($0) * 0.37)) }
        var histogram = [UInt32](repeating: 0, count: bins.count)
        let reps = 50
        let start = Date()
        values.withUnsafeBufferPointer { v in
            histogram.withUnsafeMutableBufferPointer { h in
                for _ in 0 ..< reps { bins.accumulate(v.baseAddress!, count: v.count, into: h.baseAddress!) }
            }
        }
        let rate = Double(reps * values.count) / Date().timeIntervalSince(start)
        print(String(format: "histogram fold: %.0f M similarities/s (%.2f ns each)", rate / 1e6, 1e9 / rate))
    }
}
