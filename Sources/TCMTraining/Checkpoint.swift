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
    }

    static let magic = Array("TCMSCKPT".utf8)

    public static func write(_ state: TrainingState, to path: String) throws {
        let params = state.model.layers.flatMap { [$0.weight.values, $0.bias] }
        let header = Header(config: state.config, step: state.step, optimizerStep: state.optimizer.step,
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
        try AtomicFile.write(bytes, to: path)
    }

    public static func read(_ path: String) throws -> TrainingState {
        let bytes = try FileBytes.read(path)
        guard bytes.count >= 12, Array(bytes[0 ..< 8]) == magic else { throw DataError(path, "not a TCMScope checkpoint (bad magic)") }
        let length = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        guard 12 + length <= bytes.count else { throw DataError(path, "truncated checkpoint header") }
        let header: Header
        do { header = try JSONDecoder().decode(Header.self, from: Data(bytes[12 ..< 12 + length])) } catch {
            throw DataError(path, "corrupt checkpoint header")
        }
        let widths = header.config.widths
        let expectedSizes = (1 ..< widths.count).flatMap { [widths[$0] * widths[$0 - 1], widths[$0]] }
        guard header.tensorSizes == expectedSizes, header.optimizerSlots == (header.config.optimizer.kind == .adam ? 2 : 1) else {
            throw DataError(path, "checkpoint tensor sizes do not match its widths \(widths)")
        }
        let proxyCount = header.proxyShape.map { $0.count == 2 ? $0[0] * $0[1] : -1 } ?? 0
        guard proxyCount >= 0 else { throw DataError(path, "corrupt proxy shape in checkpoint header") }
        let floats = header.tensorSizes.reduce(0, +) * (1 + header.optimizerSlots) + proxyCount * (1 + header.optimizerSlots)
        guard bytes.count == 12 + length + 4 * floats else {
            throw DataError(path, "checkpoint has \(bytes.count - 12 - length) bytes of tensors, expected \(4 * floats) (truncated or corrupt)")
        }
        var offset = 12 + length
        func tensor(_ n: Int) -> [Float] {
            defer { offset += 4 * n }
            return (0 ..< n).map { i in
                let o = offset + 4 * i
                return Float(bitPattern: UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24)
            }
        }
        var layers: [MLP.Layer] = []
        for l in 1 ..< widths.count {
            let w = tensor(widths[l] * widths[l - 1]), b = tensor(widths[l])
            layers.append(MLP.Layer(weight: Matrix(rows: widths[l], cols: widths[l - 1], values: w), bias: b))
        }
        let first = header.tensorSizes.map { tensor($0) }
        let second = header.optimizerSlots == 2 ? header.tensorSizes.map { tensor($0) } : []
        var state = TrainingState(config: header.config, model: MLP(layers: layers),
                                  optimizer: OptimizerState(step: header.optimizerStep, first: first, second: second), step: header.step)
        if let shape = header.proxyShape {
            state.proxies = Matrix(rows: shape[0], cols: shape[1], values: tensor(proxyCount))
            let m = [tensor(proxyCount)], v = header.optimizerSlots == 2 ? [tensor(proxyCount)] : []
            state.proxyOptimizer = OptimizerState(step: header.proxyOptimizerStep ?? 0, first: m, second: v)
        }
        let all = layers.flatMap { $0.weight.values + $0.bias } + first.flatMap { $0 } + second.flatMap { $0 } + (state.proxies?.values ?? [])
        guard all.allSatisfy(\.isFinite) else { throw DataError(path, "checkpoint holds NaN or infinite values") }
        return state
    }
}
