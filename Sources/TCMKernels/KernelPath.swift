import CCPUFeatures
import Foundation

/// Which family of matrix-product kernels runs: picked once at start-up as the best the CPU and
/// OS support (cpuid + xgetbv), or forced with `TCMSCOPE_KERNELS=avx512|avx2|portable`.
///
/// - `avx512`: the 14×32 SIMD16 tile in TCMKernelsAVX512 (x86-64 with AVX-512 F/BW/VL/DQ).
/// - `avx2`: the 6×16 SIMD8 tile of GEMM.swift, compiled for AVX2 + FMA (x86-64-v3).
/// - `portable`: the same SIMD8 tile as the architecture's baseline. Every target is compiled for
///   x86-64-v3 on x86-64, so there it is the AVX2 code; on arm64 (NEON) and others it is the only path.
///
/// All paths sum each product term in the same k order with fused multiply-adds, so their results
/// are bitwise identical (tests check this).
public enum KernelPath: String, Sendable, CaseIterable {
    case avx512, avx2, portable

    /// The environment variable that forces a path.
    public static let environmentVariable = "TCMSCOPE_KERNELS"

    /// The paths this machine can run, best first.
    public static let supported: [KernelPath] = {
        var paths: [KernelPath] = []
        if tcm_cpu_has_avx512() != 0 { paths.append(.avx512) }
        if tcm_cpu_has_avx2_fma() != 0 { paths.append(.avx2) }
        paths.append(.portable)
        return paths
    }()

    /// The path every `GEMM.sgemm` and `PackedRows.multiply` call uses unless told otherwise: the
    /// forced one if `TCMSCOPE_KERNELS` names a supported path, else the best supported. (The CLI
    /// refuses a bad value before any work through `fromEnvironment`.)
    public static let current: KernelPath = (try? fromEnvironment()) ?? supported[0]

    /// The path `TCMSCOPE_KERNELS` asks for (the best supported when unset or empty).
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    )
        throws(KernelPathError) -> KernelPath
    {
        guard let value = environment[environmentVariable], !value.isEmpty else { return supported[0] }
        guard let path = KernelPath(rawValue: value.lowercased()) else { throw .unknown(value) }
        guard supported.contains(path) else { throw .unsupported(path) }
        return path
    }

    /// The CPU's brand string, or the architecture when it has none (non-x86).
    public static let cpuModel: String = {
        var buffer = [CChar](repeating: 0, count: 64)
        let length = tcm_cpu_brand(&buffer, Int32(buffer.count))
        if length > 0 {
            return String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        #if arch(arm64)
        return "arm64 CPU"
        #else
        return "unknown CPU"
        #endif
    }()

    /// "CPU: …; kernels: avx512" — the line every benchmark prints.
    public static var summary: String {
        "CPU: \(cpuModel); kernels: \(current.rawValue) (supported: \(supported.map(\.rawValue).joined(separator: ", ")))"
    }
}

/// A `TCMSCOPE_KERNELS` value that names no path, or a path this CPU cannot run.
public enum KernelPathError: Error, CustomStringConvertible, Equatable {
    case unknown(String)
    case unsupported(KernelPath)

    public var description: String {
        let allowed = KernelPath.supported.map(\.rawValue).joined(separator: ", ")
        switch self {
        case .unknown(let value):
            return "\(KernelPath.environmentVariable)=\(value) is not a kernel path; allowed on this CPU: \(allowed)"
        case .unsupported(let path):
            return
                "\(KernelPath.environmentVariable)=\(path.rawValue) is not supported by this CPU; allowed: \(allowed)"
        }
    }
}
