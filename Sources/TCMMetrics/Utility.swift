/// The per-class utility at a threshold: an F-score built from pair counts.
public struct UtilitySpec: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, CaseIterable, Codable {
        /// F_β of TPR (in the role of recall) and TNR: the spec's default.
        case tprTnr = "f-tpr-tnr"
        /// F_β of precision and recall over the class's pairs; each unordered positive pair
        /// counts once (half the ordered count), each negative pair once.
        case precisionRecall = "f-precision-recall"
    }

    public var kind: Kind
    public var beta: Double

    public init(kind: Kind = .tprTnr, beta: Double = 1) {
        self.kind = kind
        self.beta = beta
    }

    /// Utility from accepted/total positive and negative pair counts.
    @inline(__always)
    public func utility(acceptedPositives: Int, positives: Int, acceptedNegatives: Int, negatives: Int) -> Double {
        let b2 = beta * beta
        let tpr = positives > 0 ? Double(acceptedPositives) / Double(positives) : 0
        switch kind {
        case .tprTnr:
            let tnr = negatives > 0 ? 1 - Double(acceptedNegatives) / Double(negatives) : 1
            let denominator = b2 * tnr + tpr
            return denominator > 0 ? (1 + b2) * tpr * tnr / denominator : 0
        case .precisionRecall:
            let truePositives = Double(acceptedPositives) / 2
            let accepted = truePositives + Double(acceptedNegatives)
            let precision = accepted > 0 ? truePositives / accepted : 0
            let denominator = b2 * precision + tpr
            return denominator > 0 ? (1 + b2) * precision * tpr / denominator : 0
        }
    }
}
