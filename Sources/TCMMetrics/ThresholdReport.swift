import TCMKernels

/// Everything the user can choose about the threshold analysis, with the spec's defaults.
public struct OPISOptions: Sendable, Equatable {
    public enum Ranking: String, Sendable, CaseIterable, Codable {
        /// Rank classes by U_c(t) afresh at every grid threshold (the spec's default).
        case perThreshold = "per-threshold"
        /// Rank once, by each class's range-averaged utility.
        case rangeAverage = "range-average"
    }

    public var range: RangeSpec = .standard
    /// Number of grid thresholds K (both ends included).
    public var points = 101
    public var utility = UtilitySpec()
    public var epsilon = 0.05
    public var ranking = Ranking.perThreshold
    /// The operating threshold for the at-threshold columns; `nil` means the centre of the range.
    public var operatingThreshold: Double? = nil
    /// Global FARs at which to report the true-accept rate.
    public var tarAtFAR: [Double] = [1e-1, 1e-2, 1e-3, 1e-4]

    public init() {}
}

/// One class's row of the report.
public struct ClassSummary: Sendable, Codable, Equatable {
    public let name: String
    public let size: Int
    /// False for classes with fewer than 2 samples (no positive pair): left out of OPIS.
    public let inOPIS: Bool
    /// avg_range[(U_c − Ū)²]; nil when left out.
    public let opisTerm: Double?
    /// avg_range U_c.
    public let meanUtility: Double?
    /// At the operating threshold:
    public let utility: Double
    public let tpr: Double
    public let far: Double
    public let frr: Double
    public let positivePairs: Int
    public let negativePairs: Int
}

extension ClassSummary {
    /// Whether the at-threshold TPR, FRR and utility mean anything: they need a positive pair,
    /// which a one-sample class has not (the analyzer then holds TPR 0, FRR 1 and utility 0).
    public var hasPositivePairs: Bool { positivePairs > 0 }

    private enum Keys: String, CodingKey {
        case name, size, inOPIS, opisTerm, meanUtility, utility, tpr, far, frr, positivePairs, negativePairs
    }

    /// A report's undefined values are left out of its JSON, not written as numbers (issue 31):
    /// a one-sample class has no `tpr`, `frr` or `utility`, as it has no `opisTerm`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(name, forKey: .name)
        try c.encode(size, forKey: .size)
        try c.encode(inOPIS, forKey: .inOPIS)
        try c.encodeIfPresent(opisTerm, forKey: .opisTerm)
        try c.encodeIfPresent(meanUtility, forKey: .meanUtility)
        if hasPositivePairs {
            try c.encode(utility, forKey: .utility)
            try c.encode(tpr, forKey: .tpr)
            try c.encode(frr, forKey: .frr)
        }
        try c.encode(far, forKey: .far)
        try c.encode(positivePairs, forKey: .positivePairs)
        try c.encode(negativePairs, forKey: .negativePairs)
    }

    /// Reads what `encode` writes: the three rates are required with a positive pair and, when
    /// left out without one, take the analyzer's values. (Reports written before issue 31 hold
    /// them as numbers either way.)
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        name = try c.decode(String.self, forKey: .name)
        size = try c.decode(Int.self, forKey: .size)
        inOPIS = try c.decode(Bool.self, forKey: .inOPIS)
        opisTerm = try c.decodeIfPresent(Double.self, forKey: .opisTerm)
        meanUtility = try c.decodeIfPresent(Double.self, forKey: .meanUtility)
        far = try c.decode(Double.self, forKey: .far)
        let positives = try c.decode(Int.self, forKey: .positivePairs)
        positivePairs = positives
        negativePairs = try c.decode(Int.self, forKey: .negativePairs)
        func rate(_ key: Keys, undefined: Double) throws -> Double {
            guard positives <= 0 else { return try c.decode(Double.self, forKey: key) }
            return try c.decodeIfPresent(Double.self, forKey: key) ?? undefined
        }
        utility = try rate(.utility, undefined: 0)
        tpr = try rate(.tpr, undefined: 0)
        frr = try rate(.frr, undefined: 1)
    }
}

public struct TARPoint: Sendable, Codable, Equatable {
    public let targetFAR: Double
    public let threshold: Double
    public let far: Double
    public let tar: Double
}

/// The global (all-class) operating characteristics.
public struct GlobalSummary: Sendable, Codable, Equatable {
    public let positivePairs: UInt64
    public let negativePairs: UInt64
    public let far: Double
    public let tpr: Double
    public let eer: Double
    public let eerThreshold: Double
    public let tarAtFAR: [TARPoint]
}

/// The settings a report used, so anyone can reproduce its numbers.
public struct ReportSettings: Sendable, Codable, Equatable {
    public let thresholdResolution: Double
    public let rangeSpec: String
    public let rangeLow: Double
    public let rangeHigh: Double
    public let globalFARAtLow: Double
    public let globalFARAtHigh: Double
    public let points: Int
    public let thresholds: [Double]
    public let utility: String
    public let beta: Double
    public let epsilon: Double
    public let classesPerGroup: Int
    public let ranking: String
    public let operatingThreshold: Double
    public let similarity: String
    /// How a curve is averaged over the range and how the EER is found, stated in every report
    /// (nil when read from a report written before they were).
    public var rangeAverage: String? = ReportSettings.rangeAverageRule
    public var eerRule: String? = ReportSettings.equalErrorRateRule

    public static let rangeAverageRule =
        "trapezoid rule on the grid divided by hi − lo: weights 1/(K−1) inside, half that at the two ends"
    public static let equalErrorRateRule =
        "the bin edge where global FAR and FRR are closest (the lower edge on a tie); EER = (FAR + FRR)/2 there"
}

/// The threshold-consistency report of one set of pair counts.
public struct ThresholdReport: Sendable, Codable, Equatable {
    public let settings: ReportSettings
    public let opis: Double
    public let epsilonOPIS: Double
    public let classesInOPIS: Int
    public let excludedClasses: [String]
    public let global: GlobalSummary
    public let classes: [ClassSummary]
    /// `curves[i][k]` is U of the i-th class in OPIS at grid threshold k (not encoded; see `CurveTable`).
    public let curves: [[Double]]
    /// Indices into `classes` of the rows of `curves`.
    public let curveClasses: [Int]

    enum CodingKeys: String, CodingKey {
        case settings, opis, epsilonOPIS, classesInOPIS, excludedClasses, global, classes
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        settings = try c.decode(ReportSettings.self, forKey: .settings)
        opis = try c.decode(Double.self, forKey: .opis)
        epsilonOPIS = try c.decode(Double.self, forKey: .epsilonOPIS)
        classesInOPIS = try c.decode(Int.self, forKey: .classesInOPIS)
        excludedClasses = try c.decode([String].self, forKey: .excludedClasses)
        global = try c.decode(GlobalSummary.self, forKey: .global)
        classes = try c.decode([ClassSummary].self, forKey: .classes)
        curves = []
        curveClasses = []
    }

    init(
        settings: ReportSettings, opis: Double, epsilonOPIS: Double, classesInOPIS: Int, excludedClasses: [String],
        global: GlobalSummary, classes: [ClassSummary], curves: [[Double]], curveClasses: [Int]
    ) {
        self.settings = settings
        self.opis = opis
        self.epsilonOPIS = epsilonOPIS
        self.classesInOPIS = classesInOPIS
        self.excludedClasses = excludedClasses
        self.global = global
        self.classes = classes
        self.curves = curves
        self.curveClasses = curveClasses
    }
}
