/// One file written so that a reader never sees it half-written (an `OutputTransaction` of one
/// file): the target exists afterwards with the new bytes, or is untouched.
public enum AtomicFile {
    public static func write(_ bytes: [UInt8], to path: String) throws {
        let transaction = OutputTransaction()
        try transaction.stage(bytes, to: path)
        try transaction.commit()
    }

    public static func write(_ text: String, to path: String) throws {
        try write(Array(text.utf8), to: path)
    }
}
