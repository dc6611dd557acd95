"""numpy's float32 GEMM rate on X_i · X_jᵀ blocks of 8192 rows: the rate the pair pass's half
product X·Xᵀ would run at under numpy's BLAS (`tcmscope bench scale` prints the whole analyze
against it). Threads: OPENBLAS_NUM_THREADS, set by the caller. Prints one JSON line."""

import argparse
import json
import time

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dimension", type=int, required=True)
    parser.add_argument("--block", type=int, default=8192)
    parser.add_argument("--seconds", type=float, default=3.0, help="least time spent timing")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    a = rng.standard_normal((args.block, args.dimension), dtype=np.float32)
    b = rng.standard_normal((args.block, args.dimension), dtype=np.float32)
    out = np.empty((args.block, args.block), dtype=np.float32)
    np.matmul(a, b.T, out=out)  # warm-up: pages and threads
    flops = 2.0 * args.block * args.block * args.dimension
    rates = []
    started = time.perf_counter()
    while time.perf_counter() - started < args.seconds or len(rates) < 3:
        t = time.perf_counter()
        np.matmul(a, b.T, out=out)
        rates.append(flops / (time.perf_counter() - t) / 1e9)
    rates.sort()
    print(json.dumps({"gflops": rates[len(rates) // 2], "best_gflops": rates[-1], "block": args.block,
                      "dimension": args.dimension, "repeats": len(rates)}))


if __name__ == "__main__":
    main()
