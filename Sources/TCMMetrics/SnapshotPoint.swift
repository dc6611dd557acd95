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

    /// `points` with `point` in step order, replacing one of the same name and step (a snapshot
    /// rewritten under its name).
    public static func adding(_ point: SnapshotPoint, to points: [SnapshotPoint]) -> [SnapshotPoint] {
        var points = points.filter { !($0.name == point.name && $0.step == point.step) }
        let at = points.firstIndex { ($0.step, $0.name) > (point.step, point.name) } ?? points.count
        points.insert(point, at: at)
        return points
    }
}
