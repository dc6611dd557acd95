import Foundation
import ZIPFoundation
// zfbench zf FILE MEMBER: one member extracted into memory by ZIPFoundation (CRC checked).
// zfbench tcm FILE: TCMScope's reader, file → Float32 matrix (embeddings only).
let mode = CommandLine.arguments[1], path = CommandLine.arguments[2]
let start = Date()
do {
    if mode == "zf" {
        let archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        guard let entry = archive[CommandLine.arguments[3]] else { print("no member"); exit(2) }
        var data = Data()
        data.reserveCapacity(Int(entry.uncompressedSize))
        _ = try archive.extract(entry, bufferSize: 1 << 20, skipCRC32: false) { data.append($0) }
        print(String(format: "zf  %.3f s, %d bytes", Date().timeIntervalSince(start), data.count))
    }
} catch {
    print("error: \(error)")
    exit(2)
}
