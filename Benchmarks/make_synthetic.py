"""Synthetic embedding sets of real sizes for `tcmscope bench scale --config NAME`, from fixed seeds.

    python3 Benchmarks/make_synthetic.py sop|inat|10k|10k-overlap|1m|tiny DIR

writes DIR/NAME_e.npy (float32, N x D) and DIR/NAME_l.npy (int64 labels). Same seed, same bytes.

- sop:  60,502 x 512, the Stanford Online Products test size: 11,316 classes of 2-11 samples cut to
        60,502 rows (9,331 classes remain). Exactly the generator quoted in issue 9.
- inat: 136,093 x 512, the iNaturalist-2018 test size: 2,600 classes of 2-106 samples cut to
        136,093 rows (about 2,500 classes remain). The same recipe, seed 8.
- 10k:  10,000 x 128, 10 classes of 1,000, seed 1 (the size of the bundled MNIST baseline).
- 10k-overlap: the 10k recipe with class centres scaled by 0.3 (seed 1): heavily overlapping
        classes (R@1 ~0.5, R-Precision ~0.24), where most of a query's nearest are of other classes.
- 1m:   1,000,000 x 128, 1,000 classes of 1,000, seed 9 (issue 21's "runs on one machine" size).
- tiny: 200 x 8, 4 classes, seed 3 (a smoke test of the benchmark's plumbing).
"""
import os
import sys

import numpy as np


def sop():
    # Issue 9's generator, statement for statement (the order of draws fixes the data).
    r = np.random.default_rng(7)
    C = 11316
    n = 60502
    s = r.integers(2, 12, size=C)
    y = np.repeat(np.arange(C), s)[:n]
    c = r.normal(size=(C, 512)).astype(np.float32)
    x = c[y] + 1.2 * r.normal(size=(n, 512)).astype(np.float32)
    p = r.permutation(n)
    return x[p], y[p]


def clustered(seed, classes, n, dimension, low, high, spread=None):
    """The SOP recipe with other sizes: class sizes uniform in [low, high), cut to n rows;
    `spread` scales the class centres (smaller: classes overlap more)."""
    r = np.random.default_rng(seed)
    s = r.integers(low, high, size=classes)
    assert s.sum() >= n, "class sizes must cover n rows"
    y = np.repeat(np.arange(classes), s)[:n]
    c = r.normal(size=(classes, dimension)).astype(np.float32)
    if spread is not None:
        c *= np.float32(spread)
    x = c[y] + 1.2 * r.normal(size=(n, dimension)).astype(np.float32)
    p = r.permutation(n)
    return x[p], y[p]


CONFIGS = {
    "sop": sop,
    "inat": lambda: clustered(8, 2600, 136093, 512, 2, 107),
    "10k": lambda: clustered(1, 10, 10000, 128, 1000, 1001),
    "10k-overlap": lambda: clustered(1, 10, 10000, 128, 1000, 1001, spread=0.3),
    "1m": lambda: clustered(9, 1000, 1000000, 128, 1000, 1001),
    "tiny": lambda: clustered(3, 4, 200, 8, 50, 51),
}


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in CONFIGS:
        sys.exit("usage: make_synthetic.py %s DIR" % "|".join(CONFIGS))
    name, directory = sys.argv[1], sys.argv[2]
    os.makedirs(directory, exist_ok=True)
    x, y = CONFIGS[name]()
    # Write under temporary names, then rename: an interrupted run leaves no half-written set.
    for suffix, array in (("e", x), ("l", y)):
        final = os.path.join(directory, "%s_%s.npy" % (name, suffix))
        partial = final + ".partial.npy"
        np.save(partial, array)
        os.replace(partial, final)
    print("%s: %d x %d, %d classes -> %s" % (name, x.shape[0], x.shape[1], len(np.unique(y)), directory))


if __name__ == "__main__":
    main()
