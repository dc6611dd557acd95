import Foundation
import Testing
import TCMData
import TCMScopeSupport
@testable import TCMScopeCLI

/// Drives the real binary in a real terminal: a private tmux server at a fixed size, keys sent
/// with send-keys, the screen read with capture-pane, polling (never sleeping blindly) until the
/// expected text appears. tmux is installed by .ci/run; without it these tests fail, not skip.
@Suite(.serialized) struct DashboardEndToEndTests {
    let server = "tcmscope-e2e-\(getpid())"

    /// Runs a tmux command, spawned by hand rather than with Foundation's `Process`, for two
    /// reasons. The test runs on a worker thread whose signal mask blocks nearly everything, and
    /// a spawned child keeps that mask: a tmux server (and the dashboard under it) would then
    /// never see SIGTERM (`kill-server`) or SIGWINCH, so the child gets an empty mask and default
    /// handlers. And the server that `new-session` forks inherits every open descriptor of its
    /// client, so the client starts from a shell that closes all of them above stderr, and its
    /// output goes through a file, not a pipe that the server would hold open.
    @discardableResult
    func tmux(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let outputPath = NSTemporaryDirectory() + "tcmscope-tmux-\(getpid())-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let closeInheritedThenRun =
            #"for f in /proc/$$/fd/*; do n=${f##*/}; if [ "$n" -gt 2 ]; then eval "exec $n>&-"; fi; done 2>/dev/null; exec tmux "$@""#
        let argv = ["/bin/bash", "-c", closeInheritedThenRun, "tmux", "-L", server, "-f", "/dev/null"] + arguments

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t(), allSignals = sigset_t()
        sigemptyset(&noSignals)
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, &attributes, cArguments, environ)
        guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EINVAL) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (exitStatus, (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "")
    }

    /// Stops the private server and waits until it is gone (a session started while it is still
    /// shutting down would fail).
    func stopServer() {
        _ = try? tmux(["kill-server"])
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, (try? tmux(["list-sessions"]).status) == 0 { usleep(50_000) }
        usleep(200_000)
    }

    func screen() throws -> String { try tmux(["capture-pane", "-p", "-t", "main"]).output }

    /// Polls the screen until `condition` holds; returns the last screen.
    @discardableResult
    func waitFor(_ what: String, seconds: Double = 30, _ condition: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        var last = ""
        while Date() < deadline {
            last = try screen()
            if condition(last) { return last }
            usleep(100_000)
        }
        Issue.record("timed out waiting for \(what); screen was:\n\(last)")
        return last
    }

    /// The number after `prefix` on the screen.
    func number(after prefix: String, in text: String) -> Double? {
        guard let r = text.range(of: prefix) else { return nil }
        let digits = text[r.upperBound...].prefix { "0123456789.-e".contains($0) }
        return Double(digits)
    }

    /// Starts the dashboard in a fresh session; returns the file its exit status lands in. After
    /// the dashboard exits, the shell prints the terminal modes so tests can see them restored.
    /// `backtracer: true` leaves Swift's crash backtracer at its defaults (interactive on a terminal).
    func startDashboard(
        width: Int = 120, height: Int = 40, term: String = "xterm-256color", backtracer: Bool = false,
        arguments: [String] = []
    ) throws -> String {
        let binary = try binaryPath()
        let exitFile = NSTemporaryDirectory() + "tcmscope-e2e-exit-\(getpid())-\(UUID().uuidString)"
        let environment = backtracer ? "env -u SWIFT_BACKTRACE" : "env SWIFT_BACKTRACE=enable=no"
        let command =
            "cd '\(packageRoot)' && \(environment) LANG=C.UTF-8 TERM=\(term) '\(binary)'\(arguments.map { " '\($0)'" }.joined()); status=$?; stty -a | tr ';' '\\n' | grep -w -e icanon -e echo; echo $status > '\(exitFile)'; sleep 60"
        stopServer()  // whatever an earlier test left
        let started = try tmux(["new-session", "-d", "-s", "main", "-x", "\(width)", "-y", "\(height)", command])
        try #require(started.status == 0, "tmux could not start (is it installed?): \(started.output)")
        return exitFile
    }

    func exitStatus(_ exitFile: String) throws -> String {
        let deadline = Date().addingTimeInterval(20)
        while !FileManager.default.fileExists(atPath: exitFile) && Date() < deadline { usleep(100_000) }
        defer { try? FileManager.default.removeItem(atPath: exitFile) }
        return try String(contentsOfFile: exitFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The terminal after the dashboard left: main screen, canonical mode and echo back on.
    func expectRestoredTerminal() throws {
        #expect(
            try tmux(["display", "-p", "-t", "main", "#{alternate_on}"]).output.hasPrefix("0"),
            "left the alternate screen")
        let modes = try waitFor("the shell's stty line") { $0.contains("icanon") }
        let flags = Set(modes.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
        #expect(flags.contains("icanon") && flags.contains("echo"), "line mode and echo restored:\n\(modes)")
    }

    /// The step in the fine-tuning pane's progress line ("▓▓░░ 57/702 loss …").
    func trainingStep(in text: String) -> Int? {
        guard let match = text.firstMatch(of: /(\d+)\/\d+ loss/) else { return nil }
        return Int(match.1)
    }

    @Test func keysMouseResizeTrainingAndQuitInARealTerminal() throws {
        let exitFile = try startDashboard()
        defer { stopServer() }

        var text = try waitFor("the first frame") { $0.contains("Utility vs threshold") && $0.contains("Projection") }
        // The threshold cursor moves with the arrow keys.
        let t0 = try #require(number(after: "│t=", in: text))
        try tmux(["send-keys", "-t", "main", "Right", "Right", "Right", "Right"])
        text = try waitFor("the threshold to move") { (number(after: "│t=", in: $0) ?? t0) > t0 }
        // A left click on the curves sets the threshold (SGR mouse report: press, release).
        let t1 = try #require(number(after: "│t=", in: text))
        try tmux(["send-keys", "-t", "main", "-l", "\u{1b}[<0;12;12M\u{1b}[<0;12;12m"])
        text = try waitFor("a click to move the threshold left") {
            (number(after: "│t=", in: $0) ?? t1) < t1 && $0.contains("threshold set by mouse")
        }
        // Moving the calibration range changes OPIS (title bar).
        let opis = try #require(number(after: "OPIS ", in: text))
        try tmux(["send-keys", "-t", "main", "]", "]", "]"])
        text = try waitFor("OPIS to change") { (number(after: "OPIS ", in: $0) ?? opis) != opis }
        // Resizing relayouts at once; too small gets a message; back again.
        try tmux(["resize-window", "-t", "main", "-x", "100", "-y", "30"])
        try waitFor("a relayout at 100×30") { s in
            let lines = s.split(separator: "\n", omittingEmptySubsequences: false)
            return s.contains("Utility vs threshold") && lines.contains { $0.hasSuffix("┐") && $0.count == 100 }
        }
        try tmux(["resize-window", "-t", "main", "-x", "60", "-y", "20"])
        try waitFor("the too-small message") { $0.contains("Terminal too small") }
        try tmux(["resize-window", "-t", "main", "-x", "120", "-y", "40"])
        try waitFor("the full layout again") { $0.contains("Utility vs threshold") }
        // Help overlay.
        try tmux(["send-keys", "-t", "main", "?"])
        try waitFor("the help overlay") { $0.contains("TCMScope keys") }
        try tmux(["send-keys", "-t", "main", "Escape"])
        try waitFor("help to close") { !$0.contains("TCMScope keys") }
        // Fine-tuning starts and updates the screen while keys keep working.
        try tmux(["send-keys", "-t", "main", "t"])
        text = try waitFor("training steps", seconds: 120) {
            (trainingStep(in: $0) ?? 0) > 0 && $0.contains("[running]")
        }
        let t2 = try #require(number(after: "│t=", in: text))
        try tmux(["send-keys", "-t", "main", "Left", "Left"])
        try waitFor("the threshold to move during training") { (number(after: "│t=", in: $0) ?? t2) < t2 }
        try tmux(["send-keys", "-t", "main", "p"])
        try waitFor("pause") { $0.contains("[paused]") }
        try tmux(["send-keys", "-t", "main", "c"])
        try waitFor("cancel") { $0.contains("[idle]") }
        // q exits with status 0 and restores the terminal.
        try tmux(["send-keys", "-t", "main", "q"])
        #expect(try exitStatus(exitFile) == "0")
        try expectRestoredTerminal()
    }

    @Test func ctrlCAndACrashRestoreTheTerminal() throws {
        defer { stopServer() }
        // Ctrl-C: ncurses' handler restores the terminal; the exit status says it was interrupted.
        var exitFile = try startDashboard()
        try waitFor("the first frame") { $0.contains("Utility vs threshold") }
        try tmux(["send-keys", "-t", "main", "C-c"])
        #expect(try exitStatus(exitFile) != "0")
        try expectRestoredTerminal()
        stopServer()

        // A crash (SIGSEGV sent to the dashboard): the guard restores the terminal, then the
        // signal takes its course.
        exitFile = try startDashboard()
        try waitFor("the first frame") { $0.contains("Utility vs threshold") }
        let shell = try tmux(["display", "-p", "-t", "main", "#{pane_pid}"]).output.trimmingCharacters(
            in: .whitespacesAndNewlines)
        let children = try String(contentsOfFile: "/proc/\(shell)/task/\(shell)/children", encoding: .utf8)
        let dashboard = try #require(children.split(separator: " ").first.flatMap { Int32($0) })
        #expect(kill(dashboard, SIGSEGV) == 0)
        #expect(try exitStatus(exitFile) == "\(128 + SIGSEGV)")
        try expectRestoredTerminal()
        stopServer()

        // The same crash with Swift's backtracer at its defaults: it prints the backtrace but
        // does not hold the shell for its 30 s "press a key" wait (issue 8).
        exitFile = try startDashboard(backtracer: true)
        try waitFor("the first frame") { $0.contains("Utility vs threshold") }
        let shellAgain = try tmux(["display", "-p", "-t", "main", "#{pane_pid}"]).output.trimmingCharacters(
            in: .whitespacesAndNewlines)
        let crashing = try #require(
            try String(contentsOfFile: "/proc/\(shellAgain)/task/\(shellAgain)/children", encoding: .utf8)
                .split(separator: " ").first.flatMap { Int32($0) })
        let crashed = Date()
        #expect(kill(crashing, SIGSEGV) == 0)
        let deadline = crashed.addingTimeInterval(25)
        while !FileManager.default.fileExists(atPath: exitFile) && Date() < deadline { usleep(50_000) }
        let seconds = Date().timeIntervalSince(crashed)
        #expect(seconds < 10, "the shell came back after \(seconds) s (the backtracer's wait is 30 s)")
        #expect(try exitStatus(exitFile) == "\(128 + SIGSEGV)")
        try expectRestoredTerminal()
        let screen = try self.screen()
        #expect(
            screen.contains("Crash") || screen.contains("Backtrace") || screen.contains("Thread"),
            "the backtrace is still printed:\n\(screen)")
    }

    /// The seeded clustered set of tests and benchmarks as an embeddings `.npy` and a labels `.npy`.
    static func writeClustered(
        n: Int, dimension: Int, classes: Int, seed: UInt64, to embeddings: String, _ labelsPath: String
    ) throws {
        let (matrix, labels) = SyntheticData.clustered(n: n, dimension: dimension, classes: classes, seed: seed)
        try AtomicFile.write(
            NpyWriter.bytes(floats: matrix.values, shape: [matrix.rows, matrix.cols]), to: embeddings)
        try AtomicFile.write(
            NpyWriter.bytes(int64s: labels.classOf.map(Int64.init), shape: [matrix.rows]), to: labelsPath)
    }

    /// A set large enough that the first analysis takes tens of seconds in a debug build: the
    /// loading screen shows the stage and a percentage, and q quits at once, mid-pass.
    @Test func qQuitsWhileALargeSetIsLoading() throws {
        let dir = NSTemporaryDirectory() + "tcmscope-e2e-large-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.writeClustered(
            n: 40_000, dimension: 128, classes: 500, seed: 2, to: dir + "/large.npy", dir + "/labels.npy")
        defer { stopServer() }

        let exitFile = try startDashboard(arguments: [dir + "/large.npy", dir + "/labels.npy"])
        let loading = try waitFor("the loading screen with a percentage") {
            $0.contains("loading large.npy") && $0.contains("40,000 × 128 · 500 classes")
                && $0.firstMatch(of: /pair pass .* [1-9]\d?%/) != nil
        }
        #expect(loading.contains("q quits") && !loading.contains("Utility vs threshold"))
        try tmux(["send-keys", "-t", "main", "q"])
        let pressed = Date()
        while !FileManager.default.fileExists(atPath: exitFile) && Date().timeIntervalSince(pressed) < 20 {
            usleep(20_000)
        }
        let seconds = Date().timeIntervalSince(pressed)
        #expect(seconds < 3, "the shell came back \(seconds) s after q")
        #expect(try exitStatus(exitFile) == "0")
        try expectRestoredTerminal()
        stopServer()

        // Ctrl-C while loading: interrupted at once, terminal restored.
        let interrupted = try startDashboard(arguments: [dir + "/large.npy", dir + "/labels.npy"])
        try waitFor("the loading screen again") { $0.firstMatch(of: /pair pass .* [1-9]\d?%/) != nil }
        try tmux(["send-keys", "-t", "main", "C-c"])
        let sent = Date()
        while !FileManager.default.fileExists(atPath: interrupted) && Date().timeIntervalSince(sent) < 20 {
            usleep(20_000)
        }
        #expect(
            Date().timeIntervalSince(sent) < 3, "the shell came back \(Date().timeIntervalSince(sent)) s after Ctrl-C")
        #expect(try exitStatus(interrupted) != "0")
        try expectRestoredTerminal()
    }

    /// `dash --counts`: the bundled baseline's merged shards open without the embeddings; the
    /// threshold moves; the row panes say what they need; q exits 0.
    @Test func theDashboardOpensOnMergedCounts() throws {
        let dir = NSTemporaryDirectory() + "tcmscope-e2e-counts-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for k in 0 ..< 2 {
            let part = try tcmscope(["analyze", "--shard", "\(k)/2", "--counts-out", dir + "/part-\(k).tcmc"])
            try #require(part.status == 0, "\(part.stderr)")
        }
        let merged = try tcmscope([
            "merge", dir + "/part-0.tcmc", dir + "/part-1.tcmc", "--counts-out", dir + "/all.tcmc", "--json",
        ])
        try #require(merged.status == 0, "\(merged.stderr)")
        let document = try JSONSerialization.jsonObject(with: Data(merged.stdout.utf8)) as? [String: Any]
        let opis = try #require((document?["report"] as? [String: Any])?["opis"] as? Double)
        defer { stopServer() }

        let exitFile = try startDashboard(arguments: ["--counts", dir + "/all.tcmc"])
        var text = try waitFor("the first frame on counts") {
            $0.contains("Utility vs threshold") && $0.contains("needs the embeddings")
        }
        #expect(text.contains("all.tcmc"), "the title names the count file")
        let shown = try #require(number(after: "OPIS ", in: text))
        #expect(abs(shown - opis) <= 0.01 * opis, "the same OPIS as merge printed: \(shown) vs \(opis)")
        let t0 = try #require(number(after: "│t=", in: text))
        try tmux(["send-keys", "-t", "main", "Right", "Right", "Right"])
        text = try waitFor("the cursor to move") { (self.number(after: "│t=", in: $0) ?? t0) > t0 }
        try tmux(["send-keys", "-t", "main", "t"])
        text = try waitFor("fine-tuning to say it needs the rows") { $0.contains("fine-tuning needs the embeddings") }
        try tmux(["send-keys", "-t", "main", "q"])
        #expect(try exitStatus(exitFile) == "0")
        try expectRestoredTerminal()
    }

    @Test func anUnknownTermIsAOneLineErrorAndExitTwo() throws {
        defer { stopServer() }
        let exitFile = try startDashboard(term: "no-such-terminal")
        #expect(try exitStatus(exitFile) == "2")
        let screen = try self.screen()
        #expect(screen.contains("tcmscope: error: terminal: TERM=no-such-terminal: unknown terminal type"), "\(screen)")
        try expectRestoredTerminal()
    }

    /// Bad options and inputs are refused before curses starts, as usage errors (64) or input
    /// errors (2) naming the file, whatever stdin and stdout are.
    @Test func badOptionsAndInputsAreRefusedBeforeTheScreen() throws {
        for (args, message) in [
            (["dash", "--epochs", "0"], "tcmscope: error: --epochs 0 is out of range; allowed: [1, 10000]"),
            (
                ["dash", "--evaluate-every", "2000000"],
                "tcmscope: error: --evaluate-every 2000000 is out of range; allowed: [0, 1000000]"
            ),
            (
                ["dash", "e.npy", "l.npy", "--label-column", "0"],
                "tcmscope: error: give either a LABELS file or --label-column, not both"
            ),
        ] {
            let run = try tcmscope(args, in: packageRoot)
            #expect(run.status == 64, "\(args): \(run.status)")
            #expect(
                run.stderr.hasPrefix(message) && run.stderr.split(separator: "\n").count == 1, "\(args): \(run.stderr)")
        }
        let images = "sample-data/mnist/t10k-images-idx3-ubyte.gz"
        let noLabels = try tcmscope(["dash", images], in: packageRoot)
        #expect(noLabels.status == 2)
        #expect(
            noLabels.stderr
                == "tcmscope: error: \(images): no labels: give a labels file after the embeddings, or --label-column for a CSV/TSV\n"
        )
        let missing = try tcmscope(["dash", "no-such.npy", "no-such-labels.npy"], in: packageRoot)
        #expect(
            missing.status == 2 && missing.stderr.hasPrefix("tcmscope: error: no-such.npy")
                && missing.stderr.split(separator: "\n").count == 1)
    }

    @Test func noTerminalIsAOneLineErrorAndExitTwo() throws {
        let run = try tcmscope([], in: packageRoot)
        #expect(run.status == 2)
        #expect(run.stderr.hasPrefix("tcmscope: error: terminal: stdin/stdout: not a terminal"))
        #expect(run.stderr.split(separator: "\n").count == 1)
    }

    /// The A/B screen in a real terminal on the bundled sample: a drag of the range's low end on
    /// the range bar, then `A` runs both fine-tunings, and the Metrics pane shows both runs' OPIS
    /// and B − A in the split view (200 columns).
    @Test func abShowsBothRunsOPISAndAMouseDragMovesTheRange() throws {
        // A small set of one's own (1,200 rows, 12 classes), not the bundled 10,000 MNIST rows: the
        // screen, the drag and the A/B are the same, and the two fine-tunings of one epoch take
        // seconds instead of most of two minutes. Fine-tuning the bundled checkpoint in the real
        // terminal stays covered by keysMouseResizeTrainingAndQuitInARealTerminal (t, p, c).
        let dir = NSTemporaryDirectory() + "tcmscope-e2e-ab-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.writeClustered(
            n: 1_200, dimension: 32, classes: 12, seed: 4, to: dir + "/emb.npy", dir + "/labels.npy")
        let exitFile = try startDashboard(
            width: 200, height: 60,
            arguments: [dir + "/emb.npy", dir + "/labels.npy", "--eval-every", "10", "--epochs", "1"])
        defer { stopServer() }
        var text = try waitFor("the first frame") { $0.contains("Utility vs threshold") && $0.contains("Projection") }

        // Drag the range's low end ("[" on the range bar) five columns left (SGR reports, 1-based:
        // press, motion with the button held, release).
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(Array.init)
        let barRow = try #require(lines.firstIndex { $0.contains("━") && $0.contains("[") && $0.contains("·") })
        let column = try #require(lines[barRow].firstIndex(of: "["))
        let low = try #require(number(after: "│lo ", in: text))
        let (x, y) = (column + 1, barRow + 1)
        // One report at a time, as a terminal sends them while the hand moves.
        try tmux(["send-keys", "-t", "main", "-l", "\u{1b}[<0;\(x);\(y)M"])
        try waitFor("the low end to be picked up") { $0.contains("dragging the range's low end") }
        try tmux(["send-keys", "-t", "main", "-l", "\u{1b}[<32;\(x - 5);\(y)M"])
        try waitFor("the drag") { $0.contains("range low end set by mouse") }
        try tmux(["send-keys", "-t", "main", "-l", "\u{1b}[<0;\(x - 5);\(y)m"])
        text = try waitFor("the low end to follow the drag") {
            (number(after: "│lo ", in: $0) ?? low) < low && $0.contains("range low end set by mouse")
        }

        try tmux(["send-keys", "-t", "main", "A"])
        text = try waitFor("both runs' OPIS", seconds: 300) { screen in
            screen.firstMatch(of: /│OPIS\s+(\d[0-9.e+-]*)\s+(\d[0-9.e+-]*)\s+([+-]\d[0-9.e+-]*)/) != nil
        }
        let match = try #require(text.firstMatch(of: /│OPIS\s+(\d[0-9.e+-]*)\s+(\d[0-9.e+-]*)\s+([+-]\d[0-9.e+-]*)/))
        let a = try #require(Double(match.1)), b = try #require(Double(match.2))
        let change = try #require(Double(match.3))
        #expect(a > 0 && b > 0)
        // B − A as shown: A, B and the change are each printed to 4 significant digits, so each is
        // within half a unit of its 4th digit (5e-4 relative) of its exact value.
        #expect(
            abs(change - (b - a)) <= 5e-4 * (abs(a) + abs(b) + abs(change)) + 1e-12, "\(a) \(b) \(change)")
        #expect(text.contains("[A contrastive]") || text.contains("[B contrastive + TCM]"))
        #expect(text.contains("A/B: contrastive vs + TCM"))
        // a flips the curves to the other run.
        let shownB = text.contains("[B contrastive + TCM] ─")
        try tmux(["send-keys", "-t", "main", "a"])
        try waitFor("the flip") { $0.contains("curves: \(shownB ? "A contrastive" : "B contrastive + TCM")") }
        try tmux(["send-keys", "-t", "main", "c"])
        try tmux(["send-keys", "-t", "main", "q"])
        #expect(try exitStatus(exitFile) == "0")
    }
}
