#!/usr/bin/env bash
# `make bench`: time calport conversions against a plain libical parse.
#
# Knobs: BENCH_PROFILES="standard heavy" (bench/gencal.py --profile), BENCH_SIZES="1000 10000 100000"
# (events per calendar of the standard profile), BENCH_HEAVY_SIZES="10000 100000" (of the heavy
# one), BENCH_RUNS=3 (the run with the median wall time is reported), BENCH_SEED=1,
# BENCH_SCRATCH (a --scratch-path for the release build; SwiftPM's default when unset),
# BENCH_BASELINE=REV (also build calport at git revision REV and time it in the same run, each
# command right after the current one, so a change is judged against its before in one run).
# The report goes to stdout and .bench/results.md; progress goes to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."

PROFILES=${BENCH_PROFILES:-standard heavy}
SIZES=${BENCH_SIZES:-1000 10000 100000}
HEAVY_SIZES=${BENCH_HEAVY_SIZES:-10000 100000}
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
SCRATCH=()
[ -n "${BENCH_SCRATCH:-}" ] && SCRATCH=(--scratch-path "$BENCH_SCRATCH")
# Built as `make build` builds it (the Swift runtime linked in), so the figures are those of
# the binary that is installed: a build with the runtime as shared libraries calls every
# retain and release through the PLT and is slower.
log "building calport (release, as make build)"
if swift build -c release --static-swift-stdlib --product calport "${SCRATCH[@]}" >"$OUT/build.log" 2>&1; then
    CALPORT="$(swift build -c release "${SCRATCH[@]}" --show-bin-path)/calport"
    CALPORT="${CALPORT#"$PWD"/}"
    [ -x "$CALPORT" ] || { log "no binary at $CALPORT"; CALPORT=; }
else
    log "swift build failed; calport rows will be skipped. Tail of $OUT/build.log:"
    tail -n 20 "$OUT/build.log" >&2
fi
CALPORT_SHOWN=${CALPORT:-'$(swift build -c release --show-bin-path)/calport'}

# The baseline: REV's tree from `git archive`, built in its own folder (kept between runs).
BASELINE=${BENCH_BASELINE:-}
BASE_CALPORT=
if [ -n "$BASELINE" ]; then
    BASE_REV=$(git rev-parse --short "$BASELINE^{commit}") || { log "BENCH_BASELINE: no revision $BASELINE"; exit 2; }
    BASE_DIR="$OUT/baseline-$BASE_REV"
    if [ ! -f "$BASE_DIR/Package.swift" ]; then
        log "extracting $BASE_REV into $BASE_DIR"
        rm -rf "$BASE_DIR" && mkdir -p "$BASE_DIR"
        git archive --format=tar "$BASE_REV" | tar -x -C "$BASE_DIR"
    fi
    log "building calport at $BASE_REV (release)"
    if (cd "$BASE_DIR" && swift build -c release --static-swift-stdlib --product calport) >"$OUT/build-baseline.log" 2>&1; then
        BASE_CALPORT="$(cd "$BASE_DIR" && swift build -c release --show-bin-path)/calport"
    else
        log "the baseline did not build; see $OUT/build-baseline.log"; exit 1
    fi
fi

# --- inputs (regenerated when the size, seed or generator changes) -----------
# Each input is "profile:size"; the standard profile keeps its old file names (cal-N.ics).
INPUTS=()
for p in $PROFILES; do
    case $p in
    standard) for n in $SIZES; do INPUTS+=("standard:$n"); done ;;
    heavy) for n in $HEAVY_SIZES; do INPUTS+=("heavy:$n"); done ;;
    *) log "unknown profile $p (standard or heavy)"; exit 2 ;;
    esac
done
stem() { if [ "${1%%:*}" = standard ]; then echo "cal-${1#*:}"; else echo "${1%%:*}-${1#*:}"; fi; }

GEN_HASH=$(sha256sum bench/gencal.py | cut -c1-16)
for input in "${INPUTS[@]}"; do
    p=${input%%:*} n=${input#*:} s=$(stem "$input")
    ics="$OUT/$s.ics" stamp="$OUT/$s.stamp"
    want="events=$n seed=$SEED profile=$p gencal=$GEN_HASH"
    if [ -f "$ics" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
        log "reusing $ics"
    else
        log "generating $ics"
        python3 bench/gencal.py --events "$n" --seed "$SEED" --profile "$p" -o "$ics"
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

declare -A PARSED  # input -> libical_parse output ("events=N errors=M")
TABLE=$(mktemp)
trap 'rm -f "$TABLE"' EXIT
row() { # input label result baseline_result
    local cols="$3 | - | -" ratio="- | -" wall cpu rss bwall bcpu brss
    if [[ $3 != failed* && $3 != skipped* ]]; then
        read -r wall cpu rss <<<"$3"
        cols="$wall | $cpu | $rss"
        if [[ $4 != failed* ]]; then
            read -r bwall bcpu brss <<<"$4"
            ratio=$(awk -v w="$wall" -v c="$cpu" -v bw="$bwall" -v bc="$bcpu" \
                'BEGIN { a = "-"; b = "-"; if (bw > 0) a = sprintf("%.2f", w / bw); if (bc > 0) b = sprintf("%.2f", c / bc); print a " | " b }')
        fi
    fi
    local n=${1#*:}
    echo "| ${1%%:*} | $(printf "%'d" "$n" 2>/dev/null || echo "$n") | $2 | $cols | $ratio |" >>"$TABLE"
}

for input in "${INPUTS[@]}"; do
    n=${input#*:} s=$(stem "$input")
    ics="$OUT/$s.ics" base="$OUT/out-$s"
    log "$input: libical parse"
    measure "$LIBICAL" "$ics"
    baseline=$RESULT
    PARSED[$input]=$(cat "$OUT/stdout.txt")
    row "$input" "libical parse" "$RESULT" "$baseline"

    # label | input (must exist) | format | output
    while IFS='|' read -r label src fmt output; do
        rm -f "$output"
        if [ -z "$CALPORT" ]; then
            RESULT="skipped (calport not built)"
        elif [ ! -f "$src" ]; then
            RESULT="skipped (no ${src#"$OUT"/})"
        else
            log "$input: $label"
            measure "$CALPORT" convert "$src" --to "$fmt" -o "$output"
            if [[ $RESULT != failed* && ! -s $output ]]; then
                RESULT="failed (no output)"
                log "FAILED: exited 0 but wrote no $output"
            fi
        fi
        [[ $RESULT == failed* ]] && rm -f "$output"  # don't feed partial output onward
        row "$input" "$label" "$RESULT" "$baseline"
        if [ -n "$BASE_CALPORT" ] && [ -f "$src" ]; then
            log "$input: $label at $BASE_REV"
            measure "$BASE_CALPORT" convert "$src" --to "$fmt" -o "$output.baseline"
            rm -f "$output.baseline"
            row "$input" "${label/calport/calport@$BASE_REV}" "$RESULT" "$baseline"
        fi
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
    echo "Inputs (\`python3 bench/gencal.py --events N --seed $SEED --profile P -o FILE\`):"
    for input in "${INPUTS[@]}"; do
        s=$(stem "$input")
        mb=$(awk -v b="$(stat -c %s "$OUT/$s.ics")" 'BEGIN { printf "%.1f", b / 1e6 }')
        echo "- $OUT/$s.ics (${input%%:*}): $mb MB, ${input#*:} events (libical: ${PARSED[$input]:-?})"
    done
    echo
    echo "Commands (F = cal-N for the standard profile, heavy-N for the heavy one):"
    echo "- build: \`swift build -c release --static-swift-stdlib --product calport\` (as \`make build\`);" \
        "\`cc -O2 bench/libical_parse.c \$(pkg-config --cflags --libs libical) -o $LIBICAL\`"
    echo "- libical parse: \`$LIBICAL $OUT/F.ics\`"
    echo "- ics → ndjson: \`$CALPORT_SHOWN convert $OUT/F.ics --to ndjson -o $OUT/out-F.ndjson\`"
    echo "- ics → json: \`$CALPORT_SHOWN convert $OUT/F.ics --to json -o $OUT/out-F.json\`"
    echo "- json → ics: \`$CALPORT_SHOWN convert $OUT/out-F.json --to ics -o $OUT/out-F.from-json.ics\`"
    echo "- ndjson → ics: \`$CALPORT_SHOWN convert $OUT/out-F.ndjson --to ics -o $OUT/out-F.from-ndjson.ics\`"
    [ -n "$BASE_CALPORT" ] && echo "- calport@$BASE_REV: the same commands with \`$BASE_CALPORT\` (git archive $BASE_REV, release build), each right after the current one"
    echo "- each timed with \`/usr/bin/time -f '%e %U %S %M'\` (CPU = user + sys, peak RSS = max RSS)"
    echo
    echo "Ratios are to the libical parse of the same input in the same run; the machine is shared,"
    echo "so compare CPU and ratios within a run rather than seconds across runs."
    echo
    echo "| profile | events | command | wall s | CPU s | peak RSS MB | wall / libical | CPU / libical |"
    echo "|---|---:|---|---:|---:|---:|---:|---:|"
    cat "$TABLE"
} | tee "$OUT/results.md"
