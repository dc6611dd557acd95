"""Where the `tcmscope` binary is, the system libraries it needs, and how a run of it ends."""
import ctypes
import os
import shutil
import subprocess
import sys
import sysconfig

# The binary links the Swift runtime statically; what remains are README's system libraries and
# the C++ runtime the static Swift runtime calls (glibc is Python's own).
SYSTEM_LIBRARIES = (
    ("libncursesw.so.6", "ncursesw (Debian/Ubuntu: apt-get install libncursesw6)"),
    ("libz.so.1", "zlib (Debian/Ubuntu: apt-get install zlib1g)"),
    ("libstdc++.so.6", "the C++ runtime (Debian/Ubuntu: apt-get install libstdc++6)"),
)


class TCMScopeError(Exception):
    """The binary refused the input or failed: `message` is its one-line error, `status` its exit
    status (docs/guarantees.md: 2 bad input, 64 bad command line, ...)."""

    def __init__(self, message, status, stderr=""):
        super().__init__(f"{message} (exit status {status})")
        self.message = message
        self.status = status
        self.stderr = stderr


def missing_system_libraries():
    """The names of the system libraries the binary needs that the dynamic loader cannot find."""
    missing = []
    for soname, description in SYSTEM_LIBRARIES:
        try:
            ctypes.CDLL(soname)
        except OSError:
            missing.append(f"{soname}: {description}")
    return missing


def check_system_libraries():
    missing = missing_system_libraries()
    if missing:
        raise ImportError("tcmscope: the binary needs system libraries that are missing: " + "; ".join(missing))


def binary():
    """The binary: $TCMSCOPE_BINARY (a development build), else the one this wheel installed in
    the environment's scripts folder, else `tcmscope` on PATH."""
    override = os.environ.get("TCMSCOPE_BINARY")
    if override:
        if not os.access(override, os.X_OK):
            raise TCMScopeError(f"TCMSCOPE_BINARY={override} is not an executable file", 127)
        return override
    candidates = [os.path.join(sysconfig.get_path("scripts"), "tcmscope")]
    candidates.append(os.path.join(os.path.dirname(sys.executable), "tcmscope"))
    for candidate in candidates:
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("tcmscope")
    if found:
        return found
    raise TCMScopeError("the tcmscope binary was not found (pip install the wheel, or set TCMSCOPE_BINARY)", 127)


def error_line(stderr):
    """The binary's one-line message (`tcmscope: error: ...`), else stderr's last line."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith("tcmscope: error:"):
            return line
    return lines[-1] if lines else "tcmscope ended without a message"


def run(arguments, rename=None, accept=(0,)):
    """Runs the binary with `arguments`; returns (stdout, status) when the status is in `accept`,
    else raises TCMScopeError. `rename` maps temporary paths to the names the user knows."""
    completed = subprocess.run([binary(), *arguments], capture_output=True, text=True)
    if completed.returncode in accept:
        return completed.stdout, completed.returncode
    message = error_line(completed.stderr)
    for path, name in (rename or {}).items():
        message = message.replace(path, name)
    status = completed.returncode if completed.returncode >= 0 else 128 - completed.returncode
    raise TCMScopeError(message, status, completed.stderr)
