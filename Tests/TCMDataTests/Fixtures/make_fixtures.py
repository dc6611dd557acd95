"""Writes the .npy fixtures with numpy itself, so the reader is checked against the reference writer.
Run from this directory: python3 make_fixtures.py (numpy 2.x). Expected values go to expected.json."""
import json
import numpy as np
from numpy.lib import format as npf

base = np.arange(12, dtype=np.float64).reshape(3, 4) * 0.5 - 2.0
cases = {
    "f4_v1_c.npy": (base.astype("<f4"), (1, 0)),
    "f8_be_v2.npy": (base.astype(">f8"), (2, 0)),
    "f2_fortran_v3.npy": (np.asfortranarray(base.astype("<f2")), (3, 0)),
    "i2_be_fortran.npy": (np.asfortranarray((base * 4).astype(">i2")), (1, 0)),
    "u8_labels.npy": (np.array([3, 1, 4, 1, 5, 9], dtype="<u8"), (1, 0)),
    "unicode_labels.npy": (np.array(["cat", "dög", "🐶"]), (3, 0)),
}
expected = {}
for name, (array, version) in cases.items():
    with open(name, "wb") as f:
        npf.write_array(f, array, version=version)
    expected[name] = {"shape": list(array.shape),
                      "values": [str(v) for v in np.ascontiguousarray(array).ravel().tolist()]}
with open("expected.json", "w") as f:
    json.dump(expected, f, indent=1, ensure_ascii=False)
