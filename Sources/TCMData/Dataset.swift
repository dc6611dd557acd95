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
        try requireCounts(
            rows: embeddings.rows, cols: embeddings.cols, labels: labels, embeddingFile: embeddingFile,
            labelFile: labelFile)
        var screen = RowScreen()
        embeddings.values.withUnsafeBufferPointer { v in
            for i in 0 ..< embeddings.rows {
                screen.screen(
                    UnsafeBufferPointer(rebasing: v[i * embeddings.cols ..< (i + 1) * embeddings.cols]), row: i)
            }
        }
        let zeros = try screen.check(file: embeddingFile, dropZeroVectors: dropZeroVectors)
        var matrix = embeddings, finalLabels = labels
        if !zeros.isEmpty {
            let zeroSet = Set(zeros)
            let keep = (0 ..< embeddings.rows).filter { !zeroSet.contains($0) }
            guard !keep.isEmpty else { throw DataError(embeddingFile, "every row is a zero vector") }
            matrix = embeddings.gatherRows(keep)
            finalLabels = labels.subset(keep)
        }
        try requireClasses(finalLabels, labelFile: labelFile)
        return Dataset(embeddings: matrix, labels: finalLabels, droppedZeroRows: zeros)
    }

    /// Rows and columns present, one label per row.
    public static func requireCounts(
        rows: Int, cols: Int, labels: Labels, embeddingFile: String, labelFile: String
    )
        throws
    {
        guard rows > 0 else { throw DataError(embeddingFile, "has no rows") }
        guard cols > 0 else { throw DataError(embeddingFile, "rows have no columns (dimension 0)") }
        guard rows == labels.count else {
            let where_ = embeddingFile == labelFile ? embeddingFile : "\(embeddingFile) and \(labelFile)"
            throw DataError(where_, "\(rows) embeddings but \(labels.count) labels; counts must match")
        }
    }

    /// Threshold consistency compares classes: at least two.
    public static func requireClasses(_ labels: Labels, labelFile: String) throws {
        guard labels.classCount >= 2 else {
            throw DataError(
                labelFile, "only \(labels.classCount) class; threshold consistency needs at least 2 classes")
        }
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
            labels = try LabelLoader.load(labelPath, key: options.labelsKey, refuseLinks: options.refuseLinks)
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
        (Self.fingerprint(of: labels), embeddings.values.withUnsafeBytes { Checksum.fnv1a64(words: $0) })
    }

    /// The labels' half of `fingerprint`.
    public static func fingerprint(of labels: Labels) -> UInt64 {
        labels.classOf.map { UInt32(bitPattern: $0).littleEndian }.withUnsafeBytes { Checksum.fnv1a64(words: $0) }
    }
}

/// The per-row checks of `Dataset.validated`, fed one row at a time, so that a row stream
/// (`FloatRowFile`) runs the same checks, with the same messages, without holding the matrix.
public struct RowScreen: Sendable {
    private var nonFinite: [Int] = []
    private var zeros: [Int] = []

    public init() {}

    /// Records whether row `row` holds NaN or an infinity, or is all zeros.
    public mutating func screen(_ values: UnsafeBufferPointer<Float>, row: Int) {
        var allZero = true
        for x in values {
            if !x.isFinite {
                nonFinite.append(row)
                return
            }
            if x != 0 { allZero = false }
        }
        if allZero { zeros.append(row) }
    }

    /// Throws for rows with NaN or infinities, and for zero vectors unless they are to be
    /// dropped; returns the zero rows (to drop).
    public func check(file: String, dropZeroVectors: Bool) throws -> [Int] {
        if !nonFinite.isEmpty {
            throw DataError(file, "NaN or infinite values in rows \(describeRows(nonFinite)) (0-based)")
        }
        if !zeros.isEmpty && !dropZeroVectors {
            throw DataError(
                file,
                "zero vectors (no direction, no cosine similarity) in rows \(describeRows(zeros)) (0-based); pass --drop-zero-vectors to leave them out"
            )
        }
        return zeros
    }
}
