/// A snapshot's figures: one point of a watched run's timeline. Shared by `analyze --watch`
/// (timeline.csv) and the dashboard's Run pane, which both keep a point per snapshot in step order.
public struct SnapshotPoint: Sendable, Codable, Equatable {
    public let name: String
    public let step: Int
    public let opis: Double
    public let epsilonOPIS: Double
    public let recallAt1: Double
    public let eer: Double
    public let samples: Int
    public let classes: Int

    public init(
        name: String, step: Int, opis: Double, epsilonOPIS: Double, recallAt1: Double, eer: Double, samples: Int,
        classes: Int
    ) {
        self.name = name
        self.step = step
        self.opis = opis
        self.epsilonOPIS = epsilonOPIS
        self.recallAt1 = recallAt1
        self.eer = eer
        self.samples = samples
        self.classes = classes
    }

    public var key: SnapshotKey { SnapshotKey(step: step, name: name) }

    /// `points` with `point` in step order, replacing one of the same name and step (a snapshot
    /// rewritten under its name).
    public static func adding(_ point: SnapshotPoint, to points: [SnapshotPoint]) -> [SnapshotPoint] {
        let key = point.key
        var points = points.filter { $0.key != key }
        let at = points.firstIndex { $0.key > key } ?? points.count
        points.insert(point, at: at)
        return points
    }
}

/// A snapshot's identity: its step, then its name's bytes. Not the name as a Swift `String`, whose
/// equality is canonical equivalence: two files `café-5.npz` (U+00E9, and `e` + U+0301) are two
/// snapshots, and their points must not replace each other.
public struct SnapshotKey: Hashable, Comparable, Sendable {
    public let step: Int
    public let name: [UInt8]

    public init(step: Int, name: String) {
        self.step = step
        self.name = Array(name.utf8)
    }

    public static func < (a: SnapshotKey, b: SnapshotKey) -> Bool {
        a.step != b.step ? a.step < b.step : a.name.lexicographicallyPrecedes(b.name)
    }
}
