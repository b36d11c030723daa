#!/usr/bin/env bash
# bench/push.sh: HTTP requests and wall time of `calport push` for a generated calendar,
# against calport-fake-google with injected latency, compared with the baseline of one
# request per event sent one after another (--batch-size 1 --concurrency 1).
#
# Then, at Google's limits: a push into a calendar with Google's per-user quota (600 calls in
# any sliding minute, batch parts counted), and pushes under 10% faults plus 2% dropped
# connections, each with a fresh fake, checked for exit 0 and 0 failed.
#
# Knobs: PUSH_EVENTS=10000, PUSH_LATENCY_MS=50, PUSH_SEED=1, PUSH_SWEEP="10 100 250"
# (extra batch sizes measured at the default concurrency; empty: none), PUSH_BASELINE=1
# (0 skips the slow baseline), PUSH_RUNS="latency quota faults" (which parts run),
# PUSH_QUOTA_EVENTS=1086, PUSH_QUOTA=600 (calls a minute), PUSH_FAULT_EVENTS=2000,
# PUSH_FAULT_RUNS=10, PUSH_FAULT_RATE=0.10, PUSH_DROP_RATE=0.02, BENCH_SCRATCH=.build (the
# SwiftPM scratch path).
# The report (markdown tables) goes to stdout and .bench/push.md; progress to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."

EVENTS=${PUSH_EVENTS:-10000}
LATENCY=${PUSH_LATENCY_MS:-50}
SEED=${PUSH_SEED:-1}
SWEEP=${PUSH_SWEEP-10 100 250}
BASELINE=${PUSH_BASELINE:-1}
RUNS=${PUSH_RUNS-latency quota faults}
QUOTA_EVENTS=${PUSH_QUOTA_EVENTS:-1086}
QUOTA=${PUSH_QUOTA:-600}
FAULT_EVENTS=${PUSH_FAULT_EVENTS:-2000}
FAULT_RUNS=${PUSH_FAULT_RUNS:-10}
FAULT_RATE=${PUSH_FAULT_RATE:-0.10}
DROP_RATE=${PUSH_DROP_RATE:-0.02}
SCRATCH=${BENCH_SCRATCH:-.build}
OUT=.bench
mkdir -p "$OUT"
log() { echo "bench: $*" >&2; }

log "building calport and calport-fake-google (release, scratch path $SCRATCH)"
swift build -c release --scratch-path "$SCRATCH" >"$OUT/push-build.log" 2>&1 || { tail -n 20 "$OUT/push-build.log" >&2; exit 1; }
BIN=$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)

# calendar N: the path of a generated calendar of N events (made once).
calendar() {
    local f="$OUT/push-$1-$SEED.ics"
    if [ ! -f "$f" ]; then
        log "generating $f"
        python3 bench/gencal.py --events "$1" --seed "$SEED" -o "$f" 2>/dev/null
    fi
    echo "$f"
}
ICS=$(calendar "$EVENTS")

STATE=$(mktemp -d)
FAKE_PID=
stop_fake() {
    if [ -n "$FAKE_PID" ]; then kill -TERM "$FAKE_PID" 2>/dev/null || true; wait "$FAKE_PID" 2>/dev/null || true; FAKE_PID=; fi
}
trap stop_fake EXIT

# start_fake STATS [FAKE OPTIONS]: a fresh fake (empty calendar) with the latency; sets ROOT.
start_fake() {
    local fifo="$OUT/push-fake.out" stats=$1
    shift
    rm -f "$fifo"
    rm -rf "$STATE" && mkdir -p "$STATE"  # a fresh journal for a fresh calendar
    "$BIN/calport-fake-google" --latency-ms "$LATENCY" --stats "$stats" "$@" >"$fifo" 2>"$OUT/push-fake.err" &
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

if [[ " $RUNS " == *" latency "* ]]; then
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
fi

# At Google's limits. Rows: NAME|EVENTS|WALL|RC|FAILED|REFUSED|ACCEPTED (calls the quota took).
LIMITS="$OUT/push-limits.txt"
: >"$LIMITS"
limits_row() {  # NAME EVENTS STATS REPORT
    stop_fake
    python3 - "$1" "$2" "$3" "$4" "$WALL" "$RC" >>"$LIMITS" <<'PY'
import json, sys
name, events, stats, report, wall, rc = sys.argv[1:]
s = json.load(open(stats))
calls = sum(v for k, v in s["calls"].items() if k not in ("batch", "oauth.token", "oauth.revoke", "oauth.authorize", "unknown"))
refused = s["faults"].get("quota", 0)
try:
    failed = json.load(open(report))["summary"]["failed"]
except Exception:
    failed = -1
print(f"{name}|{events}|{wall}|{rc}|{failed}|{refused}|{calls - refused}")
PY
    log "$(tail -n 1 "$LIMITS")"
}
if [[ " $RUNS " == *" quota "* ]]; then
    QICS=$(calendar "$QUOTA_EVENTS")
    log "quota: $QUOTA_EVENTS events into a calendar limited to $QUOTA calls a minute"
    start_fake "$OUT/push-stats-quota.json" --quota "$QUOTA" --quota-window-s 60
    ICS=$QICS push_once quota --report "$OUT/push-report-quota.json"
    limits_row "quota $QUOTA/min" "$QUOTA_EVENTS" "$OUT/push-stats-quota.json" "$OUT/push-report-quota.json"
fi
if [[ " $RUNS " == *" faults "* ]]; then
    FICS=$(calendar "$FAULT_EVENTS")
    for run in $(seq "$FAULT_RUNS"); do
        log "faults: run $run of $FAULT_RUNS, $FAULT_EVENTS events, fault rate $FAULT_RATE + drop rate $DROP_RATE"
        start_fake "$OUT/push-stats-faults-$run.json" --fault-rate "$FAULT_RATE" --drop-rate "$DROP_RATE" --seed "$run"
        ICS=$FICS push_once "faults-$run" --report "$OUT/push-report-faults-$run.json"
        limits_row "faults seed $run" "$FAULT_EVENTS" "$OUT/push-stats-faults-$run.json" "$OUT/push-report-faults-$run.json"
    done
fi
rm -rf "$STATE"

python3 - "$ROWS" "$EVENTS" "$LATENCY" "$LIMITS" "$QUOTA" "$FAULT_RATE" "$DROP_RATE" >"$OUT/push.md" <<'PY'
import sys
rows = [l.rstrip("\n").split("|") for l in open(sys.argv[1]) if l.strip()]
limits = [l.rstrip("\n").split("|") for l in open(sys.argv[4]) if l.strip()]
quota, fault_rate, drop_rate = int(sys.argv[5]), sys.argv[6], sys.argv[7]
events, latency = sys.argv[2], sys.argv[3]
base = next((r for r in rows if r[0].startswith("baseline")), None)
rerun = next((r for r in rows if r[0] == "rerun-total"), None)
if rows:
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
q = [r for r in limits if r[0].startswith("quota")]
if q:
    print(f"\nAt Google's per-user quota ({quota} calls in any sliding minute, batch parts counted, "
          f"{latency} ms latency). Quota-bound time: the first {quota} calls go at once, each further {quota} "
          "a minute after the last, so N calls need at least floor((N-1)/quota) minutes.\n")
    print("| run | events | exit | failed | calls taken | calls refused | refused/taken | wall time (s) | quota-bound time (s) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, events, wall, rc, failed, refused, taken in q:
        bound = ((int(taken) - 1) // quota) * 60
        print(f"| {name} | {events} | {rc} | {failed} | {taken} | {refused} | {int(refused) / max(int(taken), 1):.2f} | {float(wall):.1f} | {bound} |")
f = [r for r in limits if r[0].startswith("faults")]
if f:
    # Exit 3 with 0 failed: only the events gencal makes that Google cannot hold were rejected.
    ok = sum(1 for r in f if r[3] in ("0", "3") and r[4] == "0")
    print(f"\nUnder faults (--fault-rate {fault_rate}: rate limits, 5xx, dropped connections and lost answers; "
          f"plus --drop-rate {drop_rate}), one fresh fake per seed: {ok} of {len(f)} runs end with 0 failed "
          "(exit 0, or 3 for rejected events alone).\n")
    print("| run | events | exit | failed | wall time (s) |")
    print("|---|---:|---:|---:|---:|")
    for name, events, wall, rc, failed, refused, taken in f:
        print(f"| {name} | {events} | {rc} | {failed} | {float(wall):.1f} |")
PY
cat "$OUT/push.md"
