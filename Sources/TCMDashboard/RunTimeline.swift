import TCMCells
import TCMMetrics

/// One snapshot of a watched training run as the dashboard keeps it: its figures always, its
/// counts (the curves) only while it is in the window.
public struct WatchedSnapshot: Sendable {
    public let name: String
    public let step: Int
    public let counts: PairCounts
    public let retrieval: RetrievalReport
    public let meanCurve: [Double]
    /// The PCA layout of its rows (x0, y0, …): the projection follows the snapshot on screen.
    public let pca: [Float]
    /// The class of each PCA point, as indices into `classes` (two watched runs may hold other
    /// rows and classes: the projection of B is drawn in B's classes).
    public let pcaClasses: [Int32]
    /// Its classes as its own analysis found them (a second run may hold other classes than the
    /// first: its curves pane draws from these, never from the first run's list).
    public let classes: [ClassSummary]

    public var key: SnapshotKey { SnapshotKey(step: step, name: name) }

    public init(
        name: String, step: Int, counts: PairCounts, retrieval: RetrievalReport, meanCurve: [Double], pca: [Float] = [],
        pcaClasses: [Int32] = [], classes: [ClassSummary]
    ) {
        self.pcaClasses = pcaClasses
        self.classes = classes
        self.name = name
        self.step = step
        self.counts = counts
        self.retrieval = retrieval
        self.meanCurve = meanCurve
        self.pca = pca
    }
}

/// The dashboard's view of a watched folder (`dash --watch DIR`): every snapshot's point, the
/// curves of the newest `capacity` snapshots, which one is shown, and what was skipped. Memory is
/// bounded by the window: a folder of thousands of snapshots keeps thousands of points only.
public struct RunTimeline: Sendable {
    public let directory: String
    public let capacity: Int
    public private(set) var points: [SnapshotPoint] = []
    /// Oldest first; `window.last` is the newest snapshot.
    public private(set) var window: [WatchedSnapshot] = []
    /// Index into `window` of the snapshot on screen.
    public private(set) var selected = 0
    public private(set) var skipped = 0
    public private(set) var lastSkipped = ""
    /// Two runs compared by step: the newest snapshot at or before this step is kept in the window
    /// whatever arrives after it, so the faster run can still show the step the slower one is at.
    public var keepAtOrBelow: Int?

    public init(directory: String, capacity: Int = 8) {
        self.directory = directory
        self.capacity = max(2, capacity)
    }

    /// Whether the newest snapshot is on screen (new ones are then shown as they come).
    public var following: Bool { selected == window.count - 1 }

    public var current: WatchedSnapshot? { window.indices.contains(selected) ? window[selected] : nil }
    /// The snapshot before the one shown: the curves' ghost.
    public var previous: WatchedSnapshot? { selected > 0 && selected - 1 < window.count ? window[selected - 1] : nil }

    /// Adds a snapshot in step order (one of the same name and step, rewritten, replaces it);
    /// returns true when the snapshot on screen changed: the newest while following, or the one
    /// shown when it left the window or was replaced.
    @discardableResult
    public mutating func add(_ point: SnapshotPoint, _ snapshot: WatchedSnapshot) -> Bool {
        let follow = window.isEmpty || following
        let shown = current?.key, key = snapshot.key
        points = SnapshotPoint.adding(point, to: points)
        window.removeAll { $0.key == key }
        let slot = window.firstIndex { $0.key > key } ?? window.count
        window.insert(snapshot, at: slot)
        while window.count > capacity {
            let kept = keepAtOrBelow.flatMap { step in window.lastIndex { $0.step <= step } }
            window.remove(at: kept == 0 ? 1 : 0)
        }
        if follow {
            selected = window.count - 1
            return true
        }
        // Not following: keep the shown snapshot selected while it is in the window; if it left
        // (or was rewritten), the oldest kept one is shown instead.
        if let shown, let i = window.firstIndex(where: { $0.key == shown }) {
            selected = i
            return shown == key
        }
        selected = 0
        return true
    }

    public mutating func skip(_ message: String) {
        skipped += 1
        lastSkipped = message
    }

    /// Shows the newest snapshot at or before `step` (the oldest kept when every one is later).
    public mutating func select(atOrBefore step: Int) {
        selected = window.lastIndex { $0.step <= step } ?? 0
    }

    /// Moves the selection by `delta` within the window; returns whether it moved.
    public mutating func move(_ delta: Int) -> Bool {
        let target = min(max(0, selected + delta), window.count - 1)
        guard target != selected else { return false }
        selected = target
        return true
    }
}

extension DashboardState {
    /// A snapshot arrived from a watched folder (`second`: the second one): on screen at once
    /// when that run's newest was shown.
    mutating func addSnapshot(_ point: SnapshotPoint, _ snapshot: WatchedSnapshot, second: Bool = false) {
        if second {
            watch.secondRun?.add(point, snapshot)
            pairRuns()
            return
        }
        guard watch.run != nil else { return }
        if watch.run!.add(point, snapshot) && watch.secondRun == nil { showSelectedSnapshot() }
        pairRuns()
    }

    /// `,` / `.`: an older or newer snapshot of the window (of both runs when two are watched).
    mutating func moveSnapshot(_ delta: Int) {
        guard watch.run != nil else {
            status = "no watched run: start with dash --watch DIR"
            return
        }
        if watch.secondRun != nil {
            moveBothRuns(delta)
            return
        }
        if watch.run!.move(delta) {
            showSelectedSnapshot()
        } else {
            status =
                delta < 0 ? "oldest snapshot with curves (the window keeps \(watch.run!.capacity))" : "newest snapshot"
        }
    }

    /// The selected snapshot's curves, with the one before it as the ghost.
    mutating func showSelectedSnapshot() {
        guard let run = watch.run, let current = run.current else { return }
        baseline = run.previous.map { ThresholdAnalyzer(counts: $0.counts) }
        showBaseline = baseline != nil
        replace(counts: current.counts, retrieval: current.retrieval, meanCurve: current.meanCurve)
        if !current.pca.isEmpty && current.pca.count == projection.points.count {
            projection.points = current.pca
            projection.status = "PCA"
        }
        status =
            "\(current.name)-\(current.step): snapshot \(run.selected + 1) of \(run.window.count) in the window"
            + (run.following ? " (following)" : "")
    }
}
