"""compare() against `tcmscope compare --json`; the snapshot writer read back by the watcher."""
import csv
import json
import os

import numpy as np
import torch

import tcmscope
from conftest import clusters, comparable, run_cli, save


def test_compare_equals_the_cli_and_has_the_paired_test(data, tmp_path):
    a, labels = data
    b = a + 0.3 * np.random.default_rng(3).normal(size=a.shape).astype(np.float32)
    comparison = tcmscope.compare(a, torch.from_numpy(b), labels, bootstrap=300, seed=5, far=0.05)
    expected, completed = run_cli("compare", save(tmp_path, "a.npy", a), save(tmp_path, "b.npy", b),
                                  save(tmp_path, "l.npy", labels), "--json", "--bootstrap", "300", "--seed", "5",
                                  "--far", "0.05")
    assert completed.returncode == 0, completed.stderr
    assert comparable(comparison.to_dict()) == comparable(expected)
    assert comparison.opis_change == expected["change"]["opis"]
    low, high = comparison.opis_change_interval
    assert low <= high and (low, high) == (expected["bootstrap"]["opisChangeInterval"]["low"],
                                           expected["bootstrap"]["opisChangeInterval"]["high"])
    assert 0 <= comparison.p_value_worse <= 1
    assert comparison.p_value_worse == expected["bootstrap"]["pValueWorse"]
    assert comparison.a["opis"] == tcmscope.analyze(a, labels, figure=False).opis
    assert len(comparison.classes) == 12 and "Δ OPIS" in repr(comparison)
    assert "B − A" in comparison._repr_html_()


def test_compare_gate(data):
    uneven, labels = data
    # A: the same centres with one spread for every class (consistent); B: spreads 0.4 to 1.6.
    rng = np.random.default_rng(0)
    even = (rng.normal(size=(12, 16))[labels] + 0.8 * rng.normal(size=uneven.shape)).astype(np.float32)
    worse = tcmscope.compare(even, uneven, labels, fail_if_worse=0.0)
    assert worse.gate_tripped and worse.opis_change > 0 and worse.p_value_worse < 0.05
    assert not tcmscope.compare(uneven, uneven, labels, fail_if_worse=0.0).gate_tripped


def test_the_snapshot_writer_is_read_back_by_the_watcher(tmp_path):
    folder = tmp_path / "runs"
    writer = tcmscope.SnapshotWriter(folder, "tcm", every=2)
    arrays = {}
    for step in range(6):
        embeddings, labels = clusters(classes=6, per_class=20, dim=8, seed=step)
        if step % 2 == 1:
            embeddings = torch.from_numpy(embeddings)
        path = writer(step, embeddings, labels)
        assert (path is not None) == (step % 2 == 0)
        if path:
            arrays[step] = (embeddings, labels)
    assert sorted(os.listdir(folder)) == ["tcm-0.npz", "tcm-2.npz", "tcm-4.npz"]
    out = tmp_path / "reports"
    _, completed = run_cli("analyze", "--watch", str(folder), "--once", "--out-dir", str(out))
    assert completed.returncode == 0, completed.stderr
    for step, (embeddings, labels) in arrays.items():
        with open(out / f"tcm-{step}.json") as file:
            watched = json.load(file)
        assert watched["report"]["opis"] == tcmscope.analyze(embeddings, labels, figure=False).opis
    with open(out / "timeline.csv") as file:
        rows = list(csv.DictReader(file))
    assert [row["step"] for row in rows] == ["0", "2", "4"]


def test_write_snapshot_is_atomic_and_leaves_no_temporary_file(tmp_path):
    embeddings, labels = clusters(classes=3, per_class=5, dim=4)
    path = tcmscope.write_snapshot(tmp_path, "run", 10, embeddings, labels)
    assert path == os.path.join(tmp_path, "run-10.npz") and os.listdir(tmp_path) == ["run-10.npz"]
    with np.load(path) as stored:
        assert stored["embeddings"].dtype == np.float32 and (stored["labels"] == labels).all()
