#if canImport(Glibc)
import Glibc
#endif

/// Zero-filled memory whose pages become resident only when written: for large count arrays of
/// which a pass touches only part (the negative histograms span 20,001 bins, but the similarities
/// of one data set's negatives fill a band of them; a shard touches only its tiles' classes).
///
/// Why not `allocate` + `initialize(repeating: 0)`: that writes, and so makes resident, every
/// page up front: on SOP-sized data 373 MB of 16-bit histograms, most of them zeros that are never
/// counted into. Anonymous `mmap` pages read as zeros and cost memory only once written.
public enum ZeroPages {
    /// `count` zeroed elements; free them with `deallocate(_:count:)`.
    ///
    /// `hugePages`: for memory that will be written through (the retrieval pass's candidate
    /// lists): asks the kernel for 2 MiB pages (`MADV_HUGEPAGE`, honoured where transparent huge
    /// pages are `always` or `madvise`), one fault per 2 MiB instead of 512. Not for sparse counts:
    /// one written bin would back a whole 2 MiB.
    public static func allocate<T>(_: T.Type, count: Int, hugePages: Bool = false) -> UnsafeMutablePointer<T> {
        let bytes = max(1, count * MemoryLayout<T>.stride)
        let raw = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        // Fails only without address space, where `allocate` would trap as well.
        precondition(raw != nil && raw != MAP_FAILED, "out of address space for \(bytes) bytes of counts")
        #if os(Linux)
        // Advice only: where it is refused (no THP), the pages are ordinary ones. Sparse counts
        // say the opposite, so that a system with transparent huge pages `always` does not back
        // 2 MiB (or an mTHP size) around each counted bin.
        _ = madvise(raw, bytes, hugePages && bytes >= 2 << 20 ? MADV_HUGEPAGE : MADV_NOHUGEPAGE)
        #endif
        return raw!.bindMemory(to: T.self, capacity: count)
    }

    public static func deallocate<T>(_ pointer: UnsafeMutablePointer<T>, count: Int) {
        let bytes = max(1, count * MemoryLayout<T>.stride)
        munmap(pointer, bytes)
    }
}
