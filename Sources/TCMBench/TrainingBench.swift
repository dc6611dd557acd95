import Foundation
import TCMData
import TCMKernels
import TCMScopeSupport
import TCMTraining

/// `tcmscope bench training`: samples/s of the MNIST MLP (784→256→128, batch 256 = 8 × 32,
/// Adam) with contrastive loss, without and with TCM, and one all-triplet loss evaluation;
/// against Benchmarks/train_numpy.py (the same step in numpy) on one thread, in the same run.
enum TrainingBench {
    static func run(python: String, steps: Int) throws {
        let (pixels, _) = try EmbeddingLoader.load(try SampleData.path(SampleData.mnistImages))
        let labels = try LabelLoader.load(try SampleData.path(SampleData.mnistLabels)).classOf
        print(
            "Training step, MLP 784→256→128, batch 256 (8 classes × 32), Adam, one thread, \(steps) steps after 5 warm-up"
        )
        var ours: [String: Double] = [:]
        for tcm in [false, true] {
            var config = TrainingConfig()
            config.tcm = tcm ? TCMRegularizer() : nil
            var state = TrainingState(config: config)
            var sampler = try MPerClassSampler(labels: labels, classesPerBatch: 8, samplesPerClass: 32, seed: 1)
            let objective = config.objective
            for _ in 0 ..< 5 {
                _ = try Trainer.step(
                    &state, objective: objective, inputs: pixels, labels: labels, indices: sampler.nextBatch())
            }
            let start = Date()
            for _ in 0 ..< steps {
                _ = try Trainer.step(
                    &state, objective: objective, inputs: pixels, labels: labels, indices: sampler.nextBatch())
            }
            ours[tcm ? "samples_per_second_tcm" : "samples_per_second"] =
                Double(256 * steps) / Date().timeIntervalSince(start)
        }
        // One all-triplet loss evaluation with its gradient on a 256 × 256 similarity matrix.
        var g = TrainingRandom(seed: 1)
        var s = [Double](repeating: 0, count: 256 * 256)
        for i in 0 ..< 256 {
            for j in i ..< 256 {
                let v = Double(g.uniform(-0.3, 0.9))
                s[i * 256 + j] = v
                s[j * 256 + i] = v
            }
        }
        let batch = SimilarityBatch(similarities: s, labels: (0 ..< 256).map { Int32($0 / 32) })
        var gradient = [Double](repeating: 0, count: 256 * 256)
        let start = Date()
        for _ in 0 ..< 20 { _ = TripletMarginLoss(margin: 0.05, mining: .all).evaluate(batch, gradient: &gradient) }
        ours["all_triplet_ms"] = Date().timeIntervalSince(start) / 20 * 1000

        var peer: [String: Double] = [:]
        switch PythonPeer.run("train_numpy.py", ["\(steps)"], python: python, blasThreads: 1) {
        case .success(let run): peer = run.numbers
        case .failure(let failure): print("  numpy peer: failed (\(failure))")
        }
        func line(_ label: String, _ key: String, _ unit: String, higherIsBetter: Bool) {
            let a = ours[key] ?? .nan, b = peer[key] ?? .nan
            print(
                String(
                    format: "  %-36@ ours %10.1f %@   numpy %10.1f %@   ours/numpy speed %.2f×", label as NSString, a,
                    unit as NSString,
                    b, unit as NSString, higherIsBetter ? a / b : b / a))
        }
        line("contrastive", "samples_per_second", "samples/s", higherIsBetter: true)
        line("contrastive + TCM", "samples_per_second_tcm", "samples/s", higherIsBetter: true)
        line("all-triplet loss + gradient (B=256)", "all_triplet_ms", "ms", higherIsBetter: false)
        if let a = ours["samples_per_second"], let b = ours["samples_per_second_tcm"] {
            print(String(format: "  TCM costs %.1f %% of the step", (a / b - 1) * 100))
        }
    }
}
