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
}
