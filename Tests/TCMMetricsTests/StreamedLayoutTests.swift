import Foundation
import TCMData
import TCMKernels
import TCMTestSupport
import Testing

@testable import TCMMetrics

/// The row streams (`FloatRowFile` → `ClassLayout.streaming`) against the whole-file route
/// (`Dataset.load` → `ClassLayout(dataset:)`): the same rows, bit for bit, the same fingerprint,
/// and the same one-line errors, across chunk boundaries.
@Suite struct StreamedLayoutTests {
    /// Writes `rows × cols` float32 embeddings (`.npy`) and int64 labels; returns both paths.
    func files(
        rows: Int, cols: Int, classes: Int, seed: UInt64, edit: (inout [Float]) -> Void = { _ in }
    ) -> (dir: String, embeddings: String, labels: String) {
        var random = SplitMix64(seed: seed)
        var values = (0 ..< rows * cols).map { _ in random.signedUnitFloat() * 3 }
        edit(&values)
        let labels = (0 ..< rows).map { _ in Int64(random.next() % UInt64(classes)) * 7 - 5 }
        let dir = NSTemporaryDirectory() + "tcmscope-stream-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let e = dir + "/e.npy", l = dir + "/l.npy"
        _ = FileManager.default.createFile(
            atPath: e, contents: Data(NpyWriter.bytes(floats: values, shape: [rows, cols])))
        _ = FileManager.default.createFile(atPath: l, contents: Data(NpyWriter.bytes(int64s: labels, shape: [rows])))
        return (dir, e, l)
    }

    @Test(arguments: [(1, 3, 2), (37, 5, 3), (64, 16, 4), (301, 7, 11), (96, 129, 5)])
    func sameBitsAndFingerprintAsTheWholeFileRoute(rows: Int, cols: Int, classes: Int) throws {
        let (dir, e, l) = files(rows: max(rows, classes * 2), cols: cols, classes: classes, seed: UInt64(rows * cols))
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let dataset = try Dataset.load(embeddings: e, labels: l)
        let whole = ClassLayout(dataset: dataset)
        // Chunks of 2 rows (the smallest), a few rows, and the default (one chunk).
        for chunk in [1, 4 * cols * 3 + 5, 8 << 20] {
            var file = try #require(try NpyRowFile.open(e))
            file.chunkBytes = chunk
            let labels = try LabelLoader.load(l)
            let (streamed, hash) = try ClassLayout.streaming(file, labels: labels, labelFile: l, fingerprint: true)
            #expect(streamed.unitRows.values.map(\.bitPattern) == whole.unitRows.values.map(\.bitPattern))
            #expect(streamed.order == whole.order)
            #expect(streamed.classStart == whole.classStart)
            #expect(streamed.classNames == whole.classNames)
            #expect(hash == dataset.fingerprint.embeddings)
            #expect(Dataset.fingerprint(of: labels) == dataset.fingerprint.labels)
        }
    }

    /// The same rows as a safetensors tensor and as a stored `.npz` member (classic and ZIP64):
    /// streamed from their offsets, the layout and fingerprint equal the whole-file route's for
    /// the same file, and the plain `.npy`'s.
    @Test(arguments: [(37, 5, 3), (301, 7, 11), (96, 129, 5)])
    func containerStreamsMatchTheWholeFileRoute(rows: Int, cols: Int, classes: Int) throws {
        let (dir, e, l) = files(rows: rows, cols: cols, classes: classes, seed: UInt64(rows + cols))
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let npy = [UInt8](FileManager.default.contents(atPath: e)!)
        let values = try EmbeddingLoader.load(e).0.values
        let containers: [(String, [UInt8])] = [
            (
                "e.safetensors",
                SafetensorsWriter.bytes([.init(name: "embeddings", shape: [rows, cols], values: values)])
            ),
            ("e.npz", StoredZip.bytes([.init(name: "embeddings.npy", content: npy)])),
            ("e64.npz", StoredZip.bytes([.init(name: "embeddings.npy", content: npy)], zip64: true)),
        ]
        let reference = ClassLayout(dataset: try Dataset.load(embeddings: e, labels: l))
        let labels = try LabelLoader.load(l)
        for (name, bytes) in containers {
            let path = dir + "/" + name
            _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
            let dataset = try Dataset.load(embeddings: path, labels: l)
            let whole = ClassLayout(dataset: dataset)
            #expect(whole.unitRows.values.map(\.bitPattern) == reference.unitRows.values.map(\.bitPattern))
            for chunk in [1, 4 * cols * 3 + 5, 8 << 20] {
                var file = try #require(try FloatRowFile.open(path), "\(name)")
                file.chunkBytes = chunk
                let (streamed, hash) = try ClassLayout.streaming(file, labels: labels, labelFile: l, fingerprint: true)
                #expect(streamed.unitRows.values.map(\.bitPattern) == whole.unitRows.values.map(\.bitPattern))
                #expect(streamed.order == whole.order && streamed.classStart == whole.classStart)
                #expect(streamed.classNames == whole.classNames)
                #expect(hash == dataset.fingerprint.embeddings, "\(name), chunks of \(chunk) bytes")
            }
        }
    }

    /// The unit rows are x / ‖x‖ with the norm accumulated in Double, row by row in class order.
    @Test func unitRowsAreTheNormalisedInputRowsInClassOrder() throws {
        let (dir, e, l) = files(rows: 50, cols: 9, classes: 4, seed: 3)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = try #require(try NpyRowFile.open(e))
        let labels = try LabelLoader.load(l)
        let (layout, _) = try ClassLayout.streaming(file, labels: labels, labelFile: l)
        let input = try EmbeddingLoader.load(e).0
        for (k, i) in layout.order.enumerated() {
            let row = input.row(i)
            let norm = row.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            let expected = row.map { Float(Double($0) * (1 / norm)) }
            #expect(layout.unitRows.row(k) == expected)
            #expect(Int(labels.classOf[i]) == layout.classOfRow(k))
        }
    }

    @Test func badRowsGiveTheWholeFileRoutesMessages() throws {
        let cases: [(String, (inout [Float]) -> Void)] = [
            (
                "NaN or infinite values in rows 3, 40",
                { v in
                    v[3 * 6 + 2] = .nan
                    v[40 * 6] = -.infinity
                }
            ),
            (
                "zero vectors (no direction, no cosine similarity) in rows 7",
                { v in for j in 0 ..< 6 { v[7 * 6 + j] = 0 } }
            ),
        ]
        for (fragment, edit) in cases {
            let (dir, e, l) = files(rows: 60, cols: 6, classes: 3, seed: 9, edit: edit)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let viaDataset = #expect(throws: DataError.self) { _ = try Dataset.load(embeddings: e, labels: l) }
            var file = try #require(try NpyRowFile.open(e))
            file.chunkBytes = 64
            let streamed = #expect(throws: DataError.self) {
                _ = try ClassLayout.streaming(file, labels: LabelLoader.load(l), labelFile: l)
            }
            #expect(streamed == viaDataset)
            #expect(streamed?.problem.contains(fragment) == true, "\(String(describing: streamed))")
        }
    }

    @Test func countAndClassMismatchesGiveTheWholeFileRoutesMessages() throws {
        let (dir, e, _) = files(rows: 20, cols: 4, classes: 2, seed: 5)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let few = dir + "/few.npy", one = dir + "/one.npy"
        _ = FileManager.default.createFile(atPath: few, contents: Data(NpyWriter.bytes(int64s: [1, 2, 3], shape: [3])))
        _ = FileManager.default.createFile(
            atPath: one, contents: Data(NpyWriter.bytes(int64s: [Int64](repeating: 4, count: 20), shape: [20])))
        for labels in [few, one] {
            let viaDataset = #expect(throws: DataError.self) { _ = try Dataset.load(embeddings: e, labels: labels) }
            let file = try #require(try NpyRowFile.open(e))
            let streamed = #expect(throws: DataError.self) {
                _ = try ClassLayout.streaming(file, labels: LabelLoader.load(labels), labelFile: labels)
            }
            #expect(streamed != nil && streamed == viaDataset)
        }
    }
}
