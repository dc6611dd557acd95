import Testing
@testable import TCMKernels
import TCMTestSupport

/// The C helpers of retrieval's candidate lists against plain scalar loops: vector bodies and
/// scalar tails (lengths around multiples of 8 and 16), ties at the floor, ±0, equal keys, and
/// bounds at the ends of the key range.
@Suite struct CandidateGatherTests {
    static let lengths = [0, 1, 7, 8, 9, 15, 16, 17, 31, 33, 100, 1_027]

    static func row(_ n: Int, _ rng: inout SplitMix64) -> [Float] {
        (0 ..< n).map { _ in
            let r = Int(rng.unitDouble() * 10)
            // A tenth at 0.25 exactly ((0.25 + 1) · 1024 = 1280: ties at the floor below), some ±0.
            return r == 0 ? 0.25 : r == 1 ? -0.0 : r == 2 ? 0.0 : Float(rng.unitDouble() * 2 - 1)
        }
    }

    @Test func bothGathersEqualTheSeparateOnesAndAScalarLoop() {
        var rng = SplitMix64(state: 3)
        let scale: Float = 1024
        for n in Self.lengths {
            let row = Self.row(n, &rng)
            let floors = (0 ..< n).map { _ in Float(Int(rng.unitDouble() * 2048)) }
            for floor in [-Float.infinity, 0, 1280, 1500, 2048, .infinity] {
                let ownExpected = (0 ..< n).filter { (row[$0] + 1) * scale >= floor }
                let theirsExpected = (0 ..< n).filter { (row[$0] + 1) * scale >= floors[$0] }
                var own = [Int32](repeating: -1, count: n + 8), theirs = own, single = own
                let counts = row.withUnsafeBufferPointer { r in
                    floors.withUnsafeBufferPointer { f in
                        ColumnsAtLeast.gather(
                            r.baseAddress!, count: n, scale: scale, floor: floor, floors: f.baseAddress!, own: &own,
                            theirs: &theirs)
                    }
                }
                #expect(own.prefix(counts.own).map(Int.init) == ownExpected, "n \(n) floor \(floor)")
                #expect(theirs.prefix(counts.theirs).map(Int.init) == theirsExpected, "n \(n)")
                let alone = row.withUnsafeBufferPointer {
                    ColumnsAtLeast.gather($0.baseAddress!, count: n, scale: scale, floor: floor, into: &single)
                }
                #expect(single.prefix(alone) == own.prefix(counts.own))
            }
        }
    }

    @Test func keysAtLeastKeepThoseAtOrBeyondTheBound() {
        var rng = SplitMix64(state: 5)
        for n in Self.lengths {
            // Keys from a few values (many equal), including 0 and UInt32.max (an unsigned
            // comparison, not a signed one).
            let choices: [UInt32] = [0, 1, 7, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFE, .max]
            let keys = (0 ..< n).map { _ in choices[Int(rng.next() % UInt64(choices.count))] }
            for least: UInt32 in [0, 1, 2, 7, 8, 0x7FFF_FFFF, 0x8000_0000, 0x8000_0001, .max - 1, .max] {
                let expected = keys.filter { $0 >= least }
                var out = [UInt32](repeating: 0, count: n + 8)
                let kept = keys.withUnsafeBufferPointer {
                    KeysAtLeast.gather($0.baseAddress!, count: n, least: least, into: &out)
                }
                #expect(Array(out.prefix(kept)) == expected, "n \(n) least \(least)")
            }
        }
    }

    @Test func keysAtMostKeepThoseUpToTheBoundAlsoInPlace() {
        var rng = SplitMix64(state: 6)
        for n in Self.lengths {
            let choices: [UInt32] = [0, 1, 7, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFE, .max]
            let keys = (0 ..< n).map { i in
                i % 3 == 0 ? UInt32(truncatingIfNeeded: rng.next()) : choices[Int(rng.next() % UInt64(choices.count))]
            }
            for most: UInt32 in [0, 1, 6, 7, 0x7FFF_FFFF, 0x8000_0000, .max - 1, .max] {
                let expected = keys.filter { $0 <= most }
                var out = [UInt32](repeating: 0, count: n + 8)
                let kept = keys.withUnsafeBufferPointer {
                    KeysAtLeast.gather($0.baseAddress!, count: n, atMost: most, into: &out)
                }
                #expect(Array(out.prefix(kept)) == expected, "n \(n) most \(most)")
                // In place: the kept keys at the front, in order.
                var same = keys
                let keptInPlace = same.withUnsafeMutableBufferPointer {
                    KeysAtLeast.gather($0.baseAddress!, count: n, atMost: most, into: $0.baseAddress!)
                }
                #expect(Array(same.prefix(keptInPlace)) == expected, "in place, n \(n) most \(most)")
            }
        }
    }

    @Test func countNearerCountsTheOthersAtMostEachKey() {
        var rng = SplitMix64(state: 9)
        for o in [0, 1, 3, 4, 5, 8, 13, 32] {
            // Keys with the top bit set and clear (an unsigned comparison, not a signed one),
            // equal to an other, one past one, and anywhere.
            let others = (0 ..< o).map { _ in
                UInt32(truncatingIfNeeded: rng.next() % 2 == 0 ? rng.next() >> 33 : rng.next() | 1 << 31)
            }
            let keys = (0 ..< 60).map { i in
                i < o ? others[i] : i < 2 * o ? others[i - o] &+ 1 : UInt32(truncatingIfNeeded: rng.next())
            }
            var before = [Int](repeating: 0, count: o + 1)
            KeysAtLeast.countNearer(others, count: o, keys: keys, keyCount: keys.count, into: &before)
            var expected = [Int](repeating: 0, count: o + 1)
            for key in keys { expected[others.filter { $0 <= key }.count] += 1 }
            #expect(before == expected, "o \(o)")
        }
    }

    @Test func binsAtLeastCountsPastTheLaneLimit() {
        var rng = SplitMix64(state: 11)
        // 16 × 32,767 + 40 bins: the 16-bit lane counts are flushed before they could overflow.
        for n in [0, 5, 16, 17, 1_112, 16 * 32_767 + 40] {
            let bins = (0 ..< n).map { _ in UInt16(rng.next() % 2049) }
            for least in [0, 1, 2, 1024, 2047, 2048, 2049, 32_767, 40_000] {
                let expected = bins.filter { Int($0) >= least }.count
                let got = bins.withUnsafeBufferPointer {
                    ThresholdBins.count($0.baseAddress!, count: n, atLeast: least)
                }
                #expect(got == expected, "n \(n) least \(least)")
            }
        }
        // Bins across the whole 16-bit range (an axis of up to 60,001 bins): the signed lane
        // compare must not count bins of 32,768 and above as low.
        let wide = (0 ..< 4_099).map { _ in UInt16(truncatingIfNeeded: rng.next()) }
        for least in [1, 32_767, 32_768, 32_769, 50_000, 65_535, 65_536] {
            let expected = wide.filter { Int($0) >= least }.count
            let got = wide.withUnsafeBufferPointer {
                ThresholdBins.count($0.baseAddress!, count: wide.count, atLeast: least)
            }
            #expect(got == expected, "wide, least \(least)")
        }
        // All at the top (every lane counts every step).
        let full = [UInt16](repeating: 2048, count: 16 * 32_767 * 2 + 3)
        #expect(
            full.withUnsafeBufferPointer { ThresholdBins.count($0.baseAddress!, count: full.count, atLeast: 7) }
                == full.count)
    }
}
