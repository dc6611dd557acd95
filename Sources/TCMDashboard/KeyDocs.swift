/// The key table of README.md and docs/guide/dashboard.md, generated from here (as lazygit
/// generates its keybinding cheat sheet from its table): `KeyDocsTests` fails when either file's
/// table differs from `markdown()`, or when a row names a key the key table does not bind (or a
/// bound key is in no row). After changing a row or a key:
/// `TCMSCOPE_RECORD_KEYS=1 swift test --disable-xctest --filter KeyDocsTests`, then review the diff.
public enum KeyDocs {
    /// One row: the keys as markdown (each in backticks), and what they do.
    public struct Row: Sendable {
        public let caps: String
        public let text: String
    }

    public static let rows: [Row] = [
        Row(caps: "`←` `→` / `h` `l` (`H` `L`: ×10)", text: "move the operating threshold; every rate follows at once"),
        Row(
            caps: "`↑` `↓` / `k` `j`",
            text: "focus a class (bold curve, highlighted row, its points on top in the projection)"),
        Row(
            caps: "`[` `]` / `{` `}`",
            text: "move the range's low / high end (by global FAR, 10^0.1 a step, or by similarity)"),
        Row(caps: "`r` / `R`", text: "edit the range by FAR ↔ by similarity / reset to FAR 1e-1 … 1e-2"),
        Row(caps: "`Tab` / `Shift-Tab`", text: "next / previous pane; the footer shows the focused pane's keys"),
        Row(caps: "`t` / `p` / `c`", text: "start fine-tuning / pause–resume / cancel"),
        Row(
            caps: "`T`",
            text:
                "TCM on or off for the next run (its margins are named in the pane: `auto` for contrastive, multi-similarity and circle, `0.9:0.5` for the others, or what `dash --tcm-margins` says; while a run goes the pane shows the m⁺ and m⁻ of its latest step)"
        ),
        Row(
            caps: "`A`",
            text:
                "A/B: fine-tune twice from the same start, seed and batches, the base loss alone (A) and with TCM (B, with the margins that measured better for the loss, as `t`), side by side in the background; Metrics, Classes and Fine-tuning show both runs and B − A, and from 160 columns (120 with `e`) the curves split into both runs"
        ),
        Row(caps: "`a`", text: "A/B: flip which run the curves show; the other is drawn as the ghost"),
        Row(
            caps: "`,` `.`",
            text:
                "`dash --watch DIR`: the previous / next snapshot of the watched run (the one before it is the ghost); with two runs (`--watch A --watch B`) both move; `t`, `T`, `n`, `p`, `c`, `f` and `A` are off while watching and say so"
        ),
        Row(
            caps: "`n`",
            text:
                "next base loss (any pane; the footer always shows it): contrastive, triplet, multi-similarity, circle, lifted-structure, proxy-anchor on cosine similarity, then contrastive, triplet and lifted-structure on Euclidean distance (pytorch-metric-learning's defaults, as `train --distance euclidean`; `dash --loss L --distance euclidean` starts there)"
        ),
        Row(caps: "`g`", text: "ghost: the curves before fine-tuning, under the current ones"),
        Row(caps: "`f`", text: "freeze the display while training continues"),
        Row(caps: "`m`", text: "projection: PCA ↔ t-SNE"),
        Row(caps: "`e`", text: "expand the curves to the whole screen"),
        Row(caps: "`o`", text: "sort the table by OPIS term ↔ by class"),
        Row(caps: "`b`", text: "Braille ↔ block characters (also `--blocks`, for fonts without Braille)"),
        Row(
            caps: "`s`",
            text:
                "save `embeddings.npy`, `labels.npy`, `curves.csv`, `curves.svg` (the figure of `analyze --plot`), `report.json`, `layout.svg` (the projection on screen, as `project --plot` draws it) and, after fine-tuning, `checkpoint.tcms` and `adapter.safetensors` (as `tcmscope export` writes it) to `tcmscope-saved/` (`--out`), all or none: each is staged in a temporary file and they are renamed together; after `A`, both runs' `report.json`, `curves.csv` and checkpoints to `ab/A/` and `ab/B/` and the comparison `tcmscope compare` prints (`ab/comparison.txt`, `ab/comparison.json`)"
        ),
        Row(caps: "`?` / `Esc`", text: "help overlay (generated from the same key table as the footer) / close it"),
        Row(caps: "`q`", text: "quit"),
        Row(
            caps: "mouse",
            text:
                "a left click on the curves or the range bar sets the threshold under the pointer (drag to move it); a press on either end of the calibration range (its edges in the curves, `[` `]` on the range bar) picks it up and a drag moves it; the wheel over the curves moves the threshold; on a table row, a click focuses that class; elsewhere, the pane"
        ),
    ]

    /// The lines around the generated table in each file.
    public static let begin =
        "<!-- The key table is generated from Sources/TCMDashboard/KeyDocs.swift: edit it there, then run "
        + "TCMSCOPE_RECORD_KEYS=1 swift test --disable-xctest --filter KeyDocsTests -->"
    public static let end = "<!-- end of the generated key table -->"

    /// The table as markdown, with its markers.
    public static func markdown() -> String {
        var lines = [begin, "| key | action |", "|---|---|"]
        for row in rows {
            // The line keeps its `|` cells: a `|` inside a cell would split it.
            precondition(!row.caps.contains("|") && !row.text.contains("|"), "a | in a key row")
            lines.append("| \(row.caps) | \(row.text) |")
        }
        return (lines + [end]).joined(separator: "\n")
    }

    /// `document` with its generated table (from `begin` to `end`) replaced by `markdown()`; nil
    /// when the document has no such table.
    public static func replacingTable(in document: String) -> String? {
        guard let from = document.range(of: begin),
            let to = document.range(of: end, range: from.upperBound ..< document.endIndex)
        else { return nil }
        return document.replacingCharacters(in: from.lowerBound ..< to.upperBound, with: markdown())
    }

    /// The keys a row names: its backticked tokens.
    public static func tokens(_ caps: String) -> [String] {
        caps.split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }
            .map { String($0.element) }
    }
}
