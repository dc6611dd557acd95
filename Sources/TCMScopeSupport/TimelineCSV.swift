import Foundation
import TCMData
import TCMMetrics

/// `timeline.csv` of `analyze --watch`: a row per snapshot of every watched run (the `name`
/// column tells the runs apart), RFC 4180. Read back when a watch starts in a folder that has one,
/// so that a second watch into the same `--out-dir` adds its runs instead of replacing the file.
///
/// With `--bootstrap`, five columns follow the eight of `header` (`intervalColumns`): the level and
/// the ends of OPIS's and ε-OPIS's intervals, empty in a row without them (a snapshot analysed
/// without the bootstrap, or ε-OPIS withheld under 1000 classes). They are written only when some
/// row has intervals, so a timeline without the bootstrap keeps its eight columns; either form is
/// read back, and an eight-column timeline appended to with intervals gains the columns, its
/// earlier rows empty in them.
public enum TimelineCSV {
    public static let header = ["name", "step", "opis", "epsilon_opis", "recall_at_1", "eer", "samples", "classes"]
    public static let intervalColumns = [
        "ci_level", "opis_ci_low", "opis_ci_high", "epsilon_opis_ci_low", "epsilon_opis_ci_high",
    ]
    /// A timeline is a few numbers per snapshot: a larger file is not one of ours.
    static let maxBytes = 64 << 20

    public static func render(_ points: [SnapshotPoint]) -> String {
        let withIntervals = points.contains { $0.intervals != nil }
        var csv = CSVWriter.row(withIntervals ? header + intervalColumns : header)
        for p in points {
            var row = [
                p.name, "\(p.step)", "\(p.opis)", "\(p.epsilonOPIS)", "\(p.recallAt1)", "\(p.eer)", "\(p.samples)",
                "\(p.classes)",
            ]
            if withIntervals {
                let i = p.intervals, e = i?.epsilonOPIS
                row += [i?.level, i?.opis.low, i?.opis.high, e?.low, e?.high].map { $0.map { "\($0)" } ?? "" }
            }
            csv += CSVWriter.row(row)
        }
        return csv
    }

    /// The points of an existing `timeline.csv`, none when there is no such file; a file that is
    /// not a timeline this tool wrote is an error naming it (it is never overwritten unread).
    public static func read(_ path: String) throws -> [SnapshotPoint] {
        var info = stat()
        if lstat(path, &info) != 0 && errno == ENOENT { return [] }
        // Read through the descriptor that was checked: a regular file, no link (the out-dir's
        // names are this tool's, but a link there could point anywhere).
        let file = try CheckedFile(path, refuseLinks: true)
        guard file.size <= maxBytes else {
            throw DataError(path, "is \(file.size) bytes: not a timeline of snapshots (at most \(maxBytes))")
        }
        return try read(bytes: try file.prefix(file.size), file: path)
    }

    /// The points of a timeline's bytes (`file` names it in errors); what `read(_:)` parses, and
    /// the fuzz target `timeline` feeds.
    public static func read(bytes: [UInt8], file path: String) throws -> [SnapshotPoint] {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw DataError(path, "is not UTF-8 text: not a timeline this tool wrote")
        }
        let rows = try records(text, file: path)
        let columns = rows.first ?? []
        guard columns == header || columns == header + intervalColumns else {
            throw DataError(
                path,
                "does not start with the timeline's header (\(header.joined(separator: ",")), optionally followed by \(intervalColumns.joined(separator: ",")))"
            )
        }
        var points: [SnapshotPoint] = []
        for (i, row) in rows.dropFirst().enumerated() {
            let line = i + 2
            guard row.count == columns.count, let step = Int(row[1]), step >= 0,
                let opis = Double(row[2]), let epsilon = Double(row[3]), let recall = Double(row[4]),
                let eer = Double(row[5]), let samples = Int(row[6]), samples >= 0, let classes = Int(row[7]),
                classes >= 0, let rowIntervals = intervals(row.dropFirst(header.count))
            else {
                throw DataError(path, "row \(line) is not a timeline row (\(columns.joined(separator: ",")))")
            }
            points = SnapshotPoint.adding(
                SnapshotPoint(
                    name: row[0], step: step, opis: opis, epsilonOPIS: epsilon, recallAt1: recall, eer: eer,
                    samples: samples, classes: classes, intervals: rowIntervals),
                to: points)
        }
        return points
    }

    /// The interval cells of a row: none (an eight-column timeline), all five empty (no bootstrap),
    /// or a level and OPIS's ends with ε-OPIS's both given or both empty. The outer nil is a row
    /// that is not one of ours; the inner nil, a row without intervals.
    static func intervals(_ cells: ArraySlice<String>) -> SnapshotIntervals?? {
        let cells = Array(cells)
        if cells.isEmpty || cells.allSatisfy(\.isEmpty) { return .some(nil) }
        guard cells.count == intervalColumns.count, let level = Double(cells[0]), let low = Double(cells[1]),
            let high = Double(cells[2])
        else { return nil }
        var epsilon: SnapshotIntervals.Ends? = nil
        if !(cells[3].isEmpty && cells[4].isEmpty) {
            guard let low = Double(cells[3]), let high = Double(cells[4]) else { return nil }
            epsilon = .init(low: low, high: high)
        }
        return SnapshotIntervals(level: level, opis: .init(low: low, high: high), epsilonOPIS: epsilon)
    }

    /// RFC 4180 records: fields split at commas, quoted fields may hold commas, quotes (doubled)
    /// and line breaks; records end with LF or CRLF.
    static func records(_ text: String, file: String) throws -> [[String]] {
        var records: [[String]] = [], record: [String] = [], field = ""
        var quoted = false, wasQuoted = false
        var scalars = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        func next() -> Unicode.Scalar? {
            defer { pending = nil }
            return pending ?? scalars.next()
        }
        while let c = next() {
            if quoted {
                if c == "\"" {
                    let d = scalars.next()
                    if d == "\"" {
                        field.unicodeScalars.append("\"")
                    } else {
                        // The closing quote: what followed it is read as outside the quotes.
                        quoted = false
                        pending = d
                    }
                } else {
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"" where field.isEmpty && !wasQuoted:
                quoted = true
                wasQuoted = true
            case ",":
                record.append(field)
                field = ""
                wasQuoted = false
            case "\n":
                record.append(field)
                records.append(record)
                (record, field, wasQuoted) = ([], "", false)
            case "\r":
                continue
            default:
                field.unicodeScalars.append(c)
            }
        }
        if quoted { throw DataError(file, "ends inside a quoted field") }
        if !field.isEmpty || !record.isEmpty {
            record.append(field)
            records.append(record)
        }
        return records
    }
}
