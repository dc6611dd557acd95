"""tcmscope.pml.AccuracyCalculator: PML's metrics unchanged, OPIS and ε-OPIS equal to analyze(),
and reported by PML's tester and its logging hook (record-keeper's CSV)."""
import math
import csv
import os

import pytest
import torch
from pytorch_metric_learning import testers
from pytorch_metric_learning.utils import accuracy_calculator as pml_accuracy
from pytorch_metric_learning.utils import logging_presets

import tcmscope
from tcmscope.pml import AccuracyCalculator, _torch_knn


def test_opis_beside_pml_metrics_equals_analyze(data):
    embeddings, labels = data
    query, query_labels = torch.from_numpy(embeddings), torch.from_numpy(labels)
    metrics = ("precision_at_1", "mean_average_precision_at_r")
    ours = AccuracyCalculator(include=metrics + ("opis", "epsilon_opis"), k="max_bin_count")
    result = ours.get_accuracy(query, query_labels)
    plain = pml_accuracy.AccuracyCalculator(include=metrics, k="max_bin_count", knn_func=_torch_knn())
    expected = plain.get_accuracy(query, query_labels)
    report = tcmscope.analyze(embeddings, labels, figure=False)
    assert result == {**expected, "opis": report.opis, "epsilon_opis": report.epsilon_opis}
    assert 0 < result["opis"] < result["epsilon_opis"]


def test_intervals_on_request_and_options(data):
    embeddings, labels = data
    options = {"far_range": (1e-1, 1e-3), "points": 41}
    calculator = AccuracyCalculator(include=("opis", "opis_low", "opis_high", "epsilon_opis_low", "epsilon_opis_high"),
                                    bootstrap=200, options=options)
    result = calculator.get_accuracy(torch.from_numpy(embeddings).double(), torch.from_numpy(labels))
    report = tcmscope.analyze(embeddings, labels, bootstrap=200, figure=False, **options)
    assert (result["opis_low"], result["opis_high"]) == report.intervals["opis"]
    # 12 classes: analyze withholds ε-OPIS's interval, and the calculator reports NaN for it.
    assert "epsilon_opis" not in report.intervals
    assert math.isnan(result["epsilon_opis_low"]) and math.isnan(result["epsilon_opis_high"])
    assert result["opis"] == report.opis
    assert "opis_low" not in AccuracyCalculator(k="max_bin_count").get_curr_metrics()
    with pytest.raises(ValueError, match="opis_low need bootstrap=B"):
        AccuracyCalculator(include=("opis_low",))


def test_the_tester_and_the_hook_report_opis(data, tmp_path):
    embeddings, labels = data
    dataset = torch.utils.data.TensorDataset(torch.from_numpy(embeddings), torch.from_numpy(labels))
    calculator = AccuracyCalculator(include=("precision_at_1", "opis", "epsilon_opis"), k="max_bin_count")
    record_keeper, _, _ = logging_presets.get_record_keeper(str(tmp_path / "logs"), str(tmp_path / "tensorboard"))
    assert record_keeper is not None, "pip install record-keeper tensorboard (PML's logging presets need them)"
    hooks = logging_presets.get_hook_container(record_keeper, primary_metric="precision_at_1")
    tester = testers.GlobalEmbeddingSpaceTester(accuracy_calculator=calculator, dataloader_num_workers=0,
                                                end_of_testing_hook=hooks.end_of_testing_hook)
    accuracies = tester.test({"val": dataset}, 1, torch.nn.Identity())
    report = tcmscope.analyze(embeddings, labels, figure=False)
    assert accuracies["val"]["opis_level0"] == pytest.approx(report.opis, rel=1e-12)
    assert accuracies["val"]["epsilon_opis_level0"] == pytest.approx(report.epsilon_opis, rel=1e-12)
    assert "precision_at_1_level0" in accuracies["val"]
    # The hook's record: the CSV PML's logging presets write, OPIS beside Precision@1.
    record_keeper.save_records()
    logs = os.listdir(tmp_path / "logs")
    [table] = [name for name in logs if name.startswith("accuracies_") and name.endswith(".csv")]
    with open(tmp_path / "logs" / table) as file:
        [row] = list(csv.DictReader(file))
    assert float(row["opis_level0"]) == pytest.approx(report.opis, rel=1e-12)
    assert float(row["epsilon_opis_level0"]) == pytest.approx(report.epsilon_opis, rel=1e-12)
    assert "precision_at_1_level0" in row
