// libFuzzer target for the JSON report reader (`AnalysisDocument.read`, what `compare A.json
// B.json` and `compare RUN…` read): any bytes must give a validated document or a DataError,
// never a trap or a hang. A document that is accepted is also rendered as text and written
// back as JSON, which must read back (what compare prints and writes from it).
// Seeds: Fuzz/corpus/report/ (analyze --out reports with and without --bootstrap and retrieval).
import TCMData
import TCMScopeSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzReport(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    if let document = try? AnalysisDocument.read(bytes: bytes, file: "fuzz-input") {
        _ = ReportFormat.text(document)
        guard (try? AnalysisDocument.read(bytes: Array(document.json().utf8), file: "rewritten")) != nil else {
            fatalError("an accepted report does not read back once written")
        }
    }
    return 0
}
