import TCMData
import TCMMetrics

/// Count files (analyze --shard / merge): the reader and a merge of what it accepts. A fuzzer
/// would almost never match the CRC-32 trailer, so each input is also tried with its trailer
/// recomputed, which sends it on into the parser and the histogram decoder.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCountFile(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    var resealed = bytes
    if resealed.count >= 4 {
        resealed.removeLast(4)
        var w = ByteWriter()
        w.raw(resealed)
        w.appendChecksum()
        resealed = w.bytes
    }
    for input in [bytes, resealed] {
        if let file = try? CountFile(bytes: input, path: "fuzz.tcmc"), let merged = try? MergedCounts.merge([file], threads: 1) {
            _ = merged.retrieval()
            _ = merged.counts.totalNegatives
            // The report too: extreme totals (Fuzz/corpus/countfile/largest-allowed-totals.tcmc)
            // must reach OPIS and the rates without an overflow.
            _ = ThresholdAnalyzer(counts: merged.counts).report(OPISOptions())
        }
    }
    return 0
}
