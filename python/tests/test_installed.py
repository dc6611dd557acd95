"""The wheel as installed: the binary on the environment's PATH with only system libraries, the
bundled sample found from any folder, the package imported from site-packages. These check an
installation, so they do not apply to a development binary given by TCMSCOPE_BINARY."""
import json
import os
import shutil
import subprocess
import sys
import sysconfig

import pytest

import tcmscope

pytestmark = pytest.mark.skipif(bool(os.environ.get("TCMSCOPE_BINARY")),
                                reason="TCMSCOPE_BINARY names a development binary, not the installed wheel")

SYSTEM = ("linux-vdso", "libncursesw", "libtinfo", "libz.", "libm.", "libc.", "libstdc++", "libgcc_s", "ld-linux",
          "libdl.", "libpthread.", "librt.", "/lib64/ld-linux")


def test_the_binary_is_on_the_environments_path():
    scripts = sysconfig.get_path("scripts")
    assert tcmscope.binary() == os.path.join(scripts, "tcmscope")
    path = os.pathsep.join([scripts, os.environ.get("PATH", "")])
    assert shutil.which("tcmscope", path=path) == os.path.join(scripts, "tcmscope")
    assert tcmscope.__file__.startswith(sysconfig.get_path("purelib")) or tcmscope.__file__.startswith(
        sysconfig.get_path("platlib"))


def test_the_binary_needs_only_system_libraries():
    listing = subprocess.run(["ldd", tcmscope.binary()], capture_output=True, text=True, check=True).stdout
    libraries = [line.split()[0] for line in listing.splitlines() if line.strip()]
    assert libraries and not [name for name in libraries if not name.startswith(SYSTEM)], listing
    assert "swift" not in listing.lower()


def test_the_bundled_sample_is_found_through_path_from_any_folder(tmp_path):
    # Through PATH, as a user types it: argv[0] is the bare name.
    env = dict(os.environ, PATH=os.pathsep.join([os.path.dirname(tcmscope.binary()), os.environ.get("PATH", "")]))
    completed = subprocess.run(["tcmscope", "analyze", "--json", "--no-retrieval"], capture_output=True, text=True,
                               cwd=tmp_path, env=env)
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout)
    assert report["input"]["samples"] == 10000 and report["input"]["classes"] == 10
    assert report["input"]["embeddings"].endswith("share/tcmscope/sample-data/baseline/eval-embeddings.npy")
    assert report["input"]["embeddings"].startswith(sys.prefix)


def test_the_package_version_is_the_binarys():
    completed = subprocess.run([tcmscope.binary(), "--version"], capture_output=True, text=True, check=True)
    assert tcmscope.__version__ == completed.stdout.strip()
