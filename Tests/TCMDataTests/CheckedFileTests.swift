import Foundation
import Testing

@testable import TCMData

/// Issue 31, cause 7: a file is opened once, checked on its descriptor and read through it (the
/// streams' same-size replacement cases are in `NpyRowFileTests` and `ContainerRowStreamTests`).
@Suite struct CheckedFileTests {
    /// Where links are refused (watched folders) the open itself refuses
    /// them (`lstat`, then `O_NOFOLLOW`); elsewhere a link to a file is read as the file.
    @Test func aLinkIsRefusedOnlyWhereLinksAreRefused() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        write([1, 2, 3], dir + "/target")
        #expect(symlink(dir + "/target", dir + "/link") == 0)
        #expect(try FileBytes.readRegularFile(dir + "/link") == [1, 2, 3])
        expectDataError(file: "link", containing: "is a symbolic link; links are not read here") {
            _ = try FileBytes.readRegularFile(dir + "/link", refuseLinks: true)
        }
        #expect(try FileBytes.readRegularFile(dir + "/target", refuseLinks: true) == [1, 2, 3])
    }

    /// The identity kept is the descriptor's: a name that now leads to another file, or to none,
    /// is told apart from the file that was opened, which is still what is read.
    @Test func theNameIsComparedWithTheDescriptor() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        write([1, 2, 3], dir + "/a")
        write([4, 5, 6], dir + "/b")
        let file = try CheckedFile(dir + "/a")
        try file.requireUnchanged()
        #expect(rename(dir + "/b", dir + "/a") == 0)
        expectDataError(file: "a", containing: "was replaced while it was read") { try file.requireUnchanged() }
        #expect(try file.prefix(3) == [1, 2, 3], "still the file that was opened")
        #expect(unlink(dir + "/a") == 0)
        expectDataError(file: "a", containing: "was replaced while it was read") { try file.requireUnchanged() }
    }
}
