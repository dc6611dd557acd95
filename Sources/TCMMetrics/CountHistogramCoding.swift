import TCMData

extension CountHistogram {
    /// No pairs.
    static let none = CountHistogram(counts: UnsafeBufferPointer<UInt64>(start: nil, count: 0))

    /// The count file's form: first bin, span, then every bin of the span as a varint
    /// (docs/count-files.md). Most bins of a shard hold under 128 pairs: one byte each.
    func encode(into w: inout ByteWriter) {
        // Built here with a specialised varint (ByteWriter's generic one, called per bin across
        // modules, took 3 s for the 64 MB of a 10,000-row, 3,334-class analysis), into a scratch
        // buffer sized for the worst case (an array appended to byte by byte was 2 % of a shard).
        func dense<T: FixedWidthInteger & UnsignedInteger>(_ c: [T]) {
            let most = (T.bitWidth + 6) / 7
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: c.count * most + 20) { out in
                let p = out.baseAddress!
                var i = 0
                putVarint(UInt64(first), p, &i)
                putVarint(UInt64(c.count), p, &i)
                for v in c { putVarint(UInt64(v), p, &i) }
                w.raw(UnsafeBufferPointer(rebasing: out[0 ..< i]))
            }
        }
        switch storage {
        case .empty: w.raw([0, 0])
        case .sparse(let bins):
            var out: [UInt8] = []
            let lo = Int(bins.first!), hi = Int(bins.last!)
            appendVarint(UInt64(lo), to: &out)
            appendVarint(UInt64(hi - lo + 1), to: &out)
            var i = 0
            for k in lo ... hi {
                var run: UInt64 = 0
                while i < bins.count && Int(bins[i]) == k {
                    run += 1
                    i += 1
                }
                appendVarint(run, to: &out)
            }
            w.raw(out)
        case .dense8(let c): dense(c)
        case .dense16(let c): dense(c)
        case .dense32(let c): dense(c)
        case .dense64(let c): dense(c)
        }
    }

    /// Adds one encoded histogram into `full` (`bins` entries), every value and sum checked.
    static func decodeAdding(_ r: inout ByteReader, into full: UnsafeMutablePointer<UInt64>, bins: Int) throws {
        let first = try r.int("histogram start", min: 0, max: bins)
        let span = try r.int("histogram span", min: 0, max: bins - first)
        try r.addVarints(count: span, into: full + first, "bin counts")
    }
}

/// Unsigned LEB128 at `p[i]`, advancing `i` (room is the caller's: at most 10 bytes).
@inline(__always)
func putVarint(_ value: UInt64, _ p: UnsafeMutablePointer<UInt8>, _ i: inout Int) {
    var v = value
    while v >= 0x80 {
        p[i] = UInt8(truncatingIfNeeded: v) | 0x80
        v >>= 7
        i += 1
    }
    p[i] = UInt8(v)
    i += 1
}

/// Unsigned LEB128, as `ByteWriter.varint`.
@inline(__always)
func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
    var v = value
    while v >= 0x80 {
        out.append(UInt8(v & 0x7F) | 0x80)
        v >>= 7
    }
    out.append(UInt8(v))
}
