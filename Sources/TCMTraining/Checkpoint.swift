import Foundation
import TCMData
import TCMKernels

/// A checkpoint file: the magic `TCMSCKPT`, a little-endian UInt32 length, that many bytes of
/// JSON (config, step, tensor sizes), then every tensor as little-endian Float32 in a fixed
/// order (per layer weight and bias; then the optimiser's first and, for Adam, second moments).
/// Written atomically; every size is checked on load.
public enum Checkpoint {
    struct Header: Codable {
        var format = 1
        var config: TrainingConfig
        var step: Int
        var optimizerStep: Int
        var tensorSizes: [Int]
        var optimizerSlots: Int
        /// Proxy-anchor: proxies (rows × columns) and their optimiser step; absent otherwise.
        var proxyShape: [Int]?
        var proxyOptimizerStep: Int?

        /// 3 for TCM with margins from the data (`auto`), else 2 for a Euclidean-distance loss,
        /// else 1: a reader that knows only format 1 would take a Euclidean checkpoint for a
        /// cosine one, and one that knows only 1 and 2 would resume an auto-margin run with its
        /// last margins fixed, so each must refuse the newer file instead.
        static func format(of config: TrainingConfig) -> Int {
            config.tcm?.auto != nil ? 3 : config.loss.distance == .euclidean ? 2 : 1
        }
    }

    static let magic = Array("TCMSCKPT".utf8)

    public static func write(_ state: TrainingState, to path: String) throws {
        try AtomicFile.write(encode(state), to: path)
    }

    /// The bytes of a checkpoint file holding `state`.
    public static func encode(_ state: TrainingState) throws -> [UInt8] {
        let params = state.model.layers.flatMap { [$0.weight.values, $0.bias] }
        let header = Header(
            format: Header.format(of: state.config), config: state.config, step: state.step,
            optimizerStep: state.optimizer.step,
            tensorSizes: params.map(\.count), optimizerSlots: state.optimizer.second.isEmpty ? 1 : 2,
            proxyShape: state.proxies.map { [$0.rows, $0.cols] }, proxyOptimizerStep: state.proxyOptimizer?.step)
        let json = try JSONEncoder().encode(header)
        var bytes = magic
        withUnsafeBytes(of: UInt32(json.count).littleEndian) { bytes += $0 }
        bytes += json
        var tensors = params + state.optimizer.first + state.optimizer.second
        if let proxies = state.proxies, let optimizer = state.proxyOptimizer {
            tensors += [proxies.values] + optimizer.first + optimizer.second
        }
        for tensor in tensors {
            for v in tensor { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 } }
        }
        return bytes
    }

    /// The largest weight or bias magnitude a checkpoint's model may hold.
    public static let maxWeightMagnitude: Float = 1e6

    /// Reads and validates a checkpoint file (see `decode`).
    public static func read(_ path: String) throws -> TrainingState {
        try decode(FileBytes.read(path), file: path)
    }

    /// Decodes a checkpoint held in memory, treating it as untrusted input: the header's
    /// configuration must pass `TrainingConfig.problem` and keep every value a flag sets within
    /// that flag's range (`flagRangeProblem`), every count is checked (with checked
    /// arithmetic) against the bytes actually present before anything is allocated, and every
    /// value must be finite. Any problem is one `DataError(file, …)`; nothing traps.
    public static func decode(_ bytes: [UInt8], file: String) throws -> TrainingState {
        func fail(_ problem: String) -> DataError { DataError(file, problem) }
        guard bytes.count >= 12, Array(bytes[0 ..< 8]) == magic else {
            throw fail("not a TCMScope checkpoint (bad magic)")
        }
        let length = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        guard length <= bytes.count - 12 else { throw fail("truncated checkpoint header") }
        let header: Header
        do { header = try JSONDecoder().decode(Header.self, from: Data(bytes[12 ..< 12 + length])) } catch {
            throw fail("corrupt checkpoint header")
        }
        try validate(header, fail: fail)
        let widths = header.config.widths
        let slots = 1 + header.optimizerSlots
        // Sizes are bounded by the validated widths and proxy shape: these sums cannot overflow.
        let proxyCount = header.proxyShape.map { $0[0] * $0[1] } ?? 0
        let floats = header.tensorSizes.reduce(0, +) * slots + proxyCount * slots
        let tensorBytes = bytes.count - 12 - length
        guard tensorBytes == 4 * floats else {
            throw fail("checkpoint has \(tensorBytes) bytes of tensors, expected \(4 * floats) (truncated or corrupt)")
        }
        var offset = 12 + length
        func tensor(_ n: Int) -> [Float] {
            defer { offset += 4 * n }
            return bytes.withUnsafeBytes { raw in
                (0 ..< n).map { i in
                    Float(
                        bitPattern: UInt32(
                            littleEndian: raw.loadUnaligned(fromByteOffset: offset + 4 * i, as: UInt32.self)))
                }
            }
        }
        var layers: [MLP.Layer] = []
        for l in 1 ..< widths.count {
            let w = tensor(widths[l] * widths[l - 1]), b = tensor(widths[l])
            layers.append(MLP.Layer(weight: Matrix(rows: widths[l], cols: widths[l - 1], values: w), bias: b))
        }
        let first = header.tensorSizes.map { tensor($0) }
        let second = header.optimizerSlots == 2 ? header.tensorSizes.map { tensor($0) } : []
        var state = TrainingState(
            config: header.config, model: MLP(layers: layers),
            optimizer: OptimizerState(step: header.optimizerStep, first: first, second: second), step: header.step)
        if let shape = header.proxyShape {
            state.proxies = Matrix(rows: shape[0], cols: shape[1], values: tensor(proxyCount))
            let m = [tensor(proxyCount)], v = header.optimizerSlots == 2 ? [tensor(proxyCount)] : []
            state.proxyOptimizer = OptimizerState(step: header.proxyOptimizerStep ?? 0, first: m, second: v)
        }
        let tensors =
            layers.flatMap { [$0.weight.values, $0.bias] } + first + second
            + [state.proxies?.values ?? []] + (state.proxyOptimizer.map { $0.first + $0.second } ?? [])
        guard tensors.allSatisfy({ $0.allSatisfy(\.isFinite) }) else {
            throw fail("checkpoint holds NaN or infinite values")
        }
        // Finite is not enough: weights of 3e38 overflow to infinity in the first product. Trained
        // weights stay many orders of magnitude below this bound (the bundled baseline's: below 1).
        for (l, layer) in layers.enumerated() {
            let largest = (layer.weight.values + layer.bias).lazy.map(abs).max() ?? 0
            guard largest <= maxWeightMagnitude else {
                throw fail(
                    "checkpoint layer \(l + 1) holds a weight of magnitude \(largest), over \(maxWeightMagnitude): not a trained model (damaged or crafted)"
                )
            }
        }
        // Adam's second moments are running means of squares: a negative one is corrupt.
        guard (second + (state.proxyOptimizer?.second ?? [])).allSatisfy({ $0.allSatisfy { $0 >= 0 } }) else {
            throw fail("checkpoint holds negative second moments (corrupt optimizer state)")
        }
        return state
    }

    /// Checks every header field on its own, before any size derived from it is used.
    static func validate(_ header: Header, fail: (String) -> DataError) throws {
        guard (1 ... 3).contains(header.format) else {
            throw fail("checkpoint format \(header.format) is not supported (expected 1, 2 or 3)")
        }
        let expectedFormat = Header.format(of: header.config)
        guard header.format == expectedFormat else {
            let what =
                header.config.tcm?.auto != nil
                ? "TCM with auto margins" : "a \(header.config.loss.distance.rawValue)-distance loss"
            throw fail("checkpoint format \(header.format) is not supported for \(what) (expected \(expectedFormat))")
        }
        if let problem = header.config.problem { throw fail("checkpoint configuration: \(problem)") }
        // Every value a flag sets is held to that flag's range: a checkpoint asks for nothing the
        // command line would refuse.
        if let problem = header.config.flagRangeProblem { throw fail("checkpoint configuration: \(problem)") }
        // And the values no flag sets to ranges around what tcmscope writes.
        if let problem = header.config.fixedParameterProblem { throw fail("checkpoint configuration: \(problem)") }
        let widths = header.config.widths
        guard header.step >= 0 && header.step <= TrainingLimits.steps else {
            throw fail("checkpoint step \(header.step) is outside 0…\(TrainingLimits.steps)")
        }
        guard header.optimizerStep >= 0 && header.optimizerStep <= TrainingLimits.steps else {
            throw fail("checkpoint optimizer step \(header.optimizerStep) is outside 0…\(TrainingLimits.steps)")
        }
        let expectedSizes = (1 ..< widths.count).flatMap { [widths[$0] * widths[$0 - 1], widths[$0]] }
        guard header.tensorSizes == expectedSizes else {
            throw fail("checkpoint tensor sizes do not match its widths \(widths)")
        }
        guard header.optimizerSlots == (header.config.optimizer.kind == .adam ? 2 : 1) else {
            throw fail(
                "checkpoint has \(header.optimizerSlots) optimizer slots, \(header.config.optimizer.kind.rawValue) has \(header.config.optimizer.kind == .adam ? 2 : 1)"
            )
        }
        if let shape = header.proxyShape {
            guard header.config.loss.kind == .proxyAnchor else {
                throw fail("checkpoint has proxies but its loss is \(header.config.loss.kind.rawValue)")
            }
            guard shape.count == 2, shape[0] >= 1, shape[0] <= TrainingLimits.classes,
                shape[1] == widths[widths.count - 1]
            else {
                throw fail("checkpoint proxy shape \(shape) is not [classes, \(widths[widths.count - 1])]")
            }
            let proxyStep = header.proxyOptimizerStep ?? 0
            guard proxyStep >= 0 && proxyStep <= TrainingLimits.steps else {
                throw fail("checkpoint proxy optimizer step \(proxyStep) is out of range")
            }
        } else if header.proxyOptimizerStep != nil {
            throw fail("checkpoint has a proxy optimizer step but no proxies")
        }
    }

    /// Throws a `DataError` naming `file` when a run of `trainRows` rows under `state.config`
    /// would have no step left (the checkpoint is of a finished run and the epochs were not raised).
    public static func checkResumable(_ state: TrainingState, trainRows: Int, file: String) throws {
        let total = Trainer.totalSteps(state.config, trainRows: trainRows)
        guard state.step < total else {
            throw DataError(
                file,
                "checkpoint is at step \(state.step), already at or past this run's \(total) steps (\(state.config.epochs) epochs); pass more --epochs to continue it"
            )
        }
    }
}
