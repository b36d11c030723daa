#!/usr/bin/env bash
# `make bench`: time calport conversions against a plain libical parse.
#
# Knobs: BENCH_SIZES="1000 10000 100000" (events per calendar), BENCH_RUNS=3
# (the run with the median wall time is reported), BENCH_SEED=1.
# The report goes to stdout and .bench/results.md; progress goes to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=${BENCH_SIZES:-1000 10000 100000}
RUNS=${BENCH_RUNS:-3}
SEED=${BENCH_SEED:-1}
OUT=.bench
mkdir -p "$OUT"

log() { echo "bench: $*" >&2; }

# GNU time gives us peak RSS; the shell keyword does not.
if [ ! -x /usr/bin/time ]; then
    log "/usr/bin/time missing; installing the Debian package 'time' with apt-get"
    SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get install -y time >&2 || { $SUDO apt-get update >&2 && $SUDO apt-get install -y time >&2; }
fi

# --- builds -----------------------------------------------------------------
LIBICAL="$OUT/libical_parse"
if [ ! -x "$LIBICAL" ] || [ bench/libical_parse.c -nt "$LIBICAL" ]; then
    log "building $LIBICAL"
    # shellcheck disable=SC2046
    cc -O2 bench/libical_parse.c $(pkg-config --cflags --libs libical) -o "$LIBICAL"
fi

CALPORT=
log "building calport (release)"
if swift build -c release --product calport >"$OUT/build.log" 2>&1; then
    CALPORT="$(swift build -c release --show-bin-path)/calport"
    CALPORT="${CALPORT#"$PWD"/}"
    [ -x "$CALPORT" ] || { log "no binary at $CALPORT"; CALPORT=; }
else
    log "swift build failed; calport rows will be skipped. Tail of $OUT/build.log:"
    tail -n 20 "$OUT/build.log" >&2
fi
CALPORT_SHOWN=${CALPORT:-'$(swift build -c release --show-bin-path)/calport'}

# --- inputs (regenerated when the size, seed or generator changes) -----------
GEN_HASH=$(sha256sum bench/gencal.py | cut -c1-16)
for n in $SIZES; do
    ics="$OUT/cal-$n.ics" stamp="$OUT/cal-$n.stamp"
    want="events=$n seed=$SEED gencal=$GEN_HASH"
    if [ -f "$ics" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
        log "reusing $ics"
    else
        log "generating $ics"
        python3 bench/gencal.py --events "$n" --seed "$SEED" -o "$ics"
        echo "$want" >"$stamp"
    fi
done

# --- measurement -------------------------------------------------------------
# measure CMD...: runs CMD $RUNS times under GNU time and sets RESULT to
# "wall cpu rss_mb" of the median-wall run, or "failed (exit N)".
measure() {
    local tfile="$OUT/time.txt" errfile="$OUT/stderr.txt" rows=() i rc
    for ((i = 0; i < RUNS; i++)); do
        rc=0
        /usr/bin/time -f '%e %U %S %M' -o "$tfile" "$@" </dev/null >"$OUT/stdout.txt" 2>"$errfile" || rc=$?
        if [ "$rc" -ne 0 ]; then
            RESULT="failed (exit $rc)"
            log "FAILED (exit $rc): $*"
            tail -n 10 "$errfile" | sed 's/^/    /' >&2
            return
        fi
        rows+=("$(tail -n 1 "$tfile" | awk '{printf "%.2f %.2f %.1f", $1, $2 + $3, $4 / 1024}')")
    done
    RESULT=$(printf '%s\n' "${rows[@]}" | sort -n -k1,1 | sed -n "$(((RUNS + 1) / 2))p")
}

declare -A PARSED  # size -> libical_parse output ("events=N errors=M")
TABLE=$(mktemp)
trap 'rm -f "$TABLE"' EXIT
row() { # size label result baseline_wall
    local cols="$3 | - | -" ratio=- wall cpu rss
    if [[ $3 != failed* && $3 != skipped* ]]; then
        read -r wall cpu rss <<<"$3"
        cols="$wall | $cpu | $rss"
        ratio=$(awk -v w="$wall" -v b="$4" 'BEGIN { if (b > 0) printf "%.2f", w / b; else print "-" }')
    fi
    echo "| $1 | $2 | $cols | $ratio |" >>"$TABLE"
}

for n in $SIZES; do
    ics="$OUT/cal-$n.ics" base="$OUT/out-$n"
    log "size $n: libical parse"
    measure "$LIBICAL" "$ics"
    base_wall=${RESULT%% *}
    [[ $RESULT == failed* ]] && base_wall=0
    PARSED[$n]=$(cat "$OUT/stdout.txt")
    row "$n" "libical parse" "$RESULT" "$base_wall"

    # label | input (must exist) | format | output
    while IFS='|' read -r label input fmt output; do
        rm -f "$output"
        if [ -z "$CALPORT" ]; then
            RESULT="skipped (calport not built)"
        elif [ ! -f "$input" ]; then
            RESULT="skipped (no ${input#"$OUT"/})"
        else
            log "size $n: $label"
            measure "$CALPORT" convert "$input" --to "$fmt" -o "$output"
            if [[ $RESULT != failed* && ! -s $output ]]; then
                RESULT="failed (no output)"
                log "FAILED: exited 0 but wrote no $output"
            fi
        fi
        [[ $RESULT == failed* ]] && rm -f "$output"  # don't feed partial output onward
        row "$n" "$label" "$RESULT" "$base_wall"
    done <<EOF
calport ics → ndjson|$ics|ndjson|$base.ndjson
calport ics → json|$ics|json|$base.json
calport json → ics|$base.json|ics|$base.from-json.ics
calport ndjson → ics|$base.ndjson|ics|$base.from-ndjson.ics
EOF
done

# --- report ------------------------------------------------------------------
{
    echo "## calport benchmark"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC') · commit $(git rev-parse --short HEAD 2>/dev/null || echo uncommitted)" \
        "· nproc $(nproc) · $RUNS run(s) per command, median wall reported"
    echo
    echo "Inputs (\`python3 bench/gencal.py --events N --seed $SEED -o $OUT/cal-N.ics\`):"
    for n in $SIZES; do
        mb=$(awk -v b="$(stat -c %s "$OUT/cal-$n.ics")" 'BEGIN { printf "%.1f", b / 1e6 }')
        echo "- $OUT/cal-$n.ics: $mb MB, $n VEVENTs (libical: ${PARSED[$n]:-?})"
    done
    echo
    echo "Commands (N = size):"
    echo "- build: \`swift build -c release --product calport\`;" \
        "\`cc -O2 bench/libical_parse.c \$(pkg-config --cflags --libs libical) -o $LIBICAL\`"
    echo "- libical parse: \`$LIBICAL $OUT/cal-N.ics\`"
    echo "- ics → ndjson: \`$CALPORT_SHOWN convert $OUT/cal-N.ics --to ndjson -o $OUT/out-N.ndjson\`"
    echo "- ics → json: \`$CALPORT_SHOWN convert $OUT/cal-N.ics --to json -o $OUT/out-N.json\`"
    echo "- json → ics: \`$CALPORT_SHOWN convert $OUT/out-N.json --to ics -o $OUT/out-N.from-json.ics\`"
    echo "- ndjson → ics: \`$CALPORT_SHOWN convert $OUT/out-N.ndjson --to ics -o $OUT/out-N.from-ndjson.ics\`"
    echo "- each timed with \`/usr/bin/time -f '%e %U %S %M'\` (CPU = user + sys, peak RSS = max RSS)"
    echo
    echo "| size | command | wall s | CPU s | peak RSS MB | wall ratio to libical parse |"
    echo "|---:|---|---:|---:|---:|---:|"
    cat "$TABLE"
} | tee "$OUT/results.md"
