"""tcmscope.analyze() on a 10,000 x 128 float32 array against the CLI on the same data already in
.npy files (`tcmscope analyze E.npy L.npy --json`, output parsed the same way), alternated in one
run; prints the binary's CPU and kernel path first (as every `tcmscope bench` does), then the
medians and the ratio (issue 34 asks for at most 1.2).

    python Benchmarks/python_overhead.py [--rows 10000] [--dim 128] [--classes 100] [--repeats 7]

Uses the installed wheel's binary, or $TCMSCOPE_BINARY."""
import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time

import numpy as np

import tcmscope


def kernel_summary(binary):
    """The binary's own "CPU: …; kernels: … (supported: …)" line, as every `tcmscope bench` prints it
    first: the path that binary picks on this CPU (or TCMSCOPE_KERNELS forces), asked of it rather
    than guessed from /proc/cpuinfo. A pair pass of 200 rows prints it in a fraction of a second."""
    completed = subprocess.run(
        [binary, "bench", "pass", "--samples", "200", "--dimension", "8", "--classes", "2", "--python", "none",
         "--range-changes", "1"], capture_output=True, text=True)
    lines = [line for line in completed.stdout.splitlines() if line.startswith("CPU: ")]
    if completed.returncode != 0 or not lines:
        raise SystemExit(f"{binary} bench pass did not say its kernel path: {completed.stderr.strip()}")
    return lines[0]


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
    print(kernel_summary(binary), flush=True)
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

    print(f"{args.rows} x {args.dim} float32, {args.classes} classes; {args.repeats} alternated runs; "
          f"{os.cpu_count()} cores; binary {binary}")
    base = statistics.median(times["CLI on files"])
    for name, samples in times.items():
        median = statistics.median(samples)
        print(f"  {name:24s} median {median:.3f} s  (min {min(samples):.3f}, max {max(samples):.3f})  "
              f"ratio {median / base:.3f}")


if __name__ == "__main__":
    main()
