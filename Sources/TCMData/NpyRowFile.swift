/// The row stream of a plain `.npy` of little-endian float32 rows in C order (what `np.save`
/// writes for float32 embeddings). No ceiling on the number of values: the header must declare
/// exactly the bytes that follow it.
public enum NpyRowFile {
    /// The file as a row stream, or nil when it is something the whole-file readers handle.
    public static func open(_ path: String) throws -> FloatRowFile? {
        try open(CheckedFile(path))
    }

    static func open(_ file: CheckedFile) throws -> FloatRowFile? {
        let head = try file.read(at: 0, count: min(file.size, NpyLayout.maxHeaderBytes + 12))
        guard head.count >= NpyLayout.magic.count, head.starts(with: NpyLayout.magic) else { return nil }
        guard let layout = try NpyLayout.parse(prefix: head, file: file.path, complete: true, maxElements: .max),
            layout.isFloat32Rows
        else { return nil }
        try layout.requireData(available: file.size - layout.dataStart, file: file.path)
        return FloatRowFile(
            file: file, rows: layout.shape[0], cols: layout.shape[1], dataStart: layout.dataStart, checksum: nil)
    }
}

extension NpyLayout {
    /// Little-endian float32, C order, 2-D, not empty: what a row stream reads.
    var isFloat32Rows: Bool {
        element == .float(bytes: 4) && !bigEndian && !fortranOrder && shape.count == 2 && shape[0] > 0
            && shape[1] > 0
    }
}
