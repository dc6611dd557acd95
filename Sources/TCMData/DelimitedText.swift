import Foundation

/// CSV, TSV and whitespace-separated text (what `np.savetxt` writes), with optional header.
public struct DelimitedTable: Sendable {
    public enum Delimiter: Sendable, Equatable { case character(Character), whitespace }

    public let header: [String]?
    public let rows: [[String]]
    /// 1-based line number in the file of each row, for error messages.
    public let lineNumbers: [Int]
    public let delimiter: Delimiter

    /// Parses text. `hasHeader == nil` sniffs: the first row is a header when one of its fields
    /// is not a number in a column whose second-row field is a number.
    public init(bytes: [UInt8], file: String, hasHeader: Bool? = nil) throws {
        guard !bytes.isEmpty else { throw DataError(file, "file is empty") }
        try self.init(text: decodeText(bytes, file: file, compressed: false), file: file, hasHeader: hasHeader)
    }

    /// Parses decoded text (see `decodeText`, which also drops a byte-order mark).
    init(text: String, file: String, hasHeader: Bool? = nil) throws {
        guard !text.isEmpty else { throw DataError(file, "file is empty") }
        var lines: [(Int, Substring)] = []
        var number = 0
        // Splitting on `isNewline` also splits "\r\n", which Swift holds as one Character.
        for trimmed in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            number += 1
            if trimmed.allSatisfy(\.isWhitespace) { continue }
            if trimmed.hasPrefix("#") { continue }
            lines.append((number, trimmed))
        }
        guard let first = lines.first else { throw DataError(file, "file has no data rows") }

        let delimiter = DelimitedTable.sniff(file: file, firstLine: first.1)
        self.delimiter = delimiter
        var parsed = try lines.map { ($0.0, try DelimitedTable.split($0.1, delimiter, file: file, line: $0.0)) }

        let headerPresent: Bool
        if let hasHeader {
            headerPresent = hasHeader
        } else if parsed.count >= 2 {
            let a = parsed[0].1, b = parsed[1].1
            headerPresent = zip(a, b).contains { Double($0.0) == nil && Double($0.1) != nil }
        } else {
            headerPresent = parsed[0].1.contains { Double($0) == nil }
        }
        if headerPresent {
            header = parsed.removeFirst().1
            guard !parsed.isEmpty else { throw DataError(file, "file has a header but no data rows") }
        } else {
            header = nil
        }
        let width = header?.count ?? parsed[0].1.count
        for (line, fields) in parsed where fields.count != width {
            throw DataError(file, "line \(line) has \(fields.count) fields, expected \(width)")
        }
        rows = parsed.map(\.1)
        lineNumbers = parsed.map(\.0)
    }

    public var columnCount: Int { header?.count ?? rows.first?.count ?? 0 }

    /// Resolves a column given by header name or by 0-based index (negative counts from the end).
    public func columnIndex(_ spec: String, file: String) throws -> Int {
        if let header, let i = header.firstIndex(of: spec) { return i }
        if let i = Int(spec) {
            let resolved = i < 0 ? columnCount + i : i
            guard resolved >= 0 && resolved < columnCount else {
                throw DataError(file, "column \(spec) is out of range (the file has \(columnCount) columns)")
            }
            return resolved
        }
        let known =
            header.map { ": columns are " + $0.joined(separator: ", ") }
            ?? " (the file has no header; give a 0-based index)"
        throw DataError(file, "no column named '\(spec)'\(known)")
    }

    static func sniff(file: String, firstLine: Substring) -> Delimiter {
        let lower = file.lowercased()
        if lower.hasSuffix(".tsv") || lower.hasSuffix(".tab") { return .character("\t") }
        if lower.hasSuffix(".csv") { return .character(",") }
        if firstLine.contains("\t") { return .character("\t") }
        if firstLine.contains(",") { return .character(",") }
        if firstLine.contains(";") { return .character(";") }
        return .whitespace
    }

    /// Splits one line; double-quoted fields may contain the delimiter and `""` for a quote.
    static func split(_ line: Substring, _ delimiter: Delimiter, file: String, line number: Int) throws -> [String] {
        switch delimiter {
        case .whitespace:
            return line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        case .character(let sep):
            var fields: [String] = []
            var current = ""
            var inQuotes = false
            var iterator = line.makeIterator()
            var pending: Character? = nil
            while let c = pending ?? iterator.next() {
                pending = nil
                if inQuotes {
                    if c == "\"" {
                        if let next = iterator.next() {
                            if next == "\"" {
                                current.append("\"")
                            } else {
                                inQuotes = false
                                pending = next
                            }
                        } else {
                            inQuotes = false
                        }
                    } else {
                        current.append(c)
                    }
                } else if c == "\"" && current.allSatisfy(\.isWhitespace) {
                    inQuotes = true
                    current = ""
                } else if c == sep {
                    fields.append(current.trimmingCharacters(in: .whitespaces))
                    current = ""
                } else {
                    current.append(c)
                }
            }
            if inQuotes { throw DataError(file, "line \(number) has an unterminated quoted field") }
            fields.append(current.trimmingCharacters(in: .whitespaces))
            return fields
        }
    }
}

/// Byte offset of the first byte that breaks UTF-8 decoding.
func firstInvalidUTF8Offset(_ bytes: [UInt8]) -> Int {
    var i = 0
    while i < bytes.count {
        let b = bytes[i]
        let length: Int
        if b < 0x80 {
            length = 1
        } else if b >> 5 == 0b110 {
            length = 2
        } else if b >> 4 == 0b1110 {
            length = 3
        } else if b >> 3 == 0b11110 {
            length = 4
        } else {
            return i
        }
        guard i + length <= bytes.count else { return i }
        for k in 1 ..< length where bytes[i + k] >> 6 != 0b10 { return i }
        i += length
    }
    return i
}
