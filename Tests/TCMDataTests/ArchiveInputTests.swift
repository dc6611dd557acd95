import Foundation
import Testing
@testable import TCMData

/// `.npz` and safetensors inputs: files written by numpy and the safetensors package
/// (Fixtures/make_archives.py), and hand-made damaged ones, each refused with one line.
@Suite struct ArchiveInputTests {
    static let fixtures = packageRoot + "/Tests/TCMDataTests/Fixtures/"

    @Test(arguments: ["stored.npz", "deflated.npz", "f32.safetensors", "f16.safetensors"])
    func readsEmbeddingsAndLabelsFromOneFile(name: String) throws {
        let (matrix, labels) = try EmbeddingLoader.load(Self.fixtures + name)
        #expect(matrix.rows == 6 && matrix.cols == 4)
        #expect(matrix.values == archiveFixtureValues)
        #expect(labels?.classOf == archiveFixtureLabels)
        let dataset = try Dataset.load(embeddings: Self.fixtures + name, labels: nil)
        #expect(dataset.labels.classCount == 3)
    }

    @Test func onlyTwoDAndOneDArraysAreTheDefault() throws {
        // np.savez(E, names): arr_0 (float16, 6 × 4) and arr_1 (strings).
        let (matrix, labels) = try EmbeddingLoader.load(Self.fixtures + "unnamed.npz")
        #expect(matrix.values == archiveFixtureValues)
        #expect(labels?.classNames == ["a", "b", "c"])
        #expect(labels?.classOf == archiveFixtureLabels)
    }

    @Test func keysChooseArraysAndALabelsFileWins() throws {
        var options = EmbeddingLoader.Options(embeddingsKey: "x")
        options.labelsFromSameFile = false
        let (matrix, labels) = try EmbeddingLoader.load(Self.fixtures + "f64.safetensors", options: options)
        #expect(matrix.values == archiveFixtureValues && labels == nil)
        // A labels file given: its labels are used, not the embeddings file's; --labels-key applies to it.
        let dataset = try Dataset.load(
            embeddings: Self.fixtures + "stored.npz", labels: Self.fixtures + "f16.safetensors",
            options: .init(labelsKey: "y"))
        #expect(dataset.labels.classOf == archiveFixtureLabels)
        expectDataError(
            file: "f64.safetensors",
            containing: "--embeddings-key 'nope': no such array (it holds w [2, 3] F32, x [6, 4] F64)"
        ) {
            _ = try EmbeddingLoader.load(Self.fixtures + "f64.safetensors", options: .init(embeddingsKey: "nope"))
        }
        // No usual name: the only 2-D array, and when there are several, an error naming them.
        let two = handMadeSafetensors(
            header:
                #"{"a":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1,1],"data_offsets":[4,8]}}"#,
            data: floatBytes([1, 2]))
        expectDataError(
            file: "two.safetensors",
            containing: "several 2-D arrays could be the embeddings (a, b); choose one with --embeddings-key"
        ) {
            _ = try EmbeddingLoader.load(bytes: two, file: "two.safetensors")
        }
        expectDataError(file: "f4_v1_c.npy", containing: "--embeddings-key applies to .npz and safetensors") {
            _ = try EmbeddingLoader.load(Self.fixtures + "f4_v1_c.npy", options: .init(embeddingsKey: "x"))
        }
    }

    @Test func noLabelsInTheFileIsOneLine() throws {
        let npz = handMadeZip([
            HandZipMember(name: "embeddings.npy", content: NpyWriter.bytes(floats: [1, 2, 3, 4], shape: [2, 2]))
        ])
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        write(npz, dir + "/e.npz")
        expectDataError(
            file: "e.npz", containing: "no labels: the file holds no 1-D labels array (it holds embeddings [2, 2] <f4)"
        ) {
            _ = try Dataset.load(embeddings: dir + "/e.npz", labels: nil)
        }
        // Without labels wanted, the embeddings alone.
        #expect(try EmbeddingLoader.load(bytes: npz, file: "e.npz").1 == nil)
    }

    // MARK: damaged .npz

    static let goodMember = HandZipMember(
        name: "embeddings.npy", content: NpyWriter.bytes(floats: [1, 2, 3, 4], shape: [2, 2]))
    static let labelMember = HandZipMember(name: "labels.npy", content: NpyWriter.bytes(int64s: [0, 1], shape: [2]))

    @Test func handMadeNpzIsRead() throws {
        let (matrix, labels) = try EmbeddingLoader.load(
            bytes: handMadeZip([Self.goodMember, Self.labelMember]), file: "h.npz")
        #expect(matrix.values == [1, 2, 3, 4] && labels?.classOf == [0, 1])
    }

    @Test func damagedZipDirectories() {
        let good = handMadeZip([Self.goodMember, Self.labelMember])
        expectDataError(file: "t.npz", containing: "no end-of-central-directory record") {
            _ = try EmbeddingLoader.load(bytes: Array(good.dropLast(30)), file: "t.npz")
        }
        expectDataError(file: "d.npz", containing: "the central directory (offset") {
            _ = try EmbeddingLoader.load(
                bytes: handMadeZip([Self.goodMember], directoryOffsetShift: 1000), file: "d.npz")
        }
        expectDataError(file: "c.npz", containing: "central directory entry 1") {
            _ = try EmbeddingLoader.load(bytes: handMadeZip([Self.goodMember], totalEntries: 2), file: "c.npz")
        }
    }

    @Test func missingAndNonArrayMembers() {
        let npz = handMadeZip([
            Self.goodMember, Self.labelMember, HandZipMember(name: "notes.txt", content: Array("hi".utf8)),
        ])
        expectDataError(
            file: "m.npz",
            containing:
                "--labels-key 'classes': no such array (it holds embeddings [2, 2] <f4, labels [2] <i8, notes.txt (not an array))"
        ) {
            _ = try EmbeddingLoader.load(bytes: npz, file: "m.npz", options: .init(labelsKey: "classes"))
        }
        expectDataError(file: "m.npz [notes.txt]", containing: "the member is not a .npy array") {
            _ = try EmbeddingLoader.load(bytes: npz, file: "m.npz", options: .init(labelsKey: "notes.txt"))
        }
        // A .npy-named member whose content is not .npy.
        let fake = handMadeZip([
            HandZipMember(name: "embeddings.npy", content: Array("not an array".utf8)), Self.labelMember,
        ])
        expectDataError(file: "f.npz [embeddings.npy]", containing: "not a .npy file") {
            _ = try EmbeddingLoader.load(bytes: fake, file: "f.npz", options: .init())
        }
        expectDataError(file: "f.npz [embeddings.npy]", containing: "not a .npy file") {
            _ = try EmbeddingLoader.load(bytes: fake, file: "f.npz", options: .init(embeddingsKey: "embeddings"))
        }
        // A member whose local header is not where the directory says.
        var moved = Self.goodMember
        moved.localOffsetShift = 3
        expectDataError(file: "l.npz", containing: "member 'embeddings.npy' has no local header") {
            _ = try EmbeddingLoader.load(bytes: handMadeZip([moved, Self.labelMember]), file: "l.npz")
        }
    }

    @Test func zip64EncryptionMethodsAndChecksums() {
        // ZIP64 is read (ZipStreamTests has good ZIP64 archives); these point at nothing.
        expectDataError(file: "z.npz", containing: "no ZIP64 end record at offset 0, where its locator points") {
            _ = try EmbeddingLoader.load(bytes: handMadeZip([Self.goodMember], zip64Locator: true), file: "z.npz")
        }
        expectDataError(file: "z.npz", containing: "defers to a ZIP64 end record, and there is none") {
            _ = try EmbeddingLoader.load(bytes: handMadeZip([Self.goodMember], totalEntries: 0xFFFF), file: "z.npz")
        }
        var big = Self.goodMember
        big.declaredSize = 0xFFFF_FFFF
        expectDataError(file: "z.npz", containing: "needs ZIP64 sizes (over 4 GiB) but has no ZIP64 extra field") {
            _ = try EmbeddingLoader.load(bytes: handMadeZip([big]), file: "z.npz")
        }
        var encrypted = Self.goodMember
        encrypted.flags = 1
        expectDataError(file: "e.npz", containing: "member 'embeddings.npy' is encrypted") {
            _ = try EmbeddingLoader.load(bytes: handMadeZip([encrypted]), file: "e.npz")
        }
        var bzip = Self.goodMember
        bzip.method = 12
        expectDataError(file: "b.npz", containing: "compression method 12") {
            _ = try EmbeddingLoader.load(bytes: handMadeZip([bzip]), file: "b.npz")
        }
        var wrongCRC = Self.goodMember
        wrongCRC.crc = 1234
        expectDataError(file: "k.npz", containing: "fails its CRC-32 check") {
            _ = try EmbeddingLoader.load(bytes: handMadeZip([wrongCRC, Self.labelMember]), file: "k.npz")
        }
        // A deflated member declaring more than deflate's 1032:1 can give: refused before allocating
        // (the fuzzer's finding: a 200-byte file declaring 4 GiB).
        var bomb = Self.goodMember
        bomb.method = 8
        bomb.declaredSize = 0xFFFF_FF00
        expectDataError(
            file: "r.npz",
            containing: "declares 4294967040 bytes from \(bomb.content.count) compressed, more than deflate can produce"
        ) {
            _ = try EmbeddingLoader.load(bytes: handMadeZip([bomb, Self.labelMember]), file: "r.npz")
        }
        var sizes = Self.goodMember
        sizes.declaredSize = 5
        expectDataError(file: "s.npz", containing: "declares \(sizes.content.count) bytes stored but 5") {
            _ = try EmbeddingLoader.load(bytes: handMadeZip([sizes]), file: "s.npz")
        }
    }

    @Test func damagedDeflateData() throws {
        let good = try FileBytes.read(Self.fixtures + "deflated.npz")
        let zip = try ZipArchive(bytes: good, file: "x")
        let entry = try #require(zip.entries.first { $0.name == "features.npy" })
        let start = entry.localHeaderOffset + 30 + entry.name.utf8.count
        // The deflate stream cut short: the directory and sizes still claim the full member.
        var truncated = good
        truncated.replaceSubrange(
            start + 20 ..< start + entry.compressedSize, with: [UInt8](repeating: 0, count: entry.compressedSize - 20))
        expectDataError(file: "g.npz", containing: "member 'features.npy' holds corrupt deflate data") {
            _ = try EmbeddingLoader.load(bytes: truncated, file: "g.npz")
        }
        // A directory entry declaring fewer bytes than the member inflates to: stopped at the declared size.
        var smaller = good
        let directoryEntry = try #require(Self.directoryEntry(of: "features.npy", in: good))
        smaller[directoryEntry + 24] &-= 8
        expectDataError(
            file: "g.npz",
            containing:
                "header implies 320 bytes (shape [6, 4] of >f8), the zip directory declares 312; refused before inflating"
        ) {
            _ = try EmbeddingLoader.load(bytes: smaller, file: "g.npz")
        }
    }

    static func directoryEntry(of name: String, in bytes: [UInt8]) -> Int? {
        let target = Array(name.utf8)
        return (0 ..< bytes.count - 46).first { p in
            bytes.u32(p) == 0x0201_4B50 && Array(bytes[p + 46 ..< min(bytes.count, p + 46 + target.count)]) == target
        }
    }

    // MARK: safetensors

    @Test func bfloat16AndF64AreConverted() throws {
        // bfloat16 is the high half of a float32: 1.5 → 0x3FC0, -2 → 0xC000.
        let bf16 = handMadeSafetensors(
            header: #"{"e":{"dtype":"BF16","shape":[1,2],"data_offsets":[0,4]}}"#,
            data: littleEndianBytes([UInt16(0x3FC0), 0xC000]))
        var options = EmbeddingLoader.Options()
        options.labelsFromSameFile = false
        #expect(try EmbeddingLoader.load(bytes: bf16, file: "b.safetensors", options: options).0.values == [1.5, -2])
        let (matrix, _) = try EmbeddingLoader.load(
            Self.fixtures + "f64.safetensors", options: .init(embeddingsKey: "x"))
        #expect(matrix.values == archiveFixtureValues)
        let st = try SafetensorsFile(bytes: FileBytes.read(Self.fixtures + "f32.safetensors"), file: "f")
        #expect(st.metadata == ["source": "make_archives.py"])
    }

    @Test func writerOutputReadsBack() throws {
        let bytes = SafetensorsWriter.bytes(
            [
                .init(name: "0.weight", shape: [2, 3], values: [1, 2, 3, 4, 5, 6]),
                .init(name: "0.bias", shape: [2], values: [-1, 0.5]),
            ], metadata: ["a\"b": "c\n"])
        let st = try SafetensorsFile(bytes: bytes, file: "w")
        #expect(st.floats("0.weight") == [1, 2, 3, 4, 5, 6] && st.floats("0.bias") == [-1, 0.5])
        #expect(st.tensors.map(\.shape) == [[2], [2, 3]])
        #expect(st.metadata == ["a\"b": "c\n"])
        let headerLength = Int(bytes[0]) | Int(bytes[1]) << 8
        #expect(headerLength % 8 == 0, "data aligned to 8 bytes")
    }

    @Test func safetensorsHeaderLies() {
        let entry = #"{"e":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]}}"#
        let data = floatBytes([1, 2])
        func load(_ bytes: [UInt8]) throws {
            _ = try EmbeddingLoader.load(bytes: bytes, file: "s.safetensors", options: .init(embeddingsKey: "e"))
        }
        expectDataError(file: "s.safetensors", containing: "header length 9999 bytes runs past the end of the file") {
            try load(handMadeSafetensors(header: entry, data: data, declaredLength: 9999))
        }
        expectDataError(file: "s.safetensors", containing: "over the format's 100000000-byte limit") {
            try load(handMadeSafetensors(header: entry, data: data, declaredLength: 1 << 40))
        }
        expectDataError(file: "s.safetensors", containing: "the header is not a JSON object of tensors") {
            try load(handMadeSafetensors(header: #"{"e": [1, 2"#, data: data))
        }
        expectDataError(
            file: "s.safetensors", containing: "is F32 of shape [1, 3] (12 bytes) but its data_offsets span 8 bytes"
        ) {
            try load(
                handMadeSafetensors(header: #"{"e":{"dtype":"F32","shape":[1,3],"data_offsets":[0,8]}}"#, data: data))
        }
        expectDataError(file: "s.safetensors", containing: "ends at data offset 16, past the 8 bytes of data") {
            try load(
                handMadeSafetensors(header: #"{"e":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}"#, data: data))
        }
        expectDataError(file: "s.safetensors", containing: "more bytes than any file holds") {
            try load(
                handMadeSafetensors(
                    header: #"{"e":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}}"#, data: data))
        }
        expectDataError(file: "s.safetensors", containing: "tensors 'e' and 'f' overlap") {
            try load(
                handMadeSafetensors(
                    header:
                        #"{"e":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},"f":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#,
                    data: data))
        }
        expectDataError(file: "s.safetensors", containing: "4 bytes after the last tensor belong to no tensor") {
            try load(handMadeSafetensors(header: entry, data: data + [0, 0, 0, 0]))
        }
        expectDataError(file: "s.safetensors", containing: "dtype F8_E4M3, which is not read") {
            try load(
                handMadeSafetensors(
                    header: #"{"e":{"dtype":"F8_E4M3","shape":[1,8],"data_offsets":[0,8]}}"#, data: data))
        }
        expectDataError(file: "s.safetensors", containing: "data_offsets [8, 0]") {
            try load(
                handMadeSafetensors(header: #"{"e":{"dtype":"F32","shape":[1,2],"data_offsets":[8,0]}}"#, data: data))
        }
    }

    @Test func nonFiniteValuesAreReportedLikeTheOtherReaders() throws {
        let npz = handMadeZip([
            HandZipMember(
                name: "embeddings.npy", content: NpyWriter.bytes(floats: [1, 2, .nan, 4, 5, .infinity], shape: [3, 2])),
            HandZipMember(name: "labels.npy", content: NpyWriter.bytes(int64s: [0, 1, 1], shape: [3])),
        ])
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        write(npz, dir + "/nan.npz")
        expectDataError(file: "nan.npz", containing: "NaN or infinite values in rows 1, 2 (0-based)") {
            _ = try Dataset.load(embeddings: dir + "/nan.npz", labels: nil)
        }
        // float64 past float32's range: refused as by the .npy reader.
        let f64 = handMadeSafetensors(
            header: #"{"e":{"dtype":"F64","shape":[1,1],"data_offsets":[0,8]}}"#,
            data: littleEndianBytes([Double(1e300).bitPattern]))
        expectDataError(file: "big.safetensors", containing: "values outside float32's range") {
            _ = try EmbeddingLoader.load(bytes: f64, file: "big.safetensors", options: .init(embeddingsKey: "e"))
        }
    }

    @Test func nonRegularFilesAreRefusedBeforeParsing() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try #require(mkfifo(dir + "/fifo.npz", 0o600) == 0)
        expectDataError(file: "fifo.npz", containing: "not a regular file (FIFO)") {
            _ = try EmbeddingLoader.load(dir + "/fifo.npz")
        }
        try FileManager.default.createDirectory(atPath: dir + "/dir.safetensors", withIntermediateDirectories: false)
        expectDataError(file: "dir.safetensors", containing: "is a directory") {
            _ = try LabelLoader.load(dir + "/dir.safetensors")
        }
    }

    @Test func gzipCompressedArchivesAreNamed() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.copyItem(atPath: Self.fixtures + "stored.npz", toPath: dir + "/e.npz")
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gzip.arguments = [dir + "/e.npz"]
        try gzip.run()
        gzip.waitUntilExit()
        expectDataError(file: "e.npz.gz", containing: "a zip archive (.npz); gzip-compressed archives are not read") {
            _ = try EmbeddingLoader.load(dir + "/e.npz.gz")
        }
    }
}
