import TCMData

/// Why a projection cannot be computed, phrased for a user; raised before any work starts (or,
/// for `diverged`, as soon as the layout stops being finite). The library never traps instead.
public enum ProjectionError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Too few rows for the method (t-SNE needs 3).
    case tooFewPoints(method: String, needed: Int, got: Int)
    /// An option outside its domain (a non-finite learning rate, perplexity below 1, …).
    case invalidOption(String)
    /// A warm-start layout of the wrong size or with non-finite coordinates.
    case invalidWarmStart(String)
    /// Input rows with NaN or infinite values.
    case nonFiniteInput
    /// The layout became NaN or infinite during the optimisation (learning rate far too high).
    case diverged(iteration: Int)
    /// Trustworthiness's k does not fit the number of points.
    case invalidNeighbourCount(k: Int, points: Int, maximum: Int)

    public var description: String {
        switch self {
        case .tooFewPoints(let method, let needed, let got):
            return "\(method) needs at least \(needed) points, got \(got)"
        case .invalidOption(let problem): return problem
        case .invalidWarmStart(let problem): return "warm-start layout: \(problem)"
        case .nonFiniteInput: return "the rows to project hold NaN or infinite values"
        case .diverged(let iteration):
            return
                "t-SNE diverged at iteration \(iteration) (the layout became NaN or infinite); lower the learning rate"
        case .invalidNeighbourCount(let k, let points, let maximum):
            return "trustworthiness needs 1 ≤ k ≤ \(maximum) for \(points) points, got k = \(k)"
        }
    }
}

extension ProjectionError {
    /// Runs `body`, turning a `ProjectionError` into the command line's one-line `DataError`:
    /// a bad warm start names the warm-start file, anything else the input file.
    public static func naming<T>(input: String, warmStart: String?, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as ProjectionError {
            if case .invalidWarmStart = error, let warmStart { throw DataError(warmStart, error.description) }
            throw DataError(input, error.description)
        }
    }
}
