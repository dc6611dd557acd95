"""Snapshots of evaluation embeddings for `tcmscope dash --watch DIR` / `analyze --watch DIR`.

Call write_snapshot every N steps of your PyTorch (or any) training loop; numpy is all it needs:

    emb = model(eval_images).detach().cpu().numpy()          # N x D
    write_snapshot("runs/tcm", "tcm", step, emb, eval_labels)

Run as a script, it plays a training run: clusters that tighten step by step (for the tests).
"""
import os
import sys

import numpy as np


def write_snapshot(folder, name, step, embeddings, labels):
    """Writes FOLDER/NAME-STEP.npz atomically: a hidden temporary file, flushed, then renamed,
    so a watcher never reads half a snapshot."""
    os.makedirs(folder, exist_ok=True)
    final = os.path.join(folder, f"{name}-{int(step)}.npz")
    temporary = os.path.join(folder, f".{name}-{int(step)}.npz.tmp")
    with open(temporary, "wb") as f:
        np.savez(f, embeddings=np.asarray(embeddings, dtype=np.float32), labels=np.asarray(labels))
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, final)
    return final


def simulated_run(folder, name="demo", steps=5, every=100, classes=8, per_class=40, dim=16, seed=0, pause=0.0):
    """A stand-in for training: class centres fixed, the spread around them shrinking each step."""
    import time

    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(classes, dim))
    labels = np.repeat(np.arange(classes), per_class)
    noise = rng.normal(size=(classes * per_class, dim))
    for k in range(1, steps + 1):
        spread = 2.0 / k
        write_snapshot(folder, name, k * every, centres[labels] + spread * noise, labels)
        if pause:
            time.sleep(pause)


if __name__ == "__main__":
    folder = sys.argv[1] if len(sys.argv) > 1 else "snapshots"
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    pause = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
    simulated_run(folder, steps=steps, pause=pause)
