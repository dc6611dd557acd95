import TCMKernels

/// A numeric array still in its file's bytes (a `.npz` member or a safetensors tensor), converted
/// straight to the Float32 matrix or the labels a command needs: one copy, not the
/// bytes → Float64 → Float32 route of the `.npy` reader, so a 60k × 512 float32 member costs its
/// own size once more, not three times.
struct NumericArray {
    enum Scalar: Equatable {
        case float16, bfloat16, float32, float64, bool
        case signed(bytes: Int), unsigned(bytes: Int)

        var size: Int {
            switch self {
            case .float16, .bfloat16: return 2
            case .float32: return 4
            case .float64: return 8
            case .bool: return 1
            case .signed(let b), .unsigned(let b): return b
            }
        }

        var isFloat: Bool { [.float16, .bfloat16, .float32, .float64].contains(self) }
    }

    let scalar: Scalar
    let shape: [Int]
    /// Exactly count × size bytes (checked by whoever made it).
    let bytes: ArraySlice<UInt8>
    var bigEndian = false
    var fortranOrder = false

    /// Zero when an extent is zero (the others are then unbounded: their product could overflow).
    var count: Int { shape.contains(0) ? 0 : shape.reduce(1, *) }

    /// The value at storage position `i` as Double (exact for every type but 64-bit integers
    /// past 2^53, which only labels use, and those go through `integer(at:)`).
    private func raw(_ i: Int, _ p: UnsafeRawBufferPointer) -> UInt64 {
        let size = scalar.size, base = i * size
        var v: UInt64 = 0
        if bigEndian {
            for b in 0 ..< size { v = v << 8 | UInt64(p[base + b]) }
        } else {
            for b in stride(from: size - 1, through: 0, by: -1) { v = v << 8 | UInt64(p[base + b]) }
        }
        return v
    }

    private func double(_ bits: UInt64) -> Double {
        switch scalar {
        case .float16: return Double(halfToFloat(UInt16(truncatingIfNeeded: bits)))
        case .bfloat16: return Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits) << 16))
        case .float32: return Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits)))
        case .float64: return Double(bitPattern: bits)
        case .bool: return bits != 0 ? 1 : 0
        case .signed(let b):
            let shift = UInt64(64 - 8 * b)
            return Double(Int64(bitPattern: bits << shift) >> Int64(shift))
        case .unsigned: return Double(bits)
        }
    }

    /// Values are converted to Float32 (or Int64 for labels): the same bound as `.npy` arrays.
    private func checkCount(_ file: String) throws {
        guard count <= FileBytes.maxElements else {
            throw DataError(
                file,
                "holds \(count) values (shape \(shape)), over the limit of \(FileBytes.maxElements) values in one array"
            )
        }
    }

    /// The N × D embeddings (a 2-D array), with the same checks as the other readers: values past
    /// Float32's range and rows that would round to zero vectors are refused; NaN and infinities
    /// pass through for `Dataset.validated` (or `apply`) to report.
    func matrix(file: String) throws -> Matrix {
        guard shape.count == 2 else {
            throw DataError(file, "expected a 2-D array (samples × dimensions), got shape \(shape)")
        }
        guard !shape.contains(0) else { throw DataError(file, "the array is empty (shape \(shape))") }
        try checkCount(file)
        let rows = shape[0], cols = shape[1], n = rows * cols
        try MemoryBudget.checkConversion(
            values: n, bytesPerValue: (scalar == .float64 ? 12 : 4) + (fortranOrder ? 4 : 0),
            to: scalar == .float64 ? "float32 (through float64)" : "float32", file: file)
        if scalar == .float64 {
            // Through the shared Float64 → Float32 check (overflow and underflow rows), in C order.
            let doubles = bytes.withUnsafeBytes { p in
                (0 ..< n).map { i in double(raw(fortranOrder ? (i % cols) * rows + i / cols : i, p)) }
            }
            return Matrix(rows: rows, cols: cols, values: try float32Values(doubles, cols: cols, file: file))
        }
        var values: [Float]
        if scalar == .float32 && !bigEndian {
            values = [Float](repeating: 0, count: n)
            values.withUnsafeMutableBytes { dst in bytes.withUnsafeBytes { dst.copyMemory(from: $0) } }
        } else {
            values = bytes.withUnsafeBytes { p in (0 ..< n).map { Float(double(raw($0, p))) } }
        }
        if fortranOrder {
            // Stored column by column: transpose to rows.
            var rowMajor = [Float](repeating: 0, count: n)
            for c in 0 ..< cols { for r in 0 ..< rows { rowMajor[r * cols + c] = values[c * rows + r] } }
            values = rowMajor
        }
        return Matrix(rows: rows, cols: cols, values: values)
    }

    /// One label per sample: a 1-D (or N × 1) array of integers, booleans, or whole-number floats.
    func labels(file: String) throws -> Labels {
        guard shape.count == 1 || (shape.count == 2 && shape[1] == 1) else {
            throw DataError(file, "expected a 1-D array of labels, got shape \(shape)")
        }
        try checkCount(file)
        let n = count
        return try bytes.withUnsafeBytes { p in
            switch scalar {
            case .unsigned(8):
                return Labels(unsignedIntegers: (0 ..< n).map { raw($0, p) })
            case .signed(let b):
                let shift = UInt64(64 - 8 * b)
                return Labels(integers: (0 ..< n).map { Int64(bitPattern: raw($0, p) << shift) >> Int64(shift) })
            case .unsigned, .bool:
                return Labels(integers: (0 ..< n).map { Int64(bitPattern: raw($0, p)) })
            default:
                return try LabelLoader.wholeNumberLabels((0 ..< n).map { double(raw($0, p)) }, file: file)
            }
        }
    }
}

extension NumericArray.Scalar {
    /// The `.npy` element types that are numbers (strings are not).
    init?(npy element: NpyArray.Element) {
        switch element {
        case .float(2): self = .float16
        case .float(4): self = .float32
        case .float(8): self = .float64
        case .signed(let b): self = .signed(bytes: b)
        case .unsigned(let b): self = .unsigned(bytes: b)
        case .bool: self = .bool
        default: return nil
        }
    }
}
