import TCMKernels

/// Every query's best candidates so far, as one bounded max-heap of keys per query in one
/// allocation: the fused pass offers each similarity it computes to both ends of the pair.
///
/// A key is (similarity descending, index ascending) in one integer, the exact order of
/// `Retrieval.nearest`, so the `need` smallest keys are the `need` nearest items. `worst[q]` is
/// the similarity of the heap's root once the heap is full (−∞ before, +∞ for a query that needs
/// nothing): a candidate below it cannot enter, which the pass tests eight columns at a time.
///
/// Concurrency: the caller guarantees that one query's heap is touched by one thread at a time
/// (the pass schedules tiles so that no two running tiles share a row group).
struct NeighbourHeaps: @unchecked Sendable {
    let count: Int
    let offsets: UnsafeMutablePointer<Int>
    let sizes: UnsafeMutablePointer<Int>
    let keys: UnsafeMutablePointer<UInt64>
    let worst: UnsafeMutablePointer<Float>

    /// Bytes needed for these capacities (to decide whether the fused pass fits its budget).
    static func bytes(capacities total: Int, queries: Int) -> Int { total * 8 + queries * 20 }

    init(capacities: [Int]) {
        count = capacities.count
        offsets = .allocate(capacity: count + 1)
        sizes = .allocate(capacity: max(count, 1))
        worst = .allocate(capacity: max(count, 1))
        offsets[0] = 0
        for q in 0 ..< count { offsets[q + 1] = offsets[q] + capacities[q] }
        keys = .allocate(capacity: max(offsets[count], 1))
        sizes.initialize(repeating: 0, count: max(count, 1))
        for q in 0 ..< count { worst[q] = capacities[q] == 0 ? .infinity : -.infinity }
    }

    func deallocate() {
        offsets.deallocate()
        sizes.deallocate()
        keys.deallocate()
        worst.deallocate()
    }

    /// Offers item `index` at similarity `value` to query `q` (call only when `value >= worst[q]`).
    @inline(__always)
    func offer(_ q: Int, value: Float, index: Int) {
        let capacity = offsets[q + 1] - offsets[q]
        let heap = keys + offsets[q]
        let key = (UInt64(descendingKey(value)) << 32) | UInt64(index)
        var size = sizes[q]
        if size < capacity {
            // Sift up (max-heap: the worst kept key at the root).
            var i = size
            while i > 0 {
                let parent = (i - 1) >> 1
                if heap[parent] >= key { break }
                heap[i] = heap[parent]
                i = parent
            }
            heap[i] = key
            size += 1
            sizes[q] = size
            if size == capacity { worst[q] = valueOfKey(heap[0]) }
            return
        }
        guard key < heap[0] else { return }
        KeyHeap.siftDown(heap, count: size, from: 0, placing: key)
        worst[q] = valueOfKey(heap[0])
    }

    /// Query `q`'s items, nearest first (sorts its heap in place).
    func ranked(_ q: Int) -> UnsafeMutableBufferPointer<UInt64> {
        var buffer = UnsafeMutableBufferPointer(start: keys + offsets[q], count: sizes[q])
        buffer.sort()
        return buffer
    }
}

/// A max-heap of keys in a buffer (the worst kept key at the root), shared by `NeighbourHeaps`
/// and `Retrieval.nearest`.
enum KeyHeap {
    /// Puts `key` at `start` (whose old value is dropped) and moves it down to its place.
    @inline(__always)
    static func siftDown(_ heap: UnsafeMutablePointer<UInt64>, count: Int, from start: Int, placing key: UInt64) {
        var i = start
        while true {
            let l = 2 * i + 1
            if l >= count { break }
            let r = l + 1
            let child = r < count && heap[r] > heap[l] ? r : l
            if heap[child] <= key { break }
            heap[i] = heap[child]
            i = child
        }
        heap[i] = key
    }
}

/// The similarity a key was made from (inverse of `descendingKey`).
@inline(__always)
func valueOfKey(_ key: UInt64) -> Float {
    let ascending = ~UInt32(truncatingIfNeeded: key >> 32)
    let bits = ascending & 0x8000_0000 != 0 ? ascending & 0x7FFF_FFFF : ~ascending
    return Float(bitPattern: bits)
}
