"""The binary's errors as TCMScopeError (its one line and exit status); bad arrays refused in
Python before any file is written."""
import ctypes
import io
import os

import numpy as np
import pytest
import torch

import tcmscope
from tcmscope import _arrays, _binary


def test_a_flag_out_of_range_is_the_cli_message_and_status_64(data):
    with pytest.raises(tcmscope.TCMScopeError) as caught:
        tcmscope.analyze(*data, points=1)
    assert caught.value.message == "tcmscope: error: --points 1 is out of range; allowed: [2, 4096] (see --help)"
    assert caught.value.status == 64
    assert "(exit status 64)" in str(caught.value)


def test_bad_data_is_status_2_and_names_the_array_not_a_temporary_file(data):
    embeddings, labels = data
    embeddings = embeddings.copy()
    embeddings[3] = 0
    with pytest.raises(tcmscope.TCMScopeError) as caught:
        tcmscope.analyze(embeddings, labels)
    assert caught.value.status == 2
    assert caught.value.message.startswith("tcmscope: error: embeddings: zero vectors")
    assert "rows 3" in caught.value.message and "tcmscope-" not in caught.value.message
    assert tcmscope.analyze(embeddings, labels, drop_zero_vectors=True, figure=False).to_dict()["input"][
        "droppedZeroVectorRows"] == [3]


@pytest.fixture
def no_files(monkeypatch):
    """Fails the test if anything is staged: refusals must come before the first file."""
    def refuse(*args, **kwargs):
        raise AssertionError("a file was written before the input was checked")
    monkeypatch.setattr(_arrays.tempfile, "mkdtemp", refuse)
    monkeypatch.setattr(_arrays.np, "save", refuse)


@pytest.mark.parametrize("embeddings, kind, text", [
    (np.ones(10, dtype=np.float32), ValueError, "embeddings: expected a 2-D array (N x D), got shape (10,)"),
    (np.ones((2, 3, 4), dtype=np.float32), ValueError, "got shape (2, 3, 4)"),
    (np.ones((0, 4), dtype=np.float32), ValueError, "at least one row and one column"),
    (np.ones((10, 4), dtype=np.complex64), TypeError, "expected real numbers (float or integer), got dtype complex64"),
    (np.full((10, 4), "x"), TypeError, "got dtype <U1"),
])
def test_wrong_shapes_and_dtypes_are_refused_first(no_files, embeddings, kind, text):
    with pytest.raises(kind) as caught:
        tcmscope.analyze(embeddings, np.zeros(len(embeddings), dtype=np.int64))
    assert text in str(caught.value)


def test_a_nan_row_is_named_and_refused_first(no_files, data):
    embeddings, labels = data
    embeddings = embeddings.copy()
    embeddings[7, 2] = np.nan
    with pytest.raises(ValueError, match=r"^embeddings: row 7 holds NaN or infinity$"):
        tcmscope.analyze(embeddings, labels)
    tensor = torch.from_numpy(embeddings)
    tensor[7, 2] = float("inf")
    with pytest.raises(ValueError, match="row 7 holds NaN or infinity"):
        tcmscope.compare(data[0], tensor, labels)
    with pytest.raises(ValueError, match="row 7"):
        tcmscope.write_snapshot("unused", "run", 1, embeddings, labels)


def test_bad_labels_and_options_are_refused_first(no_files, data):
    embeddings, labels = data
    with pytest.raises(ValueError, match="599 labels for 600 embedding rows"):
        tcmscope.analyze(embeddings, labels[:-1])
    with pytest.raises(ValueError, match="whole numbers"):
        tcmscope.analyze(embeddings, labels + 0.5)
    with pytest.raises(TypeError, match=r"unknown option\(s\) far_rnage"):
        tcmscope.analyze(embeddings, labels, far_rnage=(0.1, 0.01))
    with pytest.raises(ValueError, match="the same rows"):
        tcmscope.compare(embeddings, embeddings[:-1], labels)


def test_no_temporary_folder_is_left_behind(data, tmp_path, monkeypatch):
    monkeypatch.setattr(_arrays.tempfile, "tempdir", str(tmp_path))
    tcmscope.analyze(*data, figure=False)
    with pytest.raises(tcmscope.TCMScopeError):
        tcmscope.analyze(*data, points=1)
    assert os.listdir(tmp_path) == []


def test_a_missing_system_library_is_named(monkeypatch):
    real = ctypes.CDLL

    def loader(name, *args, **kwargs):
        if name == "libz.so.1":
            raise OSError("libz.so.1: cannot open shared object file")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(_binary.ctypes, "CDLL", loader)
    with pytest.raises(ImportError) as caught:
        _binary.check_system_libraries()
    assert str(caught.value) == ("tcmscope: the binary needs system libraries that are missing: "
                                 "libz.so.1: zlib (Debian/Ubuntu: apt-get install zlib1g)")


def test_dash_without_a_terminal_says_so(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO())
    with pytest.raises(tcmscope.TCMScopeError, match="dash needs a terminal"):
        tcmscope.dash()
