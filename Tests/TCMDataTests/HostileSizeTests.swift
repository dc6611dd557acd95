import Foundation
import Testing
@testable import TCMData

/// Issue 8, cause 1: sizes taken from a file are multiplied with overflow checks and compared
/// with the bytes really there before anything is allocated; numbers that do not fit are named.
@Suite struct HostileSizeTests {
    @Test(arguments: [
        ("<f4", "(4294967296, 4294967296)"), ("<f8", "(4611686018427387905, 1)"), ("<i8", "(2305843009213693952,)"),
        ("<f4", "(9223372036854775807, 9223372036854775807)"), ("|u1", "(3037000500, 3037000500, 3037000500)"),
    ])
    func npyShapesWhoseByteCountOverflow(descr: String, shape: String) {
        let bytes = handMadeNpy(descr: descr, shape: shape, payload: [0, 0, 0, 0, 0, 0, 0, 0])
        expectDataError(file: "big.npy", containing: "more bytes than any file can hold") {
            _ = try NpyArray(bytes: bytes, file: "big.npy")
        }
        expectDataError(file: "big.npy", containing: "more bytes than any file can hold") {
            _ = try EmbeddingLoader.load(bytes: bytes, file: "big.npy")
        }
        expectDataError(file: "big.npy", containing: "more bytes than any file can hold") {
            _ = try LabelLoader.load(bytes: bytes, file: "big.npy")
        }
    }

    @Test func npyShapeThatFitsButIsNotThere() {
        // 2^28 floats are within every limit; the file simply does not hold them.
        let bytes = handMadeNpy(descr: "<f4", shape: "(16384, 16384)", payload: [0, 0, 0, 0])
        expectDataError(
            file: "t.npy",
            containing: "truncated: header promises [16384, 16384] of <f4 (1073741824 bytes), file holds 4"
        ) {
            _ = try EmbeddingLoader.load(bytes: bytes, file: "t.npy")
        }
    }

    @Test func arraysOverTheValueLimitAreRefusedAtTheHeader() {
        // 2^30 one-byte values fit in 1 GiB but would take 8 GiB as Float64: refused from the header.
        let npy = handMadeNpy(descr: "|u1", shape: "(1073741824,)", payload: [1, 2])
        expectDataError(
            file: "n.npy",
            containing: "header declares 1073741824 values (shape [1073741824]), over the limit of 536870912 values"
        ) {
            _ = try LabelLoader.load(bytes: npy, file: "n.npy")
        }
        let idx: [UInt8] = [0, 0, 0x08, 2, 0, 0, 0x80, 0, 0, 0, 0x80, 0, 9]
        expectDataError(
            file: "i.idx", containing: "IDX header declares 1073741824 values (shape [32768, 32768]), over the limit"
        ) {
            _ = try EmbeddingLoader.load(bytes: idx, file: "i.idx")
        }
        #expect(FileBytes.maxElements == 1 << 29)
    }

    @Test func labelShapeTwoToThe61FromAFile() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        write(handMadeNpy(descr: "<i8", shape: "(2305843009213693952,)", payload: []), dir + "/labels.npy")
        expectDataError(file: "labels.npy", containing: "more bytes than any file can hold") {
            _ = try LabelLoader.load(dir + "/labels.npy")
        }
    }

    @Test func hugeStringWidthsAreRefusedNotMultiplied() {
        for descr in ["<U9223372036854775807", "|S9223372036854775807", "<U4611686018427387904", "<U0"] {
            let bytes = handMadeNpy(descr: descr, shape: "(1,)", payload: [])
            expectDataError(file: "s.npy", containing: "unsupported dtype") {
                _ = try LabelLoader.load(bytes: bytes, file: "s.npy")
            }
        }
    }

    @Test func emptyExtentWithAHugeOtherExtent() {
        let wide = handMadeNpy(descr: "<f4", shape: "(0, 4611686018427387904)", payload: [])
        expectDataError(file: "w.npy", containing: "the array is empty (shape [0, 4611686018427387904])") {
            _ = try EmbeddingLoader.load(bytes: wide, file: "w.npy")
        }
        let tall = handMadeNpy(descr: "<f4", shape: "(4611686018427387904, 0)", payload: [])
        expectDataError(file: "t.npy", containing: "the array is empty") {
            _ = try EmbeddingLoader.load(bytes: tall, file: "t.npy")
        }
        let idx: [UInt8] = [0, 0, 0x08, 2, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0]
        expectDataError(file: "e.idx", containing: "the array is empty") {
            _ = try EmbeddingLoader.load(bytes: idx, file: "e.idx")
        }
    }

    @Test func idxDimensionsOfAllOnes() {
        let ff: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF]
        let rank4: [UInt8] = [0, 0, 0x0E, 4] + ff + ff + ff + ff + [1, 2, 3]
        expectDataError(file: "a.idx", containing: "more bytes than any file can hold") {
            _ = try IdxArray(bytes: rank4, file: "a.idx")
        }
        expectDataError(file: "a.idx", containing: "more bytes than any file can hold") {
            _ = try EmbeddingLoader.load(bytes: rank4, file: "a.idx")
        }
        let rank3: [UInt8] = [0, 0, 0x08, 3] + ff + ff + ff
        expectDataError(file: "b.idx", containing: "more bytes than any file can hold") {
            _ = try EmbeddingLoader.load(bytes: rank3, file: "b.idx")
        }
        // 0xFFFFFFFF² × 8 bytes overflows only at the item size.
        let rank2: [UInt8] = [0, 0, 0x0E, 2] + ff + ff
        expectDataError(file: "c.idx", containing: "more bytes than any file can hold") {
            _ = try EmbeddingLoader.load(bytes: rank2, file: "c.idx")
        }
        let rank1: [UInt8] = [0, 0, 0x08, 1] + ff + [7]
        expectDataError(
            file: "d.idx", containing: "IDX header declares 4294967295 values (shape [4294967295]), over the limit"
        ) {
            _ = try LabelLoader.load(bytes: rank1, file: "d.idx")
        }
        let within: [UInt8] = [0, 0, 0x08, 1, 0x10, 0, 0, 0, 7]
        expectDataError(
            file: "w.idx", containing: "truncated: header promises [268435456] (268435456 bytes), file holds 1"
        ) {
            _ = try LabelLoader.load(bytes: within, file: "w.idx")
        }
    }

    @Test(arguments: [(1e300, "1e+300"), (0x1p63, "9.223372036854776e+18"), (-1e19, "-1e+19")])
    func floatLabelsBeyondInt64(value: Double, shown: String) {
        let bytes = handMadeNpy(
            descr: "<f8", shape: "(2,)", payload: littleEndianBytes([Double(1).bitPattern, value.bitPattern]))
        expectDataError(file: "l.npy", containing: "label at index 1 is \(shown), outside the 64-bit integer range") {
            _ = try LabelLoader.load(bytes: bytes, file: "l.npy")
        }
    }

    @Test(arguments: [(Double.nan, "nan"), (Double.infinity, "inf"), (-Double.infinity, "-inf")])
    func floatLabelsThatAreNotNumbers(value: Double, shown: String) {
        let bytes = handMadeNpy(
            descr: "<f8", shape: "(2,)", payload: littleEndianBytes([value.bitPattern, Double(1).bitPattern]))
        expectDataError(file: "l.npy", containing: "label at index 0 is \(shown), expected whole numbers") {
            _ = try LabelLoader.load(bytes: bytes, file: "l.npy")
        }
    }

    @Test func float32LabelTooLargeAndTheSmallestInt64() throws {
        let big = handMadeNpy(descr: "<f4", shape: "(1,)", payload: littleEndianBytes([Float(1e30).bitPattern]))
        expectDataError(file: "f.npy", containing: "outside the 64-bit integer range") {
            _ = try LabelLoader.load(bytes: big, file: "f.npy")
        }
        // -2^63 is an Int64, so it is a class number like any other.
        let smallest = handMadeNpy(
            descr: "<f8", shape: "(2,)", payload: littleEndianBytes([(-0x1p63).bitPattern, Double(5).bitPattern]))
        #expect(try LabelLoader.load(bytes: smallest, file: "m.npy").classNames == ["-9223372036854775808", "5"])
    }

    @Test func idxFloatLabelsAreCheckedLikeNpy() {
        let labels: [UInt8] =
            [0, 0, 0x0E, 1, 0, 0, 0, 2] + bigEndianBytes([Double(3).bitPattern, Double(1e300).bitPattern])
        expectDataError(file: "l.idx", containing: "label at index 1 is 1e+300, outside the 64-bit integer range") {
            _ = try LabelLoader.load(bytes: labels, file: "l.idx")
        }
        let nan: [UInt8] = [0, 0, 0x0D, 1, 0, 0, 0, 1] + bigEndianBytes([Float.nan.bitPattern])
        expectDataError(file: "n.idx", containing: "label at index 0 is nan") {
            _ = try LabelLoader.load(bytes: nan, file: "n.idx")
        }
    }

    /// Decision (README, "Input limits"): uint64 class numbers above 2^63 are valid labels and keep
    /// their exact values as names, ordered numerically; they are never wrapped to negatives.
    @Test func uint64LabelsAboveTwoToThe63KeepExactNames() throws {
        let values: [UInt64] = [.max, 1 << 63, 7, .max, 7]
        let labels = try LabelLoader.load(
            bytes: handMadeNpy(descr: "<u8", shape: "(5,)", payload: littleEndianBytes(values)), file: "u.npy")
        #expect(labels.classNames == ["7", "9223372036854775808", "18446744073709551615"])
        #expect(labels.classOf == [2, 1, 0, 2, 0])
        #expect(!labels.classNames.contains { $0.hasPrefix("-") })
        // The same class numbers as text lines name the same classes in the same order.
        let text = try LabelLoader.load(
            bytes: Array(values.map(String.init).joined(separator: "\n").utf8), file: "u.txt")
        #expect(text == labels)
    }

    @Test func uint64LabelsThatFitStayIntegers() throws {
        let a = try NpyArray(
            bytes: handMadeNpy(descr: "<u8", shape: "(2,)", payload: littleEndianBytes([UInt64(Int64.max), 3])),
            file: "u")
        #expect(a.integers() == [Int64.max, 3])
        let b = try NpyArray(
            bytes: handMadeNpy(descr: "<u8", shape: "(1,)", payload: littleEndianBytes([UInt64.max])), file: "u")
        #expect(b.integers() == nil && b.unsignedIntegers() == [.max])
    }
}
