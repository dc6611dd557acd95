"""Hatchling build hook: builds the tcmscope binary with the Swift runtime linked statically and
puts it in the wheel's scripts (on the environment's PATH as `tcmscope`); tags the wheel
py3-none-<platform>, since the Python code is pure and the binary does not use Python's ABI."""
import os
import shutil
import subprocess
import sysconfig

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

SWIFT_BUILD = ["swift", "build", "-c", "release", "--static-swift-stdlib", "--product", "tcmscope"]
# What the binary may load at run time: README's system libraries, the C/C++ runtimes and the loader.
ALLOWED_LIBRARIES = ("libncursesw", "libtinfo", "libz.", "libc.", "libm.", "libstdc++", "libgcc_s", "ld-linux",
                     "libdl.", "libpthread.", "librt.", "linux-vdso", "libutil.")


class SwiftBinaryHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version, build_data):
        if self.target_name != "wheel":
            return
        if version == "editable":
            raise RuntimeError("tcmscope: editable installs are not supported; set TCMSCOPE_BINARY for development")
        subprocess.run(SWIFT_BUILD, cwd=self.root, check=True)
        bin_dir = subprocess.run(SWIFT_BUILD + ["--show-bin-path"], cwd=self.root, check=True,
                                 capture_output=True, text=True).stdout.strip()
        binary = self._stage(os.path.join(bin_dir, "tcmscope"))
        self._check_libraries(binary)
        build_data["shared_scripts"][binary] = "tcmscope"
        build_data["pure_python"] = False
        platform = sysconfig.get_platform().replace("-", "_").replace(".", "_")
        build_data["tag"] = f"py3-none-{platform}"

    def _stage(self, built):
        """A stripped copy in build/wheel-binary/ (86 MB -> 62 MB; the symbols serve only a
        debugger), the build's own binary left as it is."""
        folder = os.path.join(self.root, "build", "wheel-binary")
        os.makedirs(folder, exist_ok=True)
        staged = os.path.join(folder, "tcmscope")
        shutil.copy2(built, staged)
        if shutil.which("strip"):
            subprocess.run(["strip", staged], check=True)
        return staged

    @staticmethod
    def _check_libraries(binary):
        """Fails the build if the binary needs a shared library beyond README's system ones (a Swift
        runtime library would mean the static link did not happen)."""
        listing = subprocess.run(["ldd", binary], check=True, capture_output=True, text=True).stdout
        needed = [line.split()[0] for line in listing.splitlines() if line.strip()]
        foreign = [name for name in needed if not any(name.startswith(ok) or ok in name for ok in ALLOWED_LIBRARIES)]
        if foreign:
            raise RuntimeError(f"tcmscope: the binary needs libraries a wheel cannot assume: {', '.join(foreign)}")
