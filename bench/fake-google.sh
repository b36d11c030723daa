# Sourced by the benchmarks that talk to the fake Google (archive.sh, sync.sh), after they set
# OUT (their output folder), SCRATCH (the build folder) and log(). Builds calport and
# calport-fake-google in release (unless BENCH_SKIP_BUILD is set), sets BIN and CALPORT, starts
# the fake with --stats $OUT/fake-stats.json, and exports what points calport at it:
# CALPORT_GOOGLE_API_ROOT, a bench access token and a config folder in $OUT. stop_fake ends it.

if [ -z "${BENCH_SKIP_BUILD:-}" ]; then
    log "building calport and calport-fake-google (release, $SCRATCH)"
    swift build -c release --scratch-path "$SCRATCH" --product calport >"$OUT/build.log" 2>&1
    swift build -c release --scratch-path "$SCRATCH" --product calport-fake-google >>"$OUT/build.log" 2>&1
fi
BIN=$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)
CALPORT="$BIN/calport"

"$BIN/calport-fake-google" --stats "$OUT/fake-stats.json" >"$OUT/fake.out" &
FAKE=$!
trap 'kill $FAKE 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q CALPORT_GOOGLE_API_ROOT "$OUT/fake.out" 2>/dev/null && break; sleep 0.1; done
ROOT=$(sed -n 's/^CALPORT_GOOGLE_API_ROOT=//p' "$OUT/fake.out")
export CALPORT_GOOGLE_API_ROOT="$ROOT" CALPORT_ACCESS_TOKEN="bench-token" CALPORT_CONFIG_DIR="$PWD/$OUT/config"
log "fake Google at $ROOT"

# Ends the fake (its --stats file is written as it exits).
stop_fake() {
    kill -TERM "$FAKE"
    wait "$FAKE" || true
    trap - EXIT
}
