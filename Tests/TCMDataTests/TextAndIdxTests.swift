import Foundation
import Testing
@testable import TCMData

@Suite struct DelimitedTextTests {
    @Test func csvWithHeaderAndNamedLabelColumn() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/e.csv"
        write(Array("x,y,label\n1,0,cat\n0,1,\"dog, big\"\r\n\n0.5,0.5,cat\n".utf8), path)
        let (m, labels) = try EmbeddingLoader.load(path, options: .init(labelColumn: "label"))
        #expect(m.rows == 3 && m.cols == 2)
        #expect(m.values == [1, 0, 0, 1, 0.5, 0.5])
        #expect(labels?.classNames == ["cat", "dog, big"])
        #expect(labels?.classOf == [0, 1, 0])
    }

    @Test func tsvWithoutHeaderLastColumnByNegativeIndex() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/e.tsv"
        write(Array("1\t2\t10\n3\t4\t2\n".utf8), path)
        let (m, labels) = try EmbeddingLoader.load(path, options: .init(labelColumn: "-1"))
        #expect(m.values == [1, 2, 3, 4])
        #expect(labels?.classNames == ["2", "10"], "integer names sort numerically")
        #expect(labels?.classOf == [1, 0])
    }

    @Test func numericHeaderIsDetectedAgainstTheSecondRow() throws {
        let t = try DelimitedTable(bytes: Array("0,1,label\n0.5,0.25,3\n".utf8), file: "h.csv")
        #expect(t.header == ["0", "1", "label"])
        // With text labels, numeric column names are indistinguishable from data: --header decides.
        let forced = try DelimitedTable(bytes: Array("0,1,label\n0.5,0.25,a\n".utf8), file: "h.csv", hasHeader: true)
        #expect(forced.header == ["0", "1", "label"] && forced.rows.count == 1)
        let u = try DelimitedTable(bytes: Array("0.5,0.25,a\n0.1,0.2,b\n".utf8), file: "h.csv")
        #expect(u.header == nil && u.rows.count == 2)
    }

    @Test func whitespaceSeparatedLikeSavetxt() throws {
        let t = try DelimitedTable(bytes: Array("1.000000000000000000e+00 2.5e-01\n-3 4\n".utf8), file: "e.txt")
        #expect(t.delimiter == .whitespace)
        #expect(t.rows == [["1.000000000000000000e+00", "2.5e-01"], ["-3", "4"]])
    }

    @Test func badText() {
        expectDataError(file: "r.csv", containing: "line 3 has 2 fields, expected 3") {
            _ = try DelimitedTable(bytes: Array("1,2,3\n4,5,6\n7,8\n".utf8), file: "r.csv")
        }
        expectDataError(file: "u.csv", containing: "not UTF-8 text, nor .npy or IDX (invalid UTF-8 at byte offset 4)") {
            _ = try DelimitedTable(bytes: [0x31, 0x2C, 0x32, 0x0A, 0xFF, 0x2C, 0x33], file: "u.csv")
        }
        expectDataError(file: "q.csv", containing: "unterminated quoted field") {
            _ = try DelimitedTable(bytes: Array("1,\"abc\n".utf8), file: "q.csv")
        }
        expectDataError(file: "e.csv", containing: "empty") { _ = try DelimitedTable(bytes: [], file: "e.csv") }
        expectDataError(file: "c.csv", containing: "no data rows") {
            _ = try DelimitedTable(bytes: Array("# only\n\n".utf8), file: "c.csv")
        }
    }

    @Test func nonNumberInEmbeddingColumnNamesLineAndColumn() {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/n.csv"
        write(Array("1,2,a\n3,x,b\n".utf8), path)
        expectDataError(file: "n.csv", containing: "line 2, column 1: 'x' is not a number") {
            _ = try EmbeddingLoader.load(path, options: .init(labelColumn: "2"))
        }
        expectDataError(file: "n.csv", containing: "pass --label-column") { _ = try EmbeddingLoader.load(path) }
        expectDataError(file: "n.csv", containing: "no column named 'species'") {
            _ = try EmbeddingLoader.load(path, options: .init(labelColumn: "species"))
        }
        expectDataError(file: "n.csv", containing: "column 7 is out of range") {
            _ = try EmbeddingLoader.load(path, options: .init(labelColumn: "7"))
        }
    }
}

@Suite struct IdxTests {
    static let labels = packageRoot + "/sample-data/mnist/t10k-labels-idx1-ubyte.gz"
    static let images = packageRoot + "/sample-data/mnist/t10k-images-idx3-ubyte.gz"

    @Test func bundledMnistLabelsThroughZlib() throws {
        let labels = try LabelLoader.load(Self.labels)
        #expect(labels.count == 10_000)
        #expect(labels.classNames == (0 ... 9).map(String.init))
        // The first test digits of MNIST are 7, 2, 1, 0, 4, 1, 4, 9.
        #expect(Array(labels.classOf.prefix(8)) == [7, 2, 1, 0, 4, 1, 4, 9])
        #expect(labels.classSizes == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009])
    }

    @Test func bundledMnistImagesAreScaledPixels() throws {
        let (m, labels) = try EmbeddingLoader.load(Self.images)
        #expect(labels == nil)
        #expect(m.rows == 10_000 && m.cols == 784)
        #expect(m.values.min() == 0 && m.values.max() == 1)
    }

    @Test func handMadeIdxOfEveryType() throws {
        // rank 2, 2×2 of big-endian int16 and float32
        let shortBytes: [UInt8] = [0, 0, 0x0B, 2, 0, 0, 0, 2, 0, 0, 0, 2] + bigEndianBytes([Int16(-2), 3, 400, -500])
        #expect(try IdxArray(bytes: shortBytes, file: "s").values == [-2, 3, 400, -500])
        let floatBytes: [UInt8] =
            [0, 0, 0x0D, 1, 0, 0, 0, 2] + bigEndianBytes([Float(1.5).bitPattern, Float(-0.25).bitPattern])
        #expect(try IdxArray(bytes: floatBytes, file: "f").values == [1.5, -0.25])
    }

    @Test func truncatedGzipAndIdx() throws {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Self.labels)))
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        write(Array(bytes.prefix(bytes.count / 2)), dir + "/half.gz")
        expectDataError(file: "half.gz", containing: "truncated") { _ = try LabelLoader.load(dir + "/half.gz") }
        var corrupt = bytes
        for i in 20 ..< 60 { corrupt[i] ^= 0x5A }
        write(corrupt, dir + "/corrupt.gz")
        expectDataError(file: "corrupt.gz", containing: "gzip") { _ = try LabelLoader.load(dir + "/corrupt.gz") }
        let short: [UInt8] = [0, 0, 0x08, 1, 0, 0, 0, 5, 1, 2]
        expectDataError(file: "s.idx", containing: "truncated: header promises [5]") {
            _ = try IdxArray(bytes: short, file: "s.idx")
        }
        expectDataError(file: "t.idx", containing: "unknown IDX data type 0x07") {
            _ = try IdxArray(bytes: [0, 0, 0x07, 1, 0, 0, 0, 1, 0], file: "t.idx")
        }
    }
}

@Suite struct LabelFileTests {
    @Test func textLabels() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        write(Array("label\n3\n1\n3\n".utf8), dir + "/a.txt")
        let a = try LabelLoader.load(dir + "/a.txt")
        #expect(a.classNames == ["1", "3"] && a.classOf == [1, 0, 1], "a one-word header over integers is skipped")
        write(Array("zebra\r\napple\r\nzebra\r\n".utf8), dir + "/b.txt")
        #expect(try LabelLoader.load(dir + "/b.txt").classOf == [1, 0, 1])
        write(Array("1\n\n2\n".utf8), dir + "/c.txt")
        expectDataError(file: "c.txt", containing: "line 2 is empty") { _ = try LabelLoader.load(dir + "/c.txt") }
        write(Array("1,2\n".utf8), dir + "/d.txt")
        expectDataError(file: "d.txt", containing: "several fields") { _ = try LabelLoader.load(dir + "/d.txt") }
    }

    @Test func floatNpyLabelsMustBeWhole() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        write(
            handMadeNpy(
                descr: "<f8", shape: "(2,)", payload: littleEndianBytes([Double(1).bitPattern, Double(2).bitPattern])),
            dir + "/ok.npy")
        #expect(try LabelLoader.load(dir + "/ok.npy").classNames == ["1", "2"])
        write(
            handMadeNpy(
                descr: "<f8", shape: "(2,)", payload: littleEndianBytes([Double(1).bitPattern, Double(2.5).bitPattern])),
            dir + "/bad.npy")
        expectDataError(file: "bad.npy", containing: "label at index 1 is 2.5") {
            _ = try LabelLoader.load(dir + "/bad.npy")
        }
        write(NpyWriter.bytes(floats: [1, 2, 3, 4], shape: [2, 2]), dir + "/two.npy")
        expectDataError(file: "two.npy", containing: "expected a 1-D array of labels") {
            _ = try LabelLoader.load(dir + "/two.npy")
        }
    }

    @Test func missingAndDirectory() {
        expectDataError(file: "/nonexistent/x.npy", containing: "no such file") {
            _ = try LabelLoader.load("/nonexistent/x.npy")
        }
        expectDataError(file: "/tmp", containing: "is a directory") { _ = try LabelLoader.load("/tmp") }
    }
}
