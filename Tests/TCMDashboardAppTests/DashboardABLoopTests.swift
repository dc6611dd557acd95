import Foundation
import Testing
@testable import TCMDashboard
import TCMData
import TCMMetrics
import TCMTerminal
import TCMTraining
@testable import TCMDashboardApp
import TCMScopeSupport

/// The A/B fine-tuning (key `A`) through the UI loop and the scripted `TestBackend`, on user
/// embeddings (adapter mode): two runs on Dispatch queues, their evaluations re-analysed in the
/// background and arriving while frames are drawn, `a` flipping the curves, `s` saving both runs
/// and the comparison. Runs under TSan in .ci/run too.
@Suite struct DashboardABLoopTests {
    @Test func abRunsBothFineTuningsFlipsAndSavesTheComparison() throws {
        let dir = NSTemporaryDirectory() + "tcmscope-ab-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let dataset = try loadClusteredFiles(n: 480, dimension: 16, classes: 6, seed: 5, in: dir)
        let app = DashboardApp(
            dataset: dataset, title: "e.npy", bundled: false, loss: .contrastive, epochs: 30,
            saveDirectory: dir + "/saved", evaluateEvery: 4)
        func finished() -> Bool {
            guard let ab = app.state.comparison else { return false }
            return !ab.running && app.abRuns.jobs.isEmpty && !app.abRuns.isBusy
                && ab.runs.allSatisfy { $0.report != nil }
        }
        let deadline = Date().addingTimeInterval(240)
        var keysWhileRunning = 0
        let backend = TestBackend(
            width: 200, height: 60,
            script: [
                .events([.key(.character("A"))]),
                // Keys keep being handled while both runs train (the threshold moves each time).
                .until {
                    if app.state.comparison?.running == true && keysWhileRunning < 20 {
                        keysWhileRunning += 1
                        _ = app.handle(.key(keysWhileRunning % 2 == 0 ? .right : .left), size: (200, 60))
                    }
                    return finished() || Date() > deadline
                },
                .events([.key(.character("a"))]),
                .events([.key(.character("s"))]),
            ], whenDone: [.key(.character("q"))], longestWait: .seconds(20))
        // Frames take a while to draw, so results land while one is on its way out.
        backend.duringDraw = { frame in if frame % 3 == 1 { usleep(20_000) } }
        app.run(backend)

        let ab = try #require(app.state.comparison)
        #expect(finished(), "both runs ended and were analysed: \(ab.runs.map(\.training.message))")
        for side in ABSide.allCases {
            #expect(ab[side].training.message == "done" && ab[side].training.step > 0)
            #expect(!ab[side].training.opisHistory.isEmpty)
            // The final evaluation is never dropped, even when it lands while an analysis runs.
            #expect(ab[side].curvesStep == ab[side].training.step, "\(side): curves of the last step")
        }
        // The same start, seed and batches; only TCM differs.
        let endA = try #require(app.abRuns.finalStates[0]), endB = try #require(app.abRuns.finalStates[1])
        #expect(endA.config.tcm == nil && endB.config.tcm != nil)
        var sameApartFromTCM = endB.config
        sameApartFromTCM.tcm = nil
        #expect(sameApartFromTCM == endA.config && endA.step == endB.step)
        #expect(endA.model != endB.model, "TCM changed the training")
        // Both runs are judged on the held-out fifth, against the user's own embeddings of it.
        let heldOut = dataset.count / 5
        for side in ABSide.allCases {
            #expect(ab[side].analyzer?.counts.totalPositives == app.state.baseline?.counts.totalPositives)
        }
        #expect(app.evalLabels.count == heldOut)
        // `a` flipped to A: the screen's report is A's, the ghost B's.
        #expect(ab.shown == .base && app.state.report.opis == ab[.base].report?.opis)
        #expect(app.state.ghost?.counts.globalPositiveAtOrAbove == ab[.tcm].analyzer?.counts.globalPositiveAtOrAbove)
        // The last frame shows both OPIS values (split view at 200 columns).
        let last = try #require(backend.frames.last).text
        let opisA = try #require(ab[.base].report?.opis), opisB = try #require(ab[.tcm].report?.opis)
        #expect(last.contains(Format.number(opisA, 5)) && last.contains(Format.number(opisB, 5)))
        #expect(last.contains("[A contrastive]") && last.contains("[B contrastive + TCM]"))
        #expect(backend.frames.count > 3)
        // B used the TCM that works for the loss (`LossChoice.tcm`: margins from the data, on the
        // range on screen), and the Fine-tuning pane shows the margins of its last step.
        let tcmB = try #require(endB.config.tcm)
        #expect(tcmB.auto != nil && tcmB.auto == LossChoice.tcm(for: endB.config.loss).auto)
        #expect(ab[.tcm].training.marginsAuto && ab[.base].training.positiveMargin == nil)
        #expect(ab[.tcm].training.positiveMargin == tcmB.positiveMargin)
        #expect(ab[.tcm].training.negativeMargin == tcmB.negativeMargin)
        #expect(
            last.contains(
                "m⁺ \(Format.number(tcmB.positiveMargin, 3)) m⁻ \(Format.number(tcmB.negativeMargin, 3)) auto"))

        // s saved both reports and the comparison compare would print.
        let saved = dir + "/saved/ab"
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let reportA = try decoder.decode(
            ThresholdReport.self, from: Data(contentsOf: URL(fileURLWithPath: saved + "/A/report.json")))
        let reportB = try decoder.decode(
            ThresholdReport.self, from: Data(contentsOf: URL(fileURLWithPath: saved + "/B/report.json")))
        #expect(reportA.opis == opisA && reportB.opis == opisB)
        let comparison = try decoder.decode(
            ComparisonDocument.self, from: Data(contentsOf: URL(fileURLWithPath: saved + "/comparison.json")))
        #expect(comparison.a.opis == opisA && comparison.b.opis == opisB)
        #expect(comparison.change.opis == opisB - opisA)
        #expect(comparison.classes.count == 6)
        let text = try String(contentsOfFile: saved + "/comparison.txt", encoding: .utf8)
        #expect(text == comparison.text())
        #expect(FileManager.default.fileExists(atPath: saved + "/B/checkpoint.tcms"))
        #expect(app.state.status.hasPrefix("saved A/B"), "\(app.state.status)")
        // Both runs in compare's accuracy-versus-consistency figure, each with its OPIS interval.
        let svg = try String(contentsOfFile: saved + "/runs.svg", encoding: .utf8)
        #expect(svg.components(separatedBy: "<g class=\"run\"").count == 3)
        #expect(svg.components(separatedBy: "class=\"opis-interval\"").count == 3)
    }

    @Test func abIsRefusedWhileARunIsGoingAndFlipNeedsAnAB() throws {
        let dir = NSTemporaryDirectory() + "tcmscope-ab-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let dataset = try loadClusteredFiles(n: 240, dimension: 8, classes: 4, seed: 6, in: dir)
        let app = DashboardApp(
            dataset: dataset, title: "e.npy", bundled: false, loss: .contrastive, epochs: 200,
            saveDirectory: dir + "/saved")
        _ = app.handle(.key(.character("a")), size: (120, 40))
        #expect(app.state.status == "no A/B run: press A")
        app.startTraining()
        _ = app.handle(.key(.character("A")), size: (120, 40))
        #expect(app.state.comparison == nil && app.state.status.hasPrefix("fine-tuning already running"))
        _ = app.handle(.key(.character("q")), size: (120, 40))  // cancels the run
    }

    /// The red team's bug: after an A/B, `t` said "fine-tuning: contrastive + TCM" and the panes
    /// stayed on the finished A/B, so the new run's steps and curves never showed. Now the new run
    /// replaces the comparison (the run on screen is one `FineTuningRun`; `ApplyTests` checks it
    /// event by event): its progress is in the Fine-tuning pane and its curves follow.
    @Test func tAfterAnABRunsAndShowsTheNewRun() throws {
        let dir = NSTemporaryDirectory() + "tcmscope-ab-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let dataset = try loadClusteredFiles(n: 240, dimension: 8, classes: 4, seed: 7, in: dir)
        let app = DashboardApp(
            dataset: dataset, title: "e.npy", bundled: false, loss: .contrastive, epochs: 3,
            saveDirectory: dir + "/saved", evaluateEvery: 2)
        func abDone() -> Bool {
            guard let ab = app.state.comparison else { return false }
            return !ab.running && app.abRuns.jobs.isEmpty && !app.abRuns.isBusy
                && ab.runs.allSatisfy { $0.report != nil }
        }
        var stepsSeen = 0
        let deadline = Date().addingTimeInterval(120)
        let backend = TestBackend(
            width: 120, height: 40,
            script: [
                .events([.key(.character("A"))]),
                .until { abDone() || Date() > deadline },
                .events([.key(.character("t"))]),
                .until {
                    stepsSeen = max(stepsSeen, app.state.fineTuning.training.step)
                    // Ended, and its last evaluation analysed and on screen.
                    let t = app.state.fineTuning.training
                    return (!t.running && t.step > 0 && app.state.status == "curves from training step \(t.step)")
                        || Date() > deadline
                },
            ], whenDone: [.key(.character("q"))], longestWait: .seconds(20))
        app.run(backend)
        let abGone = app.state.comparison == nil  // (not the whole comparison in a failure message)
        #expect(abGone, "the new run replaced the A/B on screen")
        #expect(
            stepsSeen > 0 && app.state.fineTuning.training.message == "done", "\(app.state.fineTuning.training.message)"
        )
        let frame = try #require(backend.frames.last).text
        #expect(frame.contains("Fine-tuning  contrastive + TCM  [idle]") && !frame.contains("A/B:"), "\(frame)")
        #expect(frame.contains("curves from training step \(app.state.fineTuning.training.step)"), "\(frame)")
    }
}
