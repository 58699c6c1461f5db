# Sourced by k6/run.sh and k6/failover.sh: draw_timeline NAME OUT_DIR draws a finished run into
# OUT_DIR/NAME.html with Node (k6/timeline.js) and deletes the CSV once drawn. Without Node the report
# keeps its bar chart and says how to draw the timeline; a run that Node fails to draw returns 1.
draw_timeline() {
    local name=$1 out=$2
    if ! command -v node >/dev/null; then
        echo "no timeline: Node >= 18 draws it (then: node k6/timeline.js $name); the CSV stays in $out/$name.csv" >&2
        return 0
    fi
    if [ ! -d k6/node_modules/csv-parse ]; then
        echo "timeline: installing its CSV parser once (npm ci --prefix k6 --omit=dev)"
        npm ci --prefix k6 --omit=dev --no-audit --no-fund --silent || return 1
    fi
    OUT_DIR="$out" node k6/timeline.js "$name" && rm -f "$out/$name.csv"
}
