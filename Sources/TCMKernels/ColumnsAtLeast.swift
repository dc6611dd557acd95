import CBins

/// Columns of a similarity row at or above a cut, for retrieval's candidate gathering.
public enum ColumnsAtLeast {
    /// Writes the columns j < `count` with `(row[j] + 1) * scale >= floor` (float arithmetic, as
    /// written) to `out` in ascending order and returns how many. `out` must hold `count + 8`
    /// entries (the vector path stores eight lanes past the last kept column).
    @inline(__always)
    public static func gather(
        _ row: UnsafePointer<Float>, count: Int, scale: Float, floor: Float, into out: UnsafeMutablePointer<Int32>
    ) -> Int {
        tcm_columns_at_least(row, count, scale, floor, out)
    }

    /// Both from one pass over the row: the columns at or above `floor` to `own` (their count
    /// returned first) and those at or above their own `floors[j]` to `theirs` (count second).
    /// Each output must hold `count + 8`.
    @inline(__always)
    public static func gather(
        _ row: UnsafePointer<Float>, count: Int, scale: Float, floor: Float, floors: UnsafePointer<Float>,
        own: UnsafeMutablePointer<Int32>, theirs: UnsafeMutablePointer<Int32>
    ) -> (own: Int, theirs: Int) {
        var given = 0
        let kept = tcm_columns_both(row, count, scale, floor, floors, own, theirs, &given)
        return (kept, given)
    }
}

/// Retrieval's 32-bit keys of one query's candidates (see `Retrieval.outcome(same:…)`).
public enum KeysAtLeast {
    /// Writes the keys[j], j < `count`, that are ≥ `least` to `out` in order of j and returns how
    /// many (`out` must hold `count + 8`: the vector path stores eight lanes at a time). In C,
    /// eight at a time.
    @inline(__always)
    public static func gather(
        _ keys: UnsafePointer<UInt32>, count: Int, least: UInt32, into out: UnsafeMutablePointer<UInt32>
    ) -> Int {
        tcm_keys_at_least(keys, count, least, out)
    }

    /// Writes the keys[j], j < `count`, that are ≤ `most` to `out` in order of j and returns how
    /// many; `out` may be `keys` (compacted in place), else it must hold `count + 8`.
    @inline(__always)
    public static func gather(
        _ keys: UnsafePointer<UInt32>, count: Int, atMost most: UInt32, into out: UnsafeMutablePointer<UInt32>
    ) -> Int {
        tcm_keys_at_most(keys, count, most, out)
    }

    /// For each of `keyCount` keys, p = the number of the `count` others at most it; adds one to
    /// `before[p]` (which must hold count + 1). For a few others (the count is vectorised).
    @inline(__always)
    public static func countNearer(
        _ others: UnsafePointer<UInt32>, count: Int, keys: UnsafePointer<UInt32>, keyCount: Int,
        into before: UnsafeMutablePointer<Int>
    ) {
        tcm_count_nearer(others, count, keys, keyCount, before)
    }

    /// The same for many others, laid out in buckets: bucket b of `(other − low) >> shift` ends at
    /// `ends[b]` in `laid` (which must hold `count + 8`); every other lies in `low ... high`.
    @inline(__always)
    public static func countNearer(
        laid: UnsafePointer<UInt32>, ends: UnsafePointer<Int32>, low: UInt32, high: UInt32, shift: UInt32,
        count: Int, keys: UnsafePointer<UInt32>, keyCount: Int, into before: UnsafeMutablePointer<Int>
    ) {
        tcm_count_nearer_laid(laid, ends, low, high, shift, count, keys, keyCount, before)
    }
}
