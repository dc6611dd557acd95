import TCMData
import TCMKernels
import TCMTestSupport
import Testing

@testable import TCMMetrics

/// `CountHistogram(counts:offset:length:)`, which compacts only the counted span, against the
/// full-length histogram it stands for: the same queries and the same bytes in a count file.
@Suite struct CountHistogramSpanTests {
    func encoded(_ h: CountHistogram) -> [UInt8] {
        var w = ByteWriter()
        h.encode(into: &w)
        return w.bytes
    }

    @Test func spanEqualsFullLength() {
        var random = SplitMix64(seed: 11)
        let length = 401
        for trial in 0 ..< 300 {
            var full = [UInt64](repeating: 0, count: length)
            // Empty, sparse, dense, one bin, the first and last bins, counts past 8/16/32 bits.
            let kind = trial % 6
            let filled = kind == 0 ? 0 : kind == 1 ? 3 : kind == 2 ? 1 : 60
            for _ in 0 ..< filled {
                let bin = kind == 3 ? (trial % 2 == 0 ? 0 : length - 1) : Int(random.next() % UInt64(length))
                let scale: UInt64 = kind == 4 ? 1 << 20 : kind == 5 ? 1 << 40 : 300
                full[bin] += 1 + random.next() % scale
            }
            let whole = full.withUnsafeBufferPointer { CountHistogram(counts: $0) }
            // Any span that holds every nonzero bin, with zeros inside it or not.
            let nonzero = full.indices.filter { full[$0] != 0 }
            let lo = max(0, (nonzero.first ?? length) - Int(random.next() % 5))
            let hi = min(length, (nonzero.last.map { $0 + 1 } ?? lo) + Int(random.next() % 5))
            let spanned = full[lo ..< max(lo, hi)].withUnsafeBufferPointer {
                CountHistogram(counts: $0, offset: lo, length: length)
            }
            #expect(encoded(spanned) == encoded(whole), "trial \(trial)")
            #expect(spanned.total == whole.total && spanned.first == whole.first)
            for bin in stride(from: 0, through: length, by: 7) {
                #expect(spanned.countAtOrAbove(bin) == whole.countAtOrAbove(bin))
            }
        }
    }
}
