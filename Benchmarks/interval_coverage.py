"""Coverage of the class bootstrap's intervals on data generated from embeddings (issue 32).

A population of classes: Gaussian clouds on the unit sphere in D = 32, class means uniform on the
sphere, 5-30 samples a class, a class-specific spread (log-normal) so that difficulty varies. A data
set is C classes drawn from it; the per-class utility curves, the FAR-defined range (global FAR
1e-1 to 1e-2) and the 101-point grid are computed exactly as docs/definitions.md defines them (pair
similarities binned at 1e-4, as TCMScope does). The population value of OPIS (and eps-OPIS) is that
of a very large draw of classes, each class's negatives taken against a reference set of other
classes, with the range at the population's own quantiles.

For each data set the script computes the intervals of several methods from the same B class
resamplings and reports, per method and C, the share of data sets whose interval holds the
population value, with its binomial standard error, and how often it misses on each side.

    python3 Benchmarks/interval_coverage.py --classes 100 400 --datasets 300 --replicates 1000
    python3 Benchmarks/interval_coverage.py --classes 40 100 --datasets 300 --replicates 500 --eps --seed 34
    python3 Benchmarks/interval_coverage.py --curve-level 400 1000 --datasets 200 --replicates 200 --seed 5
    python3 Benchmarks/interval_coverage.py --classes 400 1000 --datasets 300 --replicates 1000 \
        --tcmscope .build/release/tcmscope --population-cache /tmp/pop32.json

One core; about 1 s a data set at C = 100 and 4 s at C = 400 (--eps adds eps-OPIS's intervals).
--population-cache FILE keeps the population values between runs. The suite's smaller population
(BootstrapTests.coverageOnEmbeddingData): --dimension 16 --sizes 4 8 --population-only
--reference-classes 800 --seed 7.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

D = 32
# The pair counts and their bin axis are the numpy peer's (opis_numpy.py, beside this script).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from opis_numpy import BINS_PER_UNIT, NB, pair_histograms  # noqa: E402
POINTS = 101
EPS = 0.05
SIZES = (5, 30)  # samples a class, both ends included (--sizes)


def draw_classes(rng, count):
    """Class means, spreads and sizes of `count` classes of the population."""
    means = rng.standard_normal((count, D))
    means /= np.linalg.norm(means, axis=1, keepdims=True)
    spreads = 0.9 * np.exp(0.35 * rng.standard_normal(count))
    sizes = rng.integers(SIZES[0], SIZES[1] + 1, count)
    return means, spreads, sizes


def samples(rng, means, spreads, sizes):
    y = np.repeat(np.arange(len(sizes)), sizes)
    x = means[y] + spreads[y, None] * rng.standard_normal((len(y), D)) / math.sqrt(D)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float32), y


def grid_weights():
    w = np.full(POINTS, 1 / (POINTS - 1))
    w[0] /= 2
    w[-1] /= 2
    return w


def utility(tpr, tnr):
    d = tpr + tnr
    return np.where(d > 0, 2 * tpr * tnr / np.where(d > 0, d, 1), 0.0)


def grid_edges(global_neg_at_or_above):
    far = global_neg_at_or_above / global_neg_at_or_above[0]
    lo = int(np.argmax(far <= 0.1))
    hi = int(np.argmax(far <= 0.01))
    step = (hi - lo) / (POINTS - 1)
    return np.array([hi if i == POINTS - 1 else lo + int(np.floor(i * step + 0.5)) for i in range(POINTS)])


def at_or_above(h):
    return np.flip(np.cumsum(np.flip(h, axis=-1), axis=-1), axis=-1)


def dataset_curves(x, y, c, block=1024):
    """Per-class utility curves on the data set's own range, as TCMScope computes them."""
    pos, neg = pair_histograms(x, y, block=block)
    assert pos.shape[0] == c, "labels 0..c-1, sorted, every class present"
    pos_cum, neg_cum = at_or_above(pos), at_or_above(neg)
    edges = grid_edges(neg_cum.sum(axis=0))
    tpr = pos_cum[:, edges] / pos_cum[:, :1]
    tnr = 1 - neg_cum[:, edges] / neg_cum[:, :1]
    return utility(tpr, tnr)


def population(rng, classes, reference_classes):
    """Population OPIS and eps-OPIS: `classes` classes, negatives against a reference draw."""
    rm, rs, rn = draw_classes(rng, reference_classes)
    rx, ry = samples(rng, rm, rs, rn)
    # The population's range: quantiles of the reference set's negative similarities, as bin edges.
    s = rx @ rx.T
    neg = s[ry[:, None] != ry[None, :]]
    lo_t, hi_t = np.quantile(neg, 0.9), np.quantile(neg, 0.99)
    del s, neg
    lo_e, hi_e = (int(np.floor((t + 1) * BINS_PER_UNIT)) for t in (lo_t, hi_t))
    step = (hi_e - lo_e) / (POINTS - 1)
    edges = np.array([hi_e if i == POINTS - 1 else lo_e + int(np.floor(i * step + 0.5)) for i in range(POINTS)])
    m, sp, n = draw_classes(rng, classes)
    curves = np.empty((classes, POINTS))
    chunk = 100
    for c0 in range(0, classes, chunk):
        c1 = min(classes, c0 + chunk)
        cc = c1 - c0
        x, y = samples(rng, m[c0:c1], sp[c0:c1], n[c0:c1])
        sref = x @ rx.T  # every reference sample is of another class
        bins = np.clip(np.floor((sref + 1) * BINS_PER_UNIT).astype(np.int64), 0, NB - 1)
        neg = np.bincount((y[:, None] * NB + bins).ravel(), minlength=cc * NB).reshape(cc, NB)
        sp_ = x @ x.T
        same = y[:, None] == y[None, :]
        np.fill_diagonal(same, False)
        pb = np.clip(np.floor((sp_ + 1) * BINS_PER_UNIT).astype(np.int64), 0, NB - 1)
        keys = y[:, None] * NB + pb
        pos = np.bincount(keys[same], minlength=cc * NB).reshape(cc, NB)
        pc, nc = at_or_above(pos), at_or_above(neg)
        tpr = pc[:, edges] / pc[:, :1]
        tnr = 1 - nc[:, edges] / nc[:, :1]
        curves[c0:c1] = utility(tpr, tnr)
    w = grid_weights()
    opis = float((((curves - curves.mean(0)) ** 2) @ w).mean())
    k = int(math.ceil(EPS * classes))
    srt = np.sort(curves, axis=0)
    eps = float(((srt[-k:].mean(0) - srt[:k].mean(0)) ** 2) @ w)
    return opis, eps, curves


class Resampler:
    """OPIS / eps-OPIS of weighted classes (weights = multiplicities), vectorised over replicates."""

    def __init__(self, u):
        self.u = u
        self.w = grid_weights()
        self.q = (u * u) @ self.w

    def opis(self, W):
        tot = W.sum(1)
        mean = (W @ self.u) / tot[:, None]
        return (W @ self.q) / tot - (mean * mean) @ self.w

    def terms(self, W):
        """Per replicate: the weighted standard error of OPIS from its influence values."""
        tot = W.sum(1)
        mean = (W @ self.u) / tot[:, None]
        # d_rc = avg[(U_c - Ubar_r)^2] = q_c - 2 U_c.Ubar_r + Ubar_r^2 (grid-weighted)
        cross = (self.u * self.w) @ mean.T  # C x R
        ubar2 = (mean * mean) @ self.w
        d = self.q[:, None] - 2 * cross + ubar2[None, :]
        theta = (W * d.T).sum(1) / tot
        var = (W * (d.T - theta[:, None]) ** 2).sum(1) / tot
        return theta, np.sqrt(var / (tot - 1))

    def eps_opis(self, W):
        """Groups = the m lowest / highest units of weight per grid point, m = max(1, ceil(eps * sum w))."""
        c, k = self.u.shape
        m = np.maximum(1, np.ceil(EPS * np.round(W.sum(1)) - 1e-9))[:, None]
        out = np.zeros(W.shape[0])
        order = np.argsort(self.u, axis=0, kind="stable")
        for i in range(k):
            o = order[:, i]
            uo = self.u[o, i]
            wo = W[:, o]
            before = np.cumsum(wo, 1) - wo
            low = (np.clip(m - before, 0, wo) * uo).sum(1)
            wr = wo[:, ::-1]
            before_r = np.cumsum(wr, 1) - wr
            high = (np.clip(m - before_r, 0, wr) * uo[::-1]).sum(1)
            gap = (high - low) / m[:, 0]
            out += self.w[i] * gap * gap
        return out


def draw_weights(rng, c, b, m=None):
    m = m or c
    idx = rng.integers(0, c, (b, m))
    W = np.zeros((b, c))
    np.add.at(W, (np.repeat(np.arange(b), m), idx.ravel()), 1)
    return W


def norm_ppf(p):
    # Acklam-free: use the inverse error function via bisection on math.erf (scalar, fine here).
    lo, hi = -10.0, 10.0
    for _ in range(100):
        mid = (lo + hi) / 2
        if 0.5 * (1 + math.erf(mid / math.sqrt(2))) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def norm_cdf(x):
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def bca(reps, theta, jack, level):
    z0 = norm_ppf(max(1e-9, min(1 - 1e-9, (np.sum(reps < theta) + 0.5 * np.sum(reps == theta)) / len(reps))))
    jm = jack.mean()
    num = ((jm - jack) ** 3).sum()
    den = 6 * (((jm - jack) ** 2).sum()) ** 1.5
    a = num / den if den > 0 else 0.0
    out = []
    for p in ((1 - level) / 2, (1 + level) / 2):
        z = norm_ppf(p)
        adj = norm_cdf(z0 + (z0 + z) / (1 - a * (z0 + z)))
        out.append(np.quantile(reps, adj))
    return out


def intervals_opis(u, rng, b, level):
    c = u.shape[0]
    rs = Resampler(u)
    W = draw_weights(rng, c, b)
    theta, se = rs.terms(np.ones((1, c)))
    theta, se = float(theta[0]), float(se[0])
    reps, ses = rs.terms(W)
    lo_p, hi_p = (1 - level) / 2, (1 + level) / 2
    out = {}
    out["percentile"] = np.quantile(reps, [lo_p, hi_p])
    # leave-one-class-out values for the acceleration
    J = np.ones((c, c)) - np.eye(c)
    jack = rs.opis(J)
    out["bca"] = bca(reps, theta, jack, level)
    t = (reps - theta) / ses
    tq = np.quantile(t, [lo_p, hi_p])
    out["studentized"] = [theta - tq[1] * se, theta - tq[0] * se]
    # studentised on the log scale (se of log = se / theta)
    tl = (np.log(reps) - math.log(theta)) / (ses / reps)
    tlq = np.quantile(tl, [lo_p, hi_p])
    out["studentized-log"] = [theta * math.exp(-tlq[1] * se / theta), theta * math.exp(-tlq[0] * se / theta)]
    z = norm_ppf(hi_p)
    out["normal-log"] = [theta * math.exp(-z * se / theta), theta * math.exp(z * se / theta)]
    # basic (reflected) percentile
    out["basic"] = [2 * theta - out["percentile"][1], 2 * theta - out["percentile"][0]]
    return theta, out


def intervals_eps(u, rng, b, level, fractions):
    c = u.shape[0]
    rs = Resampler(u)
    theta = float(rs.eps_opis(np.ones((1, c)))[0])
    lo_p, hi_p = (1 - level) / 2, (1 + level) / 2
    out = {}
    W = draw_weights(rng, c, b)
    reps = rs.eps_opis(W)
    out["percentile"] = np.quantile(reps, [lo_p, hi_p])
    out["basic"] = [2 * theta - out["percentile"][1], 2 * theta - out["percentile"][0]]
    for f in fractions:
        mm = max(2, int(round(f * c)))
        Wm = draw_weights(rng, c, b, mm)
        r = rs.eps_opis(Wm)  # group size from the m drawn units
        dq = np.quantile(np.sqrt(mm) * (r - theta), [lo_p, hi_p])
        out[f"m-out-of-n {f:g}"] = [theta - dq[1] / math.sqrt(c), theta - dq[0] / math.sqrt(c)]
    return theta, out


def curve_level(rng, classes, datasets, replicates, level, population_classes=6000, reference_classes=400):
    """eps-OPIS's percentile interval on data sets of `classes` curves drawn from a population of
    embedded classes' curves (its eps-OPIS the truth): cheap enough for 1000 classes."""
    _, pop_eps, curves = population(rng, population_classes, reference_classes)
    print(json.dumps({"curve_level_population_eps_opis": pop_eps}), flush=True)
    for c in classes:
        hit = above = 0
        for _ in range(datasets):
            rs = Resampler(curves[rng.integers(0, len(curves), c)])
            lo, hi = np.quantile(rs.eps_opis(draw_weights(rng, c, replicates)), [(1 - level) / 2, (1 + level) / 2])
            hit += lo <= pop_eps <= hi
            above += pop_eps > hi
        p = hit / datasets
        print(json.dumps({"figure": "eps-opis", "level": "curves", "classes": c, "method": "percentile",
                          "coverage": round(p, 3), "se": round(math.sqrt(p * (1 - p) / datasets), 3),
                          "truth_above": round(above / datasets, 3), "datasets": datasets}), flush=True)


def write_npy(path, array):
    np.save(path, array)


def pipeline(rng, binary, classes, datasets, replicates, level, pop_opis, pop_eps, threads):
    """The intervals `tcmscope analyze --bootstrap` prints, on data sets drawn as in the main sweep:
    the whole pipeline (pairs, range, grid, curves, the class bootstrap) in the release binary, not
    this script's reimplementation. A running tally is printed every 25 data sets."""
    with tempfile.TemporaryDirectory(prefix="tcm-coverage-") as tmp:
        e_path, l_path = os.path.join(tmp, "e.npy"), os.path.join(tmp, "l.npy")
        for c in classes:
            tally = {"opis": [0, 0, 0], "eps-opis": [0, 0, 0]}  # hits, truth below, truth above
            withheld = 0
            t1 = time.time()
            for d in range(1, datasets + 1):
                m, sp, n = draw_classes(rng, c)
                x, y = samples(rng, m, sp, n)
                write_npy(e_path, x)
                write_npy(l_path, y.astype(np.int64))
                seed = int(rng.integers(1, 2**62))
                out = subprocess.run(
                    [binary, "analyze", e_path, l_path, "--no-retrieval", "--json", "--bootstrap", str(replicates),
                     "--seed", str(seed), "--ci-level", str(level), "--threads", str(threads)],
                    check=True, capture_output=True, text=True).stdout
                b = json.loads(out)["bootstrap"]
                for figure, key, truth in (("opis", "opis", pop_opis), ("eps-opis", "epsilonOPIS", pop_eps)):
                    iv = b.get(key)
                    if iv is None:
                        withheld += figure == "eps-opis"
                        continue
                    t = tally[figure]
                    t[0] += iv["low"] <= truth <= iv["high"]
                    t[1] += truth < iv["low"]
                    t[2] += truth > iv["high"]
                if d % 25 == 0 or d == datasets:
                    for figure, (h, below, above) in tally.items():
                        k = d - (withheld if figure == "eps-opis" else 0)
                        if k == 0:
                            continue
                        p = h / k
                        print(json.dumps({"figure": figure, "level": "pipeline", "classes": c, "coverage": round(p, 3),
                                          "se": round(math.sqrt(p * (1 - p) / k), 3),
                                          "truth_below": round(below / k, 3), "truth_above": round(above / k, 3),
                                          "datasets": k, "done": d, "of": datasets,
                                          "seconds": round(time.time() - t1, 1)}), flush=True)
            if withheld:
                print(json.dumps({"classes": c, "eps_opis_withheld": withheld}), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--classes", type=int, nargs="+", default=[100, 400])
    ap.add_argument("--datasets", type=int, default=300)
    ap.add_argument("--replicates", type=int, default=1000)
    ap.add_argument("--level", type=float, default=0.95)
    ap.add_argument("--population-classes", type=int, default=20000)
    ap.add_argument("--reference-classes", type=int, default=400)
    ap.add_argument("--seed", type=int, default=32)
    ap.add_argument("--dimension", type=int, default=32, help="D of the embeddings")
    ap.add_argument("--sizes", type=int, nargs=2, default=[5, 30], help="fewest and most samples a class")
    ap.add_argument("--population-only", action="store_true", help="print the population values and stop")
    ap.add_argument("--population-cache", help="JSON file keeping the population values between runs")
    ap.add_argument("--curve-level", type=int, nargs="+", metavar="C",
                    help="only eps-OPIS's percentile interval at these class counts, on curves drawn from a "
                         "population of 6,000 classes' curves (use --datasets 200 --replicates 200)")
    ap.add_argument("--eps", action="store_true", help="also eps-OPIS (slower)")
    ap.add_argument("--mn-fractions", type=float, nargs="*", default=[0.5, 0.25])
    ap.add_argument("--tcmscope", metavar="BINARY",
                    help="run each data set through `BINARY analyze --bootstrap` and score the intervals it prints "
                         "(OPIS and eps-OPIS; the release build: .build/release/tcmscope)")
    ap.add_argument("--threads", type=int, default=1, help="--threads of each tcmscope run")
    args = ap.parse_args()
    global SIZES, D
    SIZES = tuple(args.sizes)
    D = args.dimension
    rng = np.random.default_rng(args.seed)
    if args.curve_level:
        curve_level(rng, args.curve_level, args.datasets, args.replicates, args.level)
        return 0
    t0 = time.time()
    if args.population_cache and os.path.exists(args.population_cache):
        with open(args.population_cache) as f:
            cached = json.load(f)
        pop_opis, pop_eps = cached["population_opis"], cached["population_eps_opis"]
    else:
        pop_opis, pop_eps, _ = population(rng, args.population_classes, args.reference_classes)
        if args.population_cache:
            with open(args.population_cache, "w") as f:
                json.dump({"population_opis": pop_opis, "population_eps_opis": pop_eps}, f)
    print(json.dumps({"population_opis": pop_opis, "population_eps_opis": pop_eps,
                      "seconds": round(time.time() - t0, 1)}), flush=True)
    if args.population_only:
        return 0
    if args.tcmscope:
        pipeline(rng, args.tcmscope, args.classes, args.datasets, args.replicates, args.level, pop_opis, pop_eps,
                 args.threads)
        return 0
    for c in args.classes:
        hits, below, above, hits_e, below_e, above_e = {}, {}, {}, {}, {}, {}
        est = []
        t1 = time.time()
        for d in range(args.datasets):
            m, sp, n = draw_classes(rng, c)
            x, y = samples(rng, m, sp, n)
            u = dataset_curves(x, y, c)
            theta, iv = intervals_opis(u, rng, args.replicates, args.level)
            est.append(theta)
            for k, (lo, hi) in iv.items():
                hits[k] = hits.get(k, 0) + (lo <= pop_opis <= hi)
                below[k] = below.get(k, 0) + (pop_opis < lo)
                above[k] = above.get(k, 0) + (pop_opis > hi)
            if args.eps:
                te, ive = intervals_eps(u, rng, args.replicates, args.level, args.mn_fractions)
                for k, (lo, hi) in ive.items():
                    hits_e[k] = hits_e.get(k, 0) + (lo <= pop_eps <= hi)
                    below_e[k] = below_e.get(k, 0) + (pop_eps < lo)
                    above_e[k] = above_e.get(k, 0) + (pop_eps > hi)
        n = args.datasets

        def row(figure, h, b, a):
            for k in h:
                p = h[k] / n
                print(json.dumps({"figure": figure, "classes": c, "method": k, "coverage": round(p, 3),
                                  "se": round(math.sqrt(p * (1 - p) / n), 3),
                                  "truth_below": round(b[k] / n, 3), "truth_above": round(a[k] / n, 3),
                                  "datasets": n}), flush=True)

        row("opis", hits, below, above)
        if args.eps:
            row("eps-opis", hits_e, below_e, above_e)
        print(json.dumps({"classes": c, "mean_estimate": float(np.mean(est)), "population": pop_opis,
                          "seconds": round(time.time() - t1, 1)}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
