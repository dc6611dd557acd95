"""dash() opens the dashboard in the terminal Python runs in (tmux here) and returns on q."""
import os
import shutil
import subprocess
import sys
import time

import numpy as np

from conftest import clusters

SCRIPT = """
import sys, numpy as np, tcmscope
data = np.load(sys.argv[1])
tcmscope.dash(data["embeddings"], data["labels"])
open(sys.argv[2], "w").write("returned")
"""


def test_dash_shows_the_arrays_and_returns_on_q(tmp_path):
    assert shutil.which("tmux"), "tmux is needed for this test (.ci/run installs it)"
    embeddings, labels = clusters(classes=6, per_class=30, dim=8)
    np.savez(tmp_path / "data.npz", embeddings=embeddings, labels=labels)
    (tmp_path / "run.py").write_text(SCRIPT)
    marker = tmp_path / "returned"
    # A private tmux server, so the session gets this process's environment (TCMSCOPE_BINARY, PATH).
    tmux = ["tmux", "-L", f"tcmscope-pytest-{os.getpid()}"]
    command = f"{sys.executable} {tmp_path / 'run.py'} {tmp_path / 'data.npz'} {marker}"
    subprocess.run(tmux + ["new-session", "-d", "-s", "dash", "-x", "120", "-y", "40", command], check=True)
    try:
        screen = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not ("6 classes" in screen and "OPIS" in screen):
            time.sleep(0.5)
            screen = subprocess.run(tmux + ["capture-pane", "-p", "-t", "dash"], capture_output=True,
                                    text=True).stdout
        assert "TCMScope" in screen and "6 classes" in screen and "embeddings.npy" in screen, screen
        subprocess.run(tmux + ["send-keys", "-t", "dash", "q"], check=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not marker.exists():
            time.sleep(0.2)
        assert marker.read_text() == "returned"
    finally:
        subprocess.run(tmux + ["kill-server"], capture_output=True)
