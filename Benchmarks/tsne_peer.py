"""The t-SNE peer of `tcmscope bench tsne`: scikit-learn's Barnes-Hut t-SNE (or openTSNE's
FFT-accelerated one) with the same defaults (perplexity 30, 1000 iterations, PCA start, learning
rate "auto"), on the same unit-row .npy, on the same number of threads. Writes its layout and
prints one JSON line with the time, and scikit-learn's own trustworthiness of both layouts, which
cross-checks TCMScope's implementation of the score.
"""
import argparse
import json
import time

import numpy as np


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("embeddings")
    parser.add_argument("ours", help="TCMScope's layout (.npy) to score with scikit-learn as well")
    parser.add_argument("out", help="where to write the peer's layout (.npy)")
    parser.add_argument("--peer", choices=["sklearn", "opentsne"], default="sklearn")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    x = np.load(args.embeddings).astype(np.float32)

    t0 = time.perf_counter()
    if args.peer == "sklearn":
        from sklearn.manifold import TSNE
        import sklearn
        version = "scikit-learn " + sklearn.__version__
        layout = TSNE(n_components=2, perplexity=30, init="pca", learning_rate="auto", max_iter=1000,
                      random_state=args.seed, n_jobs=args.threads, method="barnes_hut", angle=0.5).fit_transform(x)
    else:
        import openTSNE
        version = "openTSNE " + openTSNE.__version__
        layout = np.asarray(openTSNE.TSNE(perplexity=30, n_iter=750, early_exaggeration_iter=250, initialization="pca",
                                          n_jobs=args.threads, random_state=args.seed).fit(x))
    seconds = time.perf_counter() - t0
    np.save(args.out, layout.astype(np.float32))

    from sklearn.manifold import trustworthiness
    ours = np.load(args.ours)
    print(json.dumps({
        "peer": version,
        "seconds": seconds,
        "trustworthiness_peer_by_sklearn": float(trustworthiness(x, layout, n_neighbors=10)),
        "trustworthiness_ours_by_sklearn": float(trustworthiness(x, ours, n_neighbors=10)),
    }))


if __name__ == "__main__":
    main()
