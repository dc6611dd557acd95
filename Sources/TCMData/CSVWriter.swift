import Foundation

/// The one writer of CSV fields for every CSV the tool writes (RFC 4180): a field holding a
/// comma, a double quote, CR or LF is quoted, and its quotes are doubled, so that a class name
/// read from a file can never add a column or a row.
public enum CSVWriter {
    public static func field(_ text: String) -> String {
        let needsQuotes = text.unicodeScalars.contains { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" }
        guard needsQuotes else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// One record: the fields quoted as needed, joined by commas, ended by a newline.
    public static func row(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\n"
    }
}
