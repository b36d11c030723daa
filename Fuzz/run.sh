#!/usr/bin/env bash
# Builds calport's libFuzzer targets and runs each for a set time: `make fuzz`.
# See Fuzz/README.md. Linux only (Swift's -sanitize=fuzzer needs the toolchain's libFuzzer).
#
# Knobs (environment):
#   FUZZ_SECONDS   seconds per target (default 600)
#   FUZZ_TARGETS   which targets, in order (default "ics google-json ics-writer")
#   FUZZ_MAX_LEN   largest input libFuzzer generates, bytes (default 65536)
#   FUZZ_TIMEOUT   seconds one input may take before it counts as a hang (default 10)
#   FUZZ_RSS_MB    memory limit in MiB before an input counts as out-of-memory (default 2048)
#   FUZZ_SHARED    the shared seed corpus (default ../shared/corpus; skipped when absent)
#   FUZZ_PARALLEL  1: run the targets at the same time, one core each (default 0: one after another)
#   SWIFT          the swift driver (default swift)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-600}
targets=${FUZZ_TARGETS:-"ics google-json ics-writer"}
max_len=${FUZZ_MAX_LEN:-65536}
timeout=${FUZZ_TIMEOUT:-10}
rss_mb=${FUZZ_RSS_MB:-2048}
shared=${FUZZ_SHARED:-../shared/corpus}
parallel=${FUZZ_PARALLEL:-0}
swift=${SWIFT:-swift}
scratch=.build-fuzz
out=$scratch/out

if [ "$(uname -s)" != Linux ]; then
    echo "fuzz: libFuzzer targets are built on Linux only" >&2
    exit 69
fi

# 1. The library modules, instrumented for coverage and AddressSanitizer. Only the modules the
#    targets use are built (the main package is not edited; see README.md).
echo "fuzz: building instrumented modules in $scratch" >&2
# At -O, swiftc's -sanitize=fuzzer alone leaves the code without coverage counters: name them.
coverage=-sanitize-coverage=edge,trace-cmp,inline-8bit-counters,pc-table
for module in ICalendar GoogleCalendar; do
    "$swift" build -c release --scratch-path "$scratch" --sanitize fuzzer --sanitize address \
        -Xswiftc "$coverage" --target "$module" >&2
done
bin=$("$swift" build -c release --scratch-path "$scratch" --show-bin-path)

# Every object built in this scratch path belongs to those modules and their dependencies.
# (swift-crypto's BoringSSL keeps its objects in folders below its own.)
objects=()
while IFS= read -r -d '' o; do objects+=("$o"); done < <(find "$bin" -path '*.build/*' -name '*.o' -print0 | sort -z)
if [ ${#objects[@]} -eq 0 ]; then
    echo "fuzz: no object files in $bin" >&2
    exit 1
fi
includes=(-I "$bin/Modules")
for m in Sources/C*/; do includes+=(-I "$m"); done
for flag in $(pkg-config --cflags-only-I libical libcurl); do includes+=(-Xcc "$flag"); done
# shellcheck disable=SC2207
libs=($(pkg-config --libs libical libcurl) -lstdc++)

# 2. One executable per target: the shared harness plus the target's entry point.
link() {  # link <name> <entry.swift>
    echo "fuzz: linking $scratch/fuzz-$1" >&2
    # ld.gold warns about every ASan helper symbol; the warnings say nothing about calport.
    "$swift"c -O -sanitize=fuzzer,address "$coverage" -parse-as-library -module-name "Fuzz_${1//-/_}" \
        "${includes[@]}" Fuzz/Harness.swift "$2" "${objects[@]}" "${libs[@]}" \
        -o "$scratch/fuzz-$1" 2> >(grep -v "Cannot export local symbol '__asan" >&2)
}

# 3. Seeds: fresh copies each run (never into git); the working corpus persists between runs.
seed() {  # seed <dir> <glob...>: copies the regular files that exist, skipping very large ones
    local dir=$1
    shift
    mkdir -p "$dir"
    local f
    for f in "$@"; do
        [ -f "$f" ] || continue
        [ "$(stat -c %s "$f")" -le 1048576 ] || continue
        cp "$f" "$dir/$(printf '%s' "$f" | sha1sum | cut -c1-16)-$(basename "$f")"
    done
}

# 4. One target: link, seed, replay the fixtures, fuzz, summarise. Exit status 1 on a finding.
fuzz_target() {
    local target=$1 entry dict fixtures=()
    case $target in
        ics)
            entry=Fuzz/ICSTarget.swift
            dict=Fuzz/ics.dict
            fixtures=(testdata/fuzz/*.ics)
            ;;
        google-json)
            entry=Fuzz/GoogleJSONTarget.swift
            dict=Fuzz/json.dict
            fixtures=(testdata/fuzz/*.json)
            ;;
        ics-writer)
            entry=Fuzz/ICSWriterTarget.swift
            dict=Fuzz/ics.dict
            fixtures=(testdata/fuzz/*.txt)
            ;;
    esac
    local exe=$scratch/fuzz-$target seeds=$out/seeds/$target corpus=$out/corpus/$target
    local artifacts=$out/artifacts/$target log=$out/$target.log
    rm -rf "$seeds"
    mkdir -p "$corpus" "$artifacts"
    if [ "$target" = ics ]; then
        seed "$seeds" testdata/*.ics testdata/cases/*.ics testdata/fuzz/*.ics
        if [ -d "$shared/ics" ]; then
            while IFS= read -r -d '' f; do seed "$seeds" "$f"; done < <(find "$shared/ics" -type f -name '*.ics' -print0)
        fi
    else
        seed "$seeds" testdata/cases/*.json testdata/fuzz/*.json
        for d in "$shared/google-json" "$shared/google-api"; do
            [ -d "$d" ] || continue
            while IFS= read -r -d '' f; do seed "$seeds" "$f"; done < <(find "$d" -type f -name '*.json' -print0)
        done
    fi
    echo "fuzz: $target: $(find "$seeds" -type f | wc -l) seed files" >&2

    # The regression fixtures first: each must run clean (no crash, leak, hang).
    local existing=() f
    for f in "${fixtures[@]}"; do [ -f "$f" ] && existing+=("$f"); done
    if [ ${#existing[@]} -gt 0 ]; then
        echo "fuzz: $target: replaying ${#existing[@]} regression fixtures" >&2
        if ! "$exe" -timeout="$timeout" -rss_limit_mb="$rss_mb" "${existing[@]}" > "$out/$target-fixtures.log" 2>&1; then
            echo "fuzz: $target: a regression fixture fails; see $out/$target-fixtures.log" >&2
            tail -40 "$out/$target-fixtures.log" >&2
            echo "target $target: a regression fixture fails" >> "$out/$target.summary"
            return 1
        fi
    fi

    # The run. libFuzzer writes new inputs to the first corpus directory only; the target's own
    # stderr (libical's warnings) is closed, libFuzzer's and the sanitizers' reports are kept.
    echo "fuzz: $target: fuzzing for ${seconds}s (log: $log)" >&2
    local rc=0
    "$exe" -max_total_time="$seconds" -max_len="$max_len" -timeout="$timeout" -rss_limit_mb="$rss_mb" \
        -dict="$dict" -print_final_stats=1 -close_fd_mask=2 -artifact_prefix="$artifacts/" \
        "$corpus" "$seeds" > "$log" 2>&1 || rc=$?
    # libFuzzer's last status line ("#N DONE cov: .. ft: .. corp: ..") and final stats.
    local done_line runs rate peak found modules
    modules=$(grep -m1 'inline 8-bit counters' "$log" | sed 's/^INFO: *//')
    done_line=$(grep -E '^#[0-9]+' "$log" | tail -1)
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    peak=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log")
    found=$(find "$artifacts" -type f | wc -l)
    {
        echo "target $target: ${seconds}s, exit $rc, executions ${runs:-?}, ${rate:-?} exec/s, peak RSS ${peak:-?} MB, findings $found"
        echo "  $modules"
        echo "  $done_line"
    } > "$out/$target.summary"
    if [ "$rc" -ne 0 ] || [ "$found" -gt 0 ]; then
        echo "fuzz: $target: findings in $artifacts (reproduce: $exe <file>); each becomes a fixture in testdata/fuzz/" >&2
        grep -E 'ERROR: |Fatal error|SUMMARY' "$log" | head -5 >&2 || true
        return 1
    fi
}

mkdir -p "$out"
for target in $targets; do
    case $target in
        ics) link ics Fuzz/ICSTarget.swift ;;
        google-json) link google-json Fuzz/GoogleJSONTarget.swift ;;
        ics-writer) link ics-writer Fuzz/ICSWriterTarget.swift ;;
        *)
            echo "fuzz: unknown target $target (known: ics google-json ics-writer)" >&2
            exit 64
            ;;
    esac
    rm -f "$out/$target.summary"
done
[ -d "$shared" ] || echo "fuzz: $shared not found; seeding from testdata/ only" >&2

status=0
if [ "$parallel" = 1 ]; then
    pids=()
    for target in $targets; do
        fuzz_target "$target" &
        pids+=($!)
    done
    for pid in "${pids[@]}"; do wait "$pid" || status=1; done
else
    for target in $targets; do fuzz_target "$target" || status=1; done
fi

summary=$out/summary.txt
for target in $targets; do cat "$out/$target.summary" 2>/dev/null; done | tee "$summary"
echo "fuzz: summary in $summary" >&2
exit $status
