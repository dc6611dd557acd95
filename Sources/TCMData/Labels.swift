/// Class labels: a class index per sample plus the display name of each class.
///
/// Classes are numbered in sorted order of their names (numerically when every name is an
/// integer, so "2" comes before "10"), which makes reports stable across runs and files.
public struct Labels: Sendable, Equatable {
    public let classOf: [Int32]
    public let classNames: [String]

    public var count: Int { classOf.count }
    public var classCount: Int { classNames.count }

    public init(classOf: [Int32], classNames: [String]) {
        self.classOf = classOf
        self.classNames = classNames
    }

    /// Builds labels from one name per sample.
    public init(names: [String]) {
        let distinct = Self.distinct(names)
        let integers = distinct.compactMap { Int64($0) }
        let ordered: [String]
        if integers.count == distinct.count {
            ordered = distinct.sorted { Int64($0)! < Int64($1)! }
        } else if distinct.allSatisfy({ UInt64($0) != nil }) {
            ordered = distinct.sorted { UInt64($0)! < UInt64($1)! }
        } else {
            ordered = distinct.sorted()
        }
        var index = [String: Int32](minimumCapacity: ordered.count)
        for (i, n) in ordered.enumerated() { index[n] = Int32(i) }
        self.init(classOf: names.map { index[$0]! }, classNames: ordered)
    }

    public init(integers: [Int64]) {
        let ordered = Self.distinct(integers).sorted()
        var index = [Int64: Int32](minimumCapacity: ordered.count)
        for (i, v) in ordered.enumerated() { index[v] = Int32(i) }
        self.init(classOf: integers.map { index[$0]! }, classNames: ordered.map(String.init))
    }

    /// Builds labels from unsigned class numbers (uint64 files), named by their exact values.
    public init(unsignedIntegers: [UInt64]) {
        let ordered = Self.distinct(unsignedIntegers).sorted()
        var index = [UInt64: Int32](minimumCapacity: ordered.count)
        for (i, v) in ordered.enumerated() { index[v] = Int32(i) }
        self.init(classOf: unsignedIntegers.map { index[$0]! }, classNames: ordered.map(String.init))
    }

    /// The distinct values, inserted one at a time: the set grows with the classes, where
    /// `Set(values)` reserves room for every sample (136 MB for 10M labels, the largest
    /// allocation of a shard's label loading, measured with heaptrack).
    private static func distinct<T: Hashable>(_ values: [T]) -> [T] {
        var seen = Set<T>()
        for v in values { seen.insert(v) }
        return Array(seen)
    }

    /// Number of samples in each class.
    public var classSizes: [Int] {
        var sizes = [Int](repeating: 0, count: classCount)
        for c in classOf { sizes[Int(c)] += 1 }
        return sizes
    }

    /// Keeps the samples at `indices` (renumbering classes that remain).
    public func subset(_ indices: [Int]) -> Labels {
        Labels(names: indices.map { classNames[Int(classOf[$0])] })
    }
}
