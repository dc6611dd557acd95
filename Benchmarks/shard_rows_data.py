"""Data sets of the issue-35 shard measurements (Benchmarks/README.md, "Shards that hold only their rows").

    python Benchmarks/shard_rows_data.py small OUT   # 200,000 x 64, 2,000 classes of 100: OUT_e.npy (51 MB), OUT_l.npy
    python Benchmarks/shard_rows_data.py large OUT   # 10,000,000 x 256, 10,000 classes of 1,000: 10.24 GB, via a memmap

Float32 rows around one random centre a class, classes of equal size scattered through the
file (a random permutation of the labels), so that a shard's rows are far apart in it.
"""
import sys

import numpy as np


def small(out):
    n, d, c = 200_000, 64, 2_000
    rng = np.random.default_rng(2)
    centres = rng.standard_normal((c, d)).astype(np.float32)
    labels = rng.permutation(np.arange(n) % c).astype(np.int64)
    e = centres[labels] + 1.5 * rng.standard_normal((n, d)).astype(np.float32)
    np.save(out + "_e.npy", e.astype(np.float32))
    np.save(out + "_l.npy", labels)


def large(out):
    n, d, c = 10_000_000, 256, 10_000
    rng = np.random.default_rng(35)
    labels = rng.permutation(np.arange(n, dtype=np.int64) % c)
    np.save(out + "_l.npy", labels)
    centres = rng.standard_normal((c, d), dtype=np.float32)
    e = np.lib.format.open_memmap(out + "_e.npy", mode="w+", dtype=np.float32, shape=(n, d))
    step = 200_000
    for s in range(0, n, step):
        rows = min(step, n - s)
        e[s : s + rows] = centres[labels[s : s + rows]] + 1.2 * rng.standard_normal((rows, d), dtype=np.float32)
    e.flush()


{"small": small, "large": large}[sys.argv[1]](sys.argv[2])
