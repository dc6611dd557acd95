import Foundation
import Testing
@testable import TCMData

/// Issue 8, cause 10 (the readers' part): damaged and foreign files are named for what they are,
/// values that Float32 cannot hold are reported as such, every message is one line, and a UTF-8
/// byte-order mark neither hides a header name nor drops a row.
@Suite struct InputMessageTests {
    static let f4 = littleEndianBytes([Float(1), 2, 3, 4].map(\.bitPattern))

    @Test func damagedNpyIsNotCalledText() {
        var version = handMadeNpy(descr: "<f4", shape: "(2, 2)", payload: Self.f4)
        version[6] = 0xC3
        expectDataError(file: "v.npy", containing: "damaged or unsupported .npy: format version 195.0") {
            _ = try EmbeddingLoader.load(bytes: version, file: "v.npy")
        }
        let list: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, 8, 0] + Array("[1, 2]\n\u{1}".utf8)
        expectDataError(file: "d.npy", containing: "damaged .npy: the header is not a Python dict") {
            _ = try LabelLoader.load(bytes: list, file: "d.npy")
        }
        let truncated = Array(handMadeNpy(descr: "<f4", shape: "(2, 2)", payload: Self.f4).prefix(40))
        expectDataError(file: "t.npy", containing: "truncated .npy header") {
            _ = try EmbeddingLoader.load(bytes: truncated, file: "t.npy")
        }
        expectDataError(file: "m.npy", containing: "truncated .npy header") {
            _ = try EmbeddingLoader.load(bytes: [0x93, 0x4E, 0x55], file: "m.npy")
        }
        var firstByte = handMadeNpy(descr: "<f4", shape: "(2, 2)", payload: Self.f4)
        firstByte[0] = 0x00
        expectDataError(file: "f.npy", containing: "not a .npy file (missing the \\x93NUMPY magic)") {
            _ = try EmbeddingLoader.load(bytes: firstByte, file: "f.npy")
        }
        let binaryHeader: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, 4, 0, 0xFF, 0xFE, 0x00, 0x80]
        expectDataError(file: "b.npy", containing: "damaged .npy: the header is not UTF-8 text") {
            _ = try LabelLoader.load(bytes: binaryHeader, file: "b.npy")
        }
    }

    @Test func binaryNamedNpyIsCalledNotNpy() {
        let garbage: [UInt8] = [0x12, 0xFF, 0x00, 0x07, 0x80, 0x81, 0x00, 0x01]
        expectDataError(file: "g.npy", containing: "not a .npy file") {
            _ = try EmbeddingLoader.load(bytes: garbage, file: "g.npy")
        }
        expectDataError(file: "g.npy", containing: "not a .npy file") {
            _ = try LabelLoader.load(bytes: garbage, file: "g.npy")
        }
    }

    @Test func picklesAndArchivesAreNamed() throws {
        // pickle.dumps([1.0, 2.0], protocol=4)
        let pickle: [UInt8] = [
            0x80, 0x04, 0x95, 0x17, 0, 0, 0, 0, 0, 0, 0, 0x5D, 0x94, 0x28, 0x47, 0x3F, 0xF0, 0, 0, 0, 0, 0, 0, 0x47,
            0x40, 0, 0, 0, 0, 0, 0, 0, 0x65, 0x2E,
        ]
        expectDataError(file: "e.pkl", containing: "the file is a Python pickle") {
            _ = try EmbeddingLoader.load(bytes: pickle, file: "e.pkl")
        }
        expectDataError(file: "l.npy", containing: "the file is a Python pickle") {
            _ = try LabelLoader.load(bytes: pickle, file: "l.npy")
        }
        expectDataError(file: "p.gz", containing: "the decompressed content is a Python pickle") {
            _ = try LabelLoader.load(bytes: try gzipped(pickle), file: "p.gz")
        }
        let object = handMadeNpy(descr: "|O", shape: "(2,)", payload: [UInt8](repeating: 0, count: 16))
        expectDataError(file: "o.npy", containing: "object dtype '|O': the array holds pickled Python objects") {
            _ = try LabelLoader.load(bytes: object, file: "o.npy")
        }
        let npz: [UInt8] = [0x50, 0x4B, 0x03, 0x04, 0x14, 0, 0, 0, 0, 0]
        // Zip archives are read as .npz now (ArchiveInputTests); a cut-off one is named as such.
        expectDataError(file: "a.npz", containing: "damaged .npz/zip: too short for a zip archive (10 bytes)") {
            _ = try EmbeddingLoader.load(bytes: npz, file: "a.npz")
        }
    }

    @Test func binaryTextIsNamed() {
        expectDataError(
            file: "b.csv", containing: "the file is binary data, not .npy, IDX or text (NUL byte at offset 2)"
        ) {
            _ = try EmbeddingLoader.load(bytes: [0x31, 0x2C, 0x00, 0x0A], file: "b.csv")
        }
        expectDataError(file: "u.txt", containing: "not UTF-8 text, nor .npy or IDX (invalid UTF-8 at byte offset 2)") {
            _ = try LabelLoader.load(bytes: [0x61, 0x0A, 0xC3, 0x28], file: "u.txt")
        }
    }

    @Test func float64BeyondFloat32IsNamedWithRows() {
        let values: [Double] = [1, 2, 1e300, 4, 5, 6, -1e39, 0]
        let npy = handMadeNpy(descr: "<f8", shape: "(4, 2)", payload: littleEndianBytes(values.map(\.bitPattern)))
        expectDataError(
            file: "e.npy", containing: "values outside float32's range (beyond ±3.4e38) in rows 1, 3 (0-based)"
        ) {
            _ = try EmbeddingLoader.load(bytes: npy, file: "e.npy")
        }
        let csv = Array("1,2\n3,1e300\n5,6\n".utf8)
        expectDataError(
            file: "e.csv", containing: "values outside float32's range (beyond ±3.4e38) in rows 1 (0-based)"
        ) {
            _ = try EmbeddingLoader.load(bytes: csv, file: "e.csv")
        }
        let idx: [UInt8] =
            [0, 0, 0x0E, 2, 0, 0, 0, 2, 0, 0, 0, 1] + bigEndianBytes([Double(1).bitPattern, Double(-1e300).bitPattern])
        expectDataError(file: "e.idx", containing: "outside float32's range (beyond ±3.4e38) in rows 1 (0-based)") {
            _ = try EmbeddingLoader.load(bytes: idx, file: "e.idx")
        }
    }

    @Test func float64TooSmallForFloat32IsNamedNotZeroVector() throws {
        let values: [Double] = [1, 2, 1e-300, -1e-50, 0, 0, 1e-300, 1]
        let npy = handMadeNpy(descr: "<f8", shape: "(4, 2)", payload: littleEndianBytes(values.map(\.bitPattern)))
        expectDataError(
            file: "s.npy", containing: "rows 1 (0-based) are nonzero but every value is below float32's smallest"
        ) {
            _ = try EmbeddingLoader.load(bytes: npy, file: "s.npy")
        }
        // A true zero row stays for Dataset to report, and float32's extremes pass.
        let edge: [Double] = [Double(Float.greatestFiniteMagnitude), Double(Float.leastNonzeroMagnitude), 0, 0]
        let (m, _) = try EmbeddingLoader.load(
            bytes: handMadeNpy(descr: "<f8", shape: "(2, 2)", payload: littleEndianBytes(edge.map(\.bitPattern))),
            file: "k.npy")
        #expect(m.values == [.greatestFiniteMagnitude, .leastNonzeroMagnitude, 0, 0])
    }

    @Test func nanStaysANaNMessage() throws {
        let (m, labels) = try EmbeddingLoader.load(
            bytes: Array("1,2,a\nnan,2,b\n".utf8), file: "n.csv", options: .init(labelColumn: "-1"))
        expectDataError(file: "n.csv", containing: "NaN or infinite values in rows 1") {
            _ = try Dataset.validated(embeddings: m, labels: labels!, embeddingFile: "n.csv", labelFile: "n.csv")
        }
    }

    @Test func descriptionIsOneLineWhateverTheNameHolds() throws {
        let error = DataError("evil\nname\u{1B}[2J.npy", "bad\rvalue\u{7}\u{9B}\u{2028}")
        #expect(error.description == #"evil\nname\u{1B}[2J.npy: bad\rvalue\u{7}\u{9B}\u{2028}"#)
        // Through a real file whose name holds a newline and an escape.
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/two\nlines\u{1B}[31m.npy"
        write([0xFF, 0x00, 0x01], path)
        do {
            _ = try EmbeddingLoader.load(path)
            Issue.record("expected an error")
        } catch let error as DataError {
            #expect(!error.description.contains("\n") && !error.description.contains("\u{1B}"))
            #expect(error.description.contains(#"two\nlines\u{1B}[31m.npy: not a .npy file"#))
        }
    }

    @Test func headerTextWithControlCharactersStaysOneLine() {
        let npy = handMadeNpy(descr: "<f4\n\u{1B}[1m", shape: "(1,)", payload: [0, 0, 0, 0])
        do {
            _ = try NpyArray(bytes: npy, file: "h.npy")
            Issue.record("expected an error")
        } catch let error as DataError {
            #expect(error.description.contains(#"unsupported dtype '<f4\n\u{1B}[1m'"#))
            #expect(!error.description.contains("\n"))
        } catch { Issue.record("\(error)") }
    }

    @Test func byteOrderMarkDoesNotHideTheFirstHeaderName() throws {
        let csv: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("label,x,y\ncat,0.5,1\ndog,0.25,2\n".utf8)
        let table = try DelimitedTable(bytes: csv, file: "b.csv")
        #expect(table.header == ["label", "x", "y"])
        let (m, labels) = try EmbeddingLoader.load(bytes: csv, file: "b.csv", options: .init(labelColumn: "label"))
        #expect(m.values == [0.5, 1, 0.25, 2] && labels?.classNames == ["cat", "dog"])
    }

    @Test func byteOrderMarkOnAHeaderlessFileKeepsEveryRow() throws {
        let csv: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("1,2\n3,4\n5,6\n".utf8)
        let (m, _) = try EmbeddingLoader.load(bytes: csv, file: "h.csv")
        #expect(m.rows == 3 && m.values == [1, 2, 3, 4, 5, 6])
        let single = try DelimitedTable(bytes: [0xEF, 0xBB, 0xBF] + Array("7 8\n".utf8), file: "s.txt")
        #expect(single.header == nil && single.rows == [["7", "8"]])
    }

    @Test func byteOrderMarkOnLabelLines() throws {
        let labels = try LabelLoader.load(bytes: [0xEF, 0xBB, 0xBF] + Array("cat\ndog\ncat\n".utf8), file: "l.txt")
        #expect(labels.classNames == ["cat", "dog"] && labels.classOf == [0, 1, 0])
        // With a one-word header over integers, the header (behind the mark) is still skipped.
        let counted = try LabelLoader.load(bytes: [0xEF, 0xBB, 0xBF] + Array("label\n2\n10\n".utf8), file: "c.txt")
        #expect(counted.classNames == ["2", "10"])
    }
}
