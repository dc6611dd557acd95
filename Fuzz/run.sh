#!/usr/bin/env bash
# Builds every libFuzzer target in Fuzz/Sources/ (one directory each) and runs each for SECONDS
# (default 60) over its seed corpus Fuzz/corpus/<target>/. Exits non-zero on any finding (crash,
# sanitizer report, leak, timeout, out-of-memory); the input is kept in .build-fuzz/findings/<target>/.
# Usage: Fuzz/run.sh [SECONDS] [TARGET…]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"; shift || true
scratch=.build-fuzz

# Both spellings are needed. `--sanitize=fuzzer` makes SwiftPM link libFuzzer's main in place of the
# executables' entry points (with `-Xswiftc` alone the link fails on an undefined `<target>_main`).
# `-Xswiftc -sanitize=fuzzer,address` instruments every module: SwiftPM passes each `--sanitize` as
# its own `-sanitize=` flag and swiftc keeps only the last, so `--sanitize=fuzzer --sanitize=address`
# silently builds without coverage. -parse-as-library: the targets have no top-level code.
mkdir -p "$scratch"
if ! swift build --package-path Fuzz -c release --scratch-path "$scratch" --sanitize=fuzzer \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library >"$scratch/build.log" 2>&1; then
    grep -v "ld.gold: warning: Cannot export local symbol" "$scratch/build.log" >&2
    echo "fuzz: build failed" >&2
    exit 1
fi
bin="$(swift build --package-path Fuzz -c release --scratch-path "$scratch" --show-bin-path)"
# A build without coverage would "fuzz" blindly and never find anything: refuse it.
sections="$(objdump -h "$scratch/release/TCMData.build/NPY.swift.o")"
if [[ "$sections" != *__sancov_cntrs* ]]; then
    echo "fuzz: the parsers were built without coverage instrumentation" >&2
    exit 1
fi

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    for dir in Fuzz/Sources/*/; do targets+=("$(basename "$dir")"); done
fi

# A crash should end the run at once, not wait for Swift's backtracer.
export SWIFT_BACKTRACE=enable=no
status=0
for target in "${targets[@]}"; do
    [ -x "$bin/$target" ] || { echo "fuzz: $target was not built" >&2; status=1; continue; }
    work="$scratch/corpus/$target"; findings="$scratch/findings/$target"
    mkdir -p "$work" "$findings" "Fuzz/corpus/$target"
    log="$scratch/$target.log"
    # New inputs go to the scratch corpus (first directory); the committed seeds are only read.
    if timeout $((seconds + 120)) "$bin/$target" "$work" "Fuzz/corpus/$target" \
        -max_total_time="$seconds" -max_len=8192 -rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=10 \
        -artifact_prefix="$findings/" -print_final_stats=1 >"$log" 2>&1; then
        runs=$(grep -Eo "stat::number_of_executed_units: *[0-9]+" "$log" | grep -Eo "[0-9]+$" || echo "?")
        echo "fuzz: $target: $runs executions in ${seconds} s, no finding"
    else
        echo "fuzz: $target: FINDING (log $log, input in $findings/)" >&2
        grep -E "ERROR|Fatal error|SUMMARY|Test unit written" "$log" | head -5 >&2 || true
        status=1
    fi
done
exit $status
