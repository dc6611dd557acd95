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

    /// The same with one floor per column: the columns j with `(row[j] + 1) * scale >= floors[j]`.
    @inline(__always)
    public static func gather(
        _ row: UnsafePointer<Float>, count: Int, scale: Float, floors: UnsafePointer<Float>,
        into out: UnsafeMutablePointer<Int32>
    ) -> Int {
        tcm_columns_reaching(row, count, scale, floors, out)
    }
}
