import Dispatch
import Foundation
import Synchronization

/// Runs `body(item)` for every item in `0..<count` on up to `threads` threads, handing items out
/// dynamically (a shared counter), so uneven items still balance.
public func parallelForEach(count: Int, threads: Int, _ body: @Sendable (Int) -> Void) {
    parallelForEach(count: count, threads: threads) { _, item in body(item) }
}

/// As above, also passing the worker number (`0 ..< min(threads, count)`) so that each worker
/// can own scratch memory.
public func parallelForEach(count: Int, threads: Int, _ body: @Sendable (_ worker: Int, _ item: Int) -> Void) {
    guard count > 0 else { return }
    let workers = max(1, min(threads, count))
    if workers == 1 {
        for i in 0 ..< count { body(0, i) }
        return
    }
    let next = Atomic<Int>(0)
    DispatchQueue.concurrentPerform(iterations: workers) { worker in
        while true {
            let i = next.add(1, ordering: .relaxed).oldValue
            if i >= count { break }
            body(worker, i)
        }
    }
}

/// The number of compute threads to use by default: every core the process may use.
public var defaultThreadCount: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

/// A raw buffer that several threads write at disjoint indices. The caller guarantees
/// disjointness; that is why this is `@unchecked Sendable`.
public struct SharedBuffer<Element>: @unchecked Sendable {
    public let base: UnsafeMutablePointer<Element>
    public let count: Int
    public init(count: Int) {
        self.count = count
        base = .allocate(capacity: max(count, 1))
    }
    public func initialize(_ i: Int, to value: Element) { (base + i).initialize(to: value) }
    /// Moves the (fully initialised) elements out into an array and frees the buffer.
    public func moveToArray() -> [Element] {
        let out = Array(UnsafeBufferPointer(start: base, count: count))
        base.deinitialize(count: count)
        base.deallocate()
        return out
    }
}

/// Reports the share of work done to a callback at most every 1 % (workers call `advance`).
public final class ProgressCounter: Sendable {
    private let total: Int
    private let done = Atomic<Int>(0)
    private let lastReported = Atomic<Int>(-1)
    private let callback: (@Sendable (Double) -> Void)?

    public init(total: Int, callback: (@Sendable (Double) -> Void)?) {
        self.total = max(total, 1)
        self.callback = callback
    }

    public func advance(by n: Int) {
        guard let callback else { return }
        let now = done.add(n, ordering: .relaxed).newValue
        let percent = min(100, now * 100 / total)
        let previous = lastReported.load(ordering: .relaxed)
        if percent > previous,
            lastReported.compareExchange(expected: previous, desired: percent, ordering: .relaxed).exchanged
        {
            callback(Double(percent) / 100)
        }
    }
}
