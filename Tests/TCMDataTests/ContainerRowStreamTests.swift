import Foundation
import TCMTestSupport
import Testing

@testable import TCMData

/// The row streams of safetensors tensors and stored `.npz` members (`FloatRowFile.open`): which
/// arrays they take (the rest go to the whole-file readers), that they read the same values, and
/// that damaged or changing files are one-line errors — the whole-file route's, where it has one.
@Suite struct ContainerRowStreamTests {
    static let values: [Float] = (0 ..< 7 * 3).map { Float($0) * 0.5 - 4.25 }
    static let npy = handMadeNpy(descr: "<f4", shape: "(7, 3)", payload: floatBytes(values))
    static let labelsNpy = handMadeNpy(descr: "<i8", shape: "(7,)", payload: littleEndianBytes([Int64](0 ..< 7)))

    /// Every value of the stream, read in chunks of `chunkBytes`.
    func streamed(_ file: FloatRowFile, chunkBytes: Int) throws -> [Float] {
        var file = file
        file.chunkBytes = chunkBytes
        var seen: [Float] = []
        try file.forEachChunk { first, count, chunk in
            #expect(first * file.cols == seen.count && chunk.count == count * file.cols)
            seen += chunk
        }
        return seen
    }

    /// The streamed error and the whole-file route's for the same file: both one line, equal.
    func expectSameError(_ path: String, containing fragment: String, sourceLocation: SourceLocation = #_sourceLocation)
    {
        let name = (path as NSString).lastPathComponent
        expectDataError(file: name, containing: fragment, sourceLocation: sourceLocation) {
            _ = try FloatRowFile.open(path)
        }
        expectDataError(file: name, containing: fragment, sourceLocation: sourceLocation) {
            _ = try EmbeddingLoader.load(path)
        }
    }

    @Test func safetensorsTensorsStreamByTheWholeFileRoutesChoice() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let other = (0 ..< 10).map { Float($0) }
        write(
            SafetensorsWriter.bytes([
                .init(name: "y", shape: [7], values: (0 ..< 7).map(Float.init)),
                .init(name: "embeddings", shape: [7, 3], values: Self.values),
                .init(name: "feats", shape: [5, 2], values: other),
            ]), dir + "/e.safetensors")
        let file = try #require(try FloatRowFile.open(dir + "/e.safetensors"))
        #expect(file.rows == 7 && file.cols == 3)
        for chunk in [1, 24, 25, 1 << 20] { #expect(try streamed(file, chunkBytes: chunk) == Self.values) }
        #expect(try streamed(file, chunkBytes: 12) == EmbeddingLoader.load(dir + "/e.safetensors").0.values)
        let feats = try #require(try FloatRowFile.open(dir + "/e.safetensors", embeddingsKey: "feats"))
        #expect(feats.rows == 5 && feats.cols == 2)
        #expect(try streamed(feats, chunkBytes: 8) == other)
        // The reference writer's file (numpy + safetensors), with metadata.
        let fixture = try #require(try FloatRowFile.open(packageRoot + "/Tests/TCMDataTests/Fixtures/f32.safetensors"))
        #expect(try streamed(fixture, chunkBytes: 16) == archiveFixtureValues)
        // Two 2-D tensors and no usual name: the whole-file route's refusal, word for word.
        write(
            SafetensorsWriter.bytes([
                .init(name: "a", shape: [2, 2], values: [1, 2, 3, 4]),
                .init(name: "b", shape: [1, 2], values: [1, 2]),
            ]), dir + "/two.safetensors")
        expectSameError(dir + "/two.safetensors", containing: "several 2-D arrays could be the embeddings (a, b)")
        expectDataError(file: "e.safetensors", containing: "--embeddings-key 'nope': no such array") {
            _ = try FloatRowFile.open(dir + "/e.safetensors", embeddingsKey: "nope")
        }
    }

    @Test func otherTensorsAndMembersAreLeftToTheWholeFileReaders() throws {
        let fixtures = packageRoot + "/Tests/TCMDataTests/Fixtures/"
        // F64 and F16 tensors, a deflated member, float16 members: converted by the whole-file route.
        for name in ["f64.safetensors", "f16.safetensors", "deflated.npz", "unnamed.npz"] {
            #expect(try FloatRowFile.open(fixtures + name) == nil, "\(name)")
            #expect(try EmbeddingLoader.load(fixtures + name).0.rows == 6, "\(name)")
        }
        // An --embeddings-key on a plain .npy: the whole-file route says it does not apply.
        #expect(try FloatRowFile.open(fixtures + "f4_v1_c.npy", embeddingsKey: "x") == nil)
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A 1-D F32 tensor named as the embeddings, and a missing key in a .npz: the whole-file
        // route's messages (it lists the members with their shapes).
        write(SafetensorsWriter.bytes([.init(name: "embeddings", shape: [4], values: [1, 2, 3, 4])]), dir + "/1d.st")
        #expect(try FloatRowFile.open(dir + "/1d.st") == nil)
        write(StoredZip.bytes([.init(name: "embeddings.npy", content: Self.npy)]), dir + "/e.npz")
        #expect(try FloatRowFile.open(dir + "/e.npz", embeddingsKey: "nope") == nil)
    }

    @Test(arguments: [false, true])
    func storedNpzMembersStream(zip64: Bool) throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let members: [StoredZip.Member] = [
            .init(name: "labels.npy", content: Self.labelsNpy), .init(name: "embeddings.npy", content: Self.npy),
        ]
        write(StoredZip.bytes(members, zip64: zip64), dir + "/e.npz")
        let file = try #require(try FloatRowFile.open(dir + "/e.npz"))
        #expect(file.rows == 7 && file.cols == 3)
        for chunk in [1, 24, 25, 1 << 20] { #expect(try streamed(file, chunkBytes: chunk) == Self.values) }
        // The whole-file reader reads the same archive (ZIP64 included) to the same values.
        #expect(try EmbeddingLoader.load(dir + "/e.npz").0.values == Self.values)
        // np.savez(f, E, y): arr_0 is the only 2-D member, chosen from the stored headers.
        let unnamed: [StoredZip.Member] = [
            .init(name: "arr_0.npy", content: Self.npy), .init(name: "arr_1.npy", content: Self.labelsNpy),
        ]
        write(StoredZip.bytes(unnamed, zip64: zip64), dir + "/u.npz")
        #expect(try streamed(#require(try FloatRowFile.open(dir + "/u.npz")), chunkBytes: 40) == Self.values)
        #expect(try FloatRowFile.open(dir + "/u.npz", embeddingsKey: "arr_0")?.rows == 7)
        let fixture = try #require(try FloatRowFile.open(packageRoot + "/Tests/TCMDataTests/Fixtures/stored.npz"))
        #expect(try streamed(fixture, chunkBytes: 16) == archiveFixtureValues)
    }

    @Test func damagedNpzMembersAreOneLineErrors() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func archive(_ name: String, zip64: Bool = true, _ edit: (inout StoredZip.Member) -> Void) -> String {
            var member = StoredZip.Member(name: "embeddings.npy", content: Self.npy)
            edit(&member)
            write(StoredZip.bytes([member], zip64: zip64), dir + "/" + name)
            return dir + "/" + name
        }
        // The directory declares more than the file holds (truncated data).
        expectSameError(
            archive("long.npz") { $0.declaredSize = UInt64(Self.npy.count + 4000) },
            containing: "member 'embeddings.npy' (\(Self.npy.count + 4000) bytes from offset")
        // The directory disagrees with the member's .npy header, either way.
        for (name, size) in [("more.npz", Self.npy.count + 4), ("less.npz", Self.npy.count - 4)] {
            _ = archive(name, zip64: false) { $0.declaredSize = UInt64(size) }
            expectDataError(file: "\(name) [embeddings.npy]", containing: "the zip directory declares \(size)") {
                _ = try FloatRowFile.open(dir + "/" + name)
            }
        }
        // The .npy header declares more rows than the member holds.
        let eightRows = handMadeNpy(descr: "<f4", shape: "(8, 3)", payload: floatBytes(Self.values))
        expectSameError(
            archive("rows.npz") { $0.content = eightRows },
            containing: "its .npy header implies \(eightRows.count + 12) bytes (shape [8, 3] of <f4)")
        // ZIP64 sizes that overflow: past Int, and past the file.
        expectSameError(
            archive("huge.npz") { $0.declaredSize = .max }, containing: "declares sizes or offsets past any file")
        // (The whole-file route refuses this one earlier, at its 4 GiB input limit.)
        expectDataError(file: "past.npz", containing: "runs past the end of the file") {
            _ = try FloatRowFile.open(archive("past.npz") { $0.declaredSize = UInt64(Int.max) - 8 })
        }
        // A ZIP64 locator pointing past the archive.
        var bytes = StoredZip.bytes([.init(name: "embeddings.npy", content: Self.npy)], zip64: true)
        let locator = bytes.count - 22 - 20
        for i in 0 ..< 8 { bytes[locator + 8 + i] = 0xFF }
        write(bytes, dir + "/locator.npz")
        expectSameError(
            dir + "/locator.npz", containing: "the ZIP64 end-record locator points to offset 18446744073709551615")
        // A wrong CRC-32: found once the rows have streamed past, with the whole-file message.
        let crc = try #require(try FloatRowFile.open(archive("crc.npz") { $0.crc = 1234 }))
        expectDataError(file: "crc.npz", containing: "member 'embeddings.npy' fails its CRC-32 check (stored 0x4D2") {
            _ = try streamed(crc, chunkBytes: 24)
        }
        expectDataError(file: "crc.npz", containing: "fails its CRC-32 check (stored 0x4D2") {
            _ = try EmbeddingLoader.load(dir + "/crc.npz")
        }
    }

    @Test func damagedSafetensorsAreTheWholeFileRoutesErrors() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let data = floatBytes(Self.values)
        func file(_ name: String, _ header: String, _ data: [UInt8], declaredLength: UInt64? = nil) -> String {
            write(handMadeSafetensors(header: header, data: data, declaredLength: declaredLength), dir + "/" + name)
            return dir + "/" + name
        }
        func tensor(shape: String = "[7,3]", offsets: String) -> String {
            "{\"embeddings\":{\"dtype\":\"F32\",\"shape\":\(shape),\"data_offsets\":\(offsets)}}"
        }
        let cases: [(String, String)] = [
            // Truncated: the header declares more data than the file holds.
            (
                file("short.st", tensor(offsets: "[0,84]"), Array(data.dropLast(4))),
                "ends at data offset 84, past the 80 bytes"
            ),
            // The shape and the offsets disagree, either way.
            (
                file("less.st", tensor(offsets: "[0,80]"), Array(data.dropLast(4))),
                "(84 bytes) but its data_offsets span 80"
            ),
            (
                file("more.st", tensor(shape: "[8,3]", offsets: "[0,84]"), data),
                "(96 bytes) but its data_offsets span 84"
            ),
            // Offsets and shapes whose arithmetic overflows.
            (
                file("offsets.st", tensor(offsets: "[9223372036854775000,9223372036854775807]"), data),
                "past the 84 bytes"
            ),
            (
                file("shape.st", tensor(shape: "[4611686018427387904,4]", offsets: "[0,84]"), data),
                "more bytes than any file holds"
            ),
            (file("trailing.st", tensor(offsets: "[0,84]"), data + [0, 0, 0, 0]), "4 bytes after the last tensor"),
            (
                file("length.safetensors", tensor(offsets: "[0,84]"), data, declaredLength: 1 << 40),
                "over the format's 100000000-byte limit"
            ),
            (
                file("past.st", tensor(offsets: "[0,84]"), data, declaredLength: 4000),
                "header length 4000 bytes runs past the end"
            ),
        ]
        for (path, fragment) in cases { expectSameError(path, containing: fragment) }
    }

    /// A file replaced or truncated under the stream: one line, not a crash (SIGBUS) or garbage.
    @Test(arguments: ["e.safetensors", "e.npz"])
    func aFileThatChangesUnderTheStreamIsAnError(name: String) throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/" + name
        func writeFile() {
            let bytes =
                name.hasSuffix(".npz")
                ? StoredZip.bytes([.init(name: "embeddings.npy", content: Self.npy)])
                : SafetensorsWriter.bytes([.init(name: "embeddings", shape: [7, 3], values: Self.values)])
            write(bytes, path)
        }
        writeFile()
        var file = try #require(try FloatRowFile.open(path))
        // Grown between open and read.
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data([1, 2, 3]))
        try handle.close()
        expectDataError(file: name, containing: "changed size while it was read") {
            _ = try streamed(file, chunkBytes: 24)
        }
        // Shrunk while chunks are read: the next chunk comes up short.
        writeFile()
        file = try #require(try FloatRowFile.open(path))
        file.chunkBytes = 24
        var chunks = 0
        expectDataError(file: name, containing: "truncated while it was read: rows from 2 on are missing") {
            try file.forEachChunk { _, _, _ in
                chunks += 1
                let fd = open(path, O_WRONLY)
                _ = ftruncate(fd, 100)
                close(fd)
            }
        }
        #expect(chunks == 1)
        // Issue 31, cause 7: a file of the same size (other values) renamed over it mid-read is
        // caught by its device and inode, not its size; every row handed over is the original's.
        writeFile()
        file = try #require(try FloatRowFile.open(path))
        file.chunkBytes = 24
        let original = try streamed(file, chunkBytes: 24)
        let before = try #require(FileManager.default.contents(atPath: path))
        var rows: [Float] = []
        expectDataError(file: name, containing: "was replaced while it was read (the name now leads to another file") {
            try file.forEachChunk { first, _, chunk in
                if first == 0 {
                    let other =
                        name.hasSuffix(".npz")
                        ? StoredZip.bytes([
                            .init(
                                name: "embeddings.npy",
                                content: handMadeNpy(
                                    descr: "<f4", shape: "(7, 3)", payload: floatBytes(Self.values.map { $0 + 1 })))
                        ])
                        : SafetensorsWriter.bytes([
                            .init(name: "embeddings", shape: [7, 3], values: Self.values.map { $0 + 1 })
                        ])
                    #expect(other.count == before.count)
                    write(other, path + ".new")
                    #expect(rename(path + ".new", path) == 0)
                }
                rows += chunk
            }
        }
        #expect(rows == original, "read through the descriptor: the original rows only")
    }

    /// No ceiling on the number of values or the file size: a safetensors tensor of 2^29 + 8 F32
    /// values (2 GiB) and a stored `.npz` member of 2^30 + 8 (4 GiB + 32 bytes, so ZIP64 sizes and
    /// offsets) open when the file really holds them (sparse files: no disk space, nothing read
    /// but the headers), where the whole-file reader refuses them.
    @Test func moreThanTwoToTheTwentyNineValuesOpen() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let st = dir + "/huge.safetensors", rows = (1 << 27) + 2
        let header = "{\"embeddings\":{\"dtype\":\"F32\",\"shape\":[\(rows),4],\"data_offsets\":[0,\(rows * 16)]}}"
        let head = handMadeSafetensors(header: header, data: [])
        StoredZip.writeSparse([(0, head)], size: head.count + rows * 16, to: st)
        let tensor = try #require(try FloatRowFile.open(st))
        #expect(tensor.rows == rows && tensor.cols == 4 && tensor.rows * tensor.cols > FileBytes.maxElements)
        #expect(tensor.dataStart == head.count)

        let npz = dir + "/huge.npz", memberRows = (1 << 28) + 2
        let npyHeader = handMadeNpy(descr: "<f4", shape: "(\(memberRows), 4)", payload: [])
        let (pieces, size) = StoredZip.pieces(
            [.init(name: "embeddings.npy", content: npyHeader, zeros: memberRows * 16)], zip64: true)
        StoredZip.writeSparse(pieces, size: size, to: npz)
        let member = try #require(try FloatRowFile.open(npz))
        #expect(member.rows == memberRows && member.cols == 4 && member.rows * 16 > FileBytes.maxBytes)
        #expect(member.dataStart == 30 + "embeddings.npy".utf8.count + 20 + npyHeader.count)
        expectDataError(file: "huge.npz", containing: "over the 4 GiB limit for an input file") {
            _ = try EmbeddingLoader.load(npz)
        }
    }
}
