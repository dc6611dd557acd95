/// A problem with a user's file, phrased for the user: the file, then what is wrong with it.
///
/// The command line prints `description` as one line and exits with status 2.
public struct DataError: Error, CustomStringConvertible, Equatable, Sendable {
    public let file: String
    public let problem: String

    public init(_ file: String, _ problem: String) {
        self.file = file
        self.problem = problem
    }

    public var description: String { "\(file): \(problem)" }
}

/// Formats a list of row numbers for a one-line message: the first few, then a count.
func describeRows(_ rows: [Int], limit: Int = 8) -> String {
    let shown = rows.prefix(limit).map(String.init).joined(separator: ", ")
    return rows.count > limit ? "\(shown), … (\(rows.count) rows in all)" : shown
}
