#!/usr/bin/env bash
# Sharded analysis overhead (docs/scaling-out.md): one analyze, then 8 shards one after another,
# then merge; wall, user and sys seconds and peak KB of each; twice. Compares the merged report with
# the single one. Usage: Benchmarks/shard-overhead.sh EMB.npy LABELS.npy  (TCMSCOPE=path to the binary)
set -uo pipefail
R="${TCMSCOPE:-.build/release/tcmscope}"
E="$(realpath "${1:?embeddings .npy}")"; L="$(realpath "${2:?labels .npy}")"; R="$(realpath "$R")"
work="$(mktemp -d)"; cd "$work"
t() { /usr/bin/time -f "%e %U %S %M" -o "$work/t.txt" "$@" > /dev/null; cat "$work/t.txt"; }
for rep in 1 2; do
    echo "rep $rep single $(t $R analyze $E $L --json)"
    for k in 0 1 2 3 4 5 6 7; do echo "rep $rep shard $k $(t $R analyze $E $L --shard $k/8 --counts-out part-$k.tcmc)"; done
    echo "rep $rep merge $(t $R merge part-0.tcmc part-1.tcmc part-2.tcmc part-3.tcmc part-4.tcmc part-5.tcmc part-6.tcmc part-7.tcmc --json)"; $R analyze $E $L --json | grep -v seconds > s.json; $R merge part-*.tcmc --json | grep -v seconds > m.json; cmp s.json m.json && echo "rep $rep IDENTICAL"; ls -l part-*.tcmc | awk "{print \$5}" | tr "\n" " "; echo
done
