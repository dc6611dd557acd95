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
    /// The bootstrap's intervals of OPIS and ε-OPIS (`analyze --watch --bootstrap B`); nil without one.
    public var intervals: SnapshotIntervals?

    public init(
        name: String, step: Int, opis: Double, epsilonOPIS: Double, recallAt1: Double, eer: Double, samples: Int,
        classes: Int, intervals: SnapshotIntervals? = nil
    ) {
        self.name = name
        self.step = step
        self.opis = opis
        self.epsilonOPIS = epsilonOPIS
        self.recallAt1 = recallAt1
        self.eer = eer
        self.samples = samples
        self.classes = classes
        self.intervals = intervals
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

/// The ends of a snapshot's bootstrap intervals, as `BootstrapSummary` computes them for `analyze
/// --bootstrap` (OPIS studentised, ε-OPIS percentile): what the timeline keeps of them. Plain
/// pairs, not ranges: an end may be NaN (no finite replicate), which a `ClosedRange` would trap on.
public struct SnapshotIntervals: Sendable, Codable, Equatable {
    public struct Ends: Sendable, Codable, Equatable {
        public let low: Double
        public let high: Double

        public init(low: Double, high: Double) {
            self.low = low
            self.high = high
        }
    }

    public let level: Double
    public let opis: Ends
    /// Nil where the bootstrap withholds it (fewer classes than `EpsilonOPISInterval.minimumClasses`).
    public let epsilonOPIS: Ends?

    public init(level: Double, opis: Ends, epsilonOPIS: Ends?) {
        self.level = level
        self.opis = opis
        self.epsilonOPIS = epsilonOPIS
    }

    public init(_ summary: BootstrapSummary) {
        self.init(
            level: summary.level, opis: Ends(low: summary.opis.low, high: summary.opis.high),
            epsilonOPIS: summary.epsilonOPIS.map { Ends(low: $0.low, high: $0.high) })
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
