"""Numpy arrays and torch tensors checked and written once, as the files the binary streams."""
import contextlib
import os
import shutil
import tempfile

import numpy as np

# Rows checked for NaN and infinity this many at a time: the check's scratch stays small.
_CHECK_ROWS = 65536


def _as_numpy(value, what):
    """A numpy view of an array, a torch tensor (detached, moved to the CPU) or a list."""
    module = type(value).__module__
    if module.startswith("torch"):
        value = value.detach()
        if value.device.type != "cpu":
            value = value.cpu()
        if str(value.dtype) in ("torch.bfloat16",):
            value = value.float()
        return value.numpy()
    if isinstance(value, np.ndarray):
        return value
    try:
        return np.asarray(value)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{what}: not an array ({type(value).__name__}): {error}") from None


def embeddings_array(value, what="embeddings"):
    """N x D float32 in C order; refuses other shapes, non-numeric dtypes and rows with NaN or
    infinity (naming the first such row). Copies only when the dtype or the order differs."""
    array = _as_numpy(value, what)
    if array.ndim != 2:
        raise ValueError(f"{what}: expected a 2-D array (N x D), got shape {tuple(array.shape)}")
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"{what}: expected at least one row and one column, got shape {tuple(array.shape)}")
    if array.dtype.kind not in "fiu" or array.dtype.kind == "f" and array.dtype.itemsize > 8:
        raise TypeError(f"{what}: expected real numbers (float or integer), got dtype {array.dtype}")
    array = np.ascontiguousarray(array, dtype=np.float32)
    for start in range(0, array.shape[0], _CHECK_ROWS):
        block = array[start : start + _CHECK_ROWS]
        finite = np.isfinite(block).all(axis=1)
        if not finite.all():
            row = start + int(np.argmin(finite))
            raise ValueError(f"{what}: row {row} holds NaN or infinity")
    return array


def labels_array(value, rows, what="labels"):
    """N labels as int64 or unicode strings; refuses other shapes and fractional or NaN labels."""
    array = _as_numpy(value, what)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise ValueError(f"{what}: expected a 1-D array of N labels, got shape {tuple(array.shape)}")
    if array.shape[0] != rows:
        raise ValueError(f"{what}: {array.shape[0]} labels for {rows} embedding rows")
    kind = array.dtype.kind
    if kind in "iub":
        return np.ascontiguousarray(array, dtype=np.int64)
    if kind == "f":
        if not np.isfinite(array).all():
            raise ValueError(f"{what}: label {int(np.argmin(np.isfinite(array)))} is NaN or infinite")
        if not (array == np.round(array)).all():
            raise ValueError(f"{what}: float labels must be whole numbers")
        return array.astype(np.int64)
    if kind in "US":
        return array.astype(str)
    if kind == "O":
        return np.array([str(label) for label in array])
    raise TypeError(f"{what}: expected integer or string labels, got dtype {array.dtype}")


@contextlib.contextmanager
def staging_folder():
    """A private temporary folder, removed with everything in it afterwards."""
    folder = tempfile.mkdtemp(prefix="tcmscope-")
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def write_npy(folder, name, array):
    """Writes `array` once (np.save streams it from memory) and returns the path."""
    path = os.path.join(folder, name)
    with open(path, "wb") as file:
        np.save(file, array, allow_pickle=False)
    return path
