/// What a file turned out to hold, decided by its content (magic bytes), not its name; formats
/// that are not read are recognised too, so that the message names them.
enum FileKind: Equatable {
    case npy, idx, text
    /// A Python pickle (protocol 2 or later starts with 0x80 and the protocol number).
    case pickle
    /// A zip archive, which is what `numpy.savez` writes (`.npz`).
    case zip
    /// Hugging Face safetensors: an 8-byte little-endian header length, then a JSON object.
    case safetensors
}

func kind(of bytes: [UInt8], file: String = "") -> FileKind {
    // A prefix of the .npy magic, or a file named .npy with a damaged first byte, goes to the
    // .npy parser so that the message is about a damaged .npy and not about text.
    let npyPrefix = min(bytes.count, NpyLayout.magic.count)
    if npyPrefix > 0 && bytes[0 ..< npyPrefix].elementsEqual(NpyLayout.magic[0 ..< npyPrefix]) { return .npy }
    if bytes.count >= 6 && bytes[1 ..< 6].elementsEqual(NpyLayout.magic[1...]) { return .npy }
    // A header length under 4 GiB has four zero high bytes, which no text has; then the JSON's `{`.
    if bytes.count >= 9 && bytes[4 ..< 8].allSatisfy({ $0 == 0 }) && bytes[8] == UInt8(ascii: "{") {
        return .safetensors
    }
    if bytes.count >= 4 && bytes[0] == 0 && bytes[1] == 0 && bytes[3] >= 1 && bytes[3] <= 4 { return .idx }
    if bytes.count >= 2 && bytes[0] == 0x80 && (2 ... 5).contains(bytes[1]) { return .pickle }
    // A member's local header, or the end record of an archive with no members.
    if bytes.count >= 4
        && (bytes[0 ..< 4].elementsEqual([0x50, 0x4B, 0x03, 0x04])
            || bytes[0 ..< 4].elementsEqual([0x50, 0x4B, 0x05, 0x06]))
    {
        return .zip
    }
    if file.lowercased().hasSuffix(".npy") && !looksLikeText(bytes) { return .npy }
    // Safetensors whose header length is absurd (its high bytes not zero): the message is about that.
    if file.lowercased().hasSuffix(".safetensors") && bytes.count >= 9 && bytes[8] == UInt8(ascii: "{") {
        return .safetensors
    }
    return .text
}

/// True when `bytes` could be UTF-8 text: valid UTF-8 with no NUL byte.
func looksLikeText(_ bytes: [UInt8]) -> Bool {
    !bytes.contains(0) && firstInvalidUTF8Offset(bytes) == bytes.count
}

/// Checks that content to be parsed as text is text, naming what it is otherwise, and decodes
/// it (a leading UTF-8 byte-order mark is dropped: it is not part of the first field).
/// - Parameter compressed: the bytes came out of a gzip file (the message says so).
func decodeText(_ bytes: [UInt8], file: String, compressed: Bool) throws -> String {
    let what = compressed ? "the decompressed content" : "the file"
    switch kind(of: bytes) {
    case .pickle:
        throw DataError(
            file,
            "\(what) is a Python pickle, which is not read (it can run code); save arrays with numpy.save(allow_pickle=False) or as CSV"
        )
    case .zip, .safetensors:
        // Only a gzip-compressed archive gets here: the loaders read the plain ones.
        throw DataError(
            file,
            "\(what) is \(kind(of: bytes) == .zip ? "a zip archive (.npz)" : "safetensors"); gzip-compressed archives are not read, decompress it first (gunzip)"
        )
    default: break
    }
    guard bytes.count <= FileBytes.maxTextBytes else {
        throw DataError(
            file,
            "\(what) is text of \(bytes.count) bytes, over the \(FileBytes.maxTextBytes >> 20) MiB limit for CSV/TSV/label text; save large arrays as .npy"
        )
    }
    if let nul = bytes.firstIndex(of: 0) {
        throw DataError(file, "\(what) is binary data, not .npy, IDX or text (NUL byte at offset \(nul))")
    }
    var body = bytes[...]
    if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
    guard let text = String(validating: body, as: UTF8.self) else {
        let offset = firstInvalidUTF8Offset(Array(body)) + (bytes.count - body.count)
        throw DataError(file, "\(what) is not UTF-8 text, nor .npy or IDX (invalid UTF-8 at byte offset \(offset))")
    }
    return text
}
