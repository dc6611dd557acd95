"""analyze(), compare() and dash(): arrays written once to a private folder, the binary run on it."""
import json
import os
import subprocess
import sys

from . import _arrays, _binary, _options
from ._report import Comparison, Report


def _in_notebook():
    """A Jupyter kernel (ipykernel) is what shows a report's _repr_html_ and so its figure."""
    return "ipykernel" in sys.modules


def analyze(embeddings, labels, *, figure=None, **options):
    """OPIS, ε-OPIS, per-class rates and retrieval metrics of N x D `embeddings` (numpy array or
    torch tensor) and their N `labels`, as `tcmscope analyze --json` computes them.

    Options take the CLI's names and ranges: far_range=(1e-1, 1e-2), range=(lo, hi), points=101,
    utility="f-tpr-tnr", beta, epsilon, ranking, threshold, recall_k=[1, 2, 4, 8], retrieval=False,
    bootstrap=1000 (intervals), seed, ci_level, threads, drop_zero_vectors=True,
    fail_above_opis / fail_above_epsilon_opis (Report.gate_tripped). figure: the SVG curves figure
    of `analyze --plot` for the Jupyter view (Report.svg); by default drawn only in a Jupyter kernel,
    since it costs a third of the analysis of 10,000 rows (Benchmarks/README.md, "From Python")."""
    arguments = _options.flags(options, _options.ANALYZE, "analyze")
    if figure is None:
        figure = _in_notebook()
    matrix = _arrays.embeddings_array(embeddings)
    classes = _arrays.labels_array(labels, matrix.shape[0])
    with _arrays.staging_folder() as folder:
        embeddings_path = _arrays.write_npy(folder, "embeddings.npy", matrix)
        labels_path = _arrays.write_npy(folder, "labels.npy", classes)
        plot = os.path.join(folder, "curves.svg")
        command = ["analyze", embeddings_path, labels_path, "--json", *arguments]
        if figure:
            command += ["--plot", plot]
        rename = {embeddings_path: "embeddings", labels_path: "labels", folder: "<temporary folder>"}
        # Status 1 is a tripped gate (docs/guarantees.md): a report, not an error, when one was asked for.
        gated = options.get("fail_above_opis") is not None or options.get("fail_above_epsilon_opis") is not None
        stdout, status = _binary.run(command, rename=rename, accept=(0, 1) if gated else (0,))
        svg = None
        if figure:
            with open(plot, encoding="utf-8") as file:
                svg = file.read()
    return Report(json.loads(stdout), svg=svg, gate_tripped=status == 1)


def compare(a, b, labels, *, bootstrap=1000, **options):
    """B − A for two models' embeddings of the same rows (`tcmscope compare A B LABELS --json`),
    with the paired bootstrap over the classes (bootstrap=1000 replicates by default; None for
    none): Comparison.opis_change, .opis_change_interval, .p_value_worse. Options as analyze(),
    and far=0.01, significance=0.05, fail_if_worse=delta (Comparison.gate_tripped)."""
    options["bootstrap"] = bootstrap
    arguments = _options.flags(options, _options.COMPARE, "compare")
    first = _arrays.embeddings_array(a, "a")
    second = _arrays.embeddings_array(b, "b")
    if first.shape[0] != second.shape[0]:
        raise ValueError(f"b: {second.shape[0]} rows, a has {first.shape[0]}: the same rows are needed")
    classes = _arrays.labels_array(labels, first.shape[0])
    with _arrays.staging_folder() as folder:
        paths = [_arrays.write_npy(folder, name, array)
                 for name, array in (("a.npy", first), ("b.npy", second), ("labels.npy", classes))]
        rename = dict(zip(paths, ("a", "b", "labels")))
        rename[folder] = "<temporary folder>"
        gated = options.get("fail_if_worse") is not None
        stdout, status = _binary.run(["compare", *paths, "--json", *arguments], rename=rename,
                                     accept=(0, 1) if gated else (0,))
    return Comparison(json.loads(stdout), gate_tripped=status == 1)


def dash(embeddings=None, labels=None, *, watch=None, arguments=()):
    """Opens the dashboard in this terminal and returns when it quits: on the bundled sample with
    no arrays, on `embeddings` and `labels` (written to a temporary folder), or following a folder
    of snapshots with watch="runs/tcm" (SnapshotWriter's folder). `arguments` adds dash flags,
    e.g. ["--loss", "triplet"]. Needs a terminal: not a notebook's output cell."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise _binary.TCMScopeError("dash needs a terminal (stdin and stdout are not one); use analyze() here", 64)
    if (embeddings is None) != (labels is None):
        raise TypeError("dash() takes both embeddings and labels, or neither")
    command = [_binary.binary(), "dash", *arguments]
    if watch is not None:
        command += ["--watch", os.fspath(watch)]
    with _arrays.staging_folder() as folder:
        if embeddings is not None:
            matrix = _arrays.embeddings_array(embeddings)
            classes = _arrays.labels_array(labels, matrix.shape[0])
            command += [_arrays.write_npy(folder, "embeddings.npy", matrix),
                        _arrays.write_npy(folder, "labels.npy", classes)]
        status = subprocess.run(command).returncode
    if status != 0:
        raise _binary.TCMScopeError(f"tcmscope dash ended with status {status}", status)
