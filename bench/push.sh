#!/usr/bin/env bash
# bench/push.sh: HTTP requests and wall time of `calport push` for a generated calendar,
# against calport-fake-google with injected latency, compared with the baseline of one
# request per event sent one after another (--batch-size 1 --concurrency 1).
#
# Knobs: PUSH_EVENTS=10000, PUSH_LATENCY_MS=50, PUSH_SEED=1, PUSH_SWEEP="10 100 250"
# (extra batch sizes measured at the default concurrency; empty: none), PUSH_BASELINE=1
# (0 skips the slow baseline), BENCH_SCRATCH=.build (the SwiftPM scratch path).
# The report (a markdown table) goes to stdout and .bench/push.md; progress to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."

EVENTS=${PUSH_EVENTS:-10000}
LATENCY=${PUSH_LATENCY_MS:-50}
SEED=${PUSH_SEED:-1}
SWEEP=${PUSH_SWEEP-10 100 250}
BASELINE=${PUSH_BASELINE:-1}
SCRATCH=${BENCH_SCRATCH:-.build}
OUT=.bench
mkdir -p "$OUT"
log() { echo "bench: $*" >&2; }

log "building calport and calport-fake-google (release, scratch path $SCRATCH)"
swift build -c release --scratch-path "$SCRATCH" >"$OUT/push-build.log" 2>&1 || { tail -n 20 "$OUT/push-build.log" >&2; exit 1; }
BIN=$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)

ICS="$OUT/push-$EVENTS-$SEED.ics"
if [ ! -f "$ICS" ]; then
    log "generating $ICS"
    python3 bench/gencal.py --events "$EVENTS" --seed "$SEED" -o "$ICS" 2>/dev/null
fi

STATE=$(mktemp -d)
FAKE_PID=
stop_fake() {
    if [ -n "$FAKE_PID" ]; then kill -TERM "$FAKE_PID" 2>/dev/null || true; wait "$FAKE_PID" 2>/dev/null || true; FAKE_PID=; fi
}
trap stop_fake EXIT

# start_fake STATS: a fresh fake (empty calendar) with the latency; sets ROOT.
start_fake() {
    local fifo="$OUT/push-fake.out"
    rm -f "$fifo"
    rm -rf "$STATE" && mkdir -p "$STATE"  # a fresh journal for a fresh calendar
    "$BIN/calport-fake-google" --latency-ms "$LATENCY" --stats "$1" >"$fifo" 2>"$OUT/push-fake.err" &
    FAKE_PID=$!
    for _ in $(seq 100); do
        ROOT=$(sed -n 's/^CALPORT_GOOGLE_API_ROOT=//p' "$fifo" 2>/dev/null | head -n 1)
        [ -n "$ROOT" ] && return 0
        sleep 0.05
    done
    log "the fake did not start"; exit 1
}

# push_once NAME ARGS...: runs one push; sets WALL and RC.
ROWS="$OUT/push-rows.txt"
: >"$ROWS"
push_once() {
    local name=$1; shift
    local rc=0 t0 t1
    t0=$(date +%s.%N)
    CALPORT_GOOGLE_API_ROOT=$ROOT CALPORT_ACCESS_TOKEN=bench-token CALPORT_STATE_DIR="$STATE" CALPORT_CONFIG_DIR="$STATE/config" \
        "$BIN/calport" push "$ICS" --calendar primary --quiet "$@" >/dev/null 2>"$OUT/push-$name.err" || rc=$?
    t1=$(date +%s.%N)
    WALL=$(echo "$t1 - $t0" | bc)
    # 3: some events were rejected (gencal makes a few overrides of cancelled series, which
    # Google cannot hold); anything else is a failure.
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then log "push $name failed (exit $rc):"; tail -n 5 "$OUT/push-$name.err" >&2; fi
    RC=$rc
}
record() {  # NAME STATS [REQUESTS TO LEAVE OUT]
    stop_fake
    local requests
    requests=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["requests"] - int(sys.argv[2]))' "$2" "${3:-0}")
    echo "$1|$requests|$WALL|$RC" >>"$ROWS"
    log "$1: $requests requests, ${WALL}s, exit $RC"
}

log "$EVENTS events, ${LATENCY} ms latency"
# Each measured run gets its own fake (an empty calendar).
start_fake "$OUT/push-stats-default.json"; push_once default --report "$OUT/push-report-default.json"
# The same push again, into the same calendar: everything is there, nothing is sent.
FIRST_WALL=$WALL FIRST_RC=$RC
push_once rerun --report "$OUT/push-report-rerun.json"
RERUN_WALL=$WALL RERUN_REQUESTS=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["requests"])' "$OUT/push-report-rerun.json")
WALL=$FIRST_WALL RC=$FIRST_RC
# The fake counted both pushes: the second one's requests (from its report) are left out.
record "default (--batch-size 50 --concurrency 4)" "$OUT/push-stats-default.json" "$RERUN_REQUESTS"
echo "rerun-total|$RERUN_REQUESTS|$RERUN_WALL|0" >>"$ROWS"
for b in $SWEEP; do
    start_fake "$OUT/push-stats-b$b.json"; push_once "b$b" --batch-size "$b"; record "--batch-size $b --concurrency 4" "$OUT/push-stats-b$b.json"
done
start_fake "$OUT/push-stats-c1.json"; push_once c1 --concurrency 1; record "--batch-size 50 --concurrency 1" "$OUT/push-stats-c1.json"
if [ "$BASELINE" = 1 ]; then
    log "baseline: one request per event, one after another (this takes a while)"
    start_fake "$OUT/push-stats-baseline.json"; push_once baseline --batch-size 1 --concurrency 1
    record "baseline (--batch-size 1 --concurrency 1)" "$OUT/push-stats-baseline.json"
fi
rm -rf "$STATE"

python3 - "$ROWS" "$EVENTS" "$LATENCY" >"$OUT/push.md" <<'PY'
import sys
rows = [l.rstrip("\n").split("|") for l in open(sys.argv[1]) if l.strip()]
events, latency = sys.argv[2], sys.argv[3]
base = next((r for r in rows if r[0].startswith("baseline")), None)
rerun = next((r for r in rows if r[0] == "rerun-total"), None)
print(f"calport push of {events} generated events (bench/gencal.py) into calport-fake-google with {latency} ms latency per response.\n")
print("| run | HTTP requests | wall time (s) | requests vs baseline | wall time vs baseline |")
print("|---|---:|---:|---:|---:|")
for name, req, wall, rc in rows:
    if name == "rerun-total":
        continue
    rq, w = int(req), float(wall)
    if base:
        br, bw = int(base[1]), float(base[2])
        ratio_r = f"{br / rq:.0f}x fewer" if rq and name != base[0] else "1x"
        ratio_w = f"{bw / w:.0f}x less" if w and name != base[0] else "1x"
    else:
        ratio_r = ratio_w = "-"
    print(f"| {name} | {rq} | {w:.1f} | {ratio_r} | {ratio_w} |")
if rerun:
    print(f"\nA second push of the same file into the same calendar (nothing left to send) made {int(rerun[1])} requests "
          f"(listing the calendar) and took {float(rerun[2]):.1f} s.")
PY
cat "$OUT/push.md"
