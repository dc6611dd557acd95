import TCMTraining

/// The base losses `l` cycles through, as the fine-tuning pane names them: every loss on cosine
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
    /// --tcm-margins` says otherwise: margins chosen from the data (`TCMMarginRule`), which lowered
    /// OPIS against no TCM for every loss in README's MNIST experiment, where the fixed defaults
    /// (m⁺ 0.9, m⁻ 0.5) did not for circle or multi-similarity.
    public static func tcm(for loss: TrainingConfig.LossSpec) -> TCMRegularizer {
        var tcm = TCMRegularizer()
        tcm.auto = TCMAutoMargins()
        return tcm
    }
}
