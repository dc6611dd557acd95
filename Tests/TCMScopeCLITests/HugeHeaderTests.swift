import Foundation
import TCMData
import TCMTestSupport
import Testing

/// Issue 31, cause 2: a header may honestly declare more rows than the machine can hold. Sparse
/// files of a few KB on disk declaring 1000 × 2^24 float32 (62.5 GiB), as a `.npy`, a safetensors
/// F32 tensor and a stored ZIP64 `.npz` member, through `analyze`, `compare` and `--shard`: one
/// line naming the file and the size (exit 2), where the allocation used to abort (exit 134), and
/// the earlier outputs untouched.
@Suite struct HugeHeaderTests {
    static let rows = 1000, cols = 1 << 24

    /// A `.npy` header for `shape` of little-endian float32, built by hand.
    static func npyHeader(rows: Int, cols: Int, descr: String = "<f4") -> [UInt8] {
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': (\(rows), \(cols)), }"
        header += String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
        let n = header.utf8.count
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(n & 0xFF), UInt8(n >> 8)] + Array(header.utf8)
    }

    /// The three sparse files (header only; the rows are a hole) and a labels file of `rows` rows.
    static func hugeFiles(_ dir: String, rows: Int = rows, cols: Int = cols) -> (files: [String], labels: String) {
        let data = rows * cols * 4
        let npy = npyHeader(rows: rows, cols: cols)
        StoredZip.writeSparse([(0, npy)], size: npy.count + data, to: dir + "/huge.npy")
        let json = Array(
            "{\"embeddings\":{\"dtype\":\"F32\",\"shape\":[\(rows),\(cols)],\"data_offsets\":[0,\(data)]}}".utf8)
        let st = withUnsafeBytes(of: UInt64(json.count).littleEndian) { Array($0) } + json
        StoredZip.writeSparse([(0, st)], size: st.count + data, to: dir + "/huge.safetensors")
        let (pieces, size) = StoredZip.pieces(
            [.init(name: "embeddings.npy", content: npy, zeros: data)], zip64: true)
        StoredZip.writeSparse(pieces, size: size, to: dir + "/huge.npz")
        write(NpyWriter.bytes(int64s: (0 ..< rows).map { Int64($0 % 4) }, shape: [rows]), dir + "/l.npy")
        return ([dir + "/huge.npy", dir + "/huge.safetensors", dir + "/huge.npz"], dir + "/l.npy")
    }

    /// What the pass holds for the shape, counted here independently: the class-ordered
    /// rows (1000 × 2^24 × 4 bytes) and two 8-byte indices a row, and the packed copy (whole
    /// panels of 16 rows: 1008 × 2^24 × 4). 125.5 GiB and 16,000 bytes.
    static let needed = "needs 125.5 GiB, more than this machine can give"

    /// Runs under a 32 GiB address-space limit, so that on a machine with more memory than the
    /// 125.5 GiB needed (none builds this today) the run still ends in the refusal, naming the
    /// limit instead of physical memory, rather than reading 62.5 GiB of holes.
    static func bounded(_ arguments: [String]) throws -> CLIRun {
        try underAddressSpaceLimit(gib: 32, arguments)
    }

    func expectOneLine(
        _ run: CLIRun, file: String, _ fragments: [String], sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(run.status == 2, "\(run.status): \(run.stderr)", sourceLocation: sourceLocation)
        #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)", sourceLocation: sourceLocation)
        #expect(run.stderr.hasPrefix("tcmscope: error: \(file): "), "\(run.stderr)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(run.stderr.contains(fragment), "\(fragment) in \(run.stderr)", sourceLocation: sourceLocation)
        }
    }

    @Test func analyzeRefusesInOneLine() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (files, labels) = Self.hugeFiles(dir)
        write(Array("earlier".utf8), dir + "/report.json")
        for file in files {
            let run = try Self.bounded(["analyze", file, labels, "--out", dir + "/report.json"])
            expectOneLine(
                run, file: file,
                [
                    "the pair pass over 1000 × 16777216 float32 rows (62.5 GiB class-ordered, and a packed copy)",
                    Self.needed, "--shard K/N would not lower this",
                ])
            #expect(run.stdout.isEmpty)
        }
        #expect(FileManager.default.contents(atPath: dir + "/report.json") == Data("earlier".utf8))
    }

    @Test func aShardRefusesInOneLineAndSaysShardsDoNotHelp() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (files, labels) = Self.hugeFiles(dir)
        write(Array("earlier".utf8), dir + "/part.tcmc")
        for file in files {
            let run = try Self.bounded(["analyze", file, labels, "--shard", "3/8", "--counts-out", dir + "/part.tcmc"])
            expectOneLine(
                run, file: file,
                [Self.needed, "each --shard task of runs of whole classes", "so more shards do not lower this"])
        }
        #expect(FileManager.default.contents(atPath: dir + "/part.tcmc") == Data("earlier".utf8))
    }

    /// Issue 35: with 500 classes of 2 and no retrieval the split is in tiles, where a shard holds
    /// only its classes' rows: the whole pass's refusal says to split it with `--shard`, and a
    /// shard's refusal names what the shard itself needs (its rows packed) and that more shards
    /// need less. Under 8 GiB of address space, which a shard's few hundred rows of 64 MiB exceed.
    @Test func tilesShardsNameTheirOwnRows() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (files, _) = Self.hugeFiles(dir)
        write(
            NpyWriter.bytes(int64s: (0 ..< Self.rows).map { Int64($0 % 500) }, shape: [Self.rows]), dir + "/pairs.npy")
        write(Array("earlier".utf8), dir + "/part.tcmc")
        for file in files {
            let whole = try Self.underAddressSpaceLimit(
                gib: 8, ["analyze", file, dir + "/pairs.npy", "--no-retrieval"])
            expectOneLine(
                whole, file: file,
                [
                    "needs 125.5 GiB, more than this machine can give", "split it with --shard K/N",
                    "each shard holds only the rows of its classes",
                ])
            let shard = try Self.underAddressSpaceLimit(
                gib: 8,
                [
                    "analyze", file, dir + "/pairs.npy", "--no-retrieval", "--shard", "3/8", "--counts-out",
                    dir + "/part.tcmc",
                ])
            expectOneLine(
                shard, file: file,
                [
                    "shard 3/8 of the pair pass over 1000 × 16777216 float32 rows (its ", " rows packed, ",
                    "more than this machine can give", "more --shard tasks hold fewer rows each",
                ])
        }
        #expect(FileManager.default.contents(atPath: dir + "/part.tcmc") == Data("earlier".utf8))
    }

    @Test func compareRefusesInOneLine() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (files, labels) = Self.hugeFiles(dir)
        // A: a real model of the same 1000 rows (4 classes, one direction each).
        let values = (0 ..< Self.rows * 4).map { Float(($0 % 4) == ($0 / 4 % 4) ? 1 : 0.1) }
        write(NpyWriter.bytes(floats: values, shape: [Self.rows, 4]), dir + "/a.npy")
        write(Array("earlier".utf8), dir + "/comparison.json")
        for file in files {
            let run = try Self.bounded(["compare", dir + "/a.npy", file, labels, "--out", dir + "/comparison.json"])
            expectOneLine(run, file: file, [Self.needed, "--shard K/N would not lower this"])
        }
        #expect(FileManager.default.contents(atPath: dir + "/comparison.json") == Data("earlier".utf8))
    }

    /// `tcmscope arguments` under `ulimit -v` of `gib` GiB of address space.
    static func underAddressSpaceLimit(gib: Int, _ arguments: [String]) throws -> CLIRun {
        try runProcess("/bin/sh", ["-c", "ulimit -v \(gib << 20) && exec \"$@\"", "sh", try binaryPath()] + arguments)
    }

    /// The address-space limit counts: under `ulimit -v 1 GiB`, a pass over rows of 2 GiB is
    /// refused naming that limit, the tightest (physical memory alone would let it start).
    @Test func theAddressSpaceLimitIsPartOfTheBudget() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (files, labels) = Self.hugeFiles(dir, rows: 1000, cols: 1 << 19)
        for file in files {
            let run = try Self.underAddressSpaceLimit(gib: 1, ["analyze", file, labels])
            // (1000 + 1008) × 2^21 bytes and 16,000: 3.9 GiB.
            expectOneLine(
                run, file: file,
                ["needs 3.9 GiB, more than this machine can give", "under the limit of 1.0 GiB (ulimit -v)"])
        }
    }

    /// gzip content grows to what its header declares: that size is checked when the header has
    /// been inflated, before the rest is (a `.npy.gz` declaring 2^26 × 8 float32, 2 GiB).
    @Test func gzipContentIsCheckedAtItsHeader() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        write(Self.npyHeader(rows: 1 << 26, cols: 8) + [UInt8](repeating: 0, count: 1 << 16), dir + "/e.npy")
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/sh")
        gzip.arguments = ["-c", "gzip -c \"$0/e.npy\" > \"$0/e.npy.gz\"", dir]
        try gzip.run()
        gzip.waitUntilExit()
        #expect(gzip.terminationStatus == 0)
        write(NpyWriter.bytes(int64s: [0, 1], shape: [2]), dir + "/l.npy")
        let run = try Self.underAddressSpaceLimit(gib: 1, ["analyze", dir + "/e.npy.gz", dir + "/l.npy"])
        expectOneLine(
            run, file: dir + "/e.npy.gz",
            [
                "its decompressed content (2147483776 bytes, as its header declares) needs 2.0 GiB, more than this machine can give",
                "(ulimit -v)",
            ])
    }

    /// An array read whole is checked before each copy sized from it: a float64 `.npy` of 2^26
    /// values (512 MiB) is read, copied out of the file's bytes and converted to float32 through
    /// float64 (768 MiB); under 1 GiB of address space one of these is refused in one line
    /// (which one depends on what the process maps at start), where the copy used to abort.
    @Test func aWholeFileConversionIsChecked() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let header = Self.npyHeader(rows: 1 << 24, cols: 4, descr: "<f8")
        StoredZip.writeSparse([(0, header)], size: header.count + (1 << 29), to: dir + "/e.npy")
        write(NpyWriter.bytes(int64s: [0, 1], shape: [2]), dir + "/l.npy")
        let run = try Self.underAddressSpaceLimit(gib: 1, ["analyze", dir + "/e.npy", dir + "/l.npy"])
        expectOneLine(
            run, file: dir + "/e.npy",
            ["more than this machine can give", "(ulimit -v)"])
        let stages = [
            "reading the file whole (536871040 bytes) needs 512.0 MiB",
            "copying its data (536870912 bytes) needs 512.0 MiB",
            "converting its 67108864 values to float32 (through float64) needs 768.0 MiB",
        ]
        #expect(stages.contains { run.stderr.contains($0) }, "\(run.stderr)")
    }

    /// `dash` checks its first analysis (four copies of the rows) before taking the terminal:
    /// 2^18 rows × 256 float32 (256 MiB, one nonzero value a row) under 1 GiB of address space.
    @Test func theDashboardChecksItsFirstAnalysis() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let rows = 1 << 18, cols = 256
        let header = Self.npyHeader(rows: rows, cols: cols)
        let one = withUnsafeBytes(of: Float(1).bitPattern.littleEndian) { Array($0) }
        // Sparse but for a 1 in each row's first column: no zero vectors, nothing to compress.
        StoredZip.writeSparse(
            [(0, header)] + (0 ..< rows).map { (header.count + $0 * cols * 4, one) },
            size: header.count + rows * cols * 4,
            to: dir + "/e.npy")
        write(NpyWriter.bytes(int64s: (0 ..< rows).map { Int64($0 % 3) }, shape: [rows]), dir + "/l.npy")
        let run = try Self.underAddressSpaceLimit(gib: 1, ["dash", dir + "/e.npy", dir + "/l.npy"])
        expectOneLine(
            run, file: dir + "/e.npy",
            [
                "the dashboard's first analysis of 262144 × 256 float32 rows (the rows, class-ordered, packed and normalised for PCA) needs 1.0 GiB, more than this machine can give",
                "(ulimit -v)",
            ])
    }
}
