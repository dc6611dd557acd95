/// The row stream of an F32 2-D tensor of a safetensors file: only the header is read (at most
/// the format's 100 MB), checked as the whole-file reader checks it but against the file's real
/// size, then the tensor's rows are read from its data offsets. No 2^29-value or 4 GiB ceiling.
enum SafetensorsRowFile {
    /// The chosen tensor as a row stream (the `--embeddings-key` rule of the whole-file route,
    /// with its messages), or nil when it is not F32, 2-D and non-empty (the whole-file route
    /// converts other dtypes, and names what is wrong with other shapes).
    static func open(_ file: CheckedFile, key: String?) throws -> FloatRowFile? {
        let first = try file.read(at: 0, count: min(file.size, 8))
        let length = try SafetensorsFile.headerLength(first, fileSize: file.size, file: file.path)
        let head = try file.readExactly(at: 0, count: 8 + length)
        let (tensors, _) = try SafetensorsFile.parseHeader(head, fileSize: file.size, file: file.path)
        let members = tensors.map { ArrayContainer.Member(name: $0.name, shape: $0.shape, type: $0.dtype) }
        let name = try ArrayContainer.embeddingsName(key, members: members, file: file.path)
        guard let tensor = tensors.first(where: { $0.name == name }), tensor.scalar == .float32,
            tensor.shape.count == 2, tensor.shape[0] > 0, tensor.shape[1] > 0
        else { return nil }
        // `parseHeader` checked that the range is shape × 4 bytes and lies inside the file.
        return FloatRowFile(
            file: file, rows: tensor.shape[0], cols: tensor.shape[1], dataStart: tensor.range.lowerBound, checksum: nil)
    }
}
