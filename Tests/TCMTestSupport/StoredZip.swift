import Foundation

/// Stored (method 0) zip archives as `np.savez` writes them, built field by field independently of
/// the reader under test. With `zip64`, in the form Python's zipfile uses past 4 GiB: local and
/// central sizes 0xFFFFFFFF with ZIP64 extra fields, and a ZIP64 end record and locator before an
/// end record whose fields all defer to it.
public enum StoredZip {
    public struct Member: Sendable {
        public var name: String
        public var content: [UInt8]
        /// Zero bytes after `content` that belong to the member but are not written (a sparse
        /// file's hole); the CRC-32 is then left 0, since nothing reads that far on opening.
        public var zeros = 0
        /// What the central directory declares as both sizes (default: the real size).
        public var declaredSize: UInt64? = nil
        public var crc: UInt32? = nil

        public init(name: String, content: [UInt8], zeros: Int = 0) {
            self.name = name
            self.content = content
            self.zeros = zeros
        }
    }

    /// The archive as pieces at offsets, and its total size (holes between pieces are zeros).
    public static func pieces(_ members: [Member], zip64: Bool = false) -> (pieces: [(Int, [UInt8])], size: Int) {
        var pieces: [(Int, [UInt8])] = [], directory: [UInt8] = []
        var offset = 0
        for m in members {
            let name = Array(m.name.utf8), size = m.content.count + m.zeros
            let crc = m.crc ?? (m.zeros == 0 ? crc32(m.content) : 0)
            let declared = m.declaredSize ?? UInt64(size)
            let extra = zip64 ? u16(1) + u16(16) + u64(UInt64(size)) + u64(UInt64(size)) : []
            let local32 = zip64 ? 0xFFFF_FFFF : UInt32(truncatingIfNeeded: size)
            let local =
                u32(0x0403_4B50) + u16(45) + u16(0) + u16(0) + u16(0) + u16(0) + u32(crc) + u32(local32)
                + u32(local32) + u16(UInt16(name.count)) + u16(UInt16(extra.count)) + name + extra
            pieces.append((offset, local + m.content))
            let centralExtra = zip64 ? u16(1) + u16(16) + u64(declared) + u64(declared) : []
            let central32 = zip64 ? 0xFFFF_FFFF : UInt32(truncatingIfNeeded: declared)
            directory +=
                u32(0x0201_4B50) + u16(45) + u16(45) + u16(0) + u16(0) + u16(0) + u16(0) + u32(crc) + u32(central32)
                + u32(central32) + u16(UInt16(name.count)) + u16(UInt16(centralExtra.count)) + u16(0) + u16(0)
                + u16(0) + u32(0) + u32(UInt32(offset)) + name + centralExtra
            offset += local.count + size
        }
        var tail = directory
        let count = UInt64(members.count)
        if zip64 {
            let record = offset + directory.count
            tail +=
                u32(0x0606_4B50) + u64(44) + u16(45) + u16(45) + u32(0) + u32(0) + u64(count) + u64(count)
                + u64(UInt64(directory.count)) + u64(UInt64(offset))
            tail += u32(0x0706_4B50) + u32(0) + u64(UInt64(record)) + u32(1)
            tail +=
                u32(0x0605_4B50) + u16(0) + u16(0) + u16(0xFFFF) + u16(0xFFFF) + u32(0xFFFF_FFFF) + u32(0xFFFF_FFFF)
                + u16(0)
        } else {
            tail +=
                u32(0x0605_4B50) + u16(0) + u16(0) + u16(UInt16(count)) + u16(UInt16(count))
                + u32(UInt32(directory.count)) + u32(UInt32(offset)) + u16(0)
        }
        pieces.append((offset, tail))
        return (pieces, offset + tail.count)
    }

    /// The whole archive in memory (members without holes).
    public static func bytes(_ members: [Member], zip64: Bool = false) -> [UInt8] {
        let (pieces, size) = pieces(members, zip64: zip64)
        var out = [UInt8](repeating: 0, count: size)
        for (at, bytes) in pieces { out.replaceSubrange(at ..< at + bytes.count, with: bytes) }
        return out
    }

    /// Writes the pieces at their offsets and sets the size: the holes take no disk space.
    public static func writeSparse(_ pieces: [(Int, [UInt8])], size: Int, to path: String) {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let fd = open(path, O_WRONLY)
        defer { close(fd) }
        _ = ftruncate(fd, off_t(size))
        for (at, bytes) in pieces { _ = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(at)) } }
    }

    /// CRC-32 (IEEE), bit by bit: independent of zlib, which the reader uses.
    public static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            crc ^= UInt32(b)
            for _ in 0 ..< 8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    static func u16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
    static func u32(_ v: UInt32) -> [UInt8] { u16(UInt16(v & 0xFFFF)) + u16(UInt16(v >> 16)) }
    static func u64(_ v: UInt64) -> [UInt8] { u32(UInt32(v & 0xFFFF_FFFF)) + u32(UInt32(v >> 32)) }
}
