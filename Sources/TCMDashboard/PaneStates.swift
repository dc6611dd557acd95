/// The state of each pane that has one, nested in `DashboardState` instead of one flat struct.
/// Every setter is internal: only `DashboardState.apply` (through the methods it calls) writes.

import TCMCells
import TCMMetrics

/// The operating threshold and the calibration range: what the curves' cursor and shading, the
/// range pane and every report are made at.
public struct CalibrationState: Sendable {
    /// The range, the utility and the operating threshold of every report.
    public internal(set) var options: OPISOptions
    /// The operating threshold, as a bin edge.
    public internal(set) var cursor: Int
    /// The calibration range as the user set it. Known at once (the grid is a few lookups in the
    /// global counts), while the report's OPIS may lag behind on large class counts.
    public internal(set) var range: RangeEnds
    /// The range keys edit it by global FAR (or by similarity after `r`).
    public internal(set) var rangeInFAR = true
    /// What a mouse drag in progress moves, and the threshold window it started on (kept until
    /// the button is released, so the axis does not shift under the pointer).
    public internal(set) var drag: (target: DragTarget, view: (low: Double, high: Double))?
    /// The columns of the plot or bar a drag started on: the pointer is read on that axis.
    var dragColumns: Rect?

    init(options: OPISOptions, cursor: Int, range: RangeEnds) {
        self.options = options
        self.cursor = cursor
        self.range = range
    }
}

/// The class table: which class is highlighted and the order the classes are listed in.
public struct ClassTableState: Sendable {
    /// Index into `order` of the highlighted class.
    public internal(set) var focusedRow = 0
    public internal(set) var sortByOPISTerm = true
    /// Class indices in table order: worst OPIS term first, or by name. Kept, not computed per
    /// frame: sorting 10,000 classes each time several widgets ask would cost the frame.
    public internal(set) var order: [Int] = []
}

/// The projection pane: 2-D points (x0, y0, x1, y1, …), the class of each, and what made them.
public struct ProjectionState: Sendable {
    public internal(set) var points: [Float] = []
    public internal(set) var labels: [Int32] = []
    public internal(set) var status = ""
}

/// The fine-tuning on screen: one single run or one A/B, never both. (As two fields, a finished
/// A/B stayed on screen when `t` started a single run: the pane said "fine-tuning: contrastive +
/// TCM" and showed nothing of it. As one enum, starting a run replaces the other kind.)
public enum FineTuningRun: Sendable {
    /// `t`: the run's progress (idle before the first).
    case single(TrainingStatus)
    /// `A`: both runs' progress and curves, on the comparison model.
    case ab(ABComparison)
}

/// The fine-tuning pane: the run on screen and the choices for the next one.
public struct FineTuningState: Sendable {
    public internal(set) var run: FineTuningRun = .single(TrainingStatus())
    public internal(set) var useTCM = true
    public internal(set) var lossName = "contrastive"
    /// What `t` will train on, shown in the idle pane.
    public internal(set) var description = ""
    /// The base losses `n` cycles through, as the app names them.
    public internal(set) var lossChoices: [String] = []
    /// How each loss's TCM margins are named in the pane ("margins auto", "margins 0.9:0.5").
    public internal(set) var marginsNames: [String: String] = [:]
    /// `f`: the curves stop following the run's evaluations.
    public internal(set) var frozen = false

    /// The single run's progress (an idle one while an A/B is on screen).
    public var training: TrainingStatus {
        if case .single(let status) = run { return status }
        return TrainingStatus()
    }

    /// The A/B on screen, if that is the run.
    public var ab: ABComparison? {
        if case .ab(let comparison) = run { return comparison }
        return nil
    }

    /// A run of either kind is going.
    public var running: Bool {
        switch run {
        case .single(let status): return status.running
        case .ab(let comparison): return comparison.running
        }
    }
}

/// `dash --watch A [--watch B]`: the watched runs' timelines and how they are compared.
public struct WatchState: Sendable {
    /// The watched training run: its timeline replaces the fine-tuning pane.
    public internal(set) var run: RunTimeline?
    /// A second watched run, drawn beside the first like the A/B screen.
    public internal(set) var secondRun: RunTimeline?
    /// Both runs at the compared step on the comparison model, once both have a snapshot.
    public internal(set) var pair: ABComparison?
    /// The step two watched runs are compared at, once `,` `.` chose one; nil while following
    /// (the latest step both have).
    public internal(set) var pairedStep: Int?
    /// The global FAR the user put the threshold at, held for later snapshots; nil until they
    /// move it (each snapshot's threshold is then its range's centre).
    public internal(set) var heldFAR: Double?
    /// The threshold window of every snapshot shown so far: the curves' axis keeps it, so a new
    /// snapshot whose range moved never cuts the earlier curves' rise off the axis (refitting to
    /// each snapshot's range did).
    public internal(set) var window: (low: Double, high: Double)?

    /// A run is watched.
    public var watching: Bool { run != nil }
}
