/// What the UI loop asks of every background job controller, the same way for each: whether it is
/// working (the loop then bounds its wait, in case a wake-up was missed) and to stop on quit. A
/// new job conforms here and is listed once in `DashboardApp.jobs`; its own results are taken in
/// `DashboardApp.poll` and sent as `DashboardEvent`s (a training evaluation also starts a
/// re-analysis, a watched snapshot's rows are kept for t-SNE). No job writes the state.
protocol DashboardJob: AnyObject {
    /// Work is under way or a result is pending.
    var isWorking: Bool { get }
    /// Stops what runs (the process is about to exit; nothing is waited for).
    func stopForQuit()
}

extension AnalysisController: DashboardJob {
    var isWorking: Bool { isBusy }
    func stopForQuit() {}  // a pass already running ends with the process
}

extension ReportController: DashboardJob {
    var isWorking: Bool { isBusy }
    func stopForQuit() {}
}

extension IntervalController: DashboardJob {
    var isWorking: Bool { isBusy }
    func stopForQuit() {}
}

extension ProjectionController: DashboardJob {
    var isWorking: Bool { job != nil }
    func stopForQuit() { cancel() }
}

extension TrainingController: DashboardJob {
    var isWorking: Bool { job != nil }
    func stopForQuit() { job?.control.cancel() }
}

extension ABController: DashboardJob {
    var isWorking: Bool { isBusy }
    func stopForQuit() { for job in jobs { job.control.cancel() } }
}

extension WatchController: DashboardJob {
    var isWorking: Bool { isRunning }
    func stopForQuit() { stop() }
}
