#!/usr/bin/env bash
# k6/smoke.sh: a short run of every k6 script against a throwaway ./stack, thresholds enforced (CI runs
# it; so can you). Each must pass, and distribution.js must fail, naming hits-2, once hits-2 is stopped:
# a check that cannot fail proves nothing. Every run goes through k6/run.sh or k6/failover.sh, so each
# report must have its timeline drawn, the failover's with the kill and the start marked. Needs k6 on
# PATH (or K6=/path/to/k6), and for sticky an nginx >= 1.29.6 (tools/modern-nginx fetch; .ci/run
# fetches it). About 2 minutes.
# PORT (28080) picks the stack's ports as for ./stack up --port; its state goes to a temporary folder.
set -euo pipefail
cd "$(dirname "$0")/.."
k6="${K6:-k6}"
command -v "$k6" >/dev/null || { echo "smoke.sh: k6 not found; see the README, 'Load testing'" >&2; exit 1; }
port="${PORT:-28080}"
export HITS_STACK_HOME="$(mktemp -d)" BASE_URL="http://127.0.0.1:$port" K6="$k6"
trap './stack down >/dev/null 2>&1 || true; rm -rf "$HITS_STACK_HOME"' EXIT
mkdir -p k6/out

step() { printf '\n==> %s\n' "$*"; }

# k6 only logs a summary file it cannot write and still exits 0: each run here must leave its reports,
# and the HTML its timeline showing each of the marks after the name (the SVG's text).
fresh_reports() { rm -f "k6/out/$1".{json,html,csv,events}; }
check_reports() {
    local name=$1 f mark
    shift
    for f in "k6/out/$name.json" "k6/out/$name.html"; do
        [ -s "$f" ] || { echo "smoke.sh: k6 did not write $f (see k6's output above)" >&2; exit 1; }
    done
    for mark in 'per instance over the run' "$@"; do
        grep -q -F "$mark" "k6/out/$name.html" \
            || { echo "smoke.sh: k6/out/$name.html has no timeline showing '$mark' (see k6/timeline.js's output above)" >&2; exit 1; }
    done
}

step "round_robin: distribution, then failover (kill and start hits-2 mid-load)"
./stack up --port "$port"
fresh_reports distribution
k6/run.sh distribution -q -e ITERATIONS=900
check_reports distribution
fresh_reports failover
ITERATIONS=8000 KILL_AFTER=3 DOWN_FOR=3 k6/failover.sh stack 2>&1 | grep -v -E '^(running|failover +\[)'
check_reports failover '>kill hits-2</text>' '>start hits-2</text>'

step "distribution with hits-2 stopped: must fail (exit 99) and name hits-2"
./stack stop hits-2
fresh_reports distribution
set +e
output="$(k6/run.sh distribution -q -e ITERATIONS=300 2>&1)"
status=$?
set -e
echo "$output" | grep -E 'hits-2|verdict'
if [ "$status" -ne 99 ] || ! echo "$output" | grep -q 'hits-2 .*FAIL: starved'; then
    echo "smoke.sh: expected exit 99 naming hits-2 as starved, got exit $status" >&2
    exit 1
fi
check_reports distribution 'hits-2 (0)'
./stack down

# affinity.js under ALGORITHM ($1) on a stack running it; the rest are k6 options.
affinity() {
    local algorithm=$1
    shift
    ./stack up --port "$port" --algorithm "$algorithm"
    fresh_reports affinity
    k6/run.sh affinity -q -e ALGORITHM="$algorithm" "$@"
    check_reports affinity
    ./stack down
}

step "hash: affinity by X-Client-Id"
affinity hash

step "ip_hash: affinity by source address (40 clients, each from its own 127.0.N.1)"
affinity ip_hash --local-ips "$(seq -s, -f '127.0.%g.1' 1 40)"

# On the modern nginx ./stack finds (NGINX_BIN, else the one tools/modern-nginx fetch cached; .ci/run fetches it).
step "sticky: affinity by the route cookie nginx sets (k6 keeps each client's cookies)"
affinity sticky
echo
echo "k6 smoke: every script passed, and a starved replica failed the distribution run."
