import Foundation
import TCMData
import TCMTestSupport
import Testing

/// The real binary on the streamed routes (`FloatRowFile`): a safetensors tensor and a stored
/// `.npz` member report exactly what the whole-file route reports for the same file, and damaged
/// or oversized files end with exit status 2 and one line naming the file and the problem.
@Suite struct StreamedInputCLITests {
    /// `ShardCLITests.dataset`'s rows written as `.npy`, safetensors, stored `.npz` and ZIP64 `.npz`.
    static func containers(_ dir: String, shape: Int) throws -> (files: [String], labels: String) {
        let (e, l) = ShardCLITests.dataset(dir, sizes: ShardCLITests.shapes[shape].sizes, dimension: 13, seed: 90)
        let matrix = try EmbeddingLoader.load(e).0
        let npy = [UInt8](FileManager.default.contents(atPath: e)!)
        write(
            SafetensorsWriter.bytes([
                .init(name: "embeddings", shape: [matrix.rows, matrix.cols], values: matrix.values)
            ]),
            dir + "/e.safetensors")
        write(StoredZip.bytes([.init(name: "embeddings.npy", content: npy)]), dir + "/e.npz")
        write(StoredZip.bytes([.init(name: "x.npy", content: npy)], zip64: true), dir + "/e64.npz")
        return ([e, dir + "/e.safetensors", dir + "/e.npz", dir + "/e64.npz"], l)
    }

    /// Streamed (the default with a labels file) against whole-file (`--drop-zero-vectors`, with
    /// no zero rows, reads the file whole): the same report and count file, byte for byte; and a
    /// shard of any of them merges with one of the `.npy` (the fingerprint is of the values).
    @Test(arguments: [0, 1])
    func streamedAndWholeFileRoutesAgree(shape: Int) throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (files, l) = try Self.containers(dir, shape: shape)
        _ = try tcmscope(["analyze", files[0], l, "--shard", "0/2", "--counts-out", dir + "/npy-0.tcmc"])
        for (k, e) in files.enumerated() {
            let streamed = try tcmscope(["analyze", e, l, "--json", "--counts-out", dir + "/s\(k).tcmc"])
            let whole = try tcmscope(
                ["analyze", e, l, "--json", "--counts-out", dir + "/w\(k).tcmc", "--drop-zero-vectors"])
            #expect(streamed.status == 0 && whole.status == 0, "\(e): \(streamed.stderr) \(whole.stderr)")
            #expect(
                ShardCLITests.withoutTiming(streamed.stdout) == ShardCLITests.withoutTiming(whole.stdout), "\(e)")
            let s = try #require(FileManager.default.contents(atPath: dir + "/s\(k).tcmc"))
            #expect(s == FileManager.default.contents(atPath: dir + "/w\(k).tcmc"), "\(e)")
            // Parts merge only when their data sets' fingerprints are equal.
            _ = try tcmscope(["analyze", e, l, "--shard", "1/2", "--counts-out", dir + "/part-\(k).tcmc"])
            let merged = try tcmscope(["merge", dir + "/npy-0.tcmc", dir + "/part-\(k).tcmc", "--json"])
            #expect(merged.status == 0, "\(e): \(merged.stderr)")
        }
    }

    /// Exit status 2 and one line naming the file and the problem, for each streamed format.
    func expectRefusal(
        _ arguments: [String], file: String, problem: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let run = try tcmscope(arguments)
        #expect(run.status == 2, "\(arguments): \(run.status) \(run.stderr)", sourceLocation: sourceLocation)
        #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)", sourceLocation: sourceLocation)
        #expect(
            run.stderr.hasPrefix("tcmscope: error: \(file)") && run.stderr.contains(problem), "\(run.stderr)",
            sourceLocation: sourceLocation)
        #expect(run.stdout.isEmpty, sourceLocation: sourceLocation)
    }

    @Test func damagedStreamedInputsAreOneLineAndExitTwo() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (files, l) = try Self.containers(dir, shape: 1)
        let npy = [UInt8](FileManager.default.contents(atPath: files[0])!)
        let rows = ShardCLITests.shapes[1].sizes.reduce(0, +), bytes = rows * 13 * 4
        // Truncated: the header promises more rows than the file holds.
        write(Array(npy.dropLast(8)), dir + "/short.npy")
        try expectRefusal(
            ["analyze", dir + "/short.npy", l], file: dir + "/short.npy",
            problem: "truncated: header promises [\(rows), 13] of <f4 (\(bytes) bytes), file holds \(bytes - 8)")
        let st = [UInt8](FileManager.default.contents(atPath: files[1])!)
        write(Array(st.dropLast(8)), dir + "/short.safetensors")
        try expectRefusal(
            ["analyze", dir + "/short.safetensors", l], file: dir + "/short.safetensors",
            problem: "tensor 'embeddings' ends at data offset \(bytes), past the \(bytes - 8) bytes of data")
        // A member whose zip directory declares other than its .npy header.
        var member = StoredZip.Member(name: "embeddings.npy", content: npy)
        member.declaredSize = UInt64(npy.count - 8)
        write(StoredZip.bytes([member], zip64: true), dir + "/bad.npz")
        try expectRefusal(
            ["analyze", dir + "/bad.npz", l, "--json"], file: dir + "/bad.npz [embeddings.npy]",
            problem: "its .npy header implies \(npy.count) bytes")
        // A wrong CRC-32, found after the rows streamed past: still one line, nothing reported.
        member = StoredZip.Member(name: "embeddings.npy", content: npy)
        member.crc = 7
        write(StoredZip.bytes([member]), dir + "/crc.npz")
        try expectRefusal(
            ["analyze", dir + "/crc.npz", l, "--json"], file: dir + "/crc.npz",
            problem: "member 'embeddings.npy' fails its CRC-32 check (stored 0x7")
        // The same through `compare`, which shares the loader.
        try expectRefusal(
            ["compare", files[0], dir + "/crc.npz", "--labels", l], file: dir + "/crc.npz",
            problem: "fails its CRC-32 check")
    }

    /// Files past the whole-file reader's limits (2^29 values, 4 GiB) reach the streamed route
    /// from the command line: sparse files whose headers are read, then refused for their label
    /// count before any row is read — the whole-file route would refuse them for their size.
    @Test func filesPastTheWholeFileLimitsTakeTheStreamedRoute() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        write(NpyWriter.bytes(int64s: [1, 2, 3], shape: [3]), dir + "/l.npy")
        let rows = (1 << 28) + 2
        // A version 1.0 .npy header, padded so the data starts at byte 128.
        var dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), 4), }"
        dict += String(repeating: " ", count: 128 - 10 - 1 - dict.utf8.count) + "\n"
        let header = [0x93] + Array("NUMPY".utf8) + [1, 0, 118, 0] + Array(dict.utf8)
        StoredZip.writeSparse([(0, header)], size: header.count + rows * 16, to: dir + "/huge.npy")
        let json = "{\"embeddings\":{\"dtype\":\"F32\",\"shape\":[\(rows),4],\"data_offsets\":[0,\(rows * 16)]}}"
        let st = Array(withUnsafeBytes(of: UInt64(json.utf8.count).littleEndian) { Array($0) }) + Array(json.utf8)
        StoredZip.writeSparse([(0, st)], size: st.count + rows * 16, to: dir + "/huge.safetensors")
        let (pieces, size) = StoredZip.pieces(
            [.init(name: "embeddings.npy", content: header, zeros: rows * 16)], zip64: true)
        StoredZip.writeSparse(pieces, size: size, to: dir + "/huge.npz")
        for name in ["huge.npy", "huge.safetensors", "huge.npz"] {
            try expectRefusal(
                ["analyze", dir + "/" + name, dir + "/l.npy"], file: dir + "/" + name,
                problem: "\(rows) embeddings but 3 labels; counts must match")
        }
    }
}
