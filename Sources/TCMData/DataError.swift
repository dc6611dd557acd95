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

/// `text` with control characters (C0, DEL, C1), the Unicode line/paragraph separators and the
/// bidirectional overrides written as Swift escapes, so that it prints as exactly one line and
/// cannot move the cursor, recolour the terminal or reorder what follows it.
public func escapingControlCharacters(_ text: String) -> String {
    var out = String.UnicodeScalarView()
    for scalar in text.unicodeScalars {
        switch scalar.value {
        case 0x0A: out.append(contentsOf: #"\n"#.unicodeScalars)
        case 0x0D: out.append(contentsOf: #"\r"#.unicodeScalars)
        case 0x09: out.append(contentsOf: #"\t"#.unicodeScalars)
        case _ where isUnsafeForTerminal(scalar):
            out.append(contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
        default: out.append(scalar)
        }
    }
    return String(out)
}

/// Whether a terminal would act on `scalar` instead of showing it: C0 and C1 controls, DEL, the
/// line and paragraph separators, and the bidirectional marks, embeddings, overrides and isolates.
public func isUnsafeForTerminal(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x00 ..< 0x20, 0x7F ..< 0xA0, 0x2028, 0x2029: return true
    case 0x061C, 0x200E, 0x200F, 0x202A ... 0x202E, 0x2066 ... 0x2069: return true
    default: return false
    }
}

/// Formats a list of row numbers for a one-line message: the first few, then a count.
func describeRows(_ rows: [Int], limit: Int = 8) -> String {
    let shown = rows.prefix(limit).map(String.init).joined(separator: ", ")
    return rows.count > limit ? "\(shown), … (\(rows.count) rows in all)" : shown
}
