import TCMData

extension CountHistogram {
    /// No pairs.
    static let none = CountHistogram(counts: UnsafeBufferPointer<UInt64>(start: nil, count: 0))

    /// The count file's form: first bin, span, then every bin of the span as a varint
    /// (docs/count-files.md). Most bins of a shard hold under 128 pairs: one byte each.
    func encode(into w: inout ByteWriter) {
        // Built here with a specialised varint (ByteWriter's generic one, called per bin across
        // modules, took 3 s for the 64 MB of a 10,000-row, 3,334-class analysis).
        var out: [UInt8] = []
        func dense<T: FixedWidthInteger & UnsignedInteger>(_ c: [T]) {
            out.reserveCapacity(c.count + 8)
            appendVarint(UInt64(first), to: &out)
            appendVarint(UInt64(c.count), to: &out)
            for v in c { appendVarint(UInt64(v), to: &out) }
        }
        switch storage {
        case .empty: out = [0, 0]
        case .sparse(let bins):
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
        case .dense8(let c): dense(c)
        case .dense16(let c): dense(c)
        case .dense32(let c): dense(c)
        case .dense64(let c): dense(c)
        }
        w.raw(out)
    }

    /// Adds one encoded histogram into `full` (`bins` entries), every value and sum checked.
    static func decodeAdding(_ r: inout ByteReader, into full: UnsafeMutablePointer<UInt64>, bins: Int) throws {
        let first = try r.int("histogram start", min: 0, max: bins)
        let span = try r.int("histogram span", min: 0, max: bins - first)
        try r.addVarints(count: span, into: full + first, "bin counts")
    }
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
