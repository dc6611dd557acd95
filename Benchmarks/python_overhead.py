"""tcmscope.analyze() on a 10,000 x 128 float32 array against the CLI on the same data already in
.npy files (`tcmscope analyze E.npy L.npy --json`, output parsed the same way), alternated in one
run; prints the medians and the ratio (issue 34 asks for at most 1.2).

    python Benchmarks/python_overhead.py [--rows 10000] [--dim 128] [--classes 100] [--repeats 7]

Uses the installed wheel's binary, or $TCMSCOPE_BINARY."""
import argparse
import json
import os
import platform
import statistics
import subprocess
import tempfile
import time

import numpy as np

import tcmscope


def cpu_name():
    try:
        with open("/proc/cpuinfo") as file:
            for line in file:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--classes", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    centres = rng.normal(size=(args.classes, args.dim))
    labels = rng.integers(0, args.classes, size=args.rows)
    embeddings = (centres[labels] + rng.normal(size=(args.rows, args.dim))).astype(np.float32)

    binary = tcmscope.binary()
    with tempfile.TemporaryDirectory() as folder:
        e_path, l_path = os.path.join(folder, "e.npy"), os.path.join(folder, "l.npy")
        np.save(e_path, embeddings)
        np.save(l_path, labels)

        def cli():
            completed = subprocess.run([binary, "analyze", e_path, l_path, "--json"], capture_output=True, check=True)
            return json.loads(completed.stdout)["report"]["opis"]

        variants = {
            "CLI on files": cli,
            "analyze()": lambda: tcmscope.analyze(embeddings, labels).opis,
            # What a Jupyter kernel does by default: also the curves figure (analyze --plot).
            "analyze(figure=True)": lambda: tcmscope.analyze(embeddings, labels, figure=True).opis,
        }
        times = {name: [] for name in variants}
        results = {}
        for name, run in variants.items():  # one warm-up each (page cache, binary loaded)
            results[name] = run()
        for _ in range(args.repeats):
            for name, run in variants.items():
                start = time.perf_counter()
                run()
                times[name].append(time.perf_counter() - start)
    assert len(set(results.values())) == 1, results

    print(f"{args.rows} x {args.dim} float32, {args.classes} classes; {args.repeats} alternated runs; {cpu_name()}, "
          f"{os.cpu_count()} cores; binary {binary}")
    base = statistics.median(times["CLI on files"])
    for name, samples in times.items():
        median = statistics.median(samples)
        print(f"  {name:24s} median {median:.3f} s  (min {min(samples):.3f}, max {max(samples):.3f})  "
              f"ratio {median / base:.3f}")


if __name__ == "__main__":
    main()
