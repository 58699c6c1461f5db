#!/usr/bin/env bash
# k6/run.sh distribution|affinity|failover [k6 run options]: k6 run k6/<script>.js, then Node draws
# that run over time into its report (k6/timeline.js), k6/out/<script>.html (page loads a second per instance,
# failed requests). The run writes every sample to k6/out/<script>.csv, deleted once drawn. Exits
# with the run's status (99: a threshold failed). k6 from PATH, or K6=/path/to/k6.
#   k6/run.sh distribution -e ITERATIONS=900
#   k6/run.sh affinity -e ALGORITHM=hash
# For failover.js with a replica killed mid-run: k6/failover.sh, which also marks the kill and start.
set -euo pipefail
cd "$(dirname "$0")/.."
script="${1:-}"
case "$script" in
    distribution | affinity | failover) shift ;;
    *)
        echo "usage: k6/run.sh distribution|affinity|failover [k6 run options, e.g. -e ITERATIONS=900]" >&2
        exit 2
        ;;
esac
k6="${K6:-k6}"
command -v "$k6" >/dev/null || { echo "run.sh: k6 not found: install k6 v1.x (k6/README.md, 'Get k6'), or K6=/path/to/k6" >&2; exit 1; }
. k6/lib/timeline.sh
out="${OUT_DIR:-k6/out}"
mkdir -p "$out"
rm -f "$out/$script.csv" "$out/$script.events"   # events: k6/failover.sh's, of an earlier run
status=0
"$k6" run --out "csv=fileName=$out/$script.csv,timeFormat=unix_milli" "$@" "k6/$script.js" || status=$?
# Drawn whatever the verdict (a failed run is the one whose timeline matters), unless k6 never started.
[ -s "$out/$script.csv" ] || exit "$status"
draw_timeline "$script" "$out" || { [ "$status" -ne 0 ] || status=1; }
exit "$status"
