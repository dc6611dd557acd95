import CBins

#if canImport(Glibc)
import Glibc
#endif

/// For each zero-page histogram (`ZeroPages`), the bins a fold has made writable so far: the
/// fold calls `prepare` with the lowest and highest bin it is about to count, and only bins inside
/// a histogram's span are ever nonzero, so its compaction reads that span and nothing else.
///
/// Why: a counter's increment reads before it writes. On a never-touched page the read maps the
/// shared zero page and the write then copies it, which flushes the other cores' TLBs with an
/// interprocessor interrupt: on SOP-sized shards the copies and their interrupts were ~10 % of
/// each shard's CPU time (perf), and the compaction's scan of every bin faulted in zero pages the
/// fold had never written. A write to a fresh page takes one fault and no flush, so each newly
/// needed page gets one store of zero first (safe: a bin outside the span was never counted).
///
/// Each histogram's span is read and written only by the worker that owns the histogram, as the
/// counts are (the half-product pass's rounds give each class to one tile at a time).
public struct HistogramSpans: @unchecked Sendable {
    /// `lo[c] ..< hi[c]`: histogram c's writable bins (empty when lo ≥ hi).
    @usableFromInline let lo: UnsafeMutablePointer<Int32>
    @usableFromInline let hi: UnsafeMutablePointer<Int32>
    public let count: Int
    @usableFromInline static let pageBytes = max(64, Int(sysconf(Int32(_SC_PAGESIZE))))

    /// `count` empty spans; free them with `deallocate()`.
    public init(count: Int) {
        self.count = count
        lo = .allocate(capacity: max(count, 1))
        hi = .allocate(capacity: max(count, 1))
        lo.initialize(repeating: 0, count: max(count, 1))
        hi.initialize(repeating: 0, count: max(count, 1))
    }

    public func deallocate() {
        lo.deallocate()
        hi.deallocate()
    }

    /// Histogram c's span, `lo ..< hi` (empty when nothing was prepared).
    public func span(_ c: Int) -> Range<Int> {
        let l = Int(lo[c]), h = Int(hi[c])
        return l < h ? l ..< h : 0 ..< 0
    }

    /// Makes bins `lowest ... highest` of histogram c (at `histogram`) writable before they are counted.
    @inlinable @inline(__always)
    public func prepare(_ c: Int, lowest: Int, highest: Int, histogram: UnsafeMutablePointer<UInt16>) {
        if lowest >= Int(lo[c]) && highest < Int(hi[c]) { return }
        extend(c, lowest, highest + 1, histogram)
    }

    @usableFromInline @inline(never)
    func extend(_ c: Int, _ a: Int, _ b: Int, _ histogram: UnsafeMutablePointer<UInt16>) {
        guard a < b else { return }
        let l = Int(lo[c]), h = Int(hi[c])
        if l >= h {
            Self.touch(histogram, a, b)
            lo[c] = Int32(a)
            hi[c] = Int32(b)
            return
        }
        if a < l {
            Self.touch(histogram, a, l)
            lo[c] = Int32(a)
        }
        if b > h {
            Self.touch(histogram, h, b)
            hi[c] = Int32(b)
        }
    }

    /// One store of zero in every page that bins `a ..< b` overlap (those bins are all zero).
    static func touch(_ histogram: UnsafeMutablePointer<UInt16>, _ a: Int, _ b: Int) {
        guard a < b else { return }
        histogram[a] = 0
        let page = UInt(pageBytes)
        var next = (UInt(bitPattern: histogram + a) | (page - 1)) &+ 1
        let end = UInt(bitPattern: histogram + b)
        while next < end {
            UnsafeMutablePointer<UInt16>(bitPattern: next)!.pointee = 0
            next &+= page
        }
    }
}

extension ThresholdBins {
    /// The lowest and highest of `count` bins (count ≥ 1), or of a block of `rows` rows of them
    /// `stride` apart.
    @inlinable
    public static func range(
        of bins: UnsafePointer<UInt16>, count: Int, rows: Int = 1, stride: Int = 0
    ) -> (lowest: Int, highest: Int) {
        var lowest: UInt16 = 0, highest: UInt16 = 0
        tcm_bin_range(bins, rows, count, stride, &lowest, &highest)
        return (Int(lowest), Int(highest))
    }
}
