#!/usr/bin/env bash
# Peak memory and time of `calport verify` and `calport push --dry-run` on generated calendars
# (issue 18: under 300 MB at 100,000 events, time linear in events).
#
#   bash bench/memory.sh
#
# Knobs: MEMORY_PARTS="verify push" (which parts run), MEMORY_SIZES="10000 100000" (events),
# MEMORY_PROFILES="standard heavy" (bench/gencal.py --profile) for verify,
# MEMORY_PUSH_PROFILES="standard heavy" for push, BENCH_SEED=1, BENCH_SCRATCH=.build (SwiftPM
# scratch path), BENCH_SKIP_BUILD=1 (use the release binaries already there).
#
# verify: for each generated F.ics (shared with bench/run.sh and bench/verify.sh: .bench/cal-N.ics,
# .bench/heavy-N.ics) the script converts it once to Google JSON (untimed) and times
# `calport verify F.ics F.json` and `calport verify F.ics F.ics`.
# push: for each F.ics, a fresh calport-fake-google (no latency) and a fresh state folder; times
# `calport push F.ics --calendar primary --dry-run` into the empty calendar, then the real push
# (everything created), then the same --dry-run again into the calendar that now holds every
# event (the re-run case: the listing is as large as the input).
# verify exits 1 when it finds differences, which the heavy profile has against its JSON (Google
# holds no AUDIO alarm): that is counted as a run too.
# Every command runs under `/usr/bin/time -f '%e %U %S %M'` (CPU = user + system). Exit 3 counts
# as success for push (gencal makes a few overrides of cancelled series, which Google refuses).
# The report (a markdown table) goes to stdout and .bench/memory.md; progress to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."

PARTS=${MEMORY_PARTS-verify push}
SIZES=${MEMORY_SIZES:-10000 100000}
PROFILES=${MEMORY_PROFILES:-standard heavy}
PUSH_PROFILES=${MEMORY_PUSH_PROFILES:-standard heavy}
SEED=${BENCH_SEED:-1}
SCRATCH=${BENCH_SCRATCH:-.build}
OUT=.bench
mkdir -p "$OUT"
log() { echo "bench: $*" >&2; }
[ -x /usr/bin/time ] || { log "/usr/bin/time is missing (Debian package 'time')"; exit 1; }

if [ -z "${BENCH_SKIP_BUILD:-}" ]; then
    # As `make build` builds calport (the Swift runtime linked in): the binary that is installed.
    log "building calport and calport-fake-google (release, scratch path $SCRATCH)"
    { swift build -c release --static-swift-stdlib --scratch-path "$SCRATCH" --product calport &&
        swift build -c release --static-swift-stdlib --scratch-path "$SCRATCH" --product calport-fake-google; } >"$OUT/memory-build.log" 2>&1 ||
        { tail -n 20 "$OUT/memory-build.log" >&2; exit 1; }
fi
BIN=$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)
CALPORT="$BIN/calport"

stem() { if [ "$1" = standard ]; then echo "cal-$2"; else echo "$1-$2"; fi; }
GEN_HASH=$(sha256sum bench/gencal.py | cut -c1-16)

# calendar PROFILE N: the path of the generated calendar (made once, remade when gencal changed).
calendar() {
    local s ics stamp want
    s=$(stem "$1" "$2")
    ics="$OUT/$s.ics" stamp="$OUT/$s.stamp"
    want="events=$2 seed=$SEED profile=$1 gencal=$GEN_HASH"
    if [ ! -f "$ics" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        log "generating $ics"
        python3 bench/gencal.py --events "$2" --seed "$SEED" --profile "$1" -o "$ics" 2>/dev/null
        echo "$want" >"$stamp"
    fi
    echo "$ics"
}

TABLE=$(mktemp)
STATE=$(mktemp -d)
FAKE_PID=
stop_fake() {
    if [ -n "$FAKE_PID" ]; then kill -TERM "$FAKE_PID" 2>/dev/null || true; wait "$FAKE_PID" 2>/dev/null || true; FAKE_PID=; fi
}
trap 'stop_fake; rm -rf "$TABLE" "$STATE"' EXIT

# measure PROFILE N LABEL OK_CODES COMMAND...: one timed run, one table row.
measure() {
    local profile=$1 n=$2 label=$3 ok=$4 rc=0 row said
    shift 4
    log "$profile $n: $label"
    /usr/bin/time -f '%e %U %S %M' -o "$OUT/memory-time.txt" "$@" </dev/null >"$OUT/memory-stdout.txt" 2>"$OUT/memory-stderr.txt" || rc=$?
    if [[ " $ok " != *" $rc "* ]]; then
        log "FAILED (exit $rc): $*"
        tail -n 5 "$OUT/memory-stdout.txt" "$OUT/memory-stderr.txt" | sed 's/^/    /' >&2
        echo "| \`$label\` | $n | $profile | failed (exit $rc) | | | |" >>"$TABLE"
        return
    fi
    row=$(tail -n 1 "$OUT/memory-time.txt" | awk '{printf "%.2f | %.2f | %.1f", $1, $2 + $3, $4 / 1024}')
    said=$(cat "$OUT/memory-stdout.txt" "$OUT/memory-stderr.txt" | grep -v '^$' | tail -n 1 | cut -c1-90)
    echo "| \`$label\` | $n | $profile | $row | ${said//|/\\|} |" >>"$TABLE"
}

if [[ " $PARTS " == *" verify "* ]]; then
    for p in $PROFILES; do
        for n in $SIZES; do
            ics=$(calendar "$p" "$n")
            json="$OUT/verify-$(stem "$p" "$n").json"
            log "converting $ics to $json"
            "$CALPORT" convert "$ics" --to json -o "$json" 2>/dev/null
            # Exit 1: differences found (the heavy profile has what Google cannot hold, e.g. AUDIO alarms).
            measure "$p" "$n" "verify F.ics F.json" "0 1" "$CALPORT" verify "$ics" "$json"
            measure "$p" "$n" "verify F.ics F.ics" "0" "$CALPORT" verify "$ics" "$ics"
        done
    done
fi

if [[ " $PARTS " == *" push "* ]]; then
    for p in $PUSH_PROFILES; do
        for n in $SIZES; do
            ics=$(calendar "$p" "$n")
            rm -rf "$STATE" && mkdir -p "$STATE"
            "$BIN/calport-fake-google" >"$OUT/memory-fake.out" 2>"$OUT/memory-fake.err" &
            FAKE_PID=$!
            ROOT=
            for _ in $(seq 100); do
                ROOT=$(sed -n 's/^CALPORT_GOOGLE_API_ROOT=//p' "$OUT/memory-fake.out" 2>/dev/null | head -n 1)
                [ -n "$ROOT" ] && break
                sleep 0.05
            done
            [ -n "$ROOT" ] || { log "the fake did not start"; exit 1; }
            push=(env CALPORT_GOOGLE_API_ROOT="$ROOT" CALPORT_ACCESS_TOKEN=bench-token CALPORT_STATE_DIR="$STATE"
                CALPORT_CONFIG_DIR="$STATE/config" "$CALPORT" push "$ics" --calendar primary)
            measure "$p" "$n" "push --dry-run (empty calendar)" "0 3" "${push[@]}" --dry-run
            measure "$p" "$n" "push (empty calendar)" "0 3" "${push[@]}" --quiet
            measure "$p" "$n" "push --dry-run (calendar holds the events)" "0 3" "${push[@]}" --dry-run
            stop_fake
        done
    done
fi

{
    echo "## Peak memory: verify and push --dry-run"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC') · commit $(git rev-parse --short HEAD 2>/dev/null || echo uncommitted)" \
        "· nproc $(nproc) · one run per command"
    echo
    echo "| command | events | profile | wall s | CPU s | peak RSS MB | last line of output |"
    echo "|---|---:|---|---:|---:|---:|---|"
    cat "$TABLE"
} | tee "$OUT/memory.md"
