#!/usr/bin/env bash
# One task of a sharded TCMScope analysis, as a Slurm job array. Each task computes its part of the
# pair pass (--shard auto reads SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT) and writes a count
# file; `tcmscope merge` turns the parts into the report (docs/scaling-out.md).
#
#   export EMB=/data/gallery_e.npy LABELS=/data/gallery_l.npy OUT=/shared/tcm-run1
#   mkdir -p "$OUT"
#   sbatch --wait --array=0-63 --cpus-per-task=8 scripts/slurm-array.sh
#   tcmscope merge "$OUT"/part-*.tcmc --out "$OUT/report.json"
#
# OUT must be on a file system every node sees. Any array range works (1-64, 0-126:2): --shard auto
# numbers the tasks from 0. Extra analyze options (--k, --no-retrieval) go in ANALYZE_OPTIONS and
# must be the same for every task (merge refuses parts of different settings).
#SBATCH --job-name=tcmscope-shard
#SBATCH --output=tcmscope-shard-%A_%a.log
set -euo pipefail
: "${EMB:?set EMB to the embeddings file}" "${LABELS:?set LABELS to the labels file}" "${OUT:?set OUT to a shared directory}"
TCMSCOPE="${TCMSCOPE:-tcmscope}"
threads=()
[ -n "${SLURM_CPUS_PER_TASK:-}" ] && threads=(--threads "$SLURM_CPUS_PER_TASK")
# shellcheck disable=SC2086  # ANALYZE_OPTIONS is a list of options.
exec "$TCMSCOPE" analyze "$EMB" "$LABELS" --shard auto "${threads[@]}" ${ANALYZE_OPTIONS:-} \
    --counts-out "$OUT/part-${SLURM_ARRAY_TASK_ID}.tcmc"
