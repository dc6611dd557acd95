import TCMData

extension CountHistogram {
    /// No pairs.
    static let none = CountHistogram(counts: UnsafeBufferPointer<UInt64>(start: nil, count: 0))

    /// The count file's form: first bin, span, then every bin of the span as a varint
    /// (docs/count-files.md). Most bins of a shard hold under 128 pairs: one byte each.
    func encode(into w: inout ByteWriter) {
        func dense<T: FixedWidthInteger>(_ c: [T]) {
            w.varint(first); w.varint(c.count)
            for v in c { w.varint(v) }
        }
        switch storage {
        case .empty: w.varint(0); w.varint(0)
        case .sparse(let bins):
            let lo = Int(bins.first!), hi = Int(bins.last!)
            w.varint(lo); w.varint(hi - lo + 1)
            var i = 0
            for k in lo ... hi {
                var run = 0
                while i < bins.count && Int(bins[i]) == k { run += 1; i += 1 }
                w.varint(run)
            }
        case .dense8(let c): dense(c)
        case .dense16(let c): dense(c)
        case .dense32(let c): dense(c)
        case .dense64(let c): dense(c)
        }
    }

    /// Adds one encoded histogram into `full` (`bins` entries), every value and sum checked.
    static func decodeAdding(_ r: inout ByteReader, into full: UnsafeMutablePointer<UInt64>, bins: Int) throws {
        let first = try r.int("histogram start", in: 0 ... bins)
        let span = try r.int("histogram span", in: 0 ... bins - first)
        try r.addVarints(count: span, into: full + first, "bin counts")
    }
}
