/// SplitMix64 (Steele, Lea and Flood): a small, fast generator whose sequence is the same on
/// every platform and run. The one seeded generator of the project — sampling, weight
/// initialisation, splits, subsamples, synthetic data and the tests' inputs all draw from it.
///
/// Contract: the sequence depends only on the seed; `next()` is the reference SplitMix64
/// output (state advanced by the golden-ratio increment, then mixed).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }
    public init(state: UInt64) { self.state = state }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A Float in [0, 1) from the top 24 bits (every value exactly representable).
    public mutating func unitFloat() -> Float { Float(next() >> 40) / Float(1 << 24) }

    /// A Float in [lo, hi).
    public mutating func uniform(_ lo: Float, _ hi: Float) -> Float {
        lo + (hi - lo) * Float(next() >> 40) / Float(1 << 24)
    }

    /// An integer in 0 ..< n (n > 0; the modulo bias is below 2⁻³² for the sizes used here).
    public mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}
