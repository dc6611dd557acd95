@testable import TCMData

/// CRC-32 (IEEE), bit by bit: independent of zlib, which the reader uses.
func testCRC32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for b in bytes {
        crc ^= UInt32(b)
        for _ in 0 ..< 8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
}

/// One member of a hand-made zip, with every field a test may want to falsify.
struct HandZipMember {
    var name: String
    var content: [UInt8]
    var flags: UInt16 = 0
    var method: UInt16 = 0
    var crc: UInt32? = nil
    var declaredSize: UInt32? = nil
    var localOffsetShift = 0
}

/// A stored zip archive built field by field (independently of `ZipArchive`).
func handMadeZip(
    _ members: [HandZipMember], directoryOffsetShift: Int = 0, totalEntries: UInt16? = nil,
    zip64Locator: Bool = false
) -> [UInt8] {
    func u16(_ v: UInt16) -> [UInt8] { littleEndianBytes([v]) }
    func u32(_ v: UInt32) -> [UInt8] { littleEndianBytes([v]) }
    var out: [UInt8] = [], directory: [UInt8] = []
    for m in members {
        let offset = out.count
        let name = Array(m.name.utf8)
        let crc = m.crc ?? testCRC32(m.content)
        let size = m.declaredSize ?? UInt32(m.content.count)
        out +=
            u32(0x0403_4B50) + u16(20) + u16(m.flags) + u16(m.method) + u16(0) + u16(0) + u32(crc)
            + u32(UInt32(m.content.count)) + u32(size) + u16(UInt16(name.count)) + u16(0) + name + m.content
        directory +=
            u32(0x0201_4B50) + u16(20) + u16(20) + u16(m.flags) + u16(m.method) + u16(0) + u16(0) + u32(crc)
            + u32(UInt32(m.content.count)) + u32(size) + u16(UInt16(name.count)) + u16(0) + u16(0) + u16(0) + u16(0)
            + u32(0) + u32(UInt32(offset + m.localOffsetShift)) + name
    }
    let directoryOffset = out.count
    out += directory
    if zip64Locator { out += u32(0x0706_4B50) + u32(0) + [UInt8](repeating: 0, count: 8) + u32(1) }
    let count = totalEntries ?? UInt16(members.count)
    out +=
        u32(0x0605_4B50) + u16(0) + u16(0) + u16(count) + u16(count) + u32(UInt32(directory.count))
        + u32(UInt32(directoryOffset + directoryOffsetShift)) + u16(0)
    return out
}

/// A safetensors file built by hand: `header` is the JSON text, `data` the bytes after it.
func handMadeSafetensors(header: String, data: [UInt8], declaredLength: UInt64? = nil) -> [UInt8] {
    let json = Array(header.utf8)
    return littleEndianBytes([declaredLength ?? UInt64(json.count)]) + json + data
}

/// Little-endian bytes of Float32 values.
func floatBytes(_ values: [Float]) -> [UInt8] { littleEndianBytes(values.map(\.bitPattern)) }

/// The fixtures' formula (Fixtures/make_archives.py): 6 × 4, value (i·4 + j)·0.25 − 1.
let archiveFixtureValues: [Float] = (0 ..< 24).map { Float($0) * 0.25 - 1 }
let archiveFixtureLabels: [Int32] = (0 ..< 6).map { Int32($0 % 3) }
