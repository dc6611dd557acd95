// Text from users' files (names, class labels) on a terminal: escaped in one-line messages,
// replaced in screen cells. Shared by the data layer's errors and the cell buffer.

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
