import TCMData
import TCMKernels

/// The samples reordered so that each class is one contiguous block of rows.
///
/// Why: with classes contiguous, "which pairs of this row are positives" is one column range,
/// so the fused pass needs no per-pair label lookup, and one thread can own a class outright.
public struct ClassLayout: Sendable {
    /// L2-normalised embeddings, rows grouped by class (class 0 first).
    public let unitRows: Matrix
    /// `order[i]` is the input row of sorted row `i`.
    public let order: [Int]
    /// Class `c` occupies sorted rows `classStart[c] ..< classStart[c + 1]`.
    public let classStart: [Int]
    public let classNames: [String]

    public var classCount: Int { classNames.count }
    public var sampleCount: Int { unitRows.rows }
    public func size(of c: Int) -> Int { classStart[c + 1] - classStart[c] }

    public init(dataset: Dataset) {
        self.init(embeddings: dataset.embeddings, labels: dataset.labels)
    }

    public init(embeddings: Matrix, labels: Labels) {
        let (start, order) = Self.classOrder(labels)
        self.order = order
        classStart = start
        classNames = labels.classNames
        // Gathered and normalised in one step: one copy of the rows, not two.
        let d = embeddings.cols
        var unit = Matrix(rows: order.count, cols: d)
        embeddings.values.withUnsafeBufferPointer { v in
            unit.values.withUnsafeMutableBufferPointer { u in
                for (k, i) in order.enumerated() {
                    RowNorms.normalize(v.baseAddress! + i * d, count: d, into: u.baseAddress! + k * d)
                }
            }
        }
        unitRows = unit
    }

    /// The layout straight from a row stream (`FloatRowFile`: a float32 `.npy`, safetensors tensor
    /// or stored `.npz` member) and its labels, without the input-order
    /// matrix: each chunk of rows is screened (`RowScreen`: NaN, infinities, zero vectors, as
    /// `Dataset.validated` does, with its messages), normalised and written to its class
    /// position. Peak memory is the class-ordered rows plus one chunk, against three copies of
    /// the data through `Dataset`; the result is the same, bit for bit (tests compare them).
    ///
    /// Zero vectors are refused here; to drop them, load a `Dataset`. With `fingerprint`, also
    /// `Checksum.fnv1a64` of the rows in input order (what `Dataset.fingerprint` gives).
    public static func streaming(
        _ file: FloatRowFile, labels: Labels, labelFile: String, fingerprint: Bool = false
    ) throws -> (layout: ClassLayout, embeddingsHash: UInt64?) {
        try Dataset.requireCounts(
            rows: file.rows, cols: file.cols, labels: labels, embeddingFile: file.path, labelFile: labelFile)
        let d = file.cols
        try MemoryBudget.current().check(
            bytes: streamingBytes(rows: file.rows, cols: d), needs: "\(file.rows) × \(d) float32 rows, class-ordered,",
            file: file.path)
        let (start, order) = Self.classOrder(labels)
        var position = [Int](repeating: 0, count: order.count)
        for (k, i) in order.enumerated() { position[i] = k }
        var screen = RowScreen()
        // The hash of no words is the seed; each chunk (whole 8-byte words but the last) continues it.
        var hash = Checksum.fnv1a64(words: UnsafeRawBufferPointer(start: nil, count: 0))
        let values = try [Float](unsafeUninitializedCapacity: file.rows * d) { unit, initialized in
            // Float is trivial: on a throw the buffer is discarded whatever it holds.
            initialized = file.rows * d
            try file.forEachChunk { first, count, chunk in
                if fingerprint { hash = Checksum.fnv1a64(words: UnsafeRawBufferPointer(chunk), seed: hash) }
                for r in 0 ..< count {
                    let row = chunk.baseAddress! + r * d
                    screen.screen(UnsafeBufferPointer(start: row, count: d), row: first + r)
                    RowNorms.normalize(row, count: d, into: unit.baseAddress! + position[first + r] * d)
                }
            }
        }
        _ = try screen.check(file: file.path, dropZeroVectors: false)
        try Dataset.requireClasses(labels, labelFile: labelFile)
        let layout = ClassLayout(
            unitRows: Matrix(rows: file.rows, cols: d, values: values), order: order, classStart: start,
            classNames: labels.classNames)
        return (layout, fingerprint ? hash : nil)
    }

    /// What `streaming` allocates for `rows × cols` float32 rows: the class-ordered rows and
    /// two indices a row (`order`, and where each input row goes).
    public static func streamingBytes(rows: Int, cols: Int) -> Int {
        MemoryBudget.sum(MemoryBudget.product(rows, cols, 4), MemoryBudget.product(rows, 16))
    }

    /// What a pair pass over `rows × cols` rows holds at its peak, at least: the class layout
    /// (`streamingBytes`) and the rows packed for the products (`PackedRows`, whole panels of 16
    /// rows). Every pass and every shard packs all the rows. The passes' other working sets
    /// (histograms, heaps, tiles) are bounded by `PairCounts.Tiling`'s limits, not by the file.
    public static func passBytes(rows: Int, cols: Int) -> Int {
        let panels = rows / 16 + (rows % 16 == 0 ? 0 : 1)
        return MemoryBudget.sum(streamingBytes(rows: rows, cols: cols), MemoryBudget.product(panels, 16, cols, 4))
    }

    private init(unitRows: Matrix, order: [Int], classStart: [Int], classNames: [String]) {
        self.unitRows = unitRows
        self.order = order
        self.classStart = classStart
        self.classNames = classNames
    }

    /// Class starts, and the input row of each class-ordered position (stable within a class).
    private static func classOrder(_ labels: Labels) -> (start: [Int], order: [Int]) {
        let sizes = labels.classSizes
        var start = [Int](repeating: 0, count: sizes.count + 1)
        for c in 0 ..< sizes.count { start[c + 1] = start[c] + sizes[c] }
        var cursor = start
        var order = [Int](repeating: 0, count: labels.count)
        for (i, c) in labels.classOf.enumerated() {
            order[cursor[Int(c)]] = i
            cursor[Int(c)] += 1
        }
        return (start, order)
    }

    /// The class blocks of `sizes` without any rows (`unitRows` has no columns, `order` is empty):
    /// what the shard split needs, which depends on class sizes only. For checking count files,
    /// whose data set is not at hand.
    init(planningSizes sizes: [Int], names: [String]) {
        var start = [Int](repeating: 0, count: sizes.count + 1)
        for c in 0 ..< sizes.count { start[c + 1] = start[c] + sizes[c] }
        classStart = start
        classNames = names
        order = []
        unitRows = Matrix(rows: start[sizes.count], cols: 0, values: [])
    }

    /// Class of sorted row `i` (binary search over class starts).
    public func classOfRow(_ i: Int) -> Int {
        var lo = 0, hi = classCount
        while hi - lo > 1 {
            let mid = (lo + hi) >> 1
            if classStart[mid] <= i { lo = mid } else { hi = mid }
        }
        return lo
    }
}
