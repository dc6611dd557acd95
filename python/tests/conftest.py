"""Shared data for the package's tests: clustered embeddings with uneven spreads per class, so
OPIS is not zero, written once where a test needs the CLI's view of the same arrays."""
import json
import os
import subprocess

import numpy as np
import pytest

import tcmscope


def clusters(classes=12, per_class=50, dim=16, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(classes, dim))
    spreads = np.linspace(0.4, 1.6, classes)
    labels = np.repeat(np.arange(classes), per_class)
    embeddings = centres[labels] + spreads[labels, None] * rng.normal(size=(classes * per_class, dim))
    return embeddings.astype(np.float32), labels


@pytest.fixture
def data():
    return clusters()


def run_cli(*arguments, cwd=None):
    """The binary itself, as a user runs it: (parsed JSON stdout, completed process)."""
    completed = subprocess.run([tcmscope.binary(), *arguments], capture_output=True, text=True, cwd=cwd)
    parsed = json.loads(completed.stdout) if completed.stdout.strip().startswith("{") else None
    return parsed, completed


def save(folder, name, array):
    path = os.path.join(folder, name)
    np.save(path, array)
    return path


# Fields that differ between two runs on the same data: wall-clock seconds and the input's paths.
def comparable(report):
    report = json.loads(json.dumps(report))
    report.pop("seconds", None)
    if "bootstrap" in report:
        report["bootstrap"].pop("seconds", None)
    for key in ("embeddings", "labels"):
        report.get("input", {}).pop(key, None)
    for key in ("source",):
        for side in ("a", "b"):
            report.get(side, {}).pop(key, None)
    return report
