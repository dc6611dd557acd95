import ArgumentParser
import TCMTraining

/// The fine-tuning options `train` and `dash` share: one spelling, one range and one check each.
struct FineTuningOptions: ParsableArguments {
    @Option(help: "Base loss (in the dashboard: of t and A; n picks another).")
    var loss: TrainingConfig.LossSpec.Kind = .contrastive

    @Option(
        help:
            """
            Pair measure of contrastive, triplet and lifted-structure: cosine (similarity; m⁺ 1, m⁻ 0) or \
            euclidean (pytorch-metric-learning's default LpDistance of normalised embeddings; contrastive m⁺ 0, m⁻ \
            1).
            """
    )
    var distance: PairDistance = .cosine

    @Option(
        help: ArgumentHelp(
            """
            TCM margins m⁺:m⁻, each in \(Bounds.tcmMargin.range), or auto: from the calibration range [lo, hi] \
            (global FAR 1e-1 to 1e-2) of the training rows' pairs, m⁻ = (lo + hi)/2 and m⁺ = (hi + 1)/2 \
            (docs/definitions.md). Default: 0.9:0.5 in train; in the dashboard, per loss, whichever gave the lower \
            OPIS on MNIST (auto for contrastive, multi-similarity and circle).
            """,
            valueName: "m+:m-|auto"))
    var tcmMargins: TCMMarginsArgument?

    @Option(
        name: .customLong("eval-every"),
        help: Bounds.evalEvery.help(
            """
            Steps between evaluations (0: every epoch; default: 0 in train, 100 in the dashboard).
            """, valueName: "steps"
        ))
    var evalEvery: Int?

    /// The one check of the Euclidean rule, the margins and the evaluation cadence.
    func check() throws {
        try Bounds.evalEvery.check(evalEvery)
        try tcmMargins?.check(Bounds.tcmMargin)
        if distance == .euclidean && !TrainingConfig.LossSpec.distanceKinds.contains(loss) {
            let names = TrainingConfig.LossSpec.distanceKinds.map(\.rawValue)
            let kinds = names.dropLast().joined(separator: ", ") + " and " + names.last!
            throw ValidationError("--distance euclidean applies to \(kinds), not \(loss.rawValue)")
        }
    }
}
