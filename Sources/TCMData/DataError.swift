// The terminal-safety helpers live in TCMText; re-exported so every reader of a DataError has them.
@_exported import TCMText

/// A problem with a user's file, phrased for the user: the file, then what is wrong with it.
///
/// The command line prints `description` as one line and exits with status 2. File names and
/// text quoted from a file can hold newlines or terminal escapes, so `description` escapes every
/// control character (`\n`, `\r`, `\t`, `\u{1B}`, …): the message stays one line and cannot
/// move the cursor or recolour the terminal.
public struct DataError: Error, CustomStringConvertible, Equatable, Sendable {
    public let file: String
    public let problem: String

    public init(_ file: String, _ problem: String) {
        self.file = file
        self.problem = problem
    }

    public var description: String { escapingControlCharacters("\(file): \(problem)") }
}

/// Formats a list of row numbers for a one-line message: the first few, then a count.
func describeRows(_ rows: [Int], limit: Int = 8) -> String {
    let shown = rows.prefix(limit).map(String.init).joined(separator: ", ")
    return rows.count > limit ? "\(shown), … (\(rows.count) rows in all)" : shown
}
