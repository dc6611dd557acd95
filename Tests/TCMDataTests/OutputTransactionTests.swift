import Foundation
import Testing
import TCMData

/// The commit of several outputs (issue 18, cause 4): all replaced, or none; the earlier files
/// kept during the renames never outlive the commit.
@Suite struct OutputTransactionTests {
    static func directory() -> String {
        let path = NSTemporaryDirectory() + "tcmscope-tx-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func text(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

    func leftovers(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter {
            $0.contains(OutputTransaction.marker)
        }
    }

    @Test func aCommitReplacesEveryTargetAndKeepsNothingBehind() throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "old a".write(toFile: dir + "/a", atomically: false, encoding: .utf8)
        let transaction = OutputTransaction()
        try transaction.stage("new a", to: dir + "/a")
        try transaction.stage("new b", to: dir + "/b")  // no earlier file
        #expect(leftovers(dir).count == 2)
        try transaction.commit()
        #expect(text(dir + "/a") == "new a" && text(dir + "/b") == "new b")
        #expect(leftovers(dir).isEmpty, "\(leftovers(dir))")
    }

    @Test func aTargetThatStoppedBeingAFileStopsTheWholeCommit() throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "old a".write(toFile: dir + "/a", atomically: false, encoding: .utf8)
        try "old b".write(toFile: dir + "/b", atomically: false, encoding: .utf8)
        let transaction = OutputTransaction()
        try transaction.stage("new a", to: dir + "/a")
        try transaction.stage("new b", to: dir + "/b")
        // Between staging and the commit, b becomes a directory.
        try FileManager.default.removeItem(atPath: dir + "/b")
        try FileManager.default.createDirectory(atPath: dir + "/b", withIntermediateDirectories: false)
        do {
            try transaction.commit()
            Issue.record("the commit replaced a directory")
        } catch let e as DataError {
            #expect(e.file == dir + "/b" && e.problem.contains("a directory"), "\(e)")
        }
        #expect(text(dir + "/a") == "old a")
        #expect(leftovers(dir).isEmpty, "\(leftovers(dir))")
    }

    /// A file staged piece by piece (a shard's count file) is what the pieces make; a body that
    /// fails part-way leaves the target as it was and no temporary file behind.
    @Test func aFileStagedInPiecesIsWholeOrAbsent() throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "old a".write(toFile: dir + "/a", atomically: false, encoding: .utf8)
        let transaction = OutputTransaction()
        try transaction.stage(to: dir + "/a") { write in
            for piece in ["new", " ", "a"] { try write(Array(piece.utf8)) }
        }
        try transaction.commit()
        #expect(text(dir + "/a") == "new a")

        struct Stop: Error {}
        let failing = OutputTransaction()
        #expect(throws: Stop.self) {
            try failing.stage(to: dir + "/a") { write in
                try write(Array("half".utf8))
                throw Stop()
            }
        }
        #expect(leftovers(dir).isEmpty, "\(leftovers(dir))")
        try failing.commit()  // nothing was staged
        #expect(text(dir + "/a") == "new a")
    }

    /// Bytes drained as they are written carry the checksum of the whole, as if held at once.
    @Test func drainedBytesKeepTheWholeChecksum() {
        var whole = ByteWriter(), drained = ByteWriter(), out: [UInt8] = []
        for i in 0 ..< 1000 {
            for w in [0, 1] {
                var writer = w == 0 ? whole : drained
                writer.varint(i * 7919)
                writer.string("class \(i)")
                if w == 0 { whole = writer } else { drained = writer }
            }
            if i % 97 == 0 { drained.drain { out += $0 } }
        }
        whole.appendChecksum()
        drained.appendChecksum()
        #expect(drained.count == whole.count && drained.bytes.count < whole.count)
        drained.drain { out += $0 }
        #expect(out == whole.bytes)
    }
}
