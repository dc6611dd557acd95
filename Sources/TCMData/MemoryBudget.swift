#if canImport(Glibc)
import Glibc
#endif

/// What this process can be given, checked before any allocation whose size comes from a file.
///
/// Why: a header may honestly declare far more than the machine holds (a sparse file of a few KB
/// declaring 1000 × 2^24 float32 rows, 64 GiB). Swift's allocators trap when the memory is not
/// there ("failed to allocate … bytes", SIGABRT), so the size is compared first with the smallest
/// of: physical memory, the address-space limit (`ulimit -v`, less what the process already
/// maps) and a cgroup v2/v1 memory limit (containers, Slurm), and refused with one line naming
/// the file, the size and the limit.
public struct MemoryBudget: Sendable, Equatable {
    public struct Limit: Sendable, Equatable {
        public let bytes: Int
        /// What the limit is, for the message: "of physical memory", ….
        public let name: String
        public init(bytes: Int, name: String) {
            self.bytes = bytes
            self.name = name
        }
    }

    public let limits: [Limit]

    public init(limits: [Limit]) { self.limits = limits }

    /// The tightest limit (nil when none could be read: nothing is refused then).
    public var tightest: Limit? { limits.min { $0.bytes < $1.bytes } }

    /// The limits now (read each time: the address space left shrinks as the process maps more).
    public static func current() -> MemoryBudget {
        var limits: [Limit] = []
        let page = sysconf(Int32(_SC_PAGESIZE)), pages = sysconf(Int32(_SC_PHYS_PAGES))
        if page > 0 && pages > 0 {
            limits.append(Limit(bytes: product(page, pages), name: "of physical memory"))
        }
        var rl = rlimit()
        if getrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &rl) == 0 && rl.rlim_cur != rlim_t.max {
            let cap = rl.rlim_cur > UInt64(Int.max) ? Int.max : Int(rl.rlim_cur)
            let mapped = firstNumber(inFile: "/proc/self/statm").map { product($0, max(page, 1)) } ?? 0
            limits.append(
                Limit(
                    bytes: max(0, cap - mapped),
                    name: "of address space left under the limit of \(describeSize(cap)) (ulimit -v)"))
        }
        if let bytes = cgroupLimit() { limits.append(Limit(bytes: bytes, name: "under the cgroup memory limit")) }
        return MemoryBudget(limits: limits)
    }

    /// The tightest memory limit of this process's cgroup and its ancestors (a Slurm step, a
    /// container, a systemd scope), from `/proc/self/cgroup`: cgroup v2 (`0::/path`, limits in
    /// `memory.max`) or v1 (the `memory` hierarchy, `memory.limit_in_bytes`). `root` and
    /// `membership` are for tests.
    static func cgroupLimit(
        root: String = "/sys/fs/cgroup", membership: String = "/proc/self/cgroup"
    ) -> Int? {
        guard let text = smallFile(membership) else { return nil }
        // Each place: the hierarchy's mount, the process's directory in it, the limit's file.
        var places: [(mount: String, directory: String, file: String)] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3, fields[2].hasPrefix("/"), !fields[2].contains("..") else { continue }
            if fields[0] == "0" && fields[1].isEmpty {
                places.append((root, root + String(fields[2]), "memory.max"))
            } else if fields[1].split(separator: ",").contains("memory") {
                places.append((root + "/memory", root + "/memory" + String(fields[2]), "memory.limit_in_bytes"))
            }
        }
        var tightest: Int? = nil
        for (mount, start, file) in places {
            var directory = start
            // From the process's cgroup up to the hierarchy's mount: a parent's limit binds too.
            while true {
                // "max" (no limit) reads as no number; cgroup v1 writes a huge number for none.
                if let bytes = firstNumber(inFile: directory + "/" + file), bytes < 1 << 60 {
                    tightest = min(tightest ?? bytes, bytes)
                }
                guard directory.count > mount.count, let slash = directory.lastIndex(of: "/") else { break }
                directory = String(directory[..<slash])
            }
        }
        return tightest
    }

    /// Throws, naming `file`, when `bytes` are more than the tightest limit: "`file`: `needs`
    /// needs 64.0 GiB, more than this machine can give (23.4 GiB of physical memory); `advice`".
    /// `needs` says what the bytes are for ("1000 × 16777216 float32 rows").
    public func check(bytes: Int, needs: String, file: String, advice: String = "") throws {
        guard let limit = tightest, bytes > limit.bytes else { return }
        throw DataError(
            file,
            "\(needs) needs \(describeSize(bytes)), more than this machine can give (\(describeSize(limit.bytes)) \(limit.name))"
                + (advice.isEmpty ? "" : "; " + advice))
    }

    /// Before the values of an array read whole are converted: `bytesPerValue` bytes for each of
    /// `count` values (4 for a float32 copy, 12 through float64, 8 more for a transpose).
    static func checkConversion(values count: Int, bytesPerValue: Int, to what: String, file: String) throws {
        try current().check(
            bytes: product(count, bytesPerValue), needs: "converting its \(count) values to \(what)", file: file)
    }

    /// `a × b × …`, or Int.max when that overflows (a hostile header's shape can multiply past it).
    public static func product(_ factors: Int...) -> Int {
        var total = 1
        for f in factors {
            let (p, overflow) = total.multipliedReportingOverflow(by: max(f, 0))
            if overflow { return Int.max }
            total = p
        }
        return total
    }

    /// `a + b + …`, or Int.max when that overflows.
    public static func sum(_ terms: Int...) -> Int {
        var total = 0
        for t in terms {
            let (s, overflow) = total.addingReportingOverflow(max(t, 0))
            if overflow { return Int.max }
            total = s
        }
        return total
    }

    /// The first decimal number of a small system file (`/proc`, `/sys`).
    private static func firstNumber(inFile path: String) -> Int? {
        guard let text = smallFile(path) else { return nil }
        let digits = text.utf8.prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        guard !digits.isEmpty, digits.count <= 18 else { return nil }
        return Int(String(decoding: digits, as: UTF8.self))
    }

    /// At most the first 4 KiB of a small system file, as text.
    private static func smallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        var done = 0
        while done < buffer.count {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + done, 4096 - done) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            done += n
        }
        return done > 0 ? String(decoding: buffer[0 ..< done], as: UTF8.self) : nil
    }
}

/// "64.0 GiB", "512.0 MiB", "900 bytes": sizes in messages about memory.
public func describeSize(_ bytes: Int) -> String {
    if bytes == Int.max { return "more than 8 EiB" }
    let b = Double(bytes)
    if bytes >= 1 << 30 { return formatOneDecimal(b / Double(1 << 30)) + " GiB" }
    if bytes >= 1 << 20 { return formatOneDecimal(b / Double(1 << 20)) + " MiB" }
    if bytes >= 1 << 10 { return formatOneDecimal(b / Double(1 << 10)) + " KiB" }
    return "\(bytes) bytes"
}

private func formatOneDecimal(_ x: Double) -> String {
    let tenths = (x * 10).rounded()
    guard tenths < 1e15 else { return "\(Int(x))" }
    let t = Int(tenths)
    return "\(t / 10).\(t % 10)"
}
