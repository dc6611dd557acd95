import TCMData
import TCMKernels

/// The samples reordered so that each class is one contiguous block of rows.
///
/// Why: with classes contiguous, "which pairs of this row are positives" is one column range,
/// so the fused pass needs no per-pair label lookup, and one thread can own a class outright.
public struct ClassLayout: Sendable {
    /// L2-normalised embeddings, rows grouped by class (class 0 first).
    public let unitRows: Matrix
    /// `order[i]` is the input row of sorted row `i` (empty in a shard's layout, `packedRows`:
    /// nothing in the pass needs it, and it is 8 bytes a row of the whole file).
    public let order: [Int]
    /// Class `c` occupies sorted rows `classStart[c] ..< classStart[c + 1]`.
    public let classStart: [Int]
    public let classNames: [String]
    /// A shard's rows (`streaming(_:labels:labelFile:fingerprint:keeping:)`, `init(embeddings:labels:keeping:)`):
    /// only the class-ordered rows its tiles touch, normalised and packed at their places among
    /// all the rows (the rest read as zeros and hold no memory). `unitRows` then has no columns:
    /// the packed copy is the only one, so a shard holds its rows once.
    public let packedRows: PackedRows?

    public var classCount: Int { classNames.count }
    public var sampleCount: Int { classStart[classCount] }
    /// Values a row (also when only `packedRows` holds the rows).
    public var dimension: Int { packedRows?.dimension ?? unitRows.cols }
    public func size(of c: Int) -> Int { classStart[c + 1] - classStart[c] }

    public init(dataset: Dataset) {
        self.init(embeddings: dataset.embeddings, labels: dataset.labels)
    }

    public init(embeddings: Matrix, labels: Labels) {
        let (start, order) = Self.classOrder(labels)
        self.order = order
        classStart = start
        classNames = labels.classNames
        packedRows = nil
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

    /// A shard's layout from a row stream: every chunk is read (and hashed, with `fingerprint`, as
    /// `streaming` hashes it: the count file proves the shard read the same file as every other),
    /// but only the rows at the class-ordered positions `keeping` (sorted, disjoint) are screened,
    /// normalised and packed (`packedRows`); the others are passed over. Memory: the kept rows
    /// once, one chunk, and the indices. The kept rows' values are those `streaming` computes,
    /// bit for bit.
    public static func streaming(
        _ file: FloatRowFile, labels: Labels, labelFile: String, fingerprint: Bool = false, keeping: [Range<Int>]
    ) throws -> (layout: ClassLayout, embeddingsHash: UInt64?) {
        try Dataset.requireCounts(
            rows: file.rows, cols: file.cols, labels: labels, embeddingFile: file.path, labelFile: labelFile)
        let d = file.cols
        try MemoryBudget.current().check(
            bytes: shardBytes(rows: file.rows, cols: d, keeping: keeping),
            needs: "\(keptCount(keeping)) of \(file.rows) × \(d) float32 rows, packed,", file: file.path)
        let start = classStarts(labels.classSizes)
        let kept = keptClasses(start: start, keeping: keeping)
        let packed = PackedRows(rows: file.rows, dimension: d)
        var screen = RowScreen()
        var hash = Checksum.fnv1a64(words: UnsafeRawBufferPointer(start: nil, count: 0))
        let unit = UnsafeMutablePointer<Float>.allocate(capacity: d)
        defer { unit.deallocate() }
        // A class's rows keep their input order (`classOrder`): the next row of class c goes to
        // `cursor[c]`. No index of the whole file's rows is held.
        var cursor = start
        try labels.classOf.withUnsafeBufferPointer { classOf in
            try file.forEachChunk { first, count, chunk in
                if fingerprint { hash = Checksum.fnv1a64(words: UnsafeRawBufferPointer(chunk), seed: hash) }
                for r in 0 ..< count {
                    let c = Int(classOf[first + r])
                    let k = cursor[c]
                    cursor[c] += 1
                    guard kept[c] else { continue }
                    let row = chunk.baseAddress! + r * d
                    screen.screen(UnsafeBufferPointer(start: row, count: d), row: first + r)
                    RowNorms.normalize(row, count: d, into: unit)
                    packed.setRow(k, unit)
                }
            }
        }
        _ = try screen.check(file: file.path, dropZeroVectors: false)
        try Dataset.requireClasses(labels, labelFile: labelFile)
        let layout = ClassLayout(
            unitRows: Matrix(rows: file.rows, cols: 0, values: []), order: [], classStart: start,
            classNames: labels.classNames, packedRows: packed)
        return (layout, fingerprint ? hash : nil)
    }

    /// A shard's layout from rows read whole (`Dataset`: already screened): only the rows at the
    /// class-ordered positions `keeping`, packed, as the streamed shard layout holds them.
    public init(embeddings: Matrix, labels: Labels, keeping: [Range<Int>]) {
        let (start, order) = Self.classOrder(labels)
        let d = embeddings.cols
        let packed = PackedRows(rows: order.count, dimension: d)
        let unit = UnsafeMutablePointer<Float>.allocate(capacity: max(d, 1))
        defer { unit.deallocate() }
        embeddings.values.withUnsafeBufferPointer { v in
            for range in keeping {
                for k in range {
                    RowNorms.normalize(v.baseAddress! + order[k] * d, count: d, into: unit)
                    packed.setRow(k, unit)
                }
            }
        }
        self.init(
            unitRows: Matrix(rows: order.count, cols: 0, values: []), order: [], classStart: start,
            classNames: labels.classNames, packedRows: packed)
    }

    /// What a shard keeping the class-ordered rows `keeping` (sorted, disjoint) of `rows × cols`
    /// holds at least: the panels of 16 rows its rows touch, packed (the rest are never written,
    /// so never backed), and the labels (4 bytes a row, as `Labels` holds them).
    public static func shardBytes(rows: Int, cols: Int, keeping: [Range<Int>]) -> Int {
        var panels = 0, last = -1
        for range in keeping where !range.isEmpty {
            let first = max(range.lowerBound / PackedRows.columnAlignment, last + 1),
                end = (range.upperBound - 1) / PackedRows.columnAlignment
            if end >= first { panels += end - first + 1 }
            last = max(last, end)
        }
        return MemoryBudget.sum(
            MemoryBudget.product(panels, PackedRows.columnAlignment, cols, 4), MemoryBudget.product(rows, 4))
    }

    static func keptCount(_ keeping: [Range<Int>]) -> Int { keeping.reduce(0) { $0 + $1.count } }

    /// Whether each class is kept: `keeping` holds whole classes (a shard's tiles are groups of
    /// whole classes).
    private static func keptClasses(start: [Int], keeping: [Range<Int>]) -> [Bool] {
        var kept = [Bool](repeating: false, count: start.count - 1)
        var i = 0
        for c in 0 ..< kept.count where start[c + 1] > start[c] {
            // `keeping` is sorted and disjoint: the ranges wholly before this class are done.
            while i < keeping.count && keeping[i].upperBound <= start[c] { i += 1 }
            guard i < keeping.count, keeping[i].lowerBound < start[c + 1] else { continue }
            precondition(
                keeping[i].lowerBound <= start[c] && start[c + 1] <= keeping[i].upperBound,
                "a shard keeps whole classes")
            kept[c] = true
        }
        return kept
    }

    private static func classStarts(_ sizes: [Int]) -> [Int] {
        var start = [Int](repeating: 0, count: sizes.count + 1)
        for c in 0 ..< sizes.count { start[c + 1] = start[c] + sizes[c] }
        return start
    }

    private init(
        unitRows: Matrix, order: [Int], classStart: [Int], classNames: [String], packedRows: PackedRows? = nil
    ) {
        self.unitRows = unitRows
        self.order = order
        self.classStart = classStart
        self.classNames = classNames
        self.packedRows = packedRows
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
    public init(planningSizes sizes: [Int], names: [String]) {
        var start = [Int](repeating: 0, count: sizes.count + 1)
        for c in 0 ..< sizes.count { start[c + 1] = start[c] + sizes[c] }
        classStart = start
        classNames = names
        packedRows = nil
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
