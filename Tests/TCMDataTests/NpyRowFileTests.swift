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
        // Grown in place between open and read.
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data(floats([16, 17])))
        try handle.close()
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

    /// Issue 31, cause 7: the stream reads through the descriptor it checked, never by name
    /// again, so a file of the same size renamed over the path (the old reader compared sizes
    /// only, and read the new rows under the old header) is caught by its device and inode, and
    /// not one of its bytes reaches the caller: before the first chunk, or by the end.
    @Test func aSameSizeFileRenamedOverTheStreamIsCaughtByItsInode() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/e.npy", other = dir + "/other.npy"
        let original = (0 ..< 16).map(Float.init), replacement = original.map { $0 + 100 }
        write(handMadeNpy(descr: "<f4", shape: "(8, 2)", payload: floats(original)), path)
        write(handMadeNpy(descr: "<f4", shape: "(8, 2)", payload: floats(replacement)), other)
        func replace() {
            _ = try? FileManager.default.removeItem(atPath: dir + "/spare.npy")
            try! FileManager.default.copyItem(atPath: other, toPath: dir + "/spare.npy")
            #expect(rename(dir + "/spare.npy", path) == 0)
        }
        // Between open and read.
        var file = try #require(try NpyRowFile.open(path))
        replace()
        var seen: [Float] = []
        expectDataError(file: "e.npy", containing: "was replaced while it was read (the name now leads to another file")
        {
            try file.forEachChunk { _, _, chunk in seen += chunk }
        }
        #expect(seen.isEmpty)
        // Mid-read: every row handed over is the original's, then the end check refuses.
        write(handMadeNpy(descr: "<f4", shape: "(8, 2)", payload: floats(original)), path)
        file = try #require(try NpyRowFile.open(path))
        file.chunkBytes = 16
        expectDataError(file: "e.npy", containing: "was replaced while it was read") {
            try file.forEachChunk { first, _, chunk in
                if first == 0 { replace() }
                seen += chunk
            }
        }
        #expect(seen == original, "read through the descriptor: the original rows only")
    }

    /// A file written in place without changing its size (its modification time moves) is caught.
    @Test func aSameSizeWriteInPlaceIsCaught() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/e.npy"
        let bytes = handMadeNpy(descr: "<f4", shape: "(8, 2)", payload: floats((0 ..< 16).map(Float.init)))
        write(bytes, path)
        let file = try #require(try NpyRowFile.open(path))
        var later = timespec(tv_sec: 2_000_000_000, tv_nsec: 0)
        let fd = open(path, O_WRONLY)
        _ = pwrite(fd, [UInt8](repeating: 0, count: 4), 4, off_t(bytes.count - 4))
        _ = withUnsafeMutablePointer(to: &later) { t in
            [t.pointee, t.pointee].withUnsafeBufferPointer { futimens(fd, $0.baseAddress) }
        }
        close(fd)
        expectDataError(file: "e.npy", containing: "was written to while it was read") {
            try file.forEachChunk { _, _, _ in }
        }
    }
}
