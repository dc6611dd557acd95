import Foundation
import TCMData
import TCMMetrics

/// `timeline.csv` of `analyze --watch`: a row per snapshot of every watched run (the `name`
/// column tells the runs apart), RFC 4180. Read back when a watch starts in a folder that has one,
/// so that a second watch into the same `--out-dir` adds its runs instead of replacing the file.
public enum TimelineCSV {
    public static let header = ["name", "step", "opis", "epsilon_opis", "recall_at_1", "eer", "samples", "classes"]
    /// A timeline is a few numbers per snapshot: a larger file is not one of ours.
    static let maxBytes = 64 << 20

    public static func render(_ points: [SnapshotPoint]) -> String {
        var csv = CSVWriter.row(header)
        for p in points {
            csv += CSVWriter.row([
                p.name, "\(p.step)", "\(p.opis)", "\(p.epsilonOPIS)", "\(p.recallAt1)", "\(p.eer)", "\(p.samples)",
                "\(p.classes)",
            ])
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
        let bytes = try file.prefix(file.size)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw DataError(path, "is not UTF-8 text: not a timeline this tool wrote")
        }
        let rows = try records(text, file: path)
        guard rows.first == header else {
            throw DataError(path, "does not start with the timeline's header (\(header.joined(separator: ",")))")
        }
        var points: [SnapshotPoint] = []
        for (i, row) in rows.dropFirst().enumerated() {
            let line = i + 2
            guard row.count == header.count, let step = Int(row[1]), step >= 0,
                let opis = Double(row[2]), let epsilon = Double(row[3]), let recall = Double(row[4]),
                let eer = Double(row[5]), let samples = Int(row[6]), samples >= 0, let classes = Int(row[7]),
                classes >= 0
            else {
                throw DataError(path, "row \(line) is not a timeline row (\(header.joined(separator: ",")))")
            }
            points = SnapshotPoint.adding(
                SnapshotPoint(
                    name: row[0], step: step, opis: opis, epsilonOPIS: epsilon, recallAt1: recall, eer: eer,
                    samples: samples, classes: classes),
                to: points)
        }
        return points
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
