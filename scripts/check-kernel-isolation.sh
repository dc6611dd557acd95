#!/usr/bin/env bash
# Fails if any compiled object outside TCMKernelsAVX512 contains an AVX-512 (zmm) instruction.
#
# Why: only TCMKernelsAVX512 is compiled with the AVX-512 flags, and its code runs only after
# cpuid said so. Inlined or generic code is compiled with the caller's flags, so a slip (an
# @inlinable kernel, a flag in the wrong target) would put zmm code on the AVX2 path, and the
# binary would die with SIGILL on an AVX2-only CPU. Usage: scripts/check-kernel-isolation.sh [build-dir]
# (default: .build/release, else .build/debug). Off x86-64 there is nothing to check.
set -euo pipefail
cd "$(dirname "$0")/.."

[ "$(uname -m)" = "x86_64" ] || { echo "check-kernel-isolation: not x86-64, nothing to check"; exit 0; }
dir="${1:-}"
if [ -z "$dir" ]; then
    if [ -d .build/release ]; then dir=.build/release; else dir=.build/debug; fi
fi
[ -d "$dir" ] || { echo "check-kernel-isolation: no build directory $dir (build first)" >&2; exit 2; }

objects=$(find -L "$dir" -name '*.o' -path '*.build/*' | grep -v '/TCMKernelsAVX512.build/' || true)
[ -n "$objects" ] || { echo "check-kernel-isolation: no objects under $dir" >&2; exit 2; }
avx512_objects=$(find -L "$dir" -name '*.o' -path '*/TCMKernelsAVX512.build/*')
[ -n "$avx512_objects" ] || { echo "check-kernel-isolation: TCMKernelsAVX512 objects missing under $dir" >&2; exit 2; }

bad=0
for o in $objects; do
    # grep -c reads all input (grep -q would close the pipe early, and pipefail would call that a failure).
    if [ "$(objdump -d --no-show-raw-insn "$o" | grep -c '%zmm' || true)" -gt 0 ]; then
        echo "check-kernel-isolation: zmm instructions in $o (only TCMKernelsAVX512 may use AVX-512)" >&2
        bad=1
    fi
done
# The check must be able to see zmm code at all: the AVX-512 target itself has it.
if [ "$(for o in $avx512_objects; do objdump -d --no-show-raw-insn "$o"; done | grep -c '%zmm' || true)" -eq 0 ]; then
    echo "check-kernel-isolation: no zmm code in TCMKernelsAVX512 either: is it built with the AVX-512 flags?" >&2
    bad=1
fi
[ "$bad" -eq 0 ] && echo "check-kernel-isolation: $(echo "$objects" | wc -l) objects outside TCMKernelsAVX512 have no zmm code"
exit "$bad"
