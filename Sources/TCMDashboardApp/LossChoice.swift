import TCMTraining

/// The base losses `n` cycles through, as the fine-tuning pane names them: every loss on cosine
/// similarity, then the losses that also take pytorch-metric-learning's Euclidean default
/// (`train --distance euclidean`), named "contrastive (euclidean)" and so on.
public enum LossChoice {
    public static let euclideanSuffix = " (euclidean)"

    public static var names: [String] {
        TrainingConfig.LossSpec.Kind.allCases.map(\.rawValue)
            + TrainingConfig.LossSpec.distanceKinds.map { $0.rawValue + euclideanSuffix }
    }

    public static func name(_ kind: TrainingConfig.LossSpec.Kind, _ distance: PairDistance) -> String {
        distance == .euclidean && TrainingConfig.LossSpec.distanceKinds.contains(kind)
            ? kind.rawValue + euclideanSuffix : kind.rawValue
    }

    /// The loss a pane name stands for (contrastive on cosine for a name it does not know).
    public static func spec(_ name: String) -> TrainingConfig.LossSpec {
        let euclidean = name.hasSuffix(euclideanSuffix)
        let kindName = euclidean ? String(name.dropLast(euclideanSuffix.count)) : name
        let kind = TrainingConfig.LossSpec.Kind(rawValue: kindName) ?? .contrastive
        return TrainingConfig.LossSpec(kind: kind, distance: euclidean ? .euclidean : .cosine)
    }

    /// The TCM the dashboard's fine-tuning (t) and A/B (A) use for `loss` unless `dash
    /// --tcm-margins` says otherwise: the margins that gave the lower OPIS in README's MNIST
    /// experiment ("TCM margins from the data", 3 seeds, 2 and 10 epochs). Margins from the data
    /// (`TCMMarginRule`) for contrastive (both distances), multi-similarity and circle, where they
    /// beat the fixed 0.9 / 0.5 at both lengths; the fixed 0.9 / 0.5 for triplet and lifted
    /// structure, where they were as low or lower at 10 epochs, and for proxy-anchor (not measured).
    public static func tcm(for loss: TrainingConfig.LossSpec) -> TCMRegularizer {
        var tcm = TCMRegularizer()
        if autoMarginKinds.contains(loss.kind) { tcm.auto = TCMAutoMargins() }
        return tcm
    }

    /// The losses whose default TCM margins come from the data (see `tcm(for:)`).
    public static let autoMarginKinds: [TrainingConfig.LossSpec.Kind] = [.contrastive, .multiSimilarity, .circle]

    /// How the fine-tuning pane names the margins `tcm` uses: "margins auto" or "margins 0.9:0.5".
    public static func marginsName(_ tcm: TCMRegularizer) -> String {
        tcm.auto != nil ? "margins auto" : "margins \(tcm.positiveMargin):\(tcm.negativeMargin)"
    }
}
