import Foundation
import TCMData
import TCMMetrics

/// A report read back from a file (`compare A.json B.json`) is input like any other: every value
/// is checked against what `analyze` can produce before a gate trusts it. A report with
/// `"opis": -5`, `1e300`, a class count that disagrees with its rows, or pair counts that do not
/// follow from the class sizes is refused with one line naming the file and the field; so is
/// every value of its bootstrap section (`BootstrapSummary.validate`), and a report of data where
/// no class has two samples (`OPISCoverage`).
extension AnalysisDocument {
    /// The report an `analyze --out` file holds, every value validated: what `compare` reads
    /// (and the `report` fuzz target feeds). Throws a one-line `DataError(file, …)`.
    public static func read(bytes: [UInt8], file: String) throws -> AnalysisDocument {
        let document: AnalysisDocument
        do {
            document = try JSONDecoder().decode(AnalysisDocument.self, from: Data(bytes))
        } catch {
            throw DataError(file, "is not an analyze --out JSON report")
        }
        try document.validate(file: file)
        return document
    }

    /// Throws a `DataError(file, …)` for the first impossible value.
    public func validate(file: String) throws {
        func refuse(_ what: String) -> DataError {
            DataError(file, "impossible report: \(what) (damaged or edited; rerun analyze)")
        }
        // Rates and utilities are in [0, 1]; averages of them may round a few ulps past either end.
        func rate(_ value: Double, _ name: String) throws {
            guard value.isFinite && value >= -1e-9 && value <= 1 + 1e-9 else {
                throw refuse("\(name) \(value) is not in [0, 1]")
            }
        }
        let r = report, s = r.settings
        try rate(r.opis, "opis")
        try rate(r.epsilonOPIS, "epsilonOPIS")
        // Settings: the grid and range as analyze builds them. Thresholds are bin edges of the
        // cosine axis: −1 up to one bin past 1 (the edge that accepts no pair).
        guard s.thresholdResolution.isFinite && s.thresholdResolution >= 1.0 / 30_000 && s.thresholdResolution <= 1
        else {
            throw refuse("settings.thresholdResolution \(s.thresholdResolution)")
        }
        let highest = 1 + s.thresholdResolution * (1 + 1e-9)
        func similarity(_ value: Double, _ name: String) throws {
            guard value.isFinite && value >= -1 && value <= highest else {
                throw refuse("\(name) \(value) is not a threshold in [−1, \(highest)]")
            }
        }
        try similarity(s.rangeLow, "settings.rangeLow")
        try similarity(s.rangeHigh, "settings.rangeHigh")
        try similarity(s.operatingThreshold, "settings.operatingThreshold")
        guard s.rangeLow <= s.rangeHigh else {
            throw refuse("settings.rangeLow \(s.rangeLow) is above rangeHigh \(s.rangeHigh)")
        }
        try rate(s.globalFARAtLow, "settings.globalFARAtLow")
        try rate(s.globalFARAtHigh, "settings.globalFARAtHigh")
        guard s.points >= 1 && s.points <= 1 << 20 && s.thresholds.count == s.points else {
            throw refuse("settings.points \(s.points) with \(s.thresholds.count) thresholds")
        }
        for t in s.thresholds { try similarity(t, "a settings.thresholds value") }
        guard s.beta.isFinite && s.beta > 0, s.epsilon.isFinite && s.epsilon > 0 && s.epsilon <= 0.5 else {
            throw refuse("settings.beta \(s.beta) or settings.epsilon \(s.epsilon) out of range")
        }
        // Classes: sizes, pair counts that follow from them, rates, and the OPIS terms.
        let n = r.classes.reduce(0) { $0 &+ max($1.size, 0) }
        guard !r.classes.isEmpty, r.classes.allSatisfy({ $0.size >= 1 && $0.size <= Int(Int32.max) }),
            n <= Int(Int32.max)
        else {
            throw refuse("class sizes are not between 1 and 2^31 − 1 (or there are no classes)")
        }
        guard input.classes == r.classes.count,
            input.samples == n + input.droppedZeroVectorRows.count || input.samples == n
        else {
            throw refuse(
                "input says \(input.samples) samples in \(input.classes) classes, the rows hold \(n) in \(r.classes.count)"
            )
        }
        var positives: UInt64 = 0, negatives: UInt64 = 0, inOPIS = 0, termSum = 0.0
        for c in r.classes {
            let size = c.size, name = "class '\(c.name)'"
            guard c.positivePairs == size * (size - 1), c.negativePairs == size * (n - size) else {
                throw refuse(
                    "\(name) has \(c.positivePairs) positive and \(c.negativePairs) negative pairs, its size \(size) of \(n) gives \(size * (size - 1)) and \(size * (n - size))"
                )
            }
            positives += UInt64(c.positivePairs)
            negatives += UInt64(c.negativePairs)
            for (value, field) in [(c.utility, "utility"), (c.tpr, "tpr"), (c.far, "far"), (c.frr, "frr")] {
                try rate(value, "\(name) \(field)")
            }
            guard abs(c.frr - (1 - c.tpr)) <= 1e-9 else { throw refuse("\(name) frr \(c.frr) is not 1 − tpr \(c.tpr)") }
            // Without a positive pair they are undefined: left out, or (before issue 31) 0, 0 and 1.
            guard c.hasPositivePairs || (c.utility == 0 && c.tpr == 0 && c.frr == 1) else {
                throw refuse("\(name) has no positive pair but a utility, tpr or frr")
            }
            if let mean = c.meanUtility { try rate(mean, "\(name) meanUtility") }
            // analyze leaves out exactly the one-sample classes.
            guard c.inOPIS == (size >= 2) else {
                throw refuse("\(name) of \(size) sample(s) is \(c.inOPIS ? "" : "not ")in OPIS")
            }
            if c.inOPIS {
                guard let term = c.opisTerm, size >= 2 else {
                    throw refuse("\(name) is in OPIS without a term, or with one sample")
                }
                try rate(term, "\(name) opisTerm")
                inOPIS += 1
                termSum += term
            } else if c.opisTerm != nil {
                throw refuse("\(name) has an OPIS term but is not in OPIS")
            }
        }
        guard r.classesInOPIS == inOPIS else {
            throw refuse("classesInOPIS \(r.classesInOPIS), but \(inOPIS) class rows are in OPIS")
        }
        // Written by a version that reported such data: its OPIS, EER and rates are undefined.
        try OPISCoverage.requireAClassWithTwoSamples(classSizes: r.classes.map(\.size), file: file)
        // OPIS is the mean of the per-class terms (docs/definitions.md).
        let mean = inOPIS > 0 ? termSum / Double(inOPIS) : 0
        guard abs(r.opis - mean) <= 1e-9 + 1e-6 * mean else {
            throw refuse("opis \(r.opis) is not the mean \(mean) of its classes' OPIS terms")
        }
        let g = r.global
        guard g.positivePairs == positives && g.negativePairs == negatives else {
            throw refuse(
                "global pair counts \(g.positivePairs)/\(g.negativePairs) are not the classes' sums \(positives)/\(negatives)"
            )
        }
        for (value, field) in [(g.far, "global far"), (g.tpr, "global tpr"), (g.eer, "global eer")] {
            try rate(value, field)
        }
        try similarity(g.eerThreshold, "global eerThreshold")
        for p in g.tarAtFAR {
            try rate(p.targetFAR, "tarAtFAR targetFAR")
            try rate(p.far, "tarAtFAR far")
            try rate(p.tar, "tarAtFAR tar")
            try similarity(p.threshold, "tarAtFAR threshold")
        }
        if let retrieval {
            guard retrieval.queries >= 0 && retrieval.queries <= n,
                retrieval.skippedQueries >= 0 && retrieval.skippedQueries <= n
            else {
                throw refuse(
                    "retrieval counts \(retrieval.queries) queries and \(retrieval.skippedQueries) skipped of \(n) rows"
                )
            }
            try rate(retrieval.rPrecision, "retrieval rPrecision")
            try rate(retrieval.mapAtR, "retrieval mapAtR")
            for point in retrieval.recallAtK {
                guard point.k >= 1 else { throw refuse("retrieval k \(point.k)") }
                try rate(point.recall, "retrieval recall@\(point.k)")
            }
        }
        for rates in classFRRAtFAR ?? [] {
            try rate(rates.targetFAR, "classFRRAtFAR targetFAR")
            try rate(rates.far, "classFRRAtFAR far")
            try similarity(rates.threshold, "classFRRAtFAR threshold")
            guard rates.frr.count == r.classes.count else {
                throw refuse("classFRRAtFAR holds \(rates.frr.count) rates for \(r.classes.count) classes")
            }
            for (value, c) in zip(rates.frr, r.classes) {
                if c.hasPositivePairs {
                    guard let value else { throw refuse("classFRRAtFAR frr of class '\(c.name)' is null") }
                    try rate(value, "classFRRAtFAR frr")
                } else if let value, value != 1 {
                    // Undefined without a positive pair: null, or (before issue 31) 1.
                    throw refuse("classFRRAtFAR frr of class '\(c.name)' is \(value) without a positive pair")
                }
            }
        }
        guard seconds.isFinite && seconds >= 0 else { throw refuse("seconds \(seconds)") }
        try bootstrap?.validate(report: r, retrieval: retrieval, refuse: refuse)
    }
}
