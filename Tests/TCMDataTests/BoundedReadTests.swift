import Foundation
import Testing
@testable import TCMData
#if canImport(Glibc)
import Glibc
#endif

/// gzip-compresses `bytes` with the system's gzip (an implementation independent of the reader).
func gzipped(_ bytes: [UInt8]) throws -> [UInt8] {
    let dir = temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    write(bytes, dir + "/data")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["gzip", "-n", "-9", dir + "/data"]
    try process.run()
    process.waitUntilExit()
    return try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir + "/data.gz")))
}

/// Issue 8, cause 2: only regular files are read, never blocking, and gzip is inflated no
/// further than the content can legitimately reach.
@Suite struct BoundedReadTests {
    @Test func fifoIsRefusedWithoutBlocking() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/pipe.npy"
        #expect(mkfifo(path, 0o600) == 0)
        // With no writer, opening a FIFO for reading would block forever: the test would hang.
        expectDataError(file: "pipe.npy", containing: "not a regular file (FIFO)") {
            _ = try EmbeddingLoader.load(path)
        }
        expectDataError(file: "pipe.npy", containing: "not a regular file (FIFO)") { _ = try LabelLoader.load(path) }
        expectDataError(file: "pipe.npy", containing: "not a regular file (FIFO)") { _ = try FileBytes.read(path) }
    }

    @Test func devicesAreRefusedBeforeReading() {
        expectDataError(file: "/dev/zero", containing: "not a regular file (character device)") {
            _ = try EmbeddingLoader.load("/dev/zero")
        }
        expectDataError(file: "/dev/null", containing: "not a regular file (character device)") {
            _ = try LabelLoader.load("/dev/null")
        }
    }

    @Test func directoryAndSocket() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        expectDataError(file: dir, containing: "is a directory, expected a file") { _ = try EmbeddingLoader.load(dir) }
        let path = dir + "/s.sock"
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #expect(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in path.utf8.prefix(raw.count - 1).enumerated() { raw[i] = b }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        #expect(bound == 0)
        expectDataError(file: "s.sock", containing: "not a regular file (socket)") { _ = try LabelLoader.load(path) }
    }

    @Test func unreadableAndMissing() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        expectDataError(file: "nope.csv", containing: "no such file") {
            _ = try EmbeddingLoader.load(dir + "/nope.csv")
        }
        write(Array("1\n".utf8), dir + "/f")
        expectDataError(file: "f/x", containing: "no such file") { _ = try LabelLoader.load(dir + "/f/x") }
    }

    @Test func fileOverTheSizeLimitIsNotRead() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        write([UInt8](repeating: 0x31, count: 100), dir + "/big.txt")
        expectDataError(file: "big.txt", containing: "file is 100 bytes, over the 64 bytes limit for an input file") {
            _ = try FileBytes.readRegularFile(dir + "/big.txt", maxBytes: 64)
        }
        #expect(try FileBytes.readRegularFile(dir + "/big.txt", maxBytes: 100).count == 100)
    }

    @Test func zerosBombStopsAtTheFirstChunk() throws {
        // 64 MiB of zeros compress to ~64 KB; the reader stops after inflating one 1 MiB chunk.
        let bomb = try gzipped([UInt8](repeating: 0, count: 64 << 20))
        #expect(bomb.count < 100_000)
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        write(bomb, dir + "/bomb.csv.gz")
        expectDataError(
            file: "bomb.csv.gz",
            containing: "the decompressed content is binary data, not .npy, IDX or text (NUL byte at offset 0)"
        ) {
            _ = try EmbeddingLoader.load(dir + "/bomb.csv.gz")
        }
        expectDataError(file: "bomb.csv.gz", containing: "binary data") {
            _ = try LabelLoader.load(dir + "/bomb.csv.gz")
        }
    }

    @Test func textBombStopsAtTheTextLimit() throws {
        let text = try gzipped(Array(String(repeating: "0,0\n", count: 1 << 20).utf8))  // 4 MiB
        expectDataError(file: "t.gz", containing: "gzip content inflates past the 1 MiB limit for CSV/TSV/label text") {
            _ = try FileBytes.decompressIfNeeded(text, file: "t.gz", maxBytes: 8 << 20, maxTextBytes: 1 << 20)
        }
        #expect(
            try FileBytes.decompressIfNeeded(text, file: "t.gz", maxBytes: 8 << 20, maxTextBytes: 4 << 20).bytes.count
                == 4 << 20)
    }

    @Test func idxContentLongerThanItsHeaderDeclares() throws {
        // The header declares 10 labels; 8 MiB follow. Inflation stops within a chunk of the header.
        let idx: [UInt8] = [0, 0, 0x08, 1, 0, 0, 0, 10] + [UInt8](repeating: 1, count: 8 << 20)
        let gz = try gzipped(idx)
        expectDataError(
            file: "l.gz", containing: "gzip content inflates past the 18 bytes its IDX header declares (shape [10])"
        ) {
            _ = try LabelLoader.load(bytes: gz, file: "l.gz")
        }
        // The exact size passes.
        let exact = try gzipped(Array(idx.prefix(18)))
        #expect(try LabelLoader.load(bytes: exact, file: "ok.gz").count == 10)
    }

    @Test func idxHeaderDeclaringMoreThanTheLimitStopsAtTheHeader() throws {
        // 0xFFFFFF × 0xFFFF bytes of data after a 12-byte header.
        let gz = try gzipped(
            [0, 0, 0x08, 2, 0x00, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0xFF, 0xFF] + [UInt8](repeating: 0, count: 1 << 20))
        expectDataError(
            file: "i.gz",
            containing: "IDX header declares 1099494785025 values (shape [16777215, 65535]), over the limit"
        ) {
            _ = try EmbeddingLoader.load(bytes: gz, file: "i.gz")
        }
        // 2^21 strings of 1024 UTF-32 characters: few values, 8 GiB of content.
        let strings = try gzipped(
            handMadeNpy(descr: "<U1024", shape: "(2097152,)", payload: [UInt8](repeating: 0, count: 1 << 20)))
        expectDataError(
            file: "s.gz", containing: "its header declares 8589934720 bytes of content, over the 4 GiB input limit"
        ) {
            _ = try LabelLoader.load(bytes: strings, file: "s.gz")
        }
        let overflow = try gzipped([0, 0, 0x0E, 3] + [UInt8](repeating: 0xFF, count: 12) + [1, 2, 3])
        expectDataError(file: "o.gz", containing: "more bytes than any file can hold") {
            _ = try EmbeddingLoader.load(bytes: overflow, file: "o.gz")
        }
    }

    @Test func npyContentLongerThanItsHeaderDeclares() throws {
        let npy = handMadeNpy(descr: "<f4", shape: "(2, 2)", payload: [UInt8](repeating: 0, count: 4 << 20))
        // The hand-made header is padded to 128 bytes; 4 floats follow.
        expectDataError(
            file: "e.npy.gz",
            containing: "gzip content inflates past the 144 bytes its .npy header declares (shape [2, 2] of <f4)"
        ) {
            _ = try EmbeddingLoader.load(bytes: try gzipped(npy), file: "e.npy.gz")
        }
        let good = handMadeNpy(
            descr: "<f4", shape: "(2, 2)", payload: littleEndianBytes([1, 0, 0, 1].map { Float($0).bitPattern }))
        #expect(try EmbeddingLoader.load(bytes: try gzipped(good), file: "g.npy.gz").0.values == [1, 0, 0, 1])
    }

    @Test func npyHeaderLengthIsBounded() throws {
        var npy: [UInt8] = [0x93] + Array("NUMPY".utf8) + [2, 0] + littleEndianBytes([UInt32(0xFFFF_FFF0)])
        npy += Array("{'descr': '<f4', ".utf8)
        expectDataError(file: "h.npy", containing: "header length 4294967280 bytes is implausible") {
            _ = try NpyArray(bytes: npy, file: "h.npy")
        }
        expectDataError(file: "h.gz", containing: "header length 4294967280 bytes is implausible") {
            _ = try EmbeddingLoader.load(
                bytes: try gzipped(npy + [UInt8](repeating: 0x20, count: 2 << 20)), file: "h.gz")
        }
    }

    @Test func gzipOfRandomBytesIsNamed() throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let random = (0 ..< 50_000).map { _ -> UInt8 in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
        let gz = try gzipped(random)
        expectDataError(file: "r.gz", containing: "the decompressed content") {
            _ = try EmbeddingLoader.load(bytes: gz, file: "r.gz")
        }
        expectDataError(file: "r.gz", containing: "the decompressed content") {
            _ = try LabelLoader.load(bytes: gz, file: "r.gz")
        }
        // Random bytes that are not gzip at all, after a gzip magic:
        expectDataError(file: "c.gz", containing: "gzip") {
            _ = try LabelLoader.load(bytes: [0x1f, 0x8b] + Array(random.prefix(100)), file: "c.gz")
        }
    }

    @Test func emptyGzip() throws {
        expectDataError(file: "e.gz", containing: "the decompressed content is empty") {
            _ = try LabelLoader.load(bytes: try gzipped([]), file: "e.gz")
        }
    }
}
