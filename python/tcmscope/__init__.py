"""TCMScope from Python: threshold consistency (OPIS, ε-OPIS) of embeddings, computed by the
`tcmscope` binary this wheel carries.

    import tcmscope
    report = tcmscope.analyze(embeddings, labels, bootstrap=1000)   # numpy or torch
    print(report.opis, report.intervals["opis"], report.recall_at[1])
"""
from importlib import metadata as _metadata

from ._binary import TCMScopeError, binary, check_system_libraries
from ._commands import analyze, compare, dash
from ._report import Comparison, Report
from ._snapshots import SnapshotWriter, write_snapshot

try:
    __version__ = _metadata.version("tcmscope")  # the binary's version (pyproject.toml reads it)
except _metadata.PackageNotFoundError:  # the checkout's python/ on sys.path, not installed
    __version__ = "unknown"

# Say which system library is missing now, not as a loader error from the binary later.
check_system_libraries()

__all__ = [
    "Comparison",
    "Report",
    "SnapshotWriter",
    "TCMScopeError",
    "analyze",
    "binary",
    "compare",
    "dash",
    "write_snapshot",
]
