import TCMCells
import TCMData
import TCMKernels
import TCMMetrics

public enum Pane: Int, CaseIterable, Sendable {
    case curves, range, table, projection, training
    var title: String {
        switch self {
        case .curves: return "Utility vs threshold"
        case .range: return "Calibration range"
        case .table: return "Classes"
        case .projection: return "Projection"
        case .training: return "Fine-tuning"
        }
    }
}

/// The calibration range's ends and the global FAR at each.
public struct RangeEnds: Sendable, Equatable {
    public var low: Double, high: Double, farAtLow: Double, farAtHigh: Double, points: Int
}

/// A report the app computes off the UI thread and hands back with `install`.
public struct ReportRequest: Sendable {
    public let analyzer: ThresholdAnalyzer
    public let options: OPISOptions
    public let generation: Int
}

/// What the app knows at start and the panes show (the fine-tuning pane's choices, where `s`
/// saves): given to the initialiser, so the app never sets a field.
public struct DashboardSetup: Sendable {
    public var lossName = "contrastive"
    /// The base losses `n` cycles through.
    public var lossChoices: [String] = []
    public var tcmMarginsNames: [String: String] = [:]
    public var trainingDescription = ""
    public var saveDirectory = "tcmscope-saved"
    public init() {}
}

/// What the training pane shows.
public struct TrainingStatus: Sendable, Equatable {
    public var running = false
    public var paused = false
    public var step = 0
    public var totalSteps = 0
    public var loss = Double.nan
    public var tcmLoss = Double.nan
    public var samplesPerSecond = 0.0
    public var lossHistory: [Double] = []
    public var opisHistory: [Double] = []
    /// The TCM margins m⁺, m⁻ of the run's latest step (nil without TCM), and whether they are
    /// chosen from the data (`--tcm-margins auto`, re-estimated as the run goes).
    public var positiveMargin: Double? = nil
    public var negativeMargin: Double? = nil
    public var marginsAuto = false
    public var message = ""
    public init() {}
}

/// The whole screen as one value: the analysis, which every pane reads, then each pane's own
/// state (`PaneStates.swift`: calibration, table, projection, fine-tuning, watch). Pure: `apply(event)` is the only code that
/// changes it (`DashboardEvent.swift`), widgets draw it; nothing here touches a terminal.
public struct DashboardState: Sendable {
    public internal(set) var title: String
    public private(set) var analyzer: ThresholdAnalyzer
    public private(set) var report: ThresholdReport
    /// The curves before fine-tuning, drawn as a ghost when `showBaseline`.
    public internal(set) var baseline: ThresholdAnalyzer?
    public internal(set) var showBaseline = false
    public internal(set) var retrieval: RetrievalReport?
    /// The operating threshold and the calibration range every report is made at.
    public internal(set) var calibration: CalibrationState
    public internal(set) var focus: Pane = .curves
    public internal(set) var canvasMode: Canvas.Mode = .braille
    public internal(set) var expanded = false
    public internal(set) var showHelp = false
    /// Where `s` saves (`dash --out`), named in the help overlay.
    public internal(set) var saveDirectory = "tcmscope-saved"
    /// OPIS's interval and the report it was made for (`IntervalState.swift`).
    var interval: (key: IntervalKey, summary: BootstrapSummary)?
    public internal(set) var status = ""

    // Each pane's own state.
    public internal(set) var table = ClassTableState()
    public internal(set) var projection = ProjectionState()
    public internal(set) var fineTuning = FineTuningState()
    public internal(set) var watch = WatchState()
    /// The range changed and the report (OPIS, per-class terms) has not caught up yet: from
    /// `backgroundReportClasses` classes on, the app computes it off the UI thread.
    public private(set) var reportIsStale = false
    public static let backgroundReportClasses = 1_000
    /// Counts the analyses this state has been given, so a late report for old counts is refused.
    public private(set) var analysisGeneration = 0
    /// Ū(t) on the whole threshold axis, one value every `meanCurveStride` bins: computed once
    /// per analysis (it sums over every class), read by every frame.
    public private(set) var meanCurve: [Double]
    public static let meanCurveStride = 5

    public init(
        title: String, counts: PairCounts, retrieval: RetrievalReport? = nil, options: OPISOptions = OPISOptions(),
        setup: DashboardSetup = DashboardSetup()
    ) {
        self.title = title
        fineTuning.lossName = setup.lossName
        fineTuning.lossChoices = setup.lossChoices
        fineTuning.marginsNames = setup.tcmMarginsNames
        fineTuning.description = setup.trainingDescription
        saveDirectory = setup.saveDirectory
        let analyzer = ThresholdAnalyzer(counts: counts)
        self.analyzer = analyzer
        let report = analyzer.report(options)
        self.report = report
        calibration = CalibrationState(
            options: options, cursor: counts.bins.edge(nearest: report.settings.operatingThreshold),
            range: Self.rangeEnds(options, analyzer))
        meanCurve = Self.meanCurve(analyzer, options.utility)
        self.retrieval = retrieval
        sortClasses()
    }

    public var bins: ThresholdBins { analyzer.counts.bins }
    public var threshold: Double { bins.threshold(atEdge: calibration.cursor) }

    mutating func sortClasses() {
        let classes = report.classes.indices
        table.order =
            table.sortByOPISTerm
            ? classes.sorted { (report.classes[$0].opisTerm ?? -1) > (report.classes[$1].opisTerm ?? -1) }
            : Array(classes)
    }

    /// The range's ends and the global FAR there, for `options`.
    public static func rangeEnds(_ options: OPISOptions, _ analyzer: ThresholdAnalyzer) -> RangeEnds {
        let grid = ThresholdGrid(spec: options.range, points: options.points, counts: analyzer.counts)
        return RangeEnds(
            low: grid.low, high: grid.high, farAtLow: analyzer.globalRates(edge: grid.lowEdge).far,
            farAtHigh: analyzer.globalRates(edge: grid.highEdge).far, points: grid.edges.count)
    }

    /// Ū(t) every `meanCurveStride` bins over the whole axis (a background job can make it too).
    public static func meanCurve(_ analyzer: ThresholdAnalyzer, _ utility: UtilitySpec, threads: Int = 1) -> [Double] {
        let edges = Array(stride(from: 0, to: analyzer.counts.bins.count, by: meanCurveStride))
        return analyzer.meanUtility(ascendingEdges: edges, spec: utility, threads: threads)
    }

    /// Ū at a bin edge, interpolated between the stored points.
    public func meanUtility(atEdge edge: Int) -> Double { Self.meanUtility(meanCurve, atEdge: edge) }

    /// Ū at `edge`, interpolated in a curve sampled every `meanCurveStride` bins.
    static func meanUtility(_ meanCurve: [Double], atEdge edge: Int) -> Double {
        guard !meanCurve.isEmpty else { return .nan }
        let x = Double(edge) / Double(Self.meanCurveStride)
        let i = min(Int(x), meanCurve.count - 1), j = min(i + 1, meanCurve.count - 1)
        let f = x - Double(i)
        return meanCurve[i] * (1 - f) + meanCurve[j] * f
    }

    public var focusedClass: Int? {
        let order = table.order
        return order.isEmpty ? nil : order[min(table.focusedRow, order.count - 1)]
    }

    /// The threshold window the curves show: the range with room either side (while watching,
    /// widened to every earlier snapshot's), stretched only when the threshold leaves it. It does
    /// not move while the threshold stays inside, so a mouse click lands the cursor exactly under
    /// the pointer.
    public var view: (low: Double, high: Double) {
        if let drag = calibration.drag { return drag.view }
        var (low, high) = rangeWindow
        if let kept = watch.window {
            low = min(low, kept.low)
            high = max(high, kept.high)
        }
        let w = max(calibration.range.high - calibration.range.low, 0.05)
        if threshold < low { low = max(-1, threshold - 0.25 * w) }
        if threshold > high { high = min(1, threshold + 0.25 * w) }
        return (low, high)
    }

    /// The range with room either side: 1.5 times its width, within [-1, 1].
    var rangeWindow: (low: Double, high: Double) {
        let w = max(calibration.range.high - calibration.range.low, 0.05)
        return (max(-1, calibration.range.low - 1.5 * w), min(1, calibration.range.high + 1.5 * w))
    }

    /// New counts (after a fine-tuning step): keeps the user's range choice, threshold and
    /// focus. `meanCurve` may come from the background job that made the counts.
    mutating func replace(counts: PairCounts, retrieval: RetrievalReport?, meanCurve: [Double]? = nil) {
        analyzer = ThresholdAnalyzer(counts: counts)
        analysisGeneration += 1
        self.meanCurve = meanCurve ?? Self.meanCurve(analyzer, calibration.options.utility)
        self.retrieval = retrieval
        if watch.watching { followRunsThreshold() }
        recompute()
        if watch.watching {
            let new = rangeWindow
            watch.window = watch.window.map { (min($0.low, new.low), max($0.high, new.high)) } ?? new
        }
    }

    /// While watching, each snapshot's threshold is an operating point someone would choose: the
    /// centre of its calibration range, or, once the user moved the threshold, the global FAR
    /// they moved it to. (Held as a similarity, the threshold stayed where step 0 put it, outside
    /// every later range.)
    mutating func followRunsThreshold() {
        if let far = watch.heldFAR {
            calibration.cursor = ThresholdGrid.edge(forGlobalFAR: far, counts: analyzer.counts)
        } else {
            let grid = ThresholdGrid(
                spec: calibration.options.range, points: calibration.options.points, counts: analyzer.counts)
            calibration.cursor = (grid.lowEdge + grid.highEdge) / 2
        }
    }

    /// The user put the threshold somewhere: while watching, later snapshots keep its global FAR.
    mutating func thresholdMovedByUser() {
        guard watch.watching else { return }
        watch.heldFAR = analyzer.globalRates(edge: calibration.cursor).far
    }

    /// The range (or the analysis) changed: the range ends at once; the report too, unless
    /// there are so many classes that the app should make it in the background.
    mutating func recompute() {
        calibration.options.operatingThreshold = bins.threshold(atEdge: calibration.cursor)
        calibration.range = Self.rangeEnds(calibration.options, analyzer)
        recomputeAB(rangeChanged: true)
        if analyzer.counts.classCount >= Self.backgroundReportClasses {
            reportIsStale = true
            moveOperatingPoint()
            return
        }
        report = analyzer.report(calibration.options)
        reportIsStale = false
        sortClasses()
    }

    /// What the app should compute off the UI thread, if anything.
    public var pendingReport: ReportRequest? {
        reportIsStale
            ? ReportRequest(analyzer: analyzer, options: calibration.options, generation: analysisGeneration) : nil
    }

    /// A report made in the background for `request`. Refused (false) if the range or the
    /// analysis has changed since; the cursor may have moved, and its rates are brought up to date.
    @discardableResult
    mutating func install(_ newReport: ThresholdReport, for request: ReportRequest) -> Bool {
        var asked = request.options, current = calibration.options
        asked.operatingThreshold = nil
        current.operatingThreshold = nil
        guard request.generation == analysisGeneration, asked == current else { return false }
        report = analyzer.report(newReport, movedTo: calibration.cursor, spec: calibration.options.utility)
        reportIsStale = false
        sortClasses()
        return true
    }

    /// Only the operating point moved: rates at the cursor, nothing else (O(classes)).
    mutating func moveOperatingPoint() {
        calibration.options.operatingThreshold = bins.threshold(atEdge: calibration.cursor)
        report = analyzer.report(report, movedTo: calibration.cursor, spec: calibration.options.utility)
        recomputeAB(rangeChanged: false)
    }

    /// One step of the threshold cursor: a hundredth of the visible window (at least one bin).
    var cursorStep: Int { max(1, Int((view.high - view.low) / 100 / bins.width)) }

    /// Handles a key through `KeyTable`; returns what the app must do, if anything.
    mutating func handle(_ key: Key) -> DashboardEffect? {
        let command = KeyTable.command(for: key)
        if showHelp {
            if command == .toggleHelp || command == .closeHelp || command == .quit { showHelp = false }
            return nil
        }
        return command.flatMap { perform($0) }
    }

    /// Does what a key of the table asks.
    mutating func perform(_ command: DashboardCommand) -> DashboardEffect? {
        // While watching, the run's own loop trains it: the fine-tuning keys say so and do nothing
        // (the table marks them; before, T, n and f still toggled state nobody would use).
        if watch.watching, let group = KeyTable.group(of: command), group.context == .fineTuning {
            status = "\(group.caps) (\(group.footerLabel)) is off while watching a run: its own loop trains it"
            return nil
        }
        switch command {
        case .quit: return .quit
        case .toggleHelp: showHelp = true
        case .closeHelp: break
        case .nextPane: focus = Pane(rawValue: (focus.rawValue + 1) % Pane.allCases.count)!
        case .previousPane: focus = Pane(rawValue: (focus.rawValue + Pane.allCases.count - 1) % Pane.allCases.count)!
        case .thresholdDown: moveCursor(-cursorStep)
        case .thresholdUp: moveCursor(cursorStep)
        case .thresholdDownFast: moveCursor(-10 * cursorStep)
        case .thresholdUpFast: moveCursor(10 * cursorStep)
        case .classUp: table.focusedRow = max(0, table.focusedRow - 1)
        case .classDown: table.focusedRow = min(max(0, report.classes.count - 1), table.focusedRow + 1)
        case .rangeLowDown: moveRange(low: -1)
        case .rangeLowUp: moveRange(low: 1)
        case .rangeHighDown: moveRange(high: -1)
        case .rangeHighUp: moveRange(high: 1)
        case .rangeMode:
            calibration.rangeInFAR.toggle()
            status = calibration.rangeInFAR ? "range edits by global FAR" : "range edits by similarity"
        case .rangeReset:
            calibration.options.range = .standard
            recompute()
            status = "range reset to FAR 1e-1 … 1e-2"
        case .sort:
            table.sortByOPISTerm.toggle()
            sortClasses()
        case .canvasMode: canvasMode = canvasMode == .braille ? .blocks : .braille
        case .ghost:
            if baseline != nil { showBaseline.toggle() } else { status = "no baseline yet: fine-tune first (t)" }
        case .freeze:
            fineTuning.frozen.toggle()
            status = fineTuning.frozen ? "display frozen (f to follow training again)" : "following training"
        case .expand: expanded.toggle()
        case .toggleTCM:
            fineTuning.useTCM.toggle()
            status = "next fine-tuning: \(fineTuning.lossName)\(fineTuning.useTCM ? " + TCM" : "")"
        case .nextLoss: chooseNextLoss()
        case .train, .startAB:
            // One run at a time; the app checks what only it knows (the rows, a job still loading).
            guard !fineTuning.running else {
                status = "fine-tuning already running (p pause, c cancel)"
                return nil
            }
            return command == .train ? .startTraining : .startAB
        case .flipAB: flipAB()
        case .pauseOrResume: return fineTuning.ab?.running == true ? .pauseOrResumeAB : .pauseOrResumeTraining
        case .cancel: return fineTuning.ab?.running == true ? .cancelAB : .cancelTraining
        case .reproject:
            // Two watched runs: each snapshot brings its PCA, and the pane shows the run in focus.
            guard watch.secondRun == nil else {
                status = "two watched runs: the projection is the PCA of the run in focus (a flips it)"
                return nil
            }
            return .reproject
        case .save: return .save
        case .olderSnapshot: moveSnapshot(-1)
        case .newerSnapshot: moveSnapshot(1)
        }
        return nil
    }

    /// The first class-table row on screen: the focused row is kept in the middle.
    func tableFirstRow(visibleRows: Int) -> Int { tableView.firstRow(visibleRows: visibleRows) }

    /// The panes' places on a screen of this size (split while an A/B run is on).
    public func layout(width: Int, height: Int) -> DashboardLayout? {
        DashboardLayout(
            width: width, height: height, expanded: expanded, split: comparison != nil || watch.secondRun != nil)
    }

    /// A mouse click at a screen cell: on the curves or the range bar it sets the operating
    /// threshold to that column, on the class table it focuses that class, anywhere else it
    /// focuses the pane under it.
    mutating func click(x: Int, y: Int, screenWidth: Int, screenHeight: Int) {
        if showHelp {
            showHelp = false
            return
        }
        guard let layout = layout(width: screenWidth, height: screenHeight),
            let (pane, rect) = layout.panes.first(where: { $0.value.contains(x: x, y: y) })
        else { return }
        focus = pane
        let axisColumns: Rect?
        switch pane {
        case .curves: axisColumns = DashboardLayout.curveParts(rect).plot
        case .range: axisColumns = DashboardLayout.rangeBar(rect)
        case .table:
            let rows = DashboardLayout.tableRows(rect)
            if rows.contains(x: x, y: y) {
                let row = tableFirstRow(visibleRows: rows.height) + (y - rows.y)
                if row < report.classes.count { table.focusedRow = row }
            }
            axisColumns = nil
        default: axisColumns = nil
        }
        guard let columns = axisColumns, columns.width > 0, x >= columns.x, x < columns.maxX else { return }
        // A press on a range end picks it up; anywhere else it sets the threshold (and a drag moves it).
        let axis = ThresholdAxis(view, over: columns)
        let target = dragTarget(atColumn: x, axis: axis)
        calibration.drag = (target, view)
        calibration.dragColumns = columns
        if target == .threshold {
            // The middle of the clicked column, on the same window the panes draw.
            calibration.cursor = bins.edge(nearest: axis.threshold(atColumn: x))
            moveOperatingPoint()
            thresholdMovedByUser()
            status = "threshold set by mouse"
        } else {
            status = "dragging the range's \(target == .rangeLow ? "low" : "high") end"
        }
    }

    /// `n`: the next base loss for the next run (a run in progress keeps its own).
    mutating func chooseNextLoss() {
        let choices = fineTuning.lossChoices
        guard !choices.isEmpty else {
            status = "no other losses to choose"
            return
        }
        let next = ((choices.firstIndex(of: fineTuning.lossName) ?? -1) + 1) % choices.count
        fineTuning.lossName = choices[next]
        status = "next fine-tuning: \(fineTuning.lossName)\(fineTuning.useTCM ? " + TCM" : "")"
    }

    mutating func moveCursor(_ delta: Int) {
        calibration.cursor = min(max(calibration.cursor + delta, 0), bins.count - 1)
        moveOperatingPoint()
        thresholdMovedByUser()
    }

    /// Moves one end of the calibration range: by a factor of 10^(1/10) in FAR, or a
    /// hundredth of the window in similarity. The other end stays.
    mutating func moveRange(low: Int = 0, high: Int = 0) {
        let s = calibration.range
        if calibration.rangeInFAR {
            // Up in similarity = lower FAR.
            var farLow = max(s.farAtLow, 1e-7), farHigh = max(s.farAtHigh, 1e-7)
            if low != 0 { farLow = min(1, farLow * pow10(-0.1 * Double(low))) }
            if high != 0 { farHigh = min(1, farHigh * pow10(-0.1 * Double(high))) }
            if farLow <= farHigh {
                status = "range ends would cross"
                return
            }
            calibration.options.range = .far(farAtLow: farLow, farAtHigh: farHigh)
        } else {
            let step = Double(cursorStep) * bins.width
            let lo = s.low + Double(low) * step, hi = s.high + Double(high) * step
            if lo >= hi {
                status = "range ends would cross"
                return
            }
            calibration.options.range = .similarity(low: max(-1, lo), high: min(1, hi))
        }
        recompute()
    }

    func pow10(_ x: Double) -> Double { exp(x * log(10)) }
}

import Foundation
