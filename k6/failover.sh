#!/usr/bin/env bash
# k6/failover.sh stack|compose [REPLICA]: runs k6/failover.js and, mid-run, kills REPLICA (hits-2)
# and starts it again; exits with k6's status (0: no failed request, every page load counted once).
#   stack:   against ./stack up (k6 from PATH, or K6=/path/to/k6); reports in k6/out/
#   compose: against docker compose up; k6 runs in the compose k6 service; reports in k6/out/
# KILL_AFTER (4) and DOWN_FOR (4) are seconds (the load lasts about 20 s); extra k6 settings go in as env, e.g. ITERATIONS=10000.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-}"
replica="${2:-hits-2}"
kill_after="${KILL_AFTER:-4}"
down_for="${DOWN_FOR:-4}"

case "$mode" in
    stack)
        k6="${K6:-k6}"
        command -v "$k6" >/dev/null || { echo "failover.sh: k6 not found; see the README, 'Load testing'" >&2; exit 1; }
        mkdir -p k6/out
        "$k6" run k6/failover.js &
        kill_replica() { ./stack kill "$replica"; }
        start_replica() { ./stack start "$replica"; }
        ;;
    compose)
        mkdir -p k6/out
        docker compose --profile loadtest run --rm -e ITERATIONS -e VUS -e PACE_MS k6 run /scripts/failover.js &
        kill_replica() { docker compose kill "$replica"; }
        start_replica() { docker compose start "$replica"; }
        ;;
    *)
        echo "usage: k6/failover.sh stack|compose [REPLICA]   (REPLICA: hits-2 by default)" >&2
        exit 2
        ;;
esac
load=$!
# Whatever goes wrong from here, do not leave the load running.
trap 'kill "$load" 2>/dev/null || true' ERR INT TERM
sleep "$kill_after"
echo "failover.sh: killing $replica"
kill_replica
sleep "$down_for"
echo "failover.sh: starting $replica again"
start_replica
wait "$load"
