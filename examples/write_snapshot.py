"""Snapshots of evaluation embeddings for `tcmscope dash --watch DIR` / `analyze --watch DIR`.

The writer is the tcmscope Python package's (`pip install .` from the checkout, or the wheel):

    writer = tcmscope.SnapshotWriter("runs/tcm", "tcm", every=100)
    ...
    if writer.due(step):
        writer.write(step, model(eval_images), eval_labels)   # numpy or torch; RUN/tcm-STEP.npz

Run as a script, it plays a training run: clusters that tighten step by step (for the tests).
Without the package installed it uses the checkout's python/tcmscope (numpy is all it needs).
"""
import os
import sys

import numpy as np

try:
    import tcmscope
except ImportError:
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
    import tcmscope

write_snapshot = tcmscope.write_snapshot


def simulated_run(folder, name="demo", steps=5, every=100, classes=8, per_class=40, dim=16, seed=0, pause=0.0):
    """A stand-in for training: class centres fixed, the spread around them shrinking each step."""
    import time

    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(classes, dim))
    labels = np.repeat(np.arange(classes), per_class)
    noise = rng.normal(size=(classes * per_class, dim))
    writer = tcmscope.SnapshotWriter(folder, name, every=every)
    for k in range(1, steps + 1):
        spread = 2.0 / k
        writer(k * every, centres[labels] + spread * noise, labels)
        if pause:
            time.sleep(pause)


if __name__ == "__main__":
    folder = sys.argv[1] if len(sys.argv) > 1 else "snapshots"
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    pause = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
    simulated_run(folder, steps=steps, pause=pause)
