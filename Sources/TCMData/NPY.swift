import Foundation

/// NumPy's `.npy` format, versions 1.0, 2.0 and 3.0 (header length field of 2 or 4 bytes;
/// 3.0 allows UTF-8 in the header). Spec: numpy/lib/format.py.
public struct NpyArray: Sendable {
    public enum Element: Sendable, Equatable {
        case float(bytes: Int)  // f2, f4, f8
        case signed(bytes: Int)  // i1 … i8
        case unsigned(bytes: Int)  // u1 … u8
        case bool  // b1
        case unicode(chars: Int)  // U<n>: UTF-32 code units
        case bytes(count: Int)  // S<n>: NUL-padded bytes

        var itemSize: Int {
            switch self {
            case .float(let b), .signed(let b), .unsigned(let b): return b
            case .bool: return 1
            case .unicode(let n): return 4 * n
            case .bytes(let n): return n
            }
        }
    }

    public let shape: [Int]
    public let element: Element
    public let bigEndian: Bool
    public let fortranOrder: Bool
    let payload: [UInt8]

    /// Number of elements. A zero extent makes the array empty whatever the other extents say
    /// (they are not bounded then, so their product could overflow); otherwise the header's
    /// shape was checked to fit the file, so the product cannot overflow.
    public var count: Int { shape.contains(0) ? 0 : shape.reduce(1, *) }

    /// Parses `.npy` bytes; `file` names the source in errors.
    public init(bytes: [UInt8], file: String) throws {
        guard !bytes.isEmpty else { throw DataError(file, "file is empty") }
        let layout = try NpyLayout.parse(prefix: bytes, file: file, complete: true)!
        shape = layout.shape
        fortranOrder = layout.fortranOrder
        element = layout.element
        bigEndian = layout.bigEndian
        // Compared before anything is allocated: the sizes were multiplied with overflow checks.
        try layout.requireData(available: bytes.count - layout.dataStart, file: file)
        try MemoryBudget.current().check(
            bytes: layout.dataBytes, needs: "copying its data (\(layout.dataBytes) bytes)", file: file)
        payload = Array(bytes[layout.dataStart...])
    }

    /// The values as Float when they are stored as little-endian float32 in C order (the common
    /// case), copied straight from the payload: the same values the general path gives through
    /// Double, without the per-element conversion (15 % of a shard's time on a 124 MB matrix).
    public func float32IfPlain() -> [Float]? {
        guard element == .float(bytes: 4), !bigEndian, !fortranOrder || shape.count < 2 else { return nil }
        return [Float](unsafeUninitializedCapacity: count) { out, initialized in
            payload.withUnsafeBytes { raw in
                for i in 0 ..< count {
                    out[i] = Float(
                        bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                }
            }
            initialized = count
        }
    }

    /// Index in the payload of the element at C-order position `i`.
    private func storageIndex(_ i: Int) -> Int {
        guard fortranOrder, shape.count > 1 else { return i }
        if shape.count == 2 { return (i % shape[1]) * shape[0] + i / shape[1] }
        // Decompose the C-order index, recompose in Fortran order.
        var rest = i, index = 0, step = 1
        var coords = [Int](repeating: 0, count: shape.count)
        for d in stride(from: shape.count - 1, through: 0, by: -1) {
            coords[d] = rest % shape[d]
            rest /= shape[d]
        }
        for d in 0 ..< shape.count {
            index += coords[d] * step
            step *= shape[d]
        }
        return index
    }

    private func rawBits(at offset: Int, size: Int) -> UInt64 {
        var v: UInt64 = 0
        if bigEndian {
            for b in 0 ..< size { v = v << 8 | UInt64(payload[offset + b]) }
        } else {
            for b in stride(from: size - 1, through: 0, by: -1) { v = v << 8 | UInt64(payload[offset + b]) }
        }
        return v
    }

    private func value(atStorage s: Int) -> Double {
        let size = element.itemSize
        let bits = rawBits(at: s * size, size: size)
        switch element {
        case .float(2): return Double(halfToFloat(UInt16(bits)))
        case .float(4): return Double(Float(bitPattern: UInt32(bits)))
        case .float: return Double(bitPattern: bits)
        case .signed(let b):
            let shift = UInt64(64 - 8 * b)
            return Double(Int64(bitPattern: bits << shift) >> Int64(shift))
        case .unsigned: return Double(bits)
        case .bool: return bits != 0 ? 1 : 0
        case .unicode, .bytes: return .nan
        }
    }

    public var isNumeric: Bool {
        switch element {
        case .unicode, .bytes: return false
        default: return true
        }
    }

    public var isInteger: Bool {
        switch element {
        case .signed, .unsigned, .bool: return true
        default: return false
        }
    }

    /// All values as Double, in C order (numeric arrays only).
    public func doubles() -> [Double] {
        (0 ..< count).map { value(atStorage: storageIndex($0)) }
    }

    /// All values as Int64, in C order (integer and bool arrays only; nil also for a uint64
    /// array holding a value above Int64.max, which `unsignedIntegers()` reads exactly).
    public func integers() -> [Int64]? {
        guard isInteger else { return nil }
        if element == .unsigned(bytes: 8), let unsigned = unsignedIntegers() {
            guard unsigned.allSatisfy({ $0 <= UInt64(Int64.max) }) else { return nil }
            return unsigned.map { Int64($0) }
        }
        let size = element.itemSize
        return (0 ..< count).map { i -> Int64 in
            let bits = rawBits(at: storageIndex(i) * size, size: size)
            if case .signed(let b) = element {
                let shift = UInt64(64 - 8 * b)
                return Int64(bitPattern: bits << shift) >> Int64(shift)
            }
            return Int64(bitPattern: bits)
        }
    }

    /// All values as UInt64, in C order (unsigned integer arrays only).
    public func unsignedIntegers() -> [UInt64]? {
        guard case .unsigned(let size) = element else { return nil }
        return (0 ..< count).map { rawBits(at: storageIndex($0) * size, size: size) }
    }

    /// Text values (`U` and `S` arrays), NUL padding removed.
    public func strings() -> [String]? {
        switch element {
        case .unicode(let n):
            return (0 ..< count).map { i in
                let base = storageIndex(i) * 4 * n
                var scalars = String.UnicodeScalarView()
                for c in 0 ..< n {
                    let code = UInt32(truncatingIfNeeded: rawBits(at: base + 4 * c, size: 4))
                    if code == 0 { break }
                    scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
                }
                return String(scalars)
            }
        case .bytes(let n):
            return (0 ..< count).map { i in
                let base = storageIndex(i) * n
                let raw = payload[base ..< base + n].prefix { $0 != 0 }
                return String(decoding: raw, as: UTF8.self)
            }
        default: return nil
        }
    }
}

/// IEEE 754 binary16 → Float, portable (no reliance on the `Float16` type's availability).
func halfToFloat(_ h: UInt16) -> Float {
    let sign = UInt32(h >> 15) << 31
    let exponent = Int((h >> 10) & 0x1f)
    let mantissa = UInt32(h & 0x3ff)
    if exponent == 0 {
        let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
        return sign != 0 ? -magnitude : magnitude
    }
    if exponent == 31 { return Float(bitPattern: sign | 0x7f80_0000 | (mantissa << 13)) }
    return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | mantissa << 13)
}

/// What a `.npy` preamble and header declare: enough to know the file's exact size before any
/// data is read, which is how a gzip-compressed `.npy` is inflated no further than it can be.
struct NpyLayout {
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
    /// NumPy itself refuses headers over 10,000 bytes unless told otherwise; this is generous.
    static let maxHeaderBytes = 1 << 20

    var shape: [Int]
    var descr: String
    var element: NpyArray.Element
    var bigEndian: Bool
    var fortranOrder: Bool
    var dataStart: Int
    /// Element count × item size, computed with overflow checks.
    var dataBytes: Int
    var totalBytes: Int { dataStart + dataBytes }

    /// The data after the header must be exactly what the header declares.
    func requireData(available: Int, file: String) throws {
        if available < dataBytes {
            throw DataError(
                file, "truncated: header promises \(shape) of \(descr) (\(dataBytes) bytes), file holds \(available)")
        }
        if available > dataBytes {
            throw DataError(
                file,
                "\(available - dataBytes) unexpected bytes after the data of shape \(shape); the header and the data disagree"
            )
        }
    }

    /// Parses the preamble and header at the start of `bytes`. With `complete == false` (bytes
    /// still arriving) it returns nil while the header is incomplete; with `complete == true`
    /// a short header is an error.
    /// `maxElements`: the most values the array may declare; the readers that convert a whole
    /// array through Float64 in memory keep `FileBytes.maxElements`, the row stream (which holds
    /// one chunk at a time) passes `Int.max` and checks the declared size against the file's.
    static func parse(
        prefix bytes: [UInt8], file: String, complete: Bool, maxElements: Int = FileBytes.maxElements
    ) throws -> NpyLayout? {
        let known = min(bytes.count, magic.count)
        guard bytes[0 ..< known].elementsEqual(magic[0 ..< known]) else {
            throw DataError(file, "not a .npy file (missing the \\x93NUMPY magic)")
        }
        func needMore(_ what: String) throws -> NpyLayout? {
            if complete { throw DataError(file, "truncated .npy header (\(what))") }
            return nil
        }
        guard bytes.count >= 8 else { return try needMore("the file ends inside the magic and version") }
        let major = bytes[6]
        let headerLength: Int, headerStart: Int
        switch major {
        case 1:
            headerStart = 10
            guard bytes.count >= headerStart else { return try needMore("the file ends inside the header length") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        case 2, 3:
            headerStart = 12
            guard bytes.count >= headerStart else { return try needMore("the file ends inside the header length") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        default:
            throw DataError(
                file, "damaged or unsupported .npy: format version \(major).\(bytes[7]) (1.0, 2.0 and 3.0 are read)")
        }
        guard headerLength <= maxHeaderBytes else {
            throw DataError(
                file,
                "damaged .npy: header length \(headerLength) bytes is implausible (at most \(maxHeaderBytes) is read)")
        }
        guard headerStart + headerLength <= bytes.count else {
            return try needMore("says \(headerLength) bytes, file has \(bytes.count - headerStart)")
        }
        guard let header = String(validating: bytes[headerStart ..< headerStart + headerLength], as: UTF8.self) else {
            throw DataError(file, "damaged .npy: the header is not UTF-8 text")
        }
        guard header.drop(while: { $0 == " " }).first == "{" else {
            throw DataError(
                file,
                "damaged .npy: the header is not a Python dict: \(header.trimmingCharacters(in: .whitespacesAndNewlines).prefix(60))"
            )
        }
        let fields = try NpyHeader.parse(header, file: file)
        let (element, bigEndian) = try NpyHeader.element(fields.descr, file: file)
        let dataStart = headerStart + headerLength
        // A zero extent makes the array empty whatever the other extents say.
        var dataBytes = fields.shape.contains(0) ? 0 : element.itemSize
        for extent in fields.shape where dataBytes > 0 {
            let (product, overflow) = dataBytes.multipliedReportingOverflow(by: extent)
            guard !overflow, product <= Int.max - dataStart else {
                throw DataError(
                    file, "header declares shape \(fields.shape) of \(fields.descr), more bytes than any file can hold")
            }
            dataBytes = product
        }
        let count = dataBytes / element.itemSize
        guard count <= maxElements else {
            throw DataError(
                file,
                "header declares \(count) values (shape \(fields.shape)), over the limit of \(maxElements) values in one array"
            )
        }
        return NpyLayout(
            shape: fields.shape, descr: fields.descr, element: element, bigEndian: bigEndian,
            fortranOrder: fields.fortranOrder, dataStart: dataStart, dataBytes: dataBytes)
    }
}

/// The Python-literal header dict: `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`.
enum NpyHeader {
    struct Fields {
        var descr: String
        var fortranOrder: Bool
        var shape: [Int]
    }

    static func parse(_ header: String, file: String) throws -> Fields {
        func bad(_ what: String) -> DataError {
            DataError(
                file,
                "malformed .npy header (\(what)): \(header.trimmingCharacters(in: .whitespacesAndNewlines).prefix(120))"
            )
        }
        guard let descrRange = valueStart(of: "descr", in: header) else { throw bad("no 'descr'") }
        let afterDescr = header[descrRange...]
        guard let quote = afterDescr.first, quote == "'" || quote == "\"" else {
            throw DataError(
                file, "structured or object dtype in .npy header is not supported; save a plain numeric array")
        }
        let descrBody = afterDescr.dropFirst()
        guard let close = descrBody.firstIndex(of: quote) else { throw bad("unterminated 'descr'") }
        let descr = String(descrBody[..<close])

        guard let fortranRange = valueStart(of: "fortran_order", in: header) else { throw bad("no 'fortran_order'") }
        let fortranText = header[fortranRange...]
        let fortran: Bool
        if fortranText.hasPrefix("True") {
            fortran = true
        } else if fortranText.hasPrefix("False") {
            fortran = false
        } else {
            throw bad("'fortran_order' is not True/False")
        }

        guard let shapeRange = valueStart(of: "shape", in: header) else { throw bad("no 'shape'") }
        let shapeText = header[shapeRange...]
        guard shapeText.first == "(", let end = shapeText.firstIndex(of: ")") else {
            throw bad("'shape' is not a tuple")
        }
        let inner = shapeText[shapeText.index(after: shapeText.startIndex) ..< end]
        var shape = [Int]()
        for part in inner.split(separator: ",") {
            let trimmed = part.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "L", with: "")
            if trimmed.isEmpty { continue }
            guard let n = Int(trimmed), n >= 0 else { throw bad("shape entry '\(trimmed)'") }
            shape.append(n)
        }
        return Fields(descr: descr, fortranOrder: fortran, shape: shape)
    }

    /// Index just after `'key':` and following spaces.
    private static func valueStart(of key: String, in header: String) -> String.Index? {
        for q in ["'", "\""] {
            if let r = header.range(of: q + key + q) {
                var i = r.upperBound
                while i < header.endIndex, header[i] == " " { i = header.index(after: i) }
                guard i < header.endIndex, header[i] == ":" else { continue }
                i = header.index(after: i)
                while i < header.endIndex, header[i] == " " { i = header.index(after: i) }
                return i
            }
        }
        return nil
    }

    static func element(_ descr: String, file: String) throws -> (NpyArray.Element, Bool) {
        guard let order = descr.first, descr.count >= 2 else { throw DataError(file, "unsupported dtype '\(descr)'") }
        var rest = Substring(descr)
        var bigEndian = false
        switch order {
        case "<", "=": rest = rest.dropFirst()
        case "|": rest = rest.dropFirst()
        case ">":
            bigEndian = true
            rest = rest.dropFirst()
        default: break
        }
        if rest == "O" {
            throw DataError(
                file,
                "object dtype '\(descr)': the array holds pickled Python objects, which are not read; save a numeric or string array (numpy.save with allow_pickle=False)"
            )
        }
        // Item sizes past 2^24 (a 64-MiB string per element) are refused rather than multiplied.
        guard let kind = rest.first, let size = Int(rest.dropFirst()), size > 0, size <= 1 << 24 else {
            throw DataError(file, "unsupported dtype '\(descr)'")
        }
        let element: NpyArray.Element
        switch (kind, size) {
        case ("f", 2), ("f", 4), ("f", 8): element = .float(bytes: size)
        case ("i", 1), ("i", 2), ("i", 4), ("i", 8): element = .signed(bytes: size)
        case ("u", 1), ("u", 2), ("u", 4), ("u", 8): element = .unsigned(bytes: size)
        case ("b", 1): element = .bool
        case ("U", let n) where n > 0: element = .unicode(chars: n)
        case ("S", let n) where n > 0: element = .bytes(count: n)
        default:
            throw DataError(
                file,
                "unsupported dtype '\(descr)' (supported: float16/32/64, int8–64, uint8–64, bool, U and S strings)")
        }
        return (element, bigEndian)
    }
}

/// Writes `.npy` version 1.0, little-endian, C order, header padded to a 64-byte boundary.
public enum NpyWriter {
    public static func bytes(floats: [Float], shape: [Int]) -> [UInt8] {
        var out = header(descr: "<f4", shape: shape)
        out.reserveCapacity(out.count + floats.count * 4)
        for v in floats { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
        return out
    }

    /// The header of a float32 array of `shape`, for writers that append the data in blocks.
    public static func float32Header(shape: [Int]) -> [UInt8] { header(descr: "<f4", shape: shape) }

    public static func bytes(int64s: [Int64], shape: [Int]) -> [UInt8] {
        var out = header(descr: "<i8", shape: shape)
        for v in int64s { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        return out
    }

    public static func bytes(strings: [String]) -> [UInt8] {
        let width = max(1, strings.map { $0.unicodeScalars.count }.max() ?? 1)
        var out = header(descr: "<U\(width)", shape: [strings.count])
        for s in strings {
            var scalars = Array(s.unicodeScalars.map(\.value))
            scalars += [UInt32](repeating: 0, count: width - scalars.count)
            for v in scalars { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        }
        return out
    }

    static func header(descr: String, shape: [Int]) -> [UInt8] {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var dict = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        let unpadded = 10 + dict.utf8.count + 1
        dict += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var out: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0]
        let n = dict.utf8.count
        out.append(UInt8(n & 0xff))
        out.append(UInt8(n >> 8))
        out.append(contentsOf: dict.utf8)
        return out
    }
}
