// libFuzzer target for the timeline reader (`TimelineCSV.read`, what `analyze --watch` reads back
// from an out-dir before appending to it): any bytes must give points or a DataError, never a trap
// or a hang. Accepted points are written again and must read back as the same points.
// Seeds: Fuzz/corpus/timeline/ (timelines with and without the interval columns).
import TCMMetrics
import TCMScopeSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTimeline(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    if let points = try? TimelineCSV.read(bytes: bytes, file: "fuzz-input") {
        let rewritten = Array(TimelineCSV.render(points).utf8)
        guard let again = try? TimelineCSV.read(bytes: rewritten, file: "rewritten"), again.count == points.count
        else {
            fatalError("an accepted timeline does not read back once written")
        }
    }
    return 0
}
