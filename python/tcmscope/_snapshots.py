"""Snapshots of evaluation embeddings for `tcmscope dash --watch DIR` / `analyze --watch DIR`."""
import os

import numpy as np

from . import _arrays


def write_snapshot(folder, name, step, embeddings, labels):
    """Writes FOLDER/NAME-STEP.npz atomically (a hidden temporary file, flushed, then renamed) so a
    watcher never reads half a snapshot; returns its path. Arrays or torch tensors; checked first
    (shape, dtype, NaN rows) so nothing is written for bad ones."""
    matrix = _arrays.embeddings_array(embeddings)
    classes = _arrays.labels_array(labels, matrix.shape[0])
    if not str(name) or "/" in str(name) or str(name).startswith("."):
        raise ValueError(f"name: {name!r} must be a non-empty file name not starting with '.'")
    os.makedirs(folder, exist_ok=True)
    final = os.path.join(folder, f"{name}-{int(step)}.npz")
    temporary = os.path.join(folder, f".{name}-{int(step)}.npz.tmp")
    try:
        with open(temporary, "wb") as file:
            np.savez(file, embeddings=matrix, labels=classes)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, final)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return final


class SnapshotWriter:
    """Every `every` steps of a training loop, a snapshot for the watcher:

        writer = tcmscope.SnapshotWriter("runs/tcm", "tcm", every=100)
        for step in range(steps):
            ...
            if writer.due(step):                       # skip computing embeddings otherwise
                writer.write(step, model(eval_x), eval_y)

    or `writer(step, embeddings, labels)`, which writes only when due (returns the path or None)."""

    def __init__(self, folder, name, every=1):
        if int(every) < 1:
            raise ValueError(f"every: {every} must be at least 1")
        self.folder = os.fspath(folder)
        self.name = str(name)
        self.every = int(every)
        self.written = []

    def due(self, step):
        return int(step) % self.every == 0

    def write(self, step, embeddings, labels):
        path = write_snapshot(self.folder, self.name, step, embeddings, labels)
        self.written.append(path)
        return path

    def __call__(self, step, embeddings, labels):
        return self.write(step, embeddings, labels) if self.due(step) else None
