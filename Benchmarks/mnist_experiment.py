"""The MNIST experiment of docs/guide/train.md: MLP 784→256→128, batch 256 = 8 classes × 32, Adam 1e-3,
contrastive / circle / multi-similarity, each with and without TCM (m⁺ = 0.9, m⁻ = 0.5, λ = 1),
seeds 1–3, evaluated on the MNIST test set after 2 and 10 epochs (one 10-epoch run per setting:
training is deterministic and has no schedule, so its epoch-2 evaluation is the 2-epoch run).

Run from the repository root after `swift build -c release`:
    python3 Benchmarks/mnist_experiment.py [--out /tmp/tcmscope-mnist]
Prints a Markdown table (mean ± sd over seeds) of Recall@1, OPIS and ε-OPIS, with the calibration
range the evaluations used.
"""
import argparse
import json
import os
import statistics
import subprocess

parser = argparse.ArgumentParser()
parser.add_argument("--out", default="/tmp/tcmscope-mnist")
parser.add_argument("--epochs", type=int, default=10)
parser.add_argument("--report-epochs", default="2,10")
args = parser.parse_args()
report_epochs = [int(e) for e in args.report_epochs.split(",")]

rows = {}
for loss in ["contrastive", "circle", "multi-similarity"]:
    for tcm in [False, True]:
        for seed in [1, 2, 3]:
            run = f"{args.out}/{loss}{'-tcm' if tcm else ''}-seed{seed}"
            if not os.path.exists(run + "/metrics.json"):
                cmd = [".build/release/tcmscope", "train", "--loss", loss, "--epochs", str(args.epochs),
                       "--seed", str(seed), "--out", run, "--json"] + (["--tcm"] if tcm else [])
                subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
            metrics = json.load(open(run + "/metrics.json"))
            for e in metrics["evaluations"]:
                epoch = round(e["epoch"])
                if abs(e["epoch"] - epoch) < 1e-9 and epoch in report_epochs:
                    rows.setdefault((loss, tcm, epoch), []).append(e)
            rows.setdefault(("throughput", loss, tcm), []).append(metrics["medianSamplesPerSecond"])

def cell(values, digits):
    mean = statistics.mean(values)
    sd = statistics.stdev(values) if len(values) > 1 else 0
    return f"{mean:.{digits}f} ± {sd:.{digits}f}"

ranges = []
print("| loss | TCM | epochs | Recall@1 | OPIS (×10⁻³) | ε-OPIS (×10⁻³) | train samples/s |")
print("|---|---|---|---|---|---|---|")
for loss in ["contrastive", "circle", "multi-similarity"]:
    for epoch in report_epochs:
        for tcm in [False, True]:
            es = rows[(loss, tcm, epoch)]
            ranges += [(e["rangeLow"], e["rangeHigh"]) for e in es]
            print(f"| {loss} | {'yes' if tcm else 'no'} | {epoch} | {cell([e['recallAt1'] for e in es], 4)} | "
                  f"{cell([1000 * e['opis'] for e in es], 3)} | {cell([1000 * e['epsilonOPIS'] for e in es], 2)} | "
                  f"{statistics.median(rows[('throughput', loss, tcm)]):.0f} |")
lo = [r[0] for r in ranges]; hi = [r[1] for r in ranges]
print(f"\nCalibration range: global FAR 1e-1 to 1e-2 of each model's test-set negatives, K = 101; "
      f"its ends ranged over [{min(lo):.4f}, {max(lo):.4f}] (lo) and [{min(hi):.4f}, {max(hi):.4f}] (hi).")
