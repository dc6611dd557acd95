"""Writes the .npz and safetensors fixtures with numpy and the safetensors package themselves, so
the readers are checked against the reference writers. Run from this directory:
python3 make_archives.py (numpy 2.x, safetensors 0.4+). The values are simple formulas that the
tests recompute: embeddings[i, j] = (i * 4 + j) * 0.25 - 1, labels[i] = i % 3 (6 rows × 4)."""
import numpy as np
from safetensors.numpy import save_file

E = (np.arange(24, dtype=np.float64).reshape(6, 4) * 0.25 - 1.0)
y = np.arange(6) % 3
np.savez("stored.npz", embeddings=E.astype(np.float32), labels=y)
np.savez_compressed("deflated.npz", features=np.asfortranarray(E.astype(">f8")), targets=y.astype(np.int16))
np.savez("unnamed.npz", E.astype(np.float16), np.array(["a", "b", "c", "a", "b", "c"]))  # arr_0, arr_1
save_file({"embeddings": E.astype(np.float32), "labels": y.astype(np.int64)}, "f32.safetensors",
          metadata={"source": "make_archives.py"})
save_file({"emb": E.astype(np.float16), "y": y.astype(np.uint8)}, "f16.safetensors")
save_file({"x": E, "w": np.ones((2, 3), np.float32)}, "f64.safetensors")
