#!/usr/bin/env bash
# The Python wheel from this clone (issue 34): `pip wheel .` (hatch_build.py: a release build with the
# Swift runtime linked statically, stripped, checked with ldd), installed into a fresh venv with numpy,
# CPU torch, pytorch-metric-learning (+ record-keeper and tensorboard: its hooks' logging) and pytest,
# then the package's tests against the installed binary.
# Usage: scripts/check-python-wheel.sh [WORKDIR]   (default: a new temporary folder, removed afterwards)
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"
work="${1:-$(mktemp -d)}"
[ $# -ge 1 ] || trap 'rm -rf "$work"' EXIT
unset TCMSCOPE_BINARY   # the tests must run the installed binary, not a development build

python3 -m pip wheel "$repo" --no-deps -w "$work/wheelhouse"
python3 -m venv "$work/venv"
# The machines carry a CPU build of torch in pip's find-links folder (/opt/wheels); elsewhere PyPI's.
torch="torch"
for wheel in /opt/wheels/torch-*+cpu-*.whl; do [ -e "$wheel" ] && torch="$wheel"; done
"$work/venv/bin/pip" install -q "$work"/wheelhouse/tcmscope-*.whl "$torch" pytorch-metric-learning pytest \
    record-keeper tensorboard

# From outside the checkout, so `import tcmscope` is the installed package. Exit status 5 (no tests
# collected) is a failure like any other non-zero status, and so is a skipped test.
cd "$work"
set +e
"$work/venv/bin/python" -m pytest -q -rs -p no:cacheprovider "$repo/python/tests" 2>&1 | tee "$work/pytest.log"
status=${PIPESTATUS[0]}
set -e
if [ "$status" -ne 0 ]; then
    echo "CI: the Python package's tests failed (pytest exit status $status)" >&2
    exit 1
fi
if grep -qE "[0-9]+ skipped" "$work/pytest.log"; then
    echo "CI: Python tests were skipped" >&2
    exit 1
fi
