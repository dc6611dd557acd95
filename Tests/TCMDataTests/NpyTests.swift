import Testing
@testable import TCMData

@Suite struct NpyReadTests {
    @Test(arguments: [UInt8(1), 2, 3])
    func everyFormatVersion(version: UInt8) throws {
        let payload = littleEndianBytes([
            Float(1.5).bitPattern, Float(-2).bitPattern, Float(3).bitPattern, Float(0.25).bitPattern,
        ])
        let a = try NpyArray(
            bytes: handMadeNpy(descr: "<f4", shape: "(2, 2)", payload: payload, version: version), file: "x.npy")
        #expect(a.shape == [2, 2])
        #expect(a.doubles() == [1.5, -2, 3, 0.25])
    }

    @Test func bigEndianFloat64() throws {
        let payload = bigEndianBytes([Double(1.25).bitPattern, Double(-7).bitPattern, Double(1e300).bitPattern])
        let a = try NpyArray(bytes: handMadeNpy(descr: ">f8", shape: "(3,)", payload: payload), file: "x.npy")
        #expect(a.doubles() == [1.25, -7, 1e300])
    }

    @Test func float16IncludingSubnormalsAndSigns() throws {
        // 1.0, -2.0, 0.5, 65504 (max), smallest subnormal 2^-24, -0.0
        let halves: [UInt16] = [0x3C00, 0xC000, 0x3800, 0x7BFF, 0x0001, 0x8000]
        let a = try NpyArray(
            bytes: handMadeNpy(descr: "<f2", shape: "(6,)", payload: littleEndianBytes(halves)), file: "x.npy")
        let v = a.doubles()
        #expect(Array(v.prefix(4)) == [1, -2, 0.5, 65504])
        #expect(v[4] == 0x1p-24)
        #expect(v[5] == 0 && v[5].sign == .minus)
    }

    @Test func fortranOrderIsReturnedInCOrder() throws {
        // The 2×3 matrix [[1,2,3],[4,5,6]] stored column by column.
        let payload = littleEndianBytes([1, 4, 2, 5, 3, 6].map { Int32($0) })
        let a = try NpyArray(
            bytes: handMadeNpy(descr: "<i4", fortran: true, shape: "(2, 3)", payload: payload), file: "x.npy")
        #expect(a.integers() == [1, 2, 3, 4, 5, 6])
        #expect(a.doubles() == [1, 2, 3, 4, 5, 6])
    }

    @Test func fortranOrderThreeDimensions() throws {
        // shape (2,2,2), value at (i,j,k) = 100i + 10j + k, stored with i fastest.
        var stored: [Int16] = []
        for k in 0 ..< 2 { for j in 0 ..< 2 { for i in 0 ..< 2 { stored.append(Int16(100 * i + 10 * j + k)) } } }
        let a = try NpyArray(
            bytes: handMadeNpy(descr: "<i2", fortran: true, shape: "(2, 2, 2)", payload: littleEndianBytes(stored)),
            file: "x.npy")
        #expect(a.integers() == [0, 1, 10, 11, 100, 101, 110, 111])
    }

    @Test func allIntegerWidthsAndSignedness() throws {
        let cases: [(String, [UInt8], [Int64])] = [
            ("|i1", [0xFF, 0x7F], [-1, 127]),
            ("|u1", [0xFF, 0x7F], [255, 127]),
            ("<i2", littleEndianBytes([Int16(-300), 300]), [-300, 300]),
            (">u2", bigEndianBytes([UInt16(65535), 1]), [65535, 1]),
            ("<i4", littleEndianBytes([Int32.min, 7]), [Int64(Int32.min), 7]),
            (">u4", bigEndianBytes([UInt32.max, 0]), [Int64(UInt32.max), 0]),
            ("<i8", littleEndianBytes([Int64.min, -5]), [Int64.min, -5]),
            ("<u8", littleEndianBytes([UInt64(1) << 40, 3]), [1 << 40, 3]),
            ("|b1", [1, 0], [1, 0]),
        ]
        for (descr, payload, expected) in cases {
            let a = try NpyArray(bytes: handMadeNpy(descr: descr, shape: "(2,)", payload: payload), file: "x.npy")
            #expect(a.integers() == expected, "\(descr)")
            #expect(a.doubles() == expected.map(Double.init), "\(descr)")
        }
    }

    @Test func stringArrays() throws {
        let unicode = littleEndianBytes(
            Array("cat".unicodeScalars.map(\.value)) + [0] + Array("dög".unicodeScalars.map(\.value)) + [0x1F436])
        let u = try NpyArray(bytes: handMadeNpy(descr: "<U4", shape: "(2,)", payload: unicode), file: "x.npy")
        #expect(u.strings() == ["cat", "dög🐶"])
        let s = try NpyArray(
            bytes: handMadeNpy(descr: "|S3", shape: "(2,)", payload: Array("ab\u{0}xyz".utf8)), file: "x.npy")
        #expect(s.strings() == ["ab", "xyz"])
        #expect(s.integers() == nil)
    }

    @Test func writerRoundTrips() throws {
        let floats: [Float] = [0, -1.5, .pi, 1e-30, 3e38, 7]
        let a = try NpyArray(bytes: NpyWriter.bytes(floats: floats, shape: [2, 3]), file: "w.npy")
        #expect(a.shape == [2, 3] && a.doubles().map(Float.init) == floats)
        let b = try NpyArray(bytes: NpyWriter.bytes(int64s: [5, -9], shape: [2]), file: "w.npy")
        #expect(b.integers() == [5, -9])
        let c = try NpyArray(bytes: NpyWriter.bytes(strings: ["a", "ünï", ""]), file: "w.npy")
        #expect(c.strings() == ["a", "ünï", ""])
        // numpy requires the data to start on a 64-byte boundary.
        let header = NpyWriter.header(descr: "<f4", shape: [2, 3])
        #expect(header.count % 64 == 0)
    }

    @Test func truncatedData() {
        let bytes = handMadeNpy(descr: "<f4", shape: "(2, 2)", payload: [UInt8](repeating: 0, count: 12))
        expectDataError(file: "t.npy", containing: "truncated") { _ = try NpyArray(bytes: bytes, file: "t.npy") }
    }

    @Test func headerThatUnderstatesTheData() {
        let bytes = handMadeNpy(descr: "<f4", shape: "(1, 2)", payload: [UInt8](repeating: 0, count: 16))
        expectDataError(file: "t.npy", containing: "unexpected bytes") { _ = try NpyArray(bytes: bytes, file: "t.npy") }
    }

    @Test func truncatedHeader() {
        let bytes = Array(handMadeNpy(descr: "<f4", shape: "(1, 2)", payload: []).prefix(30))
        expectDataError(file: "t.npy", containing: "truncated .npy header") {
            _ = try NpyArray(bytes: bytes, file: "t.npy")
        }
    }

    @Test func unsupportedThings() {
        let complex = handMadeNpy(descr: "<c8", shape: "(1,)", payload: [UInt8](repeating: 0, count: 8))
        expectDataError(file: "c.npy", containing: "unsupported dtype '<c8'") {
            _ = try NpyArray(bytes: complex, file: "c.npy")
        }
        let object = handMadeNpy(descr: "|O", shape: "(1,)", payload: [UInt8](repeating: 0, count: 8))
        expectDataError(file: "o.npy", containing: "object dtype") { _ = try NpyArray(bytes: object, file: "o.npy") }
        var future = handMadeNpy(descr: "<f4", shape: "(1,)", payload: [0, 0, 0, 0])
        future[6] = 4
        expectDataError(file: "v.npy", containing: "version 4.0") { _ = try NpyArray(bytes: future, file: "v.npy") }
        expectDataError(file: "m.npy", containing: "not a .npy file") {
            _ = try NpyArray(bytes: Array("hello world".utf8), file: "m.npy")
        }
        expectDataError(file: "e.npy", containing: "empty") { _ = try NpyArray(bytes: [], file: "e.npy") }
        let noShape = handMadeNpy(descr: "<f4", shape: "oops", payload: [])
        expectDataError(file: "s.npy", containing: "malformed .npy header") {
            _ = try NpyArray(bytes: noShape, file: "s.npy")
        }
    }

    /// The npy fuzz target's finding (Fuzz/corpus/npy/finding_zero_extent_overflow): a zero extent
    /// makes the array empty, so the other extents are never bounded, and their product used to
    /// trap in `count`. Now the count is 0 and the loaders say the array is empty.
    @Test func aZeroExtentBesideHugeOnesCountsZero() throws {
        let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (42949672994,6729994,67296, 0,296), }"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        let padded = header + String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
        bytes += [UInt8(padded.utf8.count & 0xFF), UInt8(padded.utf8.count >> 8)] + Array(padded.utf8)
        let array = try NpyArray(bytes: bytes, file: "z.npy")
        #expect(array.count == 0 && array.doubles().isEmpty)
        expectDataError(file: "z.npy", containing: "2-D array") {
            _ = try EmbeddingLoader.load(bytes: bytes, file: "z.npy")
        }
    }
}
