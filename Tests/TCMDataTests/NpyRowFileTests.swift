import Foundation
import Testing

@testable import TCMData

/// The `.npy` row stream: which files it takes (the rest go to the whole-file readers), the
/// checks it makes before reading, and what it does when the file changes under it.
@Suite struct NpyRowFileTests {
    func floats(_ values: [Float]) -> [UInt8] { littleEndianBytes(values.map(\.bitPattern)) }

    @Test func readsWholeRowsInChunksInOrder() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let values = (0 ..< 7 * 3).map { Float($0) - 4.5 }
        write(handMadeNpy(descr: "<f4", shape: "(7, 3)", payload: floats(values)), dir + "/e.npy")
        var file = try #require(try NpyRowFile.open(dir + "/e.npy"))
        #expect(file.rows == 7 && file.cols == 3)
        for chunk in [1, 24, 25, 1 << 20] {
            file.chunkBytes = chunk
            var seen: [Float] = [], starts: [Int] = [], counts: [Int] = []
            try file.forEachChunk { first, count, chunk in
                starts.append(first)
                counts.append(count)
                seen += chunk
            }
            #expect(seen == values)
            #expect(counts.dropLast().allSatisfy { $0 % 2 == 0 }, "whole 8-byte words but the last: \(counts)")
            #expect(zip(starts.dropFirst(), zip(starts, counts)).allSatisfy { $0 == $1.0 + $1.1 })
        }
    }

    @Test func otherFilesAreLeftToTheWholeFileReaders() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cases: [(String, [UInt8])] = [
            ("f8", handMadeNpy(descr: "<f8", shape: "(2, 2)", payload: [UInt8](repeating: 0, count: 32))),
            ("big-endian", handMadeNpy(descr: ">f4", shape: "(2, 2)", payload: [UInt8](repeating: 0, count: 16))),
            ("fortran", handMadeNpy(descr: "<f4", fortran: true, shape: "(2, 2)", payload: floats([1, 2, 3, 4]))),
            ("1-D", handMadeNpy(descr: "<f4", shape: "(4,)", payload: floats([1, 2, 3, 4]))),
            ("empty", handMadeNpy(descr: "<f4", shape: "(0, 4)", payload: [])),
            ("csv", Array("1,2\n3,4\n".utf8)),
            ("gzip", [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]),
        ]
        for (name, bytes) in cases {
            write(bytes, dir + "/\(name)")
            #expect(try NpyRowFile.open(dir + "/\(name)") == nil, "\(name)")
        }
    }

    @Test func truncatedAndOverlongDataAreRefusedBeforeReading() {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        write(handMadeNpy(descr: "<f4", shape: "(3, 2)", payload: floats([1, 2, 3, 4, 5])), dir + "/short.npy")
        expectDataError(
            file: "short.npy", containing: "truncated: header promises [3, 2] of <f4 (24 bytes), file holds 20"
        ) {
            _ = try NpyRowFile.open(dir + "/short.npy")
        }
        write(handMadeNpy(descr: "<f4", shape: "(1, 2)", payload: floats([1, 2, 3])), dir + "/long.npy")
        expectDataError(file: "long.npy", containing: "4 unexpected bytes after the data of shape [1, 2]") {
            _ = try NpyRowFile.open(dir + "/long.npy")
        }
        expectDataError(file: "none.npy", containing: "no such file") { _ = try NpyRowFile.open(dir + "/none.npy") }
        expectDataError(file: dir, containing: "is a directory") { _ = try NpyRowFile.open(dir) }
    }

    /// No ceiling on the number of values: a header of 2^29 + 8 float32 values (2 GiB) opens when
    /// the file really holds them (a sparse file: no disk space, nothing read), where the
    /// whole-file reader refuses it from the header.
    @Test func moreThanTwoToTheTwentyNineValuesOpen() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/huge.npy"
        let rows = (1 << 27) + 2
        let header = handMadeNpy(descr: "<f4", shape: "(\(rows), 4)", payload: [])
        write(header, path)
        let fd = open(path, O_WRONLY)
        #expect(ftruncate(fd, off_t(header.count + rows * 16)) == 0)
        close(fd)
        let file = try #require(try NpyRowFile.open(path))
        #expect(file.rows == rows && file.cols == 4)
        #expect(file.rows * file.cols > FileBytes.maxElements)
        expectDataError(file: "huge.npy", containing: "over the limit of \(FileBytes.maxElements) values") {
            _ = try NpyLayout.parse(prefix: header, file: "huge.npy", complete: true)
        }
    }

    @Test func aFileThatChangesUnderTheStreamIsAnErrorNotACrash() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/e.npy"
        write(handMadeNpy(descr: "<f4", shape: "(8, 2)", payload: floats((0 ..< 16).map(Float.init))), path)
        var file = try #require(try NpyRowFile.open(path))
        // Grown (or replaced) between open and read.
        write(handMadeNpy(descr: "<f4", shape: "(9, 2)", payload: floats((0 ..< 18).map(Float.init))), path)
        expectDataError(file: "e.npy", containing: "changed size while it was read") {
            try file.forEachChunk { _, _, _ in }
        }
        // Shrunk while chunks are read: the next chunk comes up short.
        write(handMadeNpy(descr: "<f4", shape: "(8, 2)", payload: floats((0 ..< 16).map(Float.init))), path)
        file = try #require(try NpyRowFile.open(path))
        file.chunkBytes = 16
        var chunks = 0
        expectDataError(file: "e.npy", containing: "truncated while it was read: rows from 2 on are missing") {
            try file.forEachChunk { _, _, _ in
                chunks += 1
                let fd = open(path, O_WRONLY)
                _ = ftruncate(fd, 80)
                close(fd)
            }
        }
        #expect(chunks == 1)
    }
}
