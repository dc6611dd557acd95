import Testing

@testable import TCMKernels

/// Issue 35: a shard packs only some rows (`PackedRows(rows:dimension:)` + `setRow`) and unpacks
/// its left operands from them (`copyRows`): the same floats as packing the whole matrix, so the
/// same products, bit for bit; rows never written read as zeros.
@Suite struct PackedRowsSubsetTests {
    @Test(arguments: [(37, 5), (64, 16), (100, 33)])
    func rowsSetOneByOneEqualTheWholePacking(rows: Int, dimension: Int) {
        let values = (0 ..< rows * dimension).map { Float(($0 * 7919) % 1013) / 97 - 5 }
        let x = Matrix(rows: rows, cols: dimension, values: values)
        let whole = PackedRows(x)
        let kept = Array(3 ..< min(rows, 21)) + Array(rows / 2 ..< rows)
        let subset = PackedRows(rows: rows, dimension: dimension)
        values.withUnsafeBufferPointer { v in
            for i in kept { subset.setRow(i, v.baseAddress! + i * dimension) }
        }
        var back = [Float](repeating: -1, count: rows * dimension)
        back.withUnsafeMutableBufferPointer { subset.copyRows(0, count: rows, into: $0.baseAddress!) }
        for i in 0 ..< rows {
            let expected =
                kept.contains(i)
                ? Array(values[i * dimension ..< (i + 1) * dimension]) : Array(repeating: 0, count: dimension)
            #expect(Array(back[i * dimension ..< (i + 1) * dimension]) == expected, "row \(i)")
        }
        // The kept rows' products against the kept columns: the same bits as from the whole packing.
        let first = kept.first!, m = rows - first
        var a = [Float](repeating: 0, count: m * dimension)
        a.withUnsafeMutableBufferPointer { subset.copyRows(first, count: m, into: $0.baseAddress!) }
        // A panel-aligned first column within the kept half.
        let c0 = (rows / 2 + PackedRows.columnAlignment - 1) / PackedRows.columnAlignment * PackedRows.columnAlignment
        #expect(c0 < rows)
        let cols = rows - c0
        var fromSubset = [Float](repeating: 0, count: m * cols), fromWhole = fromSubset
        a.withUnsafeBufferPointer { pa in
            fromSubset.withUnsafeMutableBufferPointer {
                subset.multiply(
                    a: pa.baseAddress!, m: m, lda: dimension, columns: c0, count: cols, c: $0.baseAddress!, ldc: cols)
            }
            fromWhole.withUnsafeMutableBufferPointer {
                whole.multiply(
                    a: pa.baseAddress!, m: m, lda: dimension, columns: c0, count: cols, c: $0.baseAddress!, ldc: cols)
            }
        }
        #expect(fromSubset.map(\.bitPattern) == fromWhole.map(\.bitPattern))
    }
}
