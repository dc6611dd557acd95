"""The MNIST experiment of README's "TCM margins from the data": MLP 784→256→128, batch 256 =
8 classes × 32, Adam 1e-3; six losses (contrastive on cosine and on Euclidean distance, triplet,
multi-similarity, circle, lifted structure), each without TCM, with TCM's fixed default margins
(m⁺ 0.9, m⁻ 0.5) and with `--tcm-margins auto`; seeds 1–3; evaluated on the MNIST test set after
2 and 10 epochs (one 10-epoch run per setting: training is deterministic and has no schedule, so
its epoch-2 evaluation is the 2-epoch run). Each evaluation holds OPIS and ε-OPIS over the default
calibration range (global FAR 1e-1 to 1e-2) and over FAR 1e-2 to 1e-4.

Run from the repository root after `swift build -c release --product tcmscope`:
    python3 Benchmarks/tcm_margins_experiment.py [--out /tmp/tcmscope-tcm-auto] [--epochs 10] [--seeds 1,2,3]
(each run is pinned to one core, `--core`, with taskset when it exists). Runs already in --out
are reused. Prints a Markdown table (mean ± sd over seeds) and the per-seed OPIS check of the targets.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess

parser = argparse.ArgumentParser()
parser.add_argument("--out", default="/tmp/tcmscope-tcm-auto")
parser.add_argument("--epochs", type=int, default=10)
parser.add_argument("--report-epochs", default="2,10")
parser.add_argument("--seeds", default="1,2,3")
parser.add_argument("--losses", default="contrastive,contrastive-euclidean,triplet,multi-similarity,circle,lifted-structure")
parser.add_argument("--conditions", default="none,fixed,auto")
parser.add_argument("--core", default="1", help="the core each run is pinned to (taskset -c)")
parser.add_argument("--binary", default=".build/release/tcmscope")
parser.add_argument("--extra", default="", help="extra train flags for the TCM runs (e.g. '--tcm-auto-every 25')")
args = parser.parse_args()
report_epochs = [int(e) for e in args.report_epochs.split(",")]
seeds = [int(s) for s in args.seeds.split(",")]
losses = args.losses.split(",")
conditions = args.conditions.split(",")
pin = ["taskset", "-c", args.core] if shutil.which("taskset") else []


def loss_flags(name):
    if name.endswith("-euclidean"):
        return ["--loss", name[: -len("-euclidean")], "--distance", "euclidean"]
    return ["--loss", name]


def tcm_flags(condition):
    if condition == "none":
        return []
    if condition == "fixed":
        return ["--tcm", "--tcm-margins", "0.9:0.5"]
    return ["--tcm", "--tcm-margins", "auto"] + (args.extra.split() if args.extra else [])


os.makedirs(args.out, exist_ok=True)
rows = {}
for loss in losses:
    for condition in conditions:
        for seed in seeds:
            run = f"{args.out}/{loss}-{condition}-seed{seed}"
            if not os.path.exists(run + "/metrics.json"):
                cmd = pin + [args.binary, "train"] + loss_flags(loss) + tcm_flags(condition) + [
                    "--epochs", str(args.epochs), "--seed", str(seed), "--out", run, "--json"]
                subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
            metrics = json.load(open(run + "/metrics.json"))
            for e in metrics["evaluations"]:
                epoch = round(e["epoch"])
                if abs(e["epoch"] - epoch) < 1e-9 and epoch in report_epochs:
                    rows.setdefault((loss, condition, epoch), []).append(e)


def cell(values, digits, scale=1):
    values = [scale * v for v in values]
    mean = statistics.mean(values)
    sd = statistics.stdev(values) if len(values) > 1 else 0
    return f"{mean:.{digits}f} ± {sd:.{digits}f}"


def margins(es):
    if "tcmPositiveMargin" not in es[0]:
        return "–"
    return f"{statistics.mean(e['tcmPositiveMargin'] for e in es):.3f} / {statistics.mean(e['tcmNegativeMargin'] for e in es):.3f}"


names = {"none": "no", "fixed": "0.9 / 0.5", "auto": "auto"}
print("| loss | TCM | epochs | Recall@1 | OPIS ×10⁻³, FAR 1e-1..1e-2 | ε-OPIS ×10⁻³ | OPIS ×10⁻³, FAR 1e-2..1e-4 | ε-OPIS ×10⁻³, 1e-2..1e-4 | m⁺ / m⁻ at the end |")
print("|---|---|---|---|---|---|---|---|---|")
for loss in losses:
    for epoch in report_epochs:
        for condition in conditions:
            es = rows[(loss, condition, epoch)]
            print(f"| {loss} | {names[condition]} | {epoch} | {cell([e['recallAt1'] for e in es], 4)} | "
                  f"{cell([e['opis'] for e in es], 3, 1000)} | {cell([e['epsilonOPIS'] for e in es], 2, 1000)} | "
                  f"{cell([e['opisStrictRange'] for e in es], 3, 1000)} | {cell([e['epsilonOPISStrictRange'] for e in es], 2, 1000)} | "
                  f"{margins(es)} |")

print("\nTargets (default range): auto against no TCM, and for contrastive against the fixed margins")
for epoch in report_epochs:
    for loss in losses:
        if (loss, "auto", epoch) not in rows or (loss, "none", epoch) not in rows:
            continue
        auto, none = rows[(loss, "auto", epoch)], rows[(loss, "none", epoch)]
        mean_a, mean_n = statistics.mean(e["opis"] for e in auto), statistics.mean(e["opis"] for e in none)
        wins = sum(a["opis"] < n["opis"] for a, n in zip(auto, none))
        d_r1 = statistics.mean(e["recallAt1"] for e in auto) - statistics.mean(e["recallAt1"] for e in none)
        line = (f"epochs {epoch} {loss}: OPIS auto {1000 * mean_a:.3f} vs none {1000 * mean_n:.3f} "
                f"({'lower' if mean_a < mean_n else 'NOT lower'}; lower in {wins}/{len(auto)} seeds), ΔR@1 {d_r1:+.4f}")
        if (loss, "fixed", epoch) in rows:
            mean_f = statistics.mean(e["opis"] for e in rows[(loss, "fixed", epoch)])
            line += f"; fixed {1000 * mean_f:.3f} ({'auto ≤ fixed' if mean_a <= mean_f else 'auto > fixed'})"
        print(line)
