import Foundation
import TCMKernels

// The tests' draws from the project's one generator (TCMKernels.SplitMix64), shared by every
// test target (as swift-numerics' _TestSupport): inputs that are the same on every run.
extension SplitMix64 {
    /// A Float in [-1, 1) (24 random bits).
    public mutating func signedUnitFloat() -> Float { Float(next() >> 40) / Float(1 << 24) * 2 - 1 }

    /// A Double in [0, 1) (53 random bits).
    public mutating func unitDouble() -> Double { Double(next() >> 11) / Double(1 << 53) }

    /// A standard normal Double (Box–Muller).
    public mutating func gaussian() -> Double {
        let u = max(unitDouble(), 1e-300), v = unitDouble()
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }
}
