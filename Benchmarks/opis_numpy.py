"""The numpy peer of TCMScope's pair pass: the same definitions (docs/opis-tcm.md), written the
straightforward numpy way, run by `tcmscope bench` on the same .npy files in the same run.

Per block of 1024 query rows: S = X_block @ X.T, bin every similarity at 1e-4, and np.bincount the
(class, bin) keys of positives and negatives into per-class histograms (restricted to the classes
of the block, which are contiguous after sorting by label). Then cumulative counts, the FAR-defined
range and OPIS / eps-OPIS on a 101-point grid. Prints one JSON line.
"""
import argparse
import json
import resource
import time

import numpy as np

BINS_PER_UNIT = 10_000
NB = 2 * BINS_PER_UNIT + 1


def pair_histograms(x, y, block=1024):
    n = x.shape[0]
    classes = int(y.max()) + 1
    pos = np.zeros((classes, NB), np.int64)
    neg = np.zeros((classes, NB), np.int64)
    for r0 in range(0, n, block):
        r1 = min(n, r0 + block)
        s = x[r0:r1] @ x.T
        bins = np.clip(np.floor((s + 1) * BINS_PER_UNIT).astype(np.int64), 0, NB - 1)
        c_lo, c_hi = int(y[r0]), int(y[r1 - 1])
        width = (c_hi - c_lo + 1) * NB
        keys = (y[r0:r1, None] - c_lo) * NB + bins
        same = y[r0:r1, None] == y[None, :]
        not_self = np.ones_like(same)
        not_self[np.arange(r1 - r0), np.arange(r0, r1)] = False
        pos[c_lo:c_hi + 1] += np.bincount(keys[same & not_self], minlength=width).reshape(-1, NB)
        neg[c_lo:c_hi + 1] += np.bincount(keys[~same], minlength=width).reshape(-1, NB)
    return pos, neg


def at_or_above(h):
    return np.flip(np.cumsum(np.flip(h, axis=1), axis=1), axis=1)


def opis(pos_cum, neg_cum, global_neg_cum, far_lo=0.1, far_hi=0.01, points=101, eps=0.05):
    total_neg = global_neg_cum[0]
    far = global_neg_cum / total_neg
    lo = int(np.argmax(far <= far_lo))
    hi = int(np.argmax(far <= far_hi))
    step = (hi - lo) / (points - 1)
    edges = np.array([hi if i == points - 1 else lo + int(np.floor(i * step + 0.5)) for i in range(points)])
    keep = pos_cum[:, 0] > 0
    tpr = pos_cum[keep][:, edges] / pos_cum[keep][:, :1]
    tnr = 1 - neg_cum[keep][:, edges] / neg_cum[keep][:, :1]
    denom = tnr + tpr
    u = np.where(denom > 0, 2 * tpr * tnr / np.where(denom > 0, denom, 1), 0.0)
    w = np.full(points, 1 / (points - 1))
    w[0] /= 2
    w[-1] /= 2
    mean = u.mean(axis=0)
    score = float(((u - mean) ** 2 @ w).mean())
    m = max(1, int(np.ceil(eps * u.shape[0] - 1e-9)))
    srt = np.sort(u, axis=0)
    gap = srt[-m:].mean(axis=0) - srt[:m].mean(axis=0)
    return score, float(gap ** 2 @ w)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("embeddings")
    parser.add_argument("labels")
    parser.add_argument("--range-changes", type=int, default=50)
    args = parser.parse_args()
    e = np.load(args.embeddings).astype(np.float32)
    labels = np.load(args.labels)

    t0 = time.perf_counter()
    _, y = np.unique(labels, return_inverse=True)
    order = np.argsort(y, kind="stable")
    x = e[order] / np.linalg.norm(e[order], axis=1, keepdims=True)
    y = y[order]
    pos, neg = pair_histograms(x, y)
    pos_cum, neg_cum = at_or_above(pos), at_or_above(neg)
    global_neg_cum = neg_cum.sum(axis=0)
    score, eps_score = opis(pos_cum, neg_cum, global_neg_cum)
    pass_seconds = time.perf_counter() - t0

    times = []
    for i in range(args.range_changes):
        lo_far, hi_far = (0.2, 0.005) if i % 2 == 0 else (0.1, 0.01)
        s = time.perf_counter()
        opis(pos_cum, neg_cum, global_neg_cum, lo_far, hi_far)
        times.append(time.perf_counter() - s)
    print(json.dumps({
        "pass_seconds": pass_seconds,
        "range_change_ms": float(np.median(times)) * 1000,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "opis": score,
        "epsilon_opis": eps_score,
        "numpy": np.__version__,
    }))


if __name__ == "__main__":
    main()
