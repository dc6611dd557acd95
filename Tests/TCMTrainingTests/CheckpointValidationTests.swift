import Foundation
import Testing
import TCMData
import TCMKernels
@testable import TCMTraining

/// Checkpoints are untrusted input: every corruption of a valid one is one `DataError` naming
/// the file, never a trap, a hang or a huge allocation.
@Suite struct CheckpointValidationTests {
    /// A valid checkpoint's bytes: a short run so that the optimiser moments are non-zero.
    static func validCheckpoint(
        _ loss: TrainingConfig.LossSpec.Kind = .contrastive, optimizer: OptimizerSpec.Kind = .adam
    ) throws -> [UInt8] {
        var config = smallConfig(loss)
        config.epochs = 1
        config.optimizer.kind = optimizer
        let state = try Trainer.run(TrainingState(config: config), data: clusterData()) { _ in }
        let path = NSTemporaryDirectory() + "tcmscope-valid-\(UUID().uuidString).tcms"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Checkpoint.write(state, to: path)
        return try FileBytes.read(path)
    }

    /// Splits a checkpoint into its JSON header (as a dictionary) and its tensor bytes.
    static func split(_ bytes: [UInt8]) throws -> (header: [String: Any], tensors: [UInt8]) {
        let length = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        let header = try #require(
            try JSONSerialization.jsonObject(with: Data(bytes[12 ..< 12 + length])) as? [String: Any])
        return (header, Array(bytes[(12 + length)...]))
    }

    /// Reassembles a checkpoint from a header and tensor bytes.
    static func join(_ header: [String: Any], _ tensors: [UInt8]) throws -> [UInt8] {
        let json = [UInt8](try JSONSerialization.data(withJSONObject: header))
        var bytes = Array("TCMSCKPT".utf8)
        withUnsafeBytes(of: UInt32(json.count).littleEndian) { bytes += $0 }
        return bytes + json + tensors
    }

    /// A valid checkpoint with one header change.
    static func edited(_ edit: (inout [String: Any]) -> Void) throws -> [UInt8] {
        var (header, tensors) = try split(try validCheckpoint())
        edit(&header)
        return try join(header, tensors)
    }

    static func editConfig(_ edit: @escaping (inout [String: Any]) -> Void) throws -> [UInt8] {
        try edited { header in
            var config = header["config"] as! [String: Any]
            edit(&config)
            header["config"] = config
        }
    }

    /// The problem text of decoding `bytes`, which must fail with a DataError naming the file.
    func problem(_ bytes: [UInt8]) -> String {
        do {
            _ = try Checkpoint.decode(bytes, file: "run/c.tcms")
            Issue.record("a corrupt checkpoint was accepted")
            return ""
        } catch let error as DataError {
            #expect(error.file == "run/c.tcms")
            #expect(!error.description.contains("\n"), "one line")
            return error.problem
        } catch {
            Issue.record("unexpected error type: \(error)")
            return ""
        }
    }

    @Test func aValidCheckpointDecodes() throws {
        for (loss, optimizer) in [
            (TrainingConfig.LossSpec.Kind.contrastive, OptimizerSpec.Kind.adam), (.proxyAnchor, .sgd),
            (.proxyAnchor, .adam),
        ] {
            let state = try Checkpoint.decode(try Self.validCheckpoint(loss, optimizer: optimizer), file: "c.tcms")
            #expect(state.step > 0 && state.model.widths == [12, 16, 8])
            #expect((state.proxies != nil) == (loss == .proxyAnchor))
        }
    }

    /// The cases of issue 8 (cause 4): each crashed or hung before.
    @Test func theReportedHeadersAreRefused() throws {
        #expect(
            problem(try Self.editConfig { $0["widths"] = [Int]() }).contains(
                "needs at least an input and an output width"))
        #expect(
            problem(try Self.editConfig { $0["widths"] = [12] }).contains("needs at least an input and an output width")
        )
        #expect(
            problem(
                try Self.editConfig {
                    var loss = $0["loss"] as! [String: Any]
                    loss["contrastiveMargins"] = [0.5]
                    $0["loss"] = loss
                }
            )
            .contains("contrastive loss needs 2 margins, got 1"))
        #expect(problem(try Self.editConfig { $0["classesPerBatch"] = 0 }).contains("a batch needs at least 1 class"))
        #expect(problem(try Self.editConfig { $0["samplesPerClass"] = 0 }).contains("a batch needs at least 1 class"))
        #expect(problem(try Self.edited { $0["step"] = -5 }).contains("checkpoint step -5 is outside"))
        #expect(
            problem(try Self.edited { $0["step"] = 1_000_000_000_000_000 }).contains(
                "checkpoint step 1000000000000000 is outside"))
        #expect(problem(try Self.edited { $0["optimizerStep"] = -1 }).contains("optimizer step -1"))
    }

    @Test func sizesThatWouldOverflowOrExhaustMemoryAreRefused() throws {
        #expect(problem(try Self.editConfig { $0["widths"] = [12, 0, 8] }).contains("widths must be between 1 and"))
        #expect(problem(try Self.editConfig { $0["widths"] = [12, -16, 8] }).contains("widths must be between 1 and"))
        #expect(
            problem(try Self.editConfig { $0["widths"] = [1 << 31, 1 << 31] }).contains("widths must be between 1 and"))
        #expect(problem(try Self.editConfig { $0["widths"] = [65536, 65536] }).contains("parameters, more than"))
        #expect(
            problem(try Self.editConfig { $0["widths"] = Array(repeating: 2, count: 100) }).contains(
                "layers, more than"))
        #expect(problem(try Self.editConfig { $0["classesPerBatch"] = 1 << 40 }).contains("is more than 8192"))
        #expect(
            problem(
                try Self.editConfig {
                    $0["classesPerBatch"] = 4096
                    $0["samplesPerClass"] = 4096
                }
            ).contains("is more than 8192"))
        #expect(problem(try Self.editConfig { $0["epochs"] = 0 }).contains("epochs must be between 1 and"))
        #expect(problem(try Self.editConfig { $0["epochs"] = Int.max }).contains("epochs must be between 1 and"))
        #expect(problem(try Self.editConfig { $0["crossBatchMemory"] = 1 << 40 }).contains("cross-batch memory"))
        #expect(
            problem(try Self.editConfig { $0["crossBatchMemory"] = 1 }).contains(
                "cross-batch memory 1 must hold a batch"))
        #expect(problem(try Self.editConfig { $0["evaluateEvery"] = -3 }).contains("evaluateEvery must be 0 or more"))
        // Sizes that agree with each other but not with the widths, or with the bytes present.
        #expect(
            problem(try Self.edited { $0["tensorSizes"] = [1 << 62, 1 << 62] }).contains(
                "tensor sizes do not match its widths"))
        #expect(problem(try Self.edited { $0["optimizerSlots"] = 7 }).contains("optimizer slots"))
        #expect(
            problem(try Self.edited { $0["proxyShape"] = [1 << 40, 8] }).contains(
                "has proxies but its loss is contrastive"))
        #expect(problem(try Self.edited { $0["format"] = 2 }).contains("format 2 is not supported"))
        #expect(
            problem(try Self.edited { $0["proxyOptimizerStep"] = 3 }).contains("proxy optimizer step but no proxies"))
    }

    @Test func proxyShapesAreChecked() throws {
        let proxyCheckpoint = try Self.validCheckpoint(.proxyAnchor)
        var (header, tensors) = try Self.split(proxyCheckpoint)
        for (shape, text) in [
            ([6], "proxy shape [6]"), ([0, 8], "proxy shape [0, 8]"), ([6, 9], "proxy shape [6, 9]"),
            ([1 << 40, 8], "proxy shape"), ([-6, -8], "proxy shape"),
        ] {
            header["proxyShape"] = shape
            #expect(problem(try Self.join(header, tensors)).contains(text), "\(shape)")
        }
        header["proxyShape"] = [3, 8]  // fewer proxies than the bytes hold
        #expect(problem(try Self.join(header, tensors)).contains("bytes of tensors, expected"))
    }

    @Test func numbersThatCannotBeTrainedWithAreRefused() throws {
        func optimizer(_ key: String, _ value: Any) throws -> [UInt8] {
            try Self.editConfig {
                var o = $0["optimizer"] as! [String: Any]
                o[key] = value
                $0["optimizer"] = o
            }
        }
        #expect(problem(try optimizer("learningRate", 0)).contains("learning rate must be a positive finite number"))
        #expect(problem(try optimizer("learningRate", -1)).contains("learning rate must be a positive finite number"))
        #expect(problem(try optimizer("learningRate", 1e300)).contains("corrupt checkpoint header"), "Float overflow")
        #expect(problem(try optimizer("weightDecay", -1)).contains("weight decay"))
        #expect(problem(try optimizer("beta2", 1)).contains("momentum and betas"))
        #expect(problem(try optimizer("epsilon", 0)).contains("epsilon"))
        #expect(problem(try Self.editConfig { $0["publishInterval"] = -1 }).contains("publishInterval"))
    }

    @Test func truncatedPaddedAndDamagedBytesAreRefused() throws {
        let valid = try Self.validCheckpoint()
        #expect(problem([]).contains("bad magic"))
        #expect(problem(Array(valid.prefix(11))).contains("bad magic"))
        #expect(problem(Array(valid.prefix(12))).contains("truncated checkpoint header"))
        #expect(problem(Array(valid.prefix(40))).contains("truncated checkpoint header"))
        #expect(problem(Array(valid.dropLast(1))).contains("bytes of tensors, expected"))
        #expect(problem(Array(valid.dropLast(4))).contains("bytes of tensors, expected"))
        #expect(problem(valid + [0, 0, 0, 0]).contains("bytes of tensors, expected"))
        var length = valid
        length[8 ..< 12] = [0xFF, 0xFF, 0xFF, 0xFF]
        #expect(problem(length).contains("truncated checkpoint header"))
        var json = valid
        json[14] = UInt8(ascii: "}")
        #expect(problem(json).contains("corrupt checkpoint header"))
        // A NaN, an infinity, and a negative second moment in the tensors.
        let (header, tensors) = try Self.split(valid)
        for (position, pattern, text) in [
            (0, Float.nan.bitPattern, "NaN or infinite"),
            (tensors.count / 2, Float.infinity.bitPattern, "NaN or infinite"),
            (tensors.count - 4, (-1 as Float).bitPattern, "negative second moments"),
        ] {
            var damaged = tensors
            withUnsafeBytes(of: pattern.littleEndian) { damaged.replaceSubrange(position ..< position + 4, with: $0) }
            #expect(problem(try Self.join(header, damaged)).contains(text), "\(text) at \(position)")
        }
    }

    /// Every single-byte flip and every truncation of the header region: decoding either
    /// succeeds or throws a DataError, never traps.
    @Test func everyHeaderByteFlipIsSafe() throws {
        let valid = try Self.validCheckpoint()
        let headerEnd = 12 + (Int(valid[8]) | Int(valid[9]) << 8)
        for position in 0 ..< headerEnd {
            for flip: UInt8 in [0x01, 0x80, 0xFF] {
                var bytes = valid
                bytes[position] ^= flip
                do { _ = try Checkpoint.decode(bytes, file: "c") } catch is DataError {} catch {
                    Issue.record("\(error)")
                }
            }
        }
        for cut in stride(from: 0, to: valid.count, by: 97) {
            do { _ = try Checkpoint.decode(Array(valid.prefix(cut)), file: "c") } catch is DataError {} catch {
                Issue.record("\(error)")
            }
        }
    }

    /// Resuming a finished run without more epochs is refused, with the steps named.
    /// Issue 31 (cause 4): finite was not enough. Every value a flag sets is held to that flag's
    /// range (the very bounds the command line checks, `TrainingBounds`), in the flag's words.
    @Test func everyValueAFlagSetsIsHeldToTheFlagsRange() throws {
        func withTCM(_ change: [String: Any], format: Int = 1) throws -> [UInt8] {
            try Self.edited { header in
                var config = header["config"] as! [String: Any]
                let tcm: [String: Any] = [
                    "positiveMargin": 0.9, "negativeMargin": 0.5, "positiveWeight": 1.0, "negativeWeight": 1.0,
                ]
                config["tcm"] = tcm.merging(change) { $1 }
                header["config"] = config
                header["format"] = format
            }
        }
        func optimizer(_ key: String, _ value: Any) throws -> [UInt8] {
            try Self.editConfig {
                var o = $0["optimizer"] as! [String: Any]
                o[key] = value
                $0["optimizer"] = o
            }
        }
        let auto: [String: Any] = ["farAtLow": 0.1, "farAtHigh": 0.01, "every": 2_000_000, "sampleRows": 64]
        let cases: [([UInt8], String)] = [
            (try withTCM(["positiveMargin": 1e300]), "--tcm-margins 1e+300 is out of range; allowed: [-1.0, 1.0]"),
            (try withTCM(["negativeMargin": -1e300]), "--tcm-margins -1e+300 is out of range"),
            (try withTCM(["negativeMargin": -1.5]), "--tcm-margins -1.5 is out of range"),
            (try withTCM(["negativeWeight": -1e30]), "--tcm-weights -1e+30 is out of range; allowed: [0.0, 1000.0]"),
            (try withTCM(["positiveWeight": 1e300]), "--tcm-weights 1e+300 is out of range"),
            (try withTCM(["auto": auto], format: 3), "--tcm-auto-every 2000000 is out of range; allowed: [1, 1000000]"),
            (try Self.editConfig { $0["epochs"] = 10_001 }, "--epochs 10001 is out of range; allowed: [1, 10000]"),
            (
                try Self.editConfig { $0["classesPerBatch"] = 1 },
                "--classes-per-batch 1 is out of range; allowed: [2, 1024]"
            ),
            (try Self.editConfig { $0["samplesPerClass"] = 1 }, "--samples-per-class 1 is out of range"),
            (
                try Self.editConfig { $0["widths"] = [12, 5000, 8] },
                "--widths 5000 is out of range; allowed: [1, 4096]"
            ),
            (
                try Self.editConfig { $0["widths"] = [12] + Array(repeating: 2, count: 17) },
                "--widths (number of layers) 17 is out of range; allowed: [1, 16]"
            ),
            (try Self.editConfig { $0["evaluateEvery"] = 2_000_000 }, "--eval-every 2000000 is out of range"),
            (
                try Self.editConfig { $0["crossBatchMemory"] = 100_000 },
                "--xbm 100000 is out of range; allowed: [4, 65536]"
            ),
            (try optimizer("learningRate", 100), "--learning-rate 100.0 is out of range; allowed: (0.0, 10.0]"),
            (try optimizer("weightDecay", 2), "--weight-decay 2.0 is out of range; allowed: [0.0, 1.0]"),
        ]
        for (bytes, mention) in cases {
            let text = problem(bytes)
            #expect(text.hasPrefix("checkpoint configuration: ") && text.contains(mention), "\(text)")
        }
        // Values no flag sets are held to ranges around what tcmscope writes, named by field.
        func loss(_ key: String, _ value: Any) throws -> [UInt8] {
            try Self.editConfig {
                var l = $0["loss"] as! [String: Any]
                l[key] = value
                $0["loss"] = l
            }
        }
        let fixed: [([UInt8], String)] = [
            (try loss("contrastiveMargins", [1e300, 0.0]), "loss.contrastiveMargins 1e+300 is out of range"),
            (try loss("tripletMargin", -3.0), "loss.tripletMargin -3.0 is out of range; allowed: [-2.0, 2.0]"),
            (try loss("circleGamma", 1e9), "loss.circleGamma 1000000000.0 is out of range; allowed: (0.0, 1000.0]"),
            (try optimizer("epsilon", 2), "optimizer.epsilon 2.0 is out of range"),
            (try Self.editConfig { $0["publishInterval"] = 1e9 }, "publishInterval 1000000000.0 is out of range"),
        ]
        for (bytes, mention) in fixed {
            let text = problem(bytes)
            #expect(text.hasPrefix("checkpoint configuration: ") && text.contains(mention), "\(text)")
        }
        // The ends of every range are allowed.
        let ends = try Self.edited { header in
            var config = header["config"] as! [String: Any]
            config["tcm"] = [
                "positiveMargin": 1.0, "negativeMargin": -1.0, "positiveWeight": 1000.0, "negativeWeight": 0.0,
            ]
            config["epochs"] = 10_000
            config["evaluateEvery"] = 1_000_000
            header["config"] = config
        }
        #expect(try Checkpoint.decode(ends, file: "c.tcms").config.tcm?.positiveWeight == 1000)
    }

    @Test func resumingAFinishedRunSaysSo() throws {
        let state = try Checkpoint.decode(try Self.validCheckpoint(), file: "c.tcms")
        let rows = clusterData().trainInputs.rows
        #expect(
            throws: DataError(
                "c.tcms",
                "checkpoint is at step \(state.step), already at or past this run's \(state.step) steps (1 epochs); pass more --epochs to continue it"
            )
        ) {
            try Checkpoint.checkResumable(state, trainRows: rows, file: "c.tcms")
        }
        #expect(throws: TrainingError.nothingToDo(step: state.step, totalSteps: state.step)) {
            _ = try Trainer.run(state, data: clusterData()) { _ in }
        }
        var fewer = state
        fewer.config.epochs = 1
        fewer.step = 10 * state.step
        #expect(throws: TrainingError.nothingToDo(step: fewer.step, totalSteps: state.step)) {
            _ = try Trainer.run(fewer, data: clusterData()) { _ in }
        }
        var more = state
        more.config.epochs = 2
        try Checkpoint.checkResumable(more, trainRows: rows, file: "c.tcms")
        #expect(try Trainer.run(more, data: clusterData()) { _ in }.step == 2 * state.step)
    }
}

/// The fuzz target's seed corpus stays meaningful: its valid seeds decode, its damaged ones are
/// refused with the expected message (so a format change that breaks the seeds is noticed).
@Suite struct CheckpointFuzzSeedTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz/corpus/checkpoint").path

    func decode(_ name: String) throws -> TrainingState {
        try Checkpoint.read(Self.corpus + "/" + name)
    }

    @Test func validSeedsDecode() throws {
        let adam = try decode("adam-4-3-2.tcms")
        #expect(adam.model.widths == [4, 3, 2] && adam.optimizer.second.count == 4 && adam.config.tcm != nil)
        let sgd = try decode("sgd-3-2.tcms")
        #expect(sgd.model.widths == [3, 2] && sgd.optimizer.second.isEmpty)
        let proxies = try decode("proxy-anchor-adam.tcms")
        #expect(proxies.proxies?.rows == 3 && proxies.proxies?.cols == 2 && proxies.proxyOptimizer?.second.count == 1)
        // Issue 31: TCM margins and weights at the ends of their flags' ranges are accepted.
        let ends = try decode("tcm-range-ends.tcms").config.tcm
        #expect(ends?.positiveMargin == 1 && ends?.negativeMargin == -1 && ends?.positiveWeight == 1000)
    }

    /// Issue 31: the seeds that take the fuzzer past the flag-range checks are refused by them.
    @Test func outOfRangeSeedsAreRefusedInTheFlagsWords() {
        for (seed, problem) in [
            ("tcm-weight-1e300.tcms", "--tcm-weights 1e+300 is out of range; allowed: [0.0, 1000.0]"),
            ("tcm-margin-minus-1e300.tcms", "--tcm-margins -1e+300 is out of range; allowed: [-1.0, 1.0]"),
        ] {
            #expect(throws: DataError(Self.corpus + "/" + seed, "checkpoint configuration: " + problem)) {
                _ = try decode(seed)
            }
        }
    }

    @Test func damagedSeedsAreRefused() {
        #expect(
            throws: DataError(
                Self.corpus + "/truncated.tcms",
                "checkpoint has 269 bytes of tensors, expected 276 (truncated or corrupt)")
        ) {
            _ = try decode("truncated.tcms")
        }
        #expect(
            throws: DataError(
                Self.corpus + "/empty-widths.tcms",
                "checkpoint configuration: needs at least an input and an output width, got []")
        ) {
            _ = try decode("empty-widths.tcms")
        }
    }
}
