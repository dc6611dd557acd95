import ArgumentParser
import Foundation
import TCMScopeSupport
import TCMTraining

/// Two numbers written a:b — a calibration range's ends, TCM margins or weights. Parsing is
/// strict and the same for every option: exactly two finite numbers around one colon, so
/// "1:x:2", "1:" or "1:inf" are refused by the parser with the option's name.
struct NumberPair: ExpressibleByArgument, Equatable, Sendable {
    var first: Double
    var second: Double
    /// As written (shown as the default in --help).
    let text: String

    init?(argument: String) {
        let parts = argument.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let a = Double(parts[0]), let b = Double(parts[1]), a.isFinite, b.isFinite else {
            return nil
        }
        (first, second, text) = (a, b, argument)
    }

    var defaultValueDescription: String { text }
}

/// Layer widths written w,w,… (`--widths 256,128`): one or more integers, nothing else.
struct WidthList: ExpressibleByArgument, Equatable, Sendable {
    var values: [Int]
    let text: String

    init?(argument: String) {
        let parts = argument.split(separator: ",", omittingEmptySubsequences: false).map {
            Int($0.trimmingCharacters(in: .whitespaces))
        }
        guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }) else { return nil }
        (values, text) = (parts.map { $0! }, argument)
    }

    var defaultValueDescription: String { text }
}

/// TCM margins as `--tcm-margins` takes them: m⁺:m⁻ (a `NumberPair`), or `auto` (chosen from the
/// training rows' similarities, `TCMMarginRule`).
enum TCMMarginsArgument: ExpressibleByArgument, Equatable, Sendable {
    case fixed(NumberPair)
    case auto

    init?(argument: String) {
        if argument == "auto" {
            self = .auto
        } else if let pair = NumberPair(argument: argument) {
            self = .fixed(pair)
        } else {
            return nil
        }
    }

    var defaultValueDescription: String {
        switch self {
        case .auto: return "auto"
        case .fixed(let pair): return pair.text
        }
    }

    /// The regulariser these margins and `weights` make (auto: re-estimated every `every` steps).
    func regularizer(weights: NumberPair, every: Int) -> TCMRegularizer {
        var tcm = TCMRegularizer(positiveWeight: weights.first, negativeWeight: weights.second)
        switch self {
        case .auto: tcm.auto = TCMAutoMargins(every: every)
        case .fixed(let pair): (tcm.positiveMargin, tcm.negativeMargin) = (pair.first, pair.second)
        }
        return tcm
    }

    /// Checks fixed margins against `bound` (auto has none).
    func check(_ bound: FlagBound<Double>) throws {
        if case .fixed(let pair) = self { try bound.check([pair.first, pair.second]) }
    }
}
