"""The faiss-cpu peer of TCMScope's retrieval pass: exact k-nearest neighbours by cosine
similarity (unit rows, IndexFlatIP), k = 12, every thread. Run by `tcmscope bench scale --config NAME`
on the same .npy files in the same run; install with `pip install faiss-cpu`.

Prints one JSON line: the search time, peak RSS and Recall@1 (the nearest neighbour other than the
query itself has the query's label), to set beside TCMScope's R@1 on the same rows.
"""
import argparse
import json
import resource
import time

import faiss
import numpy as np


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("embeddings")
    parser.add_argument("labels")
    parser.add_argument("--k", type=int, default=12)
    parser.add_argument("--threads", type=int, default=0, help="0: faiss's default (every core)")
    args = parser.parse_args()
    if args.threads > 0:
        faiss.omp_set_num_threads(args.threads)

    started = time.perf_counter()
    x = np.ascontiguousarray(np.load(args.embeddings), dtype=np.float32)
    y = np.load(args.labels)
    faiss.normalize_L2(x)
    index = faiss.IndexFlatIP(x.shape[1])
    index.add(x)
    search_started = time.perf_counter()
    _, neighbours = index.search(x, args.k)
    search_seconds = time.perf_counter() - search_started

    # The first neighbour that is not the query itself (a duplicate row may outrank it).
    rows = np.arange(x.shape[0])
    not_self = neighbours != rows[:, None]
    first = neighbours[rows, np.argmax(not_self, axis=1)]
    recall_at_1 = float(np.mean(y[first] == y))
    print(json.dumps({
        "k": args.k, "threads": faiss.omp_get_max_threads(), "faiss_version": faiss.__version__,
        "search_seconds": search_seconds, "seconds": time.perf_counter() - started,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "recall_at_1": recall_at_1,
    }))


if __name__ == "__main__":
    main()
