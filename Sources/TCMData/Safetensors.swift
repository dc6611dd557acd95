import Foundation

/// Hugging Face's safetensors format: an 8-byte little-endian header length N, N bytes of JSON
/// (`{"name": {"dtype": "F32", "shape": [r, c], "data_offsets": [begin, end]}, …,
/// "__metadata__": {"k": "v"}}`), then the tensors' bytes, little-endian, C order.
///
/// Read as untrusted input, with the checks of the reference implementation: the header fits the
/// file and is at most 100 MB, every tensor's byte length equals its shape × dtype size (with
/// checked arithmetic), the offsets lie inside the data, and the tensors cover the data exactly,
/// without overlaps or holes.
public struct SafetensorsFile: Sendable {
    public struct Tensor: Sendable {
        public let name: String
        public let dtype: String
        public let shape: [Int]
        /// Absolute byte range in the file.
        let range: Range<Int>
        let scalar: NumericArray.Scalar
    }

    /// In name order.
    public let tensors: [Tensor]
    public let metadata: [String: String]
    private let bytes: [UInt8]

    /// The reference implementation's header limit.
    static let maxHeaderBytes = 100_000_000

    static let scalars: [String: NumericArray.Scalar] = [
        "F16": .float16, "BF16": .bfloat16, "F32": .float32, "F64": .float64, "BOOL": .bool,
        "I8": .signed(bytes: 1), "I16": .signed(bytes: 2), "I32": .signed(bytes: 4), "I64": .signed(bytes: 8),
        "U8": .unsigned(bytes: 1), "U16": .unsigned(bytes: 2), "U32": .unsigned(bytes: 4), "U64": .unsigned(bytes: 8),
    ]

    private struct Entry: Decodable {
        let dtype: String
        let shape: [Int]
        let data_offsets: [Int]
    }

    private enum HeaderValue: Decodable {
        case tensor(Entry)
        case metadata([String: String])
        init(from decoder: any Decoder) throws {
            if let entry = try? Entry(from: decoder) {
                self = .tensor(entry)
                return
            }
            self = .metadata(try [String: String](from: decoder))
        }
    }

    public init(bytes: [UInt8], file: String) throws {
        (tensors, metadata) = try Self.parseHeader(bytes, fileSize: bytes.count, file: file)
        self.bytes = bytes
    }

    /// The header length the first 8 bytes declare, once it is within the format's limit and the
    /// file's `fileSize` bytes; `prefix` holds the file's first bytes (at least 8 when it has them).
    static func headerLength(_ prefix: [UInt8], fileSize: Int, file: String) throws -> Int {
        func bad(_ problem: String) -> DataError { DataError(file, "damaged safetensors: \(problem)") }
        guard fileSize >= 8, prefix.count >= 8 else {
            throw bad("\(fileSize) bytes, shorter than the 8-byte header length")
        }
        var declared: UInt64 = 0
        for b in (0 ..< 8).reversed() { declared = declared << 8 | UInt64(prefix[b]) }
        guard declared <= UInt64(Self.maxHeaderBytes) else {
            throw bad("header length \(declared) bytes is over the format's \(Self.maxHeaderBytes)-byte limit")
        }
        let headerLength = Int(declared)
        guard headerLength <= fileSize - 8 else {
            throw bad("header length \(headerLength) bytes runs past the end of the file (\(fileSize) bytes)")
        }
        return headerLength
    }

    /// The tensors (in name order) and metadata of a file of `fileSize` bytes whose first bytes,
    /// through the end of the header at least, are `prefix`: every check above, against the real
    /// size, without the data (a row stream reads only this much before its rows).
    static func parseHeader(
        _ prefix: [UInt8], fileSize: Int, file: String
    ) throws -> (
        tensors: [Tensor], metadata: [String: String]
    ) {
        func bad(_ problem: String) -> DataError { DataError(file, "damaged safetensors: \(problem)") }
        let headerLength = try headerLength(prefix, fileSize: fileSize, file: file)
        guard prefix.count >= 8 + headerLength else { throw bad("the header ends early (the file shrank)") }
        let dataStart = 8 + headerLength, dataSize = fileSize - dataStart
        let header: [String: HeaderValue]
        do { header = try JSONDecoder().decode([String: HeaderValue].self, from: Data(prefix[8 ..< dataStart])) } catch
        {
            throw bad("the header is not a JSON object of tensors (\(Self.reason(error)))")
        }
        var tensors: [Tensor] = [], metadata: [String: String] = [:]
        for (name, value) in header {
            switch value {
            case .metadata(let m):
                guard name == "__metadata__" else {
                    throw bad("'\(name)' is not a tensor (no dtype, shape and data_offsets)")
                }
                metadata = m
            case .tensor(let e):
                guard name != "__metadata__" else { throw bad("__metadata__ must map strings to strings") }
                guard let scalar = Self.scalars[e.dtype] else {
                    throw DataError(
                        file,
                        "tensor '\(name)' has dtype \(e.dtype), which is not read (F64, F32, F16, BF16, I8–I64, U8–U64 and BOOL are)"
                    )
                }
                guard e.shape.allSatisfy({ $0 >= 0 }) else {
                    throw bad("tensor '\(name)' has a negative extent in shape \(e.shape)")
                }
                guard e.data_offsets.count == 2, e.data_offsets[0] >= 0, e.data_offsets[0] <= e.data_offsets[1] else {
                    throw bad("tensor '\(name)' has data_offsets \(e.data_offsets), not [begin, end] with begin ≤ end")
                }
                let begin = e.data_offsets[0], end = e.data_offsets[1]
                guard end <= dataSize else {
                    throw bad(
                        "tensor '\(name)' ends at data offset \(end), past the \(dataSize) bytes of data the file holds"
                    )
                }
                var length = scalar.size
                for extent in e.shape {
                    let (product, overflow) = length.multipliedReportingOverflow(by: extent)
                    guard !overflow else {
                        throw bad("tensor '\(name)' has shape \(e.shape), more bytes than any file holds")
                    }
                    length = product
                }
                guard length == end - begin else {
                    throw bad(
                        "tensor '\(name)' is \(e.dtype) of shape \(e.shape) (\(length) bytes) but its data_offsets span \(end - begin) bytes"
                    )
                }
                tensors.append(
                    Tensor(
                        name: name, dtype: e.dtype, shape: e.shape, range: dataStart + begin ..< dataStart + end,
                        scalar: scalar))
            }
        }
        // The data must be covered exactly once, in offset order (the reference's rule: no
        // overlapping tensors, no holes in which other content could hide).
        var covered = dataStart, previous = ""
        for t in tensors.sorted(by: {
            ($0.range.lowerBound, $0.range.upperBound) < ($1.range.lowerBound, $1.range.upperBound)
        }) {
            if t.range.lowerBound < covered { throw bad("tensors '\(previous)' and '\(t.name)' overlap") }
            if t.range.lowerBound > covered {
                throw bad("\(t.range.lowerBound - covered) bytes before tensor '\(t.name)' belong to no tensor")
            }
            covered = t.range.upperBound
            previous = t.name
        }
        guard covered == fileSize else {
            throw bad("\(fileSize - covered) bytes after the last tensor belong to no tensor")
        }
        return (tensors.sorted { $0.name < $1.name }, metadata)
    }

    /// The tensor's values, unconverted.
    func array(_ tensor: Tensor) -> NumericArray {
        NumericArray(scalar: tensor.scalar, shape: tensor.shape, bytes: bytes[tensor.range])
    }

    /// A tensor's values as Float (F32 tensors only; for reading back what `SafetensorsWriter` wrote).
    public func floats(_ name: String) -> [Float]? {
        guard let t = tensors.first(where: { $0.name == name }), t.scalar == .float32 else { return nil }
        return bytes[t.range].withUnsafeBytes { p in
            (0 ..< t.range.count / 4).map {
                Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)))
            }
        }
    }

    /// A decoding error's gist, one line.
    private static func reason(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let c), DecodingError.typeMismatch(_, let c),
            DecodingError.keyNotFound(_, let c),
            DecodingError.valueNotFound(_, let c):
            return c.debugDescription.split(whereSeparator: \.isNewline).first.map(String.init) ?? "invalid JSON"
        default: return "invalid JSON"
        }
    }
}

/// Writes safetensors: F32 tensors in the given order, the header JSON padded with spaces to a
/// multiple of 8 bytes (as the reference writer does, so the data is aligned).
public enum SafetensorsWriter {
    public struct Tensor: Sendable {
        public let name: String
        public let shape: [Int]
        public let values: [Float]
        public init(name: String, shape: [Int], values: [Float]) {
            precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) values")
            self.name = name
            self.shape = shape
            self.values = values
        }
    }

    public static func bytes(_ tensors: [Tensor], metadata: [String: String] = [:]) -> [UInt8] {
        var entries: [String] = []
        if !metadata.isEmpty {
            let fields = metadata.keys.sorted().map { "\(json($0)):\(json(metadata[$0]!))" }
            entries.append("\"__metadata__\":{\(fields.joined(separator: ","))}")
        }
        var offset = 0
        for t in tensors {
            let shape = t.shape.map(String.init).joined(separator: ",")
            entries.append(
                "\(json(t.name)):{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + 4 * t.values.count)]}"
            )
            offset += 4 * t.values.count
        }
        var header = Array("{\(entries.joined(separator: ","))}".utf8)
        header += [UInt8](repeating: 0x20, count: (8 - header.count % 8) % 8)
        var out = [UInt8]()
        out.reserveCapacity(8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out += $0 }
        out += header
        for t in tensors {
            t.values.withUnsafeBufferPointer { v in
                for x in v { withUnsafeBytes(of: x.bitPattern.littleEndian) { out += $0 } }
            }
        }
        return out
    }

    /// A JSON string literal.
    static func json(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
