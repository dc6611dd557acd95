#!/usr/bin/env python3
"""Whole `analyze` with retrieval against the pass alone (`--no-retrieval`), for one or more builds.

Alternates every build and both modes, 15 times, and prints the medians of wall time and of CPU
time (user + sys of the child, from getrusage) with their ratio. Issue 21's target: the full
report within 2x the pass on the 10k set.

    python3 Benchmarks/make_synthetic.py 10k /tmp/bd
    python3 Benchmarks/retrieval-ratio.py /tmp/tcm-base .build/release/tcmscope
    SET=base python3 Benchmarks/retrieval-ratio.py /tmp/tcm-base .build/release/tcmscope

SET=base uses sample-data/baseline instead of the 10k set, SET=NAME another set make_synthetic.py
wrote (`10k-overlap`: heavily overlapping classes); DATA, default /tmp/bd, is where it wrote them.
"""
import os
import resource
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.environ.get("DATA", "/tmp/bd")
if os.environ.get("SET") == "base":
    EMBEDDINGS = os.path.join(ROOT, "sample-data/baseline/eval-embeddings.npy")
    LABELS = os.path.join(ROOT, "sample-data/baseline/eval-labels.npy")
else:
    NAME = os.environ.get("SET", "10k")
    EMBEDDINGS, LABELS = os.path.join(DATA, NAME + "_e.npy"), os.path.join(DATA, NAME + "_l.npy")


def run(binary, mode):
    args = [binary, "analyze", EMBEDDINGS, LABELS, "--json"] + (["--no-retrieval"] if mode == "pass" else [])
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(binaries):
    if not binaries:
        sys.exit("usage: retrieval-ratio.py BINARY [BINARY ...]")
    times = {}
    for _ in range(15):
        for binary in binaries:
            for mode in ("full", "pass"):
                times.setdefault((binary, mode), []).append(run(binary, mode))
    for binary in binaries:
        full, alone = times[(binary, "full")], times[(binary, "pass")]
        fw, fc = statistics.median(t[0] for t in full), statistics.median(t[1] for t in full)
        pw, pc = statistics.median(t[0] for t in alone), statistics.median(t[1] for t in alone)
        print(f"{binary}: wall {fw:.3f}/{pw:.3f} = {fw / pw:.2f}x  cpu {fc:.3f}/{pc:.3f} = {fc / pc:.2f}x")


if __name__ == "__main__":
    main(sys.argv[1:])
