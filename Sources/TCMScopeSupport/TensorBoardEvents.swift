import Foundation
import TCMData

/// Scalars as TensorBoard event files (`analyze --watch … --tensorboard DIR`), so OPIS appears
/// beside a run's loss curves in TensorBoard. One writer per run, each in its own sub-folder.
///
/// The format, written by hand because it is small and fixed (no protobuf dependency): an event
/// file is a sequence of TFRecords — a little-endian UInt64 length, the masked CRC-32C of those 8
/// bytes, the data, the masked CRC-32C of the data — and each record's data is an `Event` protocol
/// buffer (tensorflow/core/util/event.proto): `wall_time` (field 1, double), `step` (2, int64) and
/// either `file_version` (3, string; the first record, "brain.Event:2") or `summary` (5), a
/// `Summary` whose repeated `value` (1) holds `tag` (1, string) and `simple_value` (2, float).
/// TensorBoard reads only files whose name holds "tfevents".
public final class TensorBoardEventWriter {
    public let path: String
    private let fd: Int32

    /// Creates `directory` (and its parents) and a new event file in it.
    public init(directory: String, wallTime: Double = Date().timeIntervalSince1970) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw DataError(directory, "cannot create the TensorBoard folder: \(error.localizedDescription)")
        }
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count - 1)
        let hostName = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        path = directory + "/events.out.tfevents.\(Int(wallTime)).\(hostName).\(getpid()).tcmscope"
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw DataError(path, "cannot write: \(String(cString: strerror(errno)))") }
        var first = ProtoWriter()
        first.double(field: 1, wallTime)
        first.string(field: 3, "brain.Event:2")
        try append(first.bytes)
    }

    deinit { close(fd) }

    /// One event holding `scalars` (tag, value) at `step`.
    public func write(
        step: Int, scalars: [(tag: String, value: Double)], wallTime: Double = Date().timeIntervalSince1970
    )
        throws
    {
        var summary = ProtoWriter()
        for (tag, value) in scalars {
            var entry = ProtoWriter()
            entry.string(field: 1, tag)
            entry.float(field: 2, Float(value))
            summary.message(field: 1, entry.bytes)
        }
        var event = ProtoWriter()
        event.double(field: 1, wallTime)
        event.varint(field: 2, UInt64(bitPattern: Int64(step)))
        event.message(field: 5, summary.bytes)
        try append(event.bytes)
    }

    /// One TFRecord, assembled first so that it goes out in one write(2) where the kernel allows:
    /// a reader then never sees half a header.
    private func append(_ data: [UInt8]) throws {
        var record: [UInt8] = []
        record.reserveCapacity(data.count + 16)
        let length = withUnsafeBytes(of: UInt64(data.count).littleEndian) { Array($0) }
        record += length
        record += withUnsafeBytes(of: CRC32C.masked(length).littleEndian) { Array($0) }
        record += data
        record += withUnsafeBytes(of: CRC32C.masked(data).littleEndian) { Array($0) }
        if let problem = OutputTransaction.writeAll(record, to: fd) {
            throw DataError(path, "cannot write: \(problem)")
        }
    }
}

/// Protocol-buffer wire format, just what an `Event` needs.
struct ProtoWriter {
    private(set) var bytes: [UInt8] = []

    private mutating func rawVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    private mutating func key(_ field: Int, _ wireType: UInt64) { rawVarint(UInt64(field) << 3 | wireType) }

    mutating func varint(field: Int, _ value: UInt64) {
        key(field, 0)
        rawVarint(value)
    }

    mutating func double(field: Int, _ value: Double) {
        key(field, 1)
        bytes += withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) }
    }

    mutating func float(field: Int, _ value: Float) {
        key(field, 5)
        bytes += withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) }
    }

    mutating func message(field: Int, _ payload: [UInt8]) {
        key(field, 2)
        rawVarint(UInt64(payload.count))
        bytes += payload
    }

    mutating func string(field: Int, _ text: String) { message(field: field, Array(text.utf8)) }
}

/// CRC-32C (Castagnoli), as TFRecords use it, and TensorFlow's mask of it.
enum CRC32C {
    private static let table: [UInt32] = (0 ..< 256).map { n in
        var c = UInt32(n)
        for _ in 0 ..< 8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
        return c
    }

    static func checksum(_ data: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for byte in data { c = table[Int((c ^ UInt32(byte)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }

    /// TensorFlow's masked CRC: rotated right by 15 bits plus a constant, so that a CRC of data
    /// that itself holds CRCs does not degenerate.
    static func masked(_ data: [UInt8]) -> UInt32 {
        let c = checksum(data)
        return ((c >> 15) | (c << 17)) &+ 0xA282_EAD8
    }
}
