import Foundation
import TCMKernels

/// Reads an embedding matrix, and labels when the same file carries them (a CSV column).
public enum EmbeddingLoader {
    public struct Options: Sendable {
        /// Column of a CSV/TSV that holds labels: a header name or 0-based index (negative from the end).
        public var labelColumn: String?
        /// Force the header decision for text files; `nil` sniffs.
        public var hasHeader: Bool?
        /// The array of a `.npz` or safetensors file that holds the embeddings (nil: the usual
        /// names, else the only 2-D array).
        public var embeddingsKey: String?
        /// The array holding the labels, in whichever file they come from (nil: the usual names,
        /// else the only 1-D array).
        public var labelsKey: String?
        /// Take labels from the embeddings file when it holds them (off when a labels file is given).
        public var labelsFromSameFile = true
        /// The embeddings file must hold the labels (a `.npz`/safetensors without them is an error
        /// that names the arrays it holds); set by `Dataset.load` when no labels file is given.
        public var requireLabels = false
        /// A symbolic link (embeddings or labels file) is refused, not followed: for watched
        /// folders, whose files someone else names (`CheckedFile`).
        public var refuseLinks = false
        public init(
            labelColumn: String? = nil, hasHeader: Bool? = nil, embeddingsKey: String? = nil, labelsKey: String? = nil
        ) {
            self.labelColumn = labelColumn
            self.hasHeader = hasHeader
            self.embeddingsKey = embeddingsKey
            self.labelsKey = labelsKey
        }
    }

    public static func load(_ path: String, options: Options = Options()) throws -> (Matrix, Labels?) {
        try load(FileBytes.readContent(path, refuseLinks: options.refuseLinks), file: path, options: options)
    }

    /// The same, from a file's bytes in memory (gzip or not); `file` names it in messages.
    public static func load(bytes: [UInt8], file: String, options: Options = Options()) throws -> (Matrix, Labels?) {
        try load(FileBytes.decompressIfNeeded(bytes, file: file), file: file, options: options)
    }

    static func load(_ content: FileBytes.Content, file path: String, options: Options) throws -> (Matrix, Labels?) {
        let bytes = content.bytes
        guard !bytes.isEmpty else {
            throw DataError(path, content.compressed ? "the decompressed content is empty" : "file is empty")
        }
        let fileKind = kind(of: bytes, file: path)
        if !content.compressed, let container = try ArrayContainer.open(bytes, kind: fileKind, file: path) {
            if options.labelColumn != nil {
                throw DataError(
                    path,
                    "--label-column applies to CSV/TSV files; name the labels array of a .npz/safetensors with --labels-key"
                )
            }
            return try container.embeddings(
                key: options.embeddingsKey, labelsKey: options.labelsKey, wantLabels: options.labelsFromSameFile,
                requireLabels: options.requireLabels)
        }
        if options.embeddingsKey != nil {
            throw DataError(path, "--embeddings-key applies to .npz and safetensors files, and this is not one")
        }
        if options.labelsKey != nil && options.labelsFromSameFile {
            throw DataError(path, "--labels-key applies to .npz and safetensors files, and this is not one")
        }
        switch fileKind {
        case .npy:
            if options.labelColumn != nil {
                throw DataError(
                    path, "--label-column applies to CSV/TSV files; give labels for a .npy as a second file")
            }
            let array = try NpyArray(bytes: bytes, file: path)
            guard array.isNumeric else {
                throw DataError(path, "holds text (dtype \(array.element)), expected numeric embeddings")
            }
            guard array.shape.count == 2 else {
                throw DataError(path, "expected a 2-D array (samples × dimensions), got shape \(array.shape)")
            }
            try requireElements(array.shape, path)
            let plain = array.element == .float(bytes: 4) && !array.bigEndian && !array.fortranOrder
            try MemoryBudget.checkConversion(
                values: array.count, bytesPerValue: plain ? 4 : 12,
                to: plain ? "float32" : "float32 (through float64)", file: path)
            let values = try array.float32IfPlain() ?? float32Values(array.doubles(), cols: array.shape[1], file: path)
            return (Matrix(rows: array.shape[0], cols: array.shape[1], values: values), nil)
        case .idx:
            let array = try IdxArray(bytes: bytes, file: path)
            guard array.shape.count >= 2 else {
                throw DataError(path, "IDX file is 1-D (labels?), expected images or vectors")
            }
            try requireElements(array.shape, path)
            let n = array.shape[0], d = array.shape.dropFirst().reduce(1, *)
            try MemoryBudget.checkConversion(values: n * d, bytesPerValue: 4, to: "float32", file: path)
            // Unsigned-byte images (MNIST) are scaled to [0, 1], as every MNIST pipeline does.
            let scale: Double = bytes[2] == 0x08 ? 1.0 / 255.0 : 1.0
            let values = try float32Values(array.values, cols: d, scale: scale, file: path)
            return (Matrix(rows: n, cols: d, values: values), nil)
        case .text, .pickle, .zip, .safetensors:
            let text = try decodeText(bytes, file: path, compressed: content.compressed)
            return try loadText(
                DelimitedTable(text: text, file: path, hasHeader: options.hasHeader), path: path, options: options)
        }
    }

    /// A shape with a zero extent holds no embeddings, however large its other extents.
    private static func requireElements(_ shape: [Int], _ path: String) throws {
        guard !shape.contains(0) else { throw DataError(path, "the array is empty (shape \(shape))") }
    }

    static func loadText(_ table: DelimitedTable, path: String, options: Options) throws -> (Matrix, Labels?) {
        let labelIndex = try options.labelColumn.map { try table.columnIndex($0, file: path) }
        let featureColumns = (0 ..< table.columnCount).filter { $0 != labelIndex }
        guard !featureColumns.isEmpty else {
            throw DataError(path, "no embedding columns left besides the label column")
        }
        var values = [Double]()
        values.reserveCapacity(table.rows.count * featureColumns.count)
        for (r, row) in table.rows.enumerated() {
            for c in featureColumns {
                guard let v = Double(row[c]) else {
                    let hint =
                        labelIndex == nil && c == table.columnCount - 1
                        ? " (if this is the label column, pass --label-column)" : ""
                    throw DataError(
                        path, "line \(table.lineNumbers[r]), column \(c): '\(row[c].prefix(40))' is not a number\(hint)"
                    )
                }
                values.append(v)
            }
        }
        let labels = labelIndex.map { i in Labels(names: table.rows.map { $0[i] }) }
        let matrix = Matrix(
            rows: table.rows.count, cols: featureColumns.count,
            values: try float32Values(values, cols: featureColumns.count, file: path))
        return (matrix, labels)
    }
}

/// Converts embeddings to the Float32 they are computed in, refusing what would not survive:
/// finite values beyond Float32's range (they would become infinities) and rows that are nonzero
/// but whose every value is too small for Float32 (they would become zero vectors). NaN and
/// infinities pass through, for `Dataset.validated` to report.
/// - Parameter scale: multiplies every value first (MNIST pixels 0…255 → 0…1), without a copy.
func float32Values(_ values: [Double], cols: Int, scale: Double = 1, file: String) throws -> [Float] {
    var out = [Float](repeating: 0, count: values.count)
    var overflowRows: [Int] = [], underflowRows: [Int] = []
    let rows = cols > 0 ? values.count / cols : 0
    values.withUnsafeBufferPointer { v in
        out.withUnsafeMutableBufferPointer { o in
            for r in 0 ..< rows {
                var overflow = false, nonzero = false, lost = true
                for j in r * cols ..< (r + 1) * cols {
                    let x = v[j] * scale
                    let f = Float(x)
                    o[j] = f
                    if f.isInfinite && x.isFinite { overflow = true }
                    if x != 0 {
                        nonzero = true
                        if f != 0 { lost = false }
                    }
                }
                if overflow { overflowRows.append(r) } else if nonzero && lost { underflowRows.append(r) }
            }
        }
    }
    if !overflowRows.isEmpty {
        throw DataError(
            file,
            "values outside float32's range (beyond ±3.4e38) in rows \(describeRows(overflowRows)) (0-based); embeddings are used as float32"
        )
    }
    if !underflowRows.isEmpty {
        throw DataError(
            file,
            "rows \(describeRows(underflowRows)) (0-based) are nonzero but every value is below float32's smallest (1.4e-45), so they round to zero vectors"
        )
    }
    return out
}

/// Reads labels from their own file: `.npy` (integers or strings), IDX (MNIST labels) or text
/// with one label per line (a one-word header line is skipped when every other line is an integer).
///
/// Whole-number float labels must fit a 64-bit integer (|label| < 2^63); uint64 labels above
/// 2^63 keep their exact values as class names.
public enum LabelLoader {
    /// - Parameter key: the labels array of a `.npz` or safetensors file (nil: the usual names,
    ///   else the only 1-D array); an error for other files.
    /// - Parameter refuseLinks: a symbolic link is refused, not followed (watched folders).
    public static func load(_ path: String, key: String? = nil, refuseLinks: Bool = false) throws -> Labels {
        try load(FileBytes.readContent(path, refuseLinks: refuseLinks), file: path, key: key)
    }

    /// The same, from a file's bytes in memory (gzip or not); `file` names it in messages.
    public static func load(bytes: [UInt8], file: String, key: String? = nil) throws -> Labels {
        try load(FileBytes.decompressIfNeeded(bytes, file: file), file: file, key: key)
    }

    static func load(_ content: FileBytes.Content, file path: String, key: String? = nil) throws -> Labels {
        let bytes = content.bytes
        guard !bytes.isEmpty else {
            throw DataError(path, content.compressed ? "the decompressed content is empty" : "file is empty")
        }
        let fileKind = kind(of: bytes, file: path)
        if !content.compressed, let container = try ArrayContainer.open(bytes, kind: fileKind, file: path) {
            return try container.labels(key: key)
        }
        if key != nil {
            throw DataError(path, "--labels-key applies to .npz and safetensors files, and this is not one")
        }
        switch fileKind {
        case .npy:
            return try labels(NpyArray(bytes: bytes, file: path), file: path)
        case .idx:
            let array = try IdxArray(bytes: bytes, file: path)
            guard array.shape.count == 1 else {
                throw DataError(path, "IDX labels must be 1-D, got shape \(array.shape)")
            }
            return try wholeNumberLabels(array.values, file: path)
        case .text, .pickle, .zip, .safetensors:
            let text = try decodeText(bytes, file: path, compressed: content.compressed)
            var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            while lines.last == "" { lines.removeLast() }
            if let blank = lines.firstIndex(of: "") {
                throw DataError(path, "line \(blank + 1) is empty; expected one label per line")
            }
            if let multi = lines.firstIndex(where: { $0.contains(",") || $0.contains("\t") }) {
                throw DataError(
                    path,
                    "line \(multi + 1) has several fields; expected one label per line (or use --label-column on the embeddings file)"
                )
            }
            guard !lines.isEmpty else { throw DataError(path, "file has no labels") }
            if lines.count > 1, Int64(lines[0]) == nil, lines.dropFirst().allSatisfy({ Int64($0) != nil }) {
                lines.removeFirst()
            }
            return Labels(names: lines)
        }
    }

    /// The labels a `.npy` array holds: 1-D (or N × 1) integers, strings or whole-number floats.
    static func labels(_ array: NpyArray, file path: String) throws -> Labels {
        guard array.shape.count == 1 || (array.shape.count == 2 && array.shape[1] == 1) else {
            throw DataError(path, "expected a 1-D array of labels, got shape \(array.shape)")
        }
        if let ints = array.integers() { return Labels(integers: ints) }
        if let unsigned = array.unsignedIntegers() { return Labels(unsignedIntegers: unsigned) }
        if let strings = array.strings() { return Labels(names: strings) }
        return try wholeNumberLabels(array.doubles(), file: path)
    }

    /// Labels stored as numbers (float `.npy`, IDX): each must be a whole number that fits Int64.
    static func wholeNumberLabels(_ values: [Double], file: String) throws -> Labels {
        var integers = [Int64]()
        integers.reserveCapacity(values.count)
        for (i, v) in values.enumerated() {
            guard v.isFinite, v.rounded() == v else {
                throw DataError(file, "label at index \(i) is \(v), expected whole numbers or strings")
            }
            guard let n = Int64(exactly: v) else {
                throw DataError(
                    file,
                    "label at index \(i) is \(v), outside the 64-bit integer range (|label| < 2^63) of class numbers")
            }
            integers.append(n)
        }
        return Labels(integers: integers)
    }
}
