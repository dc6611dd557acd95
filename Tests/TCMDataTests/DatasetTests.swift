import Foundation
import Testing
import TCMKernels
@testable import TCMData

@Suite struct DatasetValidationTests {
    let labels = Labels(integers: [0, 0, 1, 1])

    @Test func nanAndInfinityRowsAreListed() {
        let m = Matrix(rows: 4, cols: 2, values: [1, 0, .nan, 1, 0, 1, 1, .infinity])
        expectDataError(file: "e.npy", containing: "NaN or infinite values in rows 1, 3") {
            _ = try Dataset.validated(embeddings: m, labels: labels, embeddingFile: "e.npy", labelFile: "l.npy")
        }
    }

    @Test func zeroVectorsFailOrAreDropped() throws {
        let m = Matrix(rows: 4, cols: 2, values: [1, 0, 0, 0, 0, 1, 1, 1])
        expectDataError(file: "e.npy", containing: "zero vectors (no direction, no cosine similarity) in rows 1 ") {
            _ = try Dataset.validated(embeddings: m, labels: labels, embeddingFile: "e.npy", labelFile: "l.npy")
        }
        let d = try Dataset.validated(
            embeddings: m, labels: labels, embeddingFile: "e.npy", labelFile: "l.npy", dropZeroVectors: true)
        #expect(d.count == 3 && d.droppedZeroRows == [1])
        #expect(d.labels.classOf == [0, 1, 1])
    }

    @Test func countMismatchNamesBothFiles() {
        let m = Matrix(rows: 3, cols: 2, values: [1, 0, 0, 1, 1, 1])
        expectDataError(file: "e.npy and l.npy", containing: "3 embeddings but 4 labels") {
            _ = try Dataset.validated(embeddings: m, labels: labels, embeddingFile: "e.npy", labelFile: "l.npy")
        }
    }

    @Test func oneClassIsRejected() {
        let m = Matrix(rows: 2, cols: 2, values: [1, 0, 0, 1])
        expectDataError(file: "l.npy", containing: "only 1 class") {
            _ = try Dataset.validated(
                embeddings: m, labels: Labels(integers: [4, 4]), embeddingFile: "e.npy", labelFile: "l.npy")
        }
    }

    @Test func emptyAndDimensionless() {
        expectDataError(file: "e.npy", containing: "has no rows") {
            _ = try Dataset.validated(
                embeddings: Matrix(rows: 0, cols: 3), labels: Labels(integers: []), embeddingFile: "e.npy",
                labelFile: "l")
        }
        expectDataError(file: "e.npy", containing: "dimension 0") {
            _ = try Dataset.validated(
                embeddings: Matrix(rows: 2, cols: 0), labels: Labels(integers: [0, 1]), embeddingFile: "e.npy",
                labelFile: "l")
        }
    }

    @Test func loadChecksLabelSources() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        write(NpyWriter.bytes(floats: [1, 0, 0, 1], shape: [2, 2]), dir + "/e.npy")
        expectDataError(file: "e.npy", containing: "no labels") {
            _ = try Dataset.load(embeddings: dir + "/e.npy", labels: nil)
        }
        write(NpyWriter.bytes(floats: [1, 0, 0, 1], shape: [4]), dir + "/flat.npy")
        expectDataError(file: "flat.npy", containing: "expected a 2-D array") {
            _ = try EmbeddingLoader.load(dir + "/flat.npy")
        }
        write(NpyWriter.bytes(strings: ["a", "b"]), dir + "/s.npy")
        expectDataError(file: "s.npy", containing: "holds text") { _ = try EmbeddingLoader.load(dir + "/s.npy") }
        write([], dir + "/empty.npy")
        expectDataError(file: "empty.npy", containing: "file is empty") {
            _ = try EmbeddingLoader.load(dir + "/empty.npy")
        }
    }
}

@Suite struct AtomicFileTests {
    @Test func writesAndReplaces() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try AtomicFile.write("one", to: dir + "/r.json")
        try AtomicFile.write("two", to: dir + "/r.json")
        #expect(try String(contentsOfFile: dir + "/r.json", encoding: .utf8) == "two")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["r.json"], "no temporary files left")
    }

    @Test func missingDirectoryFailsWithoutWriting() {
        expectDataError(file: "/nonexistent-dir/r.json", containing: "does not exist") {
            try AtomicFile.write("x", to: "/nonexistent-dir/r.json")
        }
    }
}
