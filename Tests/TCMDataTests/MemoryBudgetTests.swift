import Foundation
import Testing

@testable import TCMData

/// Issue 31, cause 2: the check made before any allocation whose size comes from a file, with
/// the limits injected; the real binary under `ulimit -v` is in `HugeHeaderTests`.
@Suite struct MemoryBudgetTests {
    @Test func theTightestLimitDecidesAndIsNamed() throws {
        let budget = MemoryBudget(limits: [
            .init(bytes: 24 << 30, name: "of physical memory"),
            .init(bytes: 3 << 29, name: "of address space left under the limit of 2.0 GiB (ulimit -v)"),
        ])
        try budget.check(bytes: 3 << 29, needs: "rows", file: "e.npy")
        #expect(
            throws: DataError(
                "e.npy",
                "1000 × 16777216 float32 rows needs 62.5 GiB, more than this machine can give (1.5 GiB of address space left under the limit of 2.0 GiB (ulimit -v)); use a machine with more memory"
            )
        ) {
            try budget.check(
                bytes: 1000 << 26, needs: "1000 × 16777216 float32 rows", file: "e.npy",
                advice: "use a machine with more memory")
        }
        // No limit read: nothing is refused (the allocation decides, as before).
        try MemoryBudget(limits: []).check(bytes: Int.max, needs: "rows", file: "e.npy")
    }

    /// A hostile shape's product saturates instead of wrapping to a small (accepted) size.
    @Test func sizesSaturateInsteadOfWrapping() {
        #expect(MemoryBudget.product(1 << 40, 1 << 30, 4) == Int.max)
        #expect(MemoryBudget.product(1000, 1 << 24, 4) == 67_108_864_000)
        #expect(MemoryBudget.sum(Int.max - 1, 2) == Int.max)
        #expect(MemoryBudget.sum(1, 2, 3) == 6)
        #expect(describeSize(Int.max) == "more than 8 EiB")
        #expect(describeSize(67_108_864_000) == "62.5 GiB")
        #expect(describeSize(3 << 19) == "1.5 MiB")
        #expect(describeSize(900) == "900 bytes")
    }

    @Test func theMachineHasAPhysicalMemoryLimit() throws {
        let physical = try #require(MemoryBudget.current().limits.first { $0.name == "of physical memory" })
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), page = sysconf(Int32(_SC_PAGESIZE))
        #expect(physical.bytes == pages * page && physical.bytes > 0)
    }
}

/// The cgroup limit is the tightest of the process's cgroup and its ancestors (a Slurm step
/// under its job), in cgroup v2 (`memory.max`, "max" for none) and v1 (`memory.limit_in_bytes`).
@Suite struct CgroupLimitTests {
    func file(_ path: String, _ text: String) {
        try! FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
    }

    @Test func theTightestAncestorLimitBinds() {
        let root = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        file(root + "/proc", "0::/job_7/step_0\n")
        file(root + "/job_7/memory.max", "8589934592\n")
        file(root + "/job_7/step_0/memory.max", "max\n")
        #expect(MemoryBudget.cgroupLimit(root: root, membership: root + "/proc") == 8 << 30)
        file(root + "/job_7/step_0/memory.max", "1073741824\n")
        #expect(MemoryBudget.cgroupLimit(root: root, membership: root + "/proc") == 1 << 30)
        // cgroup v1: the memory hierarchy; "unlimited" is a huge number.
        file(root + "/proc1", "4:memory:/process_api/a1\n3:cpuset:/\n")
        file(root + "/memory/memory.limit_in_bytes", "9223372036854771712\n")
        file(root + "/memory/process_api/a1/memory.limit_in_bytes", "9223372036854771712\n")
        #expect(MemoryBudget.cgroupLimit(root: root, membership: root + "/proc1") == nil)
        file(root + "/memory/process_api/memory.limit_in_bytes", "2147483648\n")
        #expect(MemoryBudget.cgroupLimit(root: root, membership: root + "/proc1") == 2 << 30)
        #expect(MemoryBudget.cgroupLimit(root: root, membership: root + "/missing") == nil)
    }
}
