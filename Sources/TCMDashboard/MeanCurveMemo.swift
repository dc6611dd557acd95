import Synchronization
import TCMMetrics

/// Ū(t) at the curve pane's sample points, remembered. It sums over every class (10,000 of
/// them on large sets), while the window it is sampled on only changes with the range, so
/// frames and threshold keys reuse it. Shared by copies of the state; the key says which
/// analysis it belongs to.
final class MeanCurveMemo: Sendable {
    struct Key: Equatable {
        let analysis: Int
        let edges: [Int]
        let utility: UtilitySpec
    }
    private let slot = Mutex<(key: Key, values: [Double])?>(nil)

    func values(for key: Key, compute: () -> [Double]) -> [Double] {
        if let hit = slot.withLock({ $0?.key == key ? $0?.values : nil }) { return hit }
        let values = compute()
        slot.withLock { $0 = (key, values) }
        return values
    }

    /// A fresh number for each analysis the state is given.
    static func nextAnalysisID() -> Int { counter.add(1, ordering: .relaxed).newValue }
    private static let counter = Atomic<Int>(0)
}
