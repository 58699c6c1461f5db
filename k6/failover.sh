#!/usr/bin/env bash
# k6/failover.sh stack|compose [REPLICA]: runs k6/failover.js and, mid-run, kills REPLICA (hits-2)
# and starts it again; exits with k6's status (0: no failed request, every page load counted once).
# Then Node (k6/timeline.js) draws the run over time into k6/out/failover.html, the kill and the start
# marked: the run writes every sample to k6/out/failover.csv (deleted once drawn) and this script
# the moment of each action to k6/out/failover.events.
#   stack:   against ./stack up (k6 from PATH, or K6=/path/to/k6); reports in k6/out/
#   compose: against docker compose up; k6 runs in the compose k6 service; reports in k6/out/
# KILL_AFTER (4) and DOWN_FOR (4) are seconds (the load lasts about 20 s); extra k6 settings go in as env, e.g. ITERATIONS=10000.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-}"
replica="${2:-hits-2}"
kill_after="${KILL_AFTER:-4}"
down_for="${DOWN_FOR:-4}"

. k6/lib/timeline.sh

case "$mode" in
    stack)
        k6="${K6:-k6}"
        command -v "$k6" >/dev/null || { echo "failover.sh: k6 not found: install k6 v1.x (k6/README.md, 'Get k6'), or K6=/path/to/k6" >&2; exit 1; }
        k6_run=("$k6" run)
        out="${OUT_DIR:-k6/out}" scripts=k6
        host_out="$out"
        kill_replica() { ./stack kill "$replica"; }
        start_replica() { ./stack start "$replica"; }
        ;;
    compose)
        k6_run=(docker compose --profile loadtest run --rm -e ITERATIONS -e VUS -e PACE_MS k6 run)
        out=/out scripts=/scripts host_out=k6/out   # the k6 service's /out is k6/out
        kill_replica() { docker compose kill "$replica"; }
        start_replica() { docker compose start "$replica"; }
        ;;
    *)
        echo "usage: k6/failover.sh stack|compose [REPLICA]   (REPLICA: hits-2 by default)" >&2
        exit 2
        ;;
esac
mkdir -p "$host_out"
rm -f "$host_out/failover.csv" "$host_out/failover.events"
"${k6_run[@]}" --out "csv=fileName=$out/failover.csv,timeFormat=unix_milli" "$scripts/failover.js" &
load=$!
# Whatever goes wrong from here, do not leave the load running.
trap 'kill "$load" 2>/dev/null || true' ERR INT TERM
# "<unix ms> <what>" for the timeline (date's %N is GNU; elsewhere whole seconds). The kill is noted
# once its command returns, the replica dead (./stack's launcher takes seconds to get there); the
# start when issued (the replica answers seconds later, and the timeline shows how many).
event() {
    local now
    now="$(date +%s%3N)"
    [[ "$now" =~ ^[0-9]+$ ]] || now="$(date +%s)000"
    echo "$now $*" >>"$host_out/failover.events"
    echo "failover.sh: $*"
}
sleep "$kill_after"
kill_replica
event "kill $replica"
sleep "$down_for"
event "start $replica"
start_replica
status=0
wait "$load" || status=$?
trap - ERR INT TERM
# Drawn whatever the verdict (a failed run is the one whose timeline matters), unless k6 never started.
[ -s "$host_out/failover.csv" ] || exit "$status"
draw_timeline failover "$host_out" || { [ "$status" -ne 0 ] || status=1; }
exit "$status"
