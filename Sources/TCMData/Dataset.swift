import TCMKernels

/// Embeddings with one label per row, checked for everything that would make a similarity or
/// a per-class rate meaningless. Construct it with `Dataset.validated`.
public struct Dataset: Sendable {
    public let embeddings: Matrix
    public let labels: Labels
    /// Row numbers (0-based, in the input) of zero vectors that were dropped on request.
    public let droppedZeroRows: [Int]

    public var count: Int { embeddings.rows }
    public var dimension: Int { embeddings.cols }

    /// Checks and assembles a dataset.
    /// - Parameters:
    ///   - embeddingFile, labelFile: names used in error messages.
    ///   - dropZeroVectors: drop rows of all zeros (and say so) instead of failing.
    public static func validated(
        embeddings: Matrix, labels: Labels, embeddingFile: String, labelFile: String,
        dropZeroVectors: Bool = false
    ) throws -> Dataset {
        guard embeddings.rows > 0 else { throw DataError(embeddingFile, "has no rows") }
        guard embeddings.cols > 0 else { throw DataError(embeddingFile, "rows have no columns (dimension 0)") }
        guard embeddings.rows == labels.count else {
            let where_ = embeddingFile == labelFile ? embeddingFile : "\(embeddingFile) and \(labelFile)"
            throw DataError(where_, "\(embeddings.rows) embeddings but \(labels.count) labels; counts must match")
        }
        var nonFinite: [Int] = []
        var zeros: [Int] = []
        embeddings.values.withUnsafeBufferPointer { v in
            for i in 0 ..< embeddings.rows {
                var allZero = true, finite = true
                for j in 0 ..< embeddings.cols {
                    let x = v[i * embeddings.cols + j]
                    if !x.isFinite {
                        finite = false
                        break
                    }
                    if x != 0 { allZero = false }
                }
                if !finite { nonFinite.append(i) } else if allZero { zeros.append(i) }
            }
        }
        if !nonFinite.isEmpty {
            throw DataError(embeddingFile, "NaN or infinite values in rows \(describeRows(nonFinite)) (0-based)")
        }
        var matrix = embeddings, finalLabels = labels
        if !zeros.isEmpty {
            guard dropZeroVectors else {
                throw DataError(
                    embeddingFile,
                    "zero vectors (no direction, no cosine similarity) in rows \(describeRows(zeros)) (0-based); pass --drop-zero-vectors to leave them out"
                )
            }
            let zeroSet = Set(zeros)
            let keep = (0 ..< embeddings.rows).filter { !zeroSet.contains($0) }
            guard !keep.isEmpty else { throw DataError(embeddingFile, "every row is a zero vector") }
            matrix = embeddings.gatherRows(keep)
            finalLabels = labels.subset(keep)
        }
        guard finalLabels.classCount >= 2 else {
            throw DataError(
                labelFile, "only \(finalLabels.classCount) class; threshold consistency needs at least 2 classes")
        }
        return Dataset(embeddings: matrix, labels: finalLabels, droppedZeroRows: zeros)
    }

    /// Loads embeddings and labels (from a second file, or from a column of the first) and validates them.
    public static func load(
        embeddings path: String, labels labelPath: String?,
        options: EmbeddingLoader.Options = .init(), dropZeroVectors: Bool = false
    ) throws -> Dataset {
        var options = options
        // With a labels file, labels in the embeddings file (.npz, safetensors) are not read.
        options.labelsFromSameFile = labelPath == nil
        options.requireLabels = labelPath == nil
        let (matrix, inlineLabels) = try EmbeddingLoader.load(path, options: options)
        let labels: Labels
        if let labelPath {
            if inlineLabels != nil {
                throw DataError(path, "labels given twice: by --label-column and by the file \(labelPath)")
            }
            labels = try LabelLoader.load(labelPath, key: options.labelsKey)
        } else if let inlineLabels {
            labels = inlineLabels
        } else {
            throw DataError(path, "no labels: give a labels file after the embeddings, or --label-column for a CSV/TSV")
        }
        return try validated(
            embeddings: matrix, labels: labels, embeddingFile: path, labelFile: labelPath ?? path,
            dropZeroVectors: dropZeroVectors)
    }
}

extension Dataset {
    /// `Checksum.fnv1a64` of the labels (each row's class index as a little-endian UInt32, in
    /// input order) and of the embeddings (each Float's bit pattern, row-major, input order): the
    /// fingerprint a count file carries, so that parts of different data sets never merge.
    public var fingerprint: (labels: UInt64, embeddings: UInt64) {
        let labels = labels.classOf.map { UInt32(bitPattern: $0).littleEndian }.withUnsafeBytes {
            Checksum.fnv1a64(words: $0)
        }
        let embeddings = embeddings.values.withUnsafeBytes { Checksum.fnv1a64(words: $0) }
        return (labels, embeddings)
    }
}
