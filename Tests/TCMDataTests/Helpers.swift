import Foundation
import Testing
@testable import TCMData

/// Builds .npy bytes by hand (independently of `NpyWriter`), for any version, dtype and order.
func handMadeNpy(descr: String, fortran: Bool = false, shape: String, payload: [UInt8], version: UInt8 = 1) -> [UInt8] {
    var header = "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shape), }"
    let prefix = version == 1 ? 10 : 12
    header += String(repeating: " ", count: (64 - (prefix + header.utf8.count + 1) % 64) % 64) + "\n"
    var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version, 0]
    let n = header.utf8.count
    if version == 1 {
        out += [UInt8(n & 0xff), UInt8(n >> 8)]
    } else {
        out += [UInt8(n & 0xff), UInt8(n >> 8 & 0xff), 0, 0]
    }
    return out + Array(header.utf8) + payload
}

func littleEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
    values.flatMap { v in withUnsafeBytes(of: v.littleEndian) { Array($0) } }
}

func bigEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
    values.flatMap { v in withUnsafeBytes(of: v.bigEndian) { Array($0) } }
}

/// A fresh temporary directory, removed by the caller with `try? FileManager.default.removeItem`.
func temporaryDirectory() -> String {
    let path = NSTemporaryDirectory() + "tcmscope-test-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func write(_ bytes: [UInt8], _ path: String) {
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
}

/// The package root, from this file's location.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// Asserts that `body` throws a DataError naming `file` and whose problem contains `fragment`.
func expectDataError(
    file: String, containing fragment: String, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) {
    do {
        try body()
        Issue.record("expected an error containing '\(fragment)'", sourceLocation: sourceLocation)
    } catch let error as DataError {
        #expect(error.file.contains(file), "file was \(error.file)", sourceLocation: sourceLocation)
        #expect(error.problem.contains(fragment), "problem was: \(error.problem)", sourceLocation: sourceLocation)
        #expect(!error.description.contains("\n"), "one line", sourceLocation: sourceLocation)
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    }
}
