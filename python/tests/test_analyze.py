"""analyze(): the same report as `tcmscope analyze --json` on the same data, from numpy and torch."""
import sys
import types

import numpy as np
import torch

import tcmscope
from conftest import clusters, comparable, run_cli, save

OPTIONS = dict(far_range=(1e-1, 1e-3), points=51, epsilon=0.1, recall_k=[1, 5], bootstrap=200, seed=7)
FLAGS = ["--far-range", "0.1:0.001", "--points", "51", "--epsilon", "0.1", "--recall-k", "1", "--recall-k", "5",
         "--bootstrap", "200", "--seed", "7"]


def test_to_dict_equals_the_cli_json(data, tmp_path):
    embeddings, labels = data
    report = tcmscope.analyze(embeddings, labels, **OPTIONS)
    expected, completed = run_cli("analyze", save(tmp_path, "e.npy", embeddings), save(tmp_path, "l.npy", labels),
                                  "--json", *FLAGS)
    assert completed.returncode == 0, completed.stderr
    assert comparable(report.to_dict()) == comparable(expected)
    assert report.opis == expected["report"]["opis"] > 0
    assert report.epsilon_opis == expected["report"]["epsilonOPIS"]
    assert [row["name"] for row in report.classes] == [str(k) for k in range(12)]
    assert report.intervals["opis"] == (expected["bootstrap"]["opis"]["low"], expected["bootstrap"]["opis"]["high"])
    # 12 classes: no ε-OPIS interval holds its level, so the CLI withholds it and says why.
    assert "epsilon_opis" not in report.intervals
    assert report.epsilon_opis_withheld == expected["bootstrap"]["epsilonOPISWithheld"]
    assert "1000 classes" in report.epsilon_opis_withheld
    assert set(report.recall_at) == {1, 5}
    assert report.map_at_r == expected["retrieval"]["mapAtR"]
    assert report.settings["points"] == 51


def test_defaults_match_the_cli_defaults(data, tmp_path):
    embeddings, labels = data
    report = tcmscope.analyze(embeddings, labels, figure=False)
    expected, _ = run_cli("analyze", save(tmp_path, "e.npy", embeddings), save(tmp_path, "l.npy", labels), "--json")
    assert comparable(report.to_dict()) == comparable(expected)
    assert report.intervals is None and report.svg is None
    assert report.settings["rangeSpec"] == "global FAR 0.1 to 0.01"


def test_torch_tensors_give_the_numpy_report(data):
    embeddings, labels = data
    from_numpy = tcmscope.analyze(embeddings, labels, figure=False).to_dict()
    # float64, requiring grad, not contiguous (a transpose's transpose), labels as an int tensor.
    tensor = torch.tensor(embeddings.T, dtype=torch.float64, requires_grad=True).T
    from_torch = tcmscope.analyze(tensor * 1, torch.from_numpy(labels), figure=False).to_dict()
    assert comparable(from_torch) == comparable(from_numpy)


def test_string_labels_and_options(data):
    embeddings, labels = data
    names = np.array([f"class-{k:02d}" for k in labels])
    report = tcmscope.analyze(embeddings, names, retrieval=False, points=2, figure=False)
    assert report.recall_at is None and report.map_at_r is None
    assert {row["name"] for row in report.classes} == {f"class-{k:02d}" for k in range(12)}
    assert report.to_dict()["report"]["settings"]["points"] == 2


def test_the_jupyter_view_has_the_table_and_the_figure(data, monkeypatch):
    assert tcmscope.analyze(*data).svg is None  # outside a Jupyter kernel, no figure unless asked
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    report = tcmscope.analyze(*data, bootstrap=50)
    page = report._repr_html_()
    assert report.svg.startswith("<svg") or "<svg" in report.svg[:200]
    assert "<svg" in page and "OPIS" in page and "ε-OPIS" in page and "class" in page
    assert page.count("<tr>") >= 12 + 1
    assert "OPIS" in repr(report)
    assert "<svg" not in tcmscope.analyze(*data, figure=False)._repr_html_()


def test_a_tripped_gate_is_a_report_not_an_error(data):
    report = tcmscope.analyze(*data, fail_above_opis=0.0, figure=False)
    assert report.gate_tripped and report.opis > 0
    assert not tcmscope.analyze(*data, fail_above_opis=1.0, figure=False).gate_tripped


def test_epsilon_opis_interval_from_1000_classes():
    embeddings, labels = clusters(classes=1000, per_class=3, dim=8, seed=3)
    report = tcmscope.analyze(embeddings, labels, bootstrap=100, retrieval=False, figure=False)
    low, high = report.intervals["epsilon_opis"]
    assert report.epsilon_opis_withheld is None
    assert 0 <= low <= high <= 1
