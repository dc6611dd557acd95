import CZlib

/// Little-endian bytes out: fixed-width integers, LEB128 varints, length-prefixed strings.
/// Used by binary formats of our own (the count files of sharded analyses).
public struct ByteWriter {
    public private(set) var bytes: [UInt8] = []
    /// The CRC-32 and count of the bytes `drain` has handed out: the checksum runs on over them.
    private var drainedChecksum = Checksum.crc32([][...]), drainedCount = 0
    public init() {}

    /// Bytes written so far, drained or not.
    public var count: Int { drainedCount + bytes.count }

    /// Hands the bytes not yet drained to `sink` and forgets them (the checksum still covers them):
    /// a file can be written as it is encoded, holding one buffer instead of all of it.
    public mutating func drain(into sink: ([UInt8]) throws -> Void) rethrows {
        guard !bytes.isEmpty else { return }
        drainedChecksum = Checksum.crc32(bytes[...], continuing: drainedChecksum)
        drainedCount += bytes.count
        try sink(bytes)
        bytes.removeAll(keepingCapacity: true)
    }

    /// Room for `total` bytes in all: one allocation where the size is known ahead.
    public mutating func reserveCapacity(_ total: Int) { bytes.reserveCapacity(total) }

    public mutating func u8(_ v: UInt8) { bytes.append(v) }
    public mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    public mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    public mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    /// Unsigned LEB128: 7 bits a byte, high bit set on all but the last.
    public mutating func varint<T: BinaryInteger>(_ value: T) {
        var v = UInt64(value)
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }
    public mutating func string(_ s: String) {
        let u = Array(s.utf8)
        varint(u.count)
        bytes.append(contentsOf: u)
    }
    public mutating func raw(_ b: [UInt8]) { bytes.append(contentsOf: b) }
    public mutating func raw(_ b: UnsafeBufferPointer<UInt8>) { bytes.append(contentsOf: b) }
    /// Appends the CRC-32 (zlib's) of everything written so far.
    public mutating func appendChecksum() { u32(Checksum.crc32(bytes[...], continuing: drainedChecksum)) }
}

/// Little-endian bytes in, every read checked against the bytes left: a short or hostile file
/// gives a `DataError` naming `file` and what was being read, never a trap or a huge allocation.
public struct ByteReader {
    public let bytes: ArraySlice<UInt8>
    public private(set) var offset: Int
    public let file: String

    public init(_ bytes: ArraySlice<UInt8>, file: String) {
        self.bytes = bytes
        offset = bytes.startIndex
        self.file = file
    }

    public var remaining: Int { bytes.endIndex - offset }
    public var isAtEnd: Bool { offset == bytes.endIndex }

    public func fail(_ what: String) -> DataError {
        DataError(file, "corrupt count file: \(what) (at byte \(offset - bytes.startIndex))")
    }

    private mutating func take(_ n: Int, _ what: String) throws -> ArraySlice<UInt8> {
        guard n >= 0, n <= remaining else { throw fail("\(what) runs past the end") }
        defer { offset += n }
        return bytes[offset ..< offset + n]
    }

    private mutating func fixed<T: FixedWidthInteger>(_: T.Type, _ what: String) throws -> T {
        let slice = try take(MemoryLayout<T>.size, what)
        var v: T = 0
        for (i, b) in slice.enumerated() { v |= T(b) << (8 * i) }
        return v
    }

    public mutating func u8(_ what: String) throws -> UInt8 { try fixed(UInt8.self, what) }
    public mutating func u16(_ what: String) throws -> UInt16 { try fixed(UInt16.self, what) }
    public mutating func u32(_ what: String) throws -> UInt32 { try fixed(UInt32.self, what) }
    public mutating func u64(_ what: String) throws -> UInt64 { try fixed(UInt64.self, what) }
    public mutating func raw(_ n: Int, _ what: String) throws -> ArraySlice<UInt8> { try take(n, what) }
    public mutating func skip(_ n: Int, _ what: String) throws { _ = try take(n, what) }

    /// A LEB128 varint that fits 64 bits (at most 10 bytes, the last carrying 1 bit).
    public mutating func varint(_ what: String) throws -> UInt64 {
        var v: UInt64 = 0, shift: UInt64 = 0
        while true {
            guard offset < bytes.endIndex else { throw fail("\(what) runs past the end") }
            let b = bytes[offset]
            offset += 1
            if shift == 63 && b > 1 { throw fail("\(what) overflows 64 bits") }
            v |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return v }
            shift += 7
        }
    }

    /// Reads `count` varints and adds them to `into[0 ..< count]`, every sum checked. The hot loop
    /// of a merge (a shard's histograms are mostly one-byte varints): one-byte values take a
    /// branch and an add, longer ones the checked path.
    public mutating func addVarints(count: Int, into: UnsafeMutablePointer<UInt64>, _ what: String) throws {
        var k = 0
        while k < count {
            let fast: Int? = bytes.withUnsafeBufferPointer { b -> Int? in
                // b covers the slice; offset is relative to the slice's start index.
                var i = offset - bytes.startIndex
                while k < count && i < b.count {
                    let v = b[i]
                    if v >= 0x80 { break }
                    let (sum, overflow) = into[k].addingReportingOverflow(UInt64(v))
                    if overflow { return nil }
                    into[k] = sum
                    i += 1
                    k += 1
                }
                return i + bytes.startIndex
            }
            guard let next = fast else { throw fail("\(what) sums overflow 64 bits") }
            offset = next
            if k == count { return }
            let (sum, overflow) = into[k].addingReportingOverflow(try varint(what))
            if overflow { throw fail("\(what) sums overflow 64 bits") }
            into[k] = sum
            k += 1
        }
    }

    /// A varint that must lie in `low ... high` (sizes and counts: checked before anything is
    /// allocated). Bounds, not a range: `high` often comes from the bytes left and may be below
    /// `low` in a short file, which must be an error, not a trap.
    public mutating func int(_ what: String, min low: Int, max high: Int) throws -> Int {
        let v = try varint(what)
        guard v <= UInt64(Int.max), Int(v) >= low, Int(v) <= high else {
            throw fail("\(what) \(v) is outside \(low)…\(high)")
        }
        return Int(v)
    }

    public mutating func string(_ what: String, maxBytes: Int = 1 << 16) throws -> String {
        let n = try int("\(what) length", min: 0, max: Swift.min(maxBytes, remaining))
        let body = try take(n, what)
        guard let s = String(validating: body, as: UTF8.self) else { throw fail("\(what) is not UTF-8") }
        return s
    }
}

public enum Checksum {
    /// zlib's CRC-32 (IEEE polynomial), fed in chunks that fit its 32-bit length argument.
    /// `continuing`: the CRC-32 of the bytes before these (the checksum of their concatenation).
    public static func crc32(_ bytes: ArraySlice<UInt8>, continuing: UInt32? = nil) -> UInt32 {
        var crc = continuing.map { uLong($0) } ?? CZlib.crc32(0, nil, 0)
        bytes.withUnsafeBufferPointer { b in
            var p = b.baseAddress, left = b.count
            while left > 0, let base = p {
                let n = min(left, 1 << 30)
                crc = CZlib.crc32(crc, base, UInt32(n))
                p = base + n
                left -= n
            }
        }
        return UInt32(crc)
    }

    /// FNV-1a (64-bit offset basis and prime) taken over 64-bit little-endian words instead of
    /// bytes (eight times fewer multiplies: a 124 MB matrix in about 0.1 s); a trailing odd word
    /// is zero-padded. A fingerprint against accidental mix-ups, not a cryptographic hash.
    public static func fnv1a64(words buffer: UnsafeRawBufferPointer, seed: UInt64 = 0xCBF2_9CE4_8422_2325) -> UInt64 {
        var h = seed
        let n = buffer.count / 8
        for i in 0 ..< n {
            h ^= UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))
            h &*= 0x0000_0100_0000_01B3
        }
        if buffer.count % 8 != 0 {
            var tail: UInt64 = 0
            for (i, b) in buffer[(8 * n)...].enumerated() { tail |= UInt64(b) << (8 * i) }
            h ^= tail
            h &*= 0x0000_0100_0000_01B3
        }
        return h
    }
}
