import Foundation
import TCMKernels

/// What a file turned out to hold, decided by its content (magic bytes), not its name.
enum FileKind { case npy, idx, text }

func kind(of bytes: [UInt8]) -> FileKind {
    if bytes.count >= 6 && bytes[0] == 0x93 && bytes[1 ..< 6].elementsEqual("NUMPY".utf8) { return .npy }
    if bytes.count >= 4 && bytes[0] == 0 && bytes[1] == 0 && bytes[3] >= 1 && bytes[3] <= 4 { return .idx }
    return .text
}

/// Reads an embedding matrix, and labels when the same file carries them (a CSV column).
public enum EmbeddingLoader {
    public struct Options: Sendable {
        /// Column of a CSV/TSV that holds labels: a header name or 0-based index (negative from the end).
        public var labelColumn: String?
        /// Force the header decision for text files; `nil` sniffs.
        public var hasHeader: Bool?
        public init(labelColumn: String? = nil, hasHeader: Bool? = nil) {
            self.labelColumn = labelColumn
            self.hasHeader = hasHeader
        }
    }

    public static func load(_ path: String, options: Options = Options()) throws -> (Matrix, Labels?) {
        let bytes = try FileBytes.read(path)
        guard !bytes.isEmpty else { throw DataError(path, "file is empty") }
        switch kind(of: bytes) {
        case .npy:
            if options.labelColumn != nil { throw DataError(path, "--label-column applies to CSV/TSV files; give labels for a .npy as a second file") }
            let array = try NpyArray(bytes: bytes, file: path)
            guard array.isNumeric else { throw DataError(path, "holds text (dtype \(array.element)), expected numeric embeddings") }
            guard array.shape.count == 2 else {
                throw DataError(path, "expected a 2-D array (samples × dimensions), got shape \(array.shape)")
            }
            return (Matrix(rows: array.shape[0], cols: array.shape[1], values: array.doubles().map(Float.init)), nil)
        case .idx:
            let array = try IdxArray(bytes: bytes, file: path)
            guard array.shape.count >= 2 else { throw DataError(path, "IDX file is 1-D (labels?), expected images or vectors") }
            let n = array.shape[0], d = array.shape.dropFirst().reduce(1, *)
            // Unsigned-byte images (MNIST) are scaled to [0, 1], as every MNIST pipeline does.
            let scale: Double = bytes[2] == 0x08 ? 1.0 / 255.0 : 1.0
            return (Matrix(rows: n, cols: d, values: array.values.map { Float($0 * scale) }), nil)
        case .text:
            return try loadText(bytes, path: path, options: options)
        }
    }

    static func loadText(_ bytes: [UInt8], path: String, options: Options) throws -> (Matrix, Labels?) {
        let table = try DelimitedTable(bytes: bytes, file: path, hasHeader: options.hasHeader)
        let labelIndex = try options.labelColumn.map { try table.columnIndex($0, file: path) }
        let featureColumns = (0 ..< table.columnCount).filter { $0 != labelIndex }
        guard !featureColumns.isEmpty else { throw DataError(path, "no embedding columns left besides the label column") }
        var values = [Float]()
        values.reserveCapacity(table.rows.count * featureColumns.count)
        for (r, row) in table.rows.enumerated() {
            for c in featureColumns {
                guard let v = Float(row[c]) else {
                    let hint = labelIndex == nil && c == table.columnCount - 1 ? " (if this is the label column, pass --label-column)" : ""
                    throw DataError(path, "line \(table.lineNumbers[r]), column \(c): '\(row[c].prefix(40))' is not a number\(hint)")
                }
                values.append(v)
            }
        }
        let labels = labelIndex.map { i in Labels(names: table.rows.map { $0[i] }) }
        return (Matrix(rows: table.rows.count, cols: featureColumns.count, values: values), labels)
    }
}

/// Reads labels from their own file: `.npy` (integers or strings), IDX (MNIST labels) or text
/// with one label per line (a one-word header line is skipped when every other line is an integer).
public enum LabelLoader {
    public static func load(_ path: String) throws -> Labels {
        let bytes = try FileBytes.read(path)
        guard !bytes.isEmpty else { throw DataError(path, "file is empty") }
        switch kind(of: bytes) {
        case .npy:
            let array = try NpyArray(bytes: bytes, file: path)
            guard array.shape.count == 1 || (array.shape.count == 2 && array.shape[1] == 1) else {
                throw DataError(path, "expected a 1-D array of labels, got shape \(array.shape)")
            }
            if let ints = array.integers() { return Labels(integers: ints) }
            if let strings = array.strings() { return Labels(names: strings) }
            let doubles = array.doubles()
            if let i = doubles.firstIndex(where: { !$0.isFinite || $0.rounded() != $0 }) {
                throw DataError(path, "label at index \(i) is \(doubles[i]), expected whole numbers or strings")
            }
            return Labels(integers: doubles.map { Int64($0) })
        case .idx:
            let array = try IdxArray(bytes: bytes, file: path)
            guard array.shape.count == 1 else { throw DataError(path, "IDX labels must be 1-D, got shape \(array.shape)") }
            return Labels(integers: array.values.map { Int64($0) })
        case .text:
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw DataError(path, "not UTF-8 text (invalid byte sequence at byte offset \(firstInvalidUTF8Offset(bytes)))")
            }
            var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            while lines.last == "" { lines.removeLast() }
            if let blank = lines.firstIndex(of: "") { throw DataError(path, "line \(blank + 1) is empty; expected one label per line") }
            if let multi = lines.firstIndex(where: { $0.contains(",") || $0.contains("\t") }) {
                throw DataError(path, "line \(multi + 1) has several fields; expected one label per line (or use --label-column on the embeddings file)")
            }
            guard !lines.isEmpty else { throw DataError(path, "file has no labels") }
            if lines.count > 1, Int64(lines[0]) == nil, lines.dropFirst().allSatisfy({ Int64($0) != nil }) {
                lines.removeFirst()
            }
            return Labels(names: lines)
        }
    }
}
