"""The numpy peer of `tcmscope bench training`: the same training step written the plain numpy
way, on one thread: MLP 784→256→128 forward, S = E·Eᵀ, contrastive loss (+ TCM) gradients on S,
dE = (G + Gᵀ)·E, backward through the L2 normalisation and the layers, Adam. Also one all-triplet
margin-loss evaluation with its gradient, by broadcasting over all B³ (a, p, n). Prints one JSON line.
"""
import json
import sys
import time

import numpy as np

rng = np.random.default_rng(1)
B, steps = 256, int(sys.argv[1]) if len(sys.argv) > 1 else 100
x_all = rng.random((4096, 784), dtype=np.float32)
labels_all = np.repeat(np.arange(8), 32)
W1 = rng.uniform(-1 / 28, 1 / 28, (256, 784)).astype(np.float32); b1 = np.zeros(256, np.float32)
W2 = rng.uniform(-1 / 16, 1 / 16, (128, 256)).astype(np.float32); b2 = np.zeros(128, np.float32)
params = [W1, b1, W2, b2]
m = [np.zeros_like(p) for p in params]; v = [np.zeros_like(p) for p in params]


def contrastive_grad(S, same, not_self):
    pos = same & not_self; neg = ~same
    pl = np.maximum(1 - S, 0) * pos; nl = np.maximum(S, 0) * neg
    G = -(pl > 0).astype(np.float32) / max((pl > 0).sum(), 1) + (nl > 0).astype(np.float32) / max((nl > 0).sum(), 1)
    return G.astype(np.float32)


def tcm_grad(S, same, not_self):
    pv = same & not_self & (S <= 0.9); nv = ~same & (S >= 0.5)
    return (-pv.astype(np.float32) / max(pv.sum(), 1) + nv.astype(np.float32) / max(nv.sum(), 1))


def step(t, with_tcm):
    idx = rng.choice(len(x_all), B, replace=False)
    x = x_all[idx]; y = labels_all
    z1 = x @ W1.T + b1; h = np.maximum(z1, 0); z2 = h @ W2.T + b2
    norm = np.linalg.norm(z2, axis=1, keepdims=True); e = z2 / norm
    S = e @ e.T
    same = y[:, None] == y[None, :]; not_self = ~np.eye(B, dtype=bool)
    G = contrastive_grad(S, same, not_self)
    if with_tcm:
        G += tcm_grad(S, same, not_self)
    dE = (G + G.T) @ e
    dz2 = (dE - e * (dE * e).sum(1, keepdims=True)) / norm
    gW2 = dz2.T @ h; gb2 = dz2.sum(0)
    dh = (dz2 @ W2) * (z1 > 0)
    gW1 = dh.T @ x; gb1 = dh.sum(0)
    for i, g in enumerate([gW1, gb1, gW2, gb2]):
        m[i] = 0.9 * m[i] + 0.1 * g; v[i] = 0.999 * v[i] + 0.001 * g * g
        params[i] -= 1e-3 * (m[i] / (1 - 0.9 ** t)) / (np.sqrt(v[i] / (1 - 0.999 ** t)) + 1e-8)


def all_triplet(S, y, margin=0.05):
    same = y[:, None] == y[None, :]; not_self = ~np.eye(len(y), dtype=bool)
    valid = (same & not_self)[:, :, None] & (~same)[:, None, :]        # [a, p, n]
    loss = np.maximum(S[:, None, :] - S[:, :, None] + margin, 0) * valid
    active = loss > 0
    count = max(active.sum(), 1)
    G = np.zeros_like(S)
    G -= active.sum(2) / count      # d/ds_ap
    G += active.sum(1) / count      # d/ds_an
    return loss.sum() / count, G


out = {}
for with_tcm in [False, True]:
    for t in range(1, 6):
        step(t, with_tcm)
    start = time.perf_counter()
    for t in range(6, 6 + steps):
        step(t, with_tcm)
    out["samples_per_second_tcm" if with_tcm else "samples_per_second"] = B * steps / (time.perf_counter() - start)
S = np.clip(rng.normal(0.3, 0.3, (B, B)), -1, 1); S = (S + S.T) / 2
all_triplet(S, labels_all)
start = time.perf_counter()
for _ in range(5):
    all_triplet(S, labels_all)
out["all_triplet_ms"] = (time.perf_counter() - start) / 5 * 1000
print(json.dumps(out))
