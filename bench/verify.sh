#!/usr/bin/env bash
# Time and peak memory of `calport verify` on generated calendars.
#
#   bash bench/verify.sh
#
# Knobs: VERIFY_PROFILES="standard heavy" (bench/gencal.py --profile), VERIFY_SIZES="10000 100000"
# (events), VERIFY_RUNS=1 (the run with the median wall time is reported), BENCH_SEED=1,
# BENCH_SCRATCH (a --scratch-path for the release build). Inputs are shared with bench/run.sh
# (.bench/cal-N.ics, .bench/heavy-N.ics). For each input F.ics the script converts it once to
# Google JSON (untimed) and times `calport verify F.ics F.json` (the check after a conversion)
# and `calport verify F.ics F.ics`. The report goes to stdout and .bench/verify.md.
set -euo pipefail
cd "$(dirname "$0")/.."

PROFILES=${VERIFY_PROFILES:-standard heavy}
SIZES=${VERIFY_SIZES:-10000 100000}
RUNS=${VERIFY_RUNS:-1}
SEED=${BENCH_SEED:-1}
OUT=.bench
mkdir -p "$OUT"
log() { echo "bench: $*" >&2; }
[ -x /usr/bin/time ] || { log "/usr/bin/time is missing (Debian package 'time')"; exit 1; }

SCRATCH=()
[ -n "${BENCH_SCRATCH:-}" ] && SCRATCH=(--scratch-path "$BENCH_SCRATCH")
log "building calport (release)"
swift build -c release --product calport "${SCRATCH[@]}" >"$OUT/build.log" 2>&1 ||
    { tail -n 20 "$OUT/build.log" >&2; exit 1; }
CALPORT="$(swift build -c release "${SCRATCH[@]}" --show-bin-path)/calport"
CALPORT="${CALPORT#"$PWD"/}"

stem() { if [ "$1" = standard ]; then echo "cal-$2"; else echo "$1-$2"; fi; }
GEN_HASH=$(sha256sum bench/gencal.py | cut -c1-16)

measure() { # sets RESULT to "wall cpu rss_mb" of the median-wall run
    local tfile="$OUT/verify-time.txt" rows=() i rc
    for ((i = 0; i < RUNS; i++)); do
        rc=0
        /usr/bin/time -f '%e %U %S %M' -o "$tfile" "$@" </dev/null >"$OUT/verify-stdout.txt" 2>"$OUT/verify-stderr.txt" || rc=$?
        if [ "$rc" -ne 0 ]; then
            log "FAILED (exit $rc): $*"
            tail -n 5 "$OUT/verify-stdout.txt" "$OUT/verify-stderr.txt" | sed 's/^/    /' >&2
            RESULT="failed (exit $rc)"
            return
        fi
        rows+=("$(tail -n 1 "$tfile" | awk '{printf "%.2f %.2f %.1f", $1, $2 + $3, $4 / 1024}')")
    done
    RESULT=$(printf '%s\n' "${rows[@]}" | sort -n -k1,1 | sed -n "$(((RUNS + 1) / 2))p")
}

TABLE=$(mktemp)
trap 'rm -f "$TABLE"' EXIT
for p in $PROFILES; do
    for n in $SIZES; do
        s=$(stem "$p" "$n")
        ics="$OUT/$s.ics" stamp="$OUT/$s.stamp" json="$OUT/verify-$s.json"
        want="events=$n seed=$SEED profile=$p gencal=$GEN_HASH"
        if [ ! -f "$ics" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
            log "generating $ics"
            python3 bench/gencal.py --events "$n" --seed "$SEED" --profile "$p" -o "$ics"
            echo "$want" >"$stamp"
        fi
        log "converting $ics to $json"
        "$CALPORT" convert "$ics" --to json -o "$json" 2>/dev/null
        for b in "$json" "$ics"; do
            log "$s: verify $ics $b"
            measure "$CALPORT" verify "$ics" "$b"
            said=$(tail -n 1 "$OUT/verify-stdout.txt" | cut -c1-60)
            echo "| $p | $n | \`verify $s.ics ${b##*/}\` | ${RESULT// / | } | $said |" >>"$TABLE"
        done
    done
done

{
    echo "## calport verify"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC') · commit $(git rev-parse --short HEAD 2>/dev/null || echo uncommitted)" \
        "· nproc $(nproc) · $RUNS run(s) per command, median wall reported"
    echo
    echo "Commands: \`python3 bench/gencal.py --events N --seed $SEED --profile P -o $OUT/F.ics\`;" \
        "\`$CALPORT convert $OUT/F.ics --to json -o $OUT/verify-F.json\`;" \
        "\`/usr/bin/time -f '%e %U %S %M' $CALPORT verify $OUT/F.ics B\` (CPU = user + sys)."
    echo
    echo "| profile | events | command | wall s | CPU s | peak RSS MB | verdict |"
    echo "|---|---:|---|---:|---:|---:|---|"
    cat "$TABLE"
} | tee "$OUT/verify.md"
