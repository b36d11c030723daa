#!/usr/bin/env bash
# Two-way sync costs against the fake Google (never the real one).
#
#   bench/sync.sh               # 10,000 events; BENCH_SYNC_EVENTS=N to change
#   BENCH_SCRATCH=.build-x      # the build directory (default .build)
#   BENCH_SKIP_BUILD=1          # use the release binaries already built there
#
# Steps: release build of calport and calport-fake-google; two generated calendars of N/2
# events each (bench/gencal.py, seeds 1 and 2): the first becomes a local folder of .ics files
# (pushed to a scratch calendar, then synced down into the folder), the second is pushed to the
# benchmark calendar. Then, timed:
#   1. the first sync of the folder with the calendar (N/2 events each way),
#   2. after 10 changes on each side (local: 5 edits, 3 new files, 2 deletions; Google: 5 edits,
#      3 new events, 2 deletions), the nightly sync,
#   3. a sync with no changes.
# Requests come from `calport sync --report`; wall time and peak memory from GNU time. Checks:
# after step 2 both sides hold the same UIDs (compared with a pull of the calendar). Report on
# stdout and in .bench/sync/sync.md.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${BENCH_SYNC_EVENTS:-10000}
OUT=.bench/sync
SCRATCH=${BENCH_SCRATCH:-.build}
rm -rf "$OUT"
mkdir -p "$OUT"
log() { echo "bench: $*" >&2; }

if [ ! -x /usr/bin/time ]; then
    log "/usr/bin/time missing; installing the Debian package 'time' with apt-get"
    SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get install -y time >&2 || { $SUDO apt-get update >&2 && $SUDO apt-get install -y time >&2; }
fi

. bench/fake-google.sh
export CALPORT_STATE_DIR="$PWD/$OUT/state"

HALF=$((N / 2))
log "generating 2 x $HALF events"
python3 bench/gencal.py --events "$HALF" --seed 1 -o "$OUT/local.ics" 2>/dev/null
python3 bench/gencal.py --events "$HALF" --seed 2 -o "$OUT/google.ics" 2>/dev/null

SCRATCH_CAL=$("$CALPORT" calendars create "sync bench scratch" --time-zone Europe/Berlin)
BENCH_CAL=$("$CALPORT" calendars create "sync bench" --time-zone Europe/Berlin)
log "setting up: the local folder (through $SCRATCH_CAL) and the calendar $BENCH_CAL"
# Exit 3 is expected: the generator writes a few overrides of cancelled series, which Google
# cannot hold (push rejects them, naming each).
push() { "$CALPORT" push "$@" --quiet 2>"$OUT/push.err" || [ $? -eq 3 ]; }
push "$OUT/local.ics" --calendar "$SCRATCH_CAL"
mkdir -p "$OUT/folder"
"$CALPORT" sync --local "$OUT/folder" --calendar "$SCRATCH_CAL" --quiet
rm -rf "$OUT/state/sync"
push "$OUT/google.ics" --calendar "$BENCH_CAL"

# One timed sync: wall seconds and peak KiB from GNU time, the report as STEP.json.
timed() {
    local step=$1
    shift
    /usr/bin/time -f "%e %M" -o "$OUT/$step.time" "$CALPORT" sync --local "$OUT/folder" --calendar "$BENCH_CAL" \
        --report "$OUT/$step.json" --quiet "$@" || { log "sync ($step) failed"; exit 1; }
}

log "1. first sync"
timed first

log "10 changes on each side"
python3 - "$OUT/folder" <<'PY'
import os, sys
folder = sys.argv[1]
files = sorted(f for f in os.listdir(folder) if f.endswith(".ics"))
for name in files[:5]:
    path = os.path.join(folder, name)
    text = open(path, newline="").read()
    open(path, "w", newline="").write(text.replace("SUMMARY:", "SUMMARY:(edited) ", 1))
for i in range(3):
    open(os.path.join(folder, f"bench-local-new-{i}.ics"), "w", newline="").write(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:bench-local-new-{i}@calport.test\r\nDTSTAMP:20261201T000000Z\r\n"
        f"DTSTART:2026121{i}T100000Z\r\nDTEND:2026121{i}T110000Z\r\nSUMMARY:New local {i}\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n")
for name in files[5:7]:
    os.remove(os.path.join(folder, name))
PY
python3 - "$ROOT" "$CALPORT_ACCESS_TOKEN" "$BENCH_CAL" <<'PY'
import json, sys, urllib.parse, urllib.request
root, token, cal = sys.argv[1], sys.argv[2], sys.argv[3]
base = f"calendar/v3/calendars/{urllib.parse.quote(cal, safe='')}/events"

def call(method, path, body=None):
    req = urllib.request.Request(root + path, data=None if body is None else json.dumps(body).encode(), method=method)
    req.add_header("Authorization", "Bearer " + token)
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req) as r:
        data = r.read()
        return json.loads(data) if data else None

page = call("GET", base + "?maxResults=2500&fields=items(id,summary,recurrence,recurringEventId,status)")
singles = sorted((e for e in page["items"] if "recurrence" not in e and "recurringEventId" not in e and e.get("status") != "cancelled"),
                 key=lambda e: e["id"])
for e in singles[:5]:
    call("PATCH", f"{base}/{e['id']}?sendUpdates=none", {"summary": e.get("summary", "") + " (edited in Google)"})
for i in range(3):
    call("POST", f"{base}/import", {"iCalUID": f"bench-google-new-{i}@calport.test", "summary": f"New in Google {i}",
                                    "start": {"dateTime": f"2026-12-1{i}T12:00:00Z"}, "end": {"dateTime": f"2026-12-1{i}T13:00:00Z"}})
for e in singles[5:7]:
    call("DELETE", f"{base}/{e['id']}?sendUpdates=none")
PY

log "2. nightly sync"
timed nightly
log "3. a sync with no changes"
timed quiet

log "check: both sides hold the same UIDs"
"$CALPORT" pull --calendar "$BENCH_CAL" -o "$OUT/after.ics" --quiet
grep -h '^UID:' "$OUT/after.ics" | sort -u >"$OUT/google-uids.txt"
cat "$OUT"/folder/*.ics | grep '^UID:' | tr -d '\r' | sort -u >"$OUT/local-uids.txt"
tr -d '\r' <"$OUT/google-uids.txt" | sort -u >"$OUT/google-uids-lf.txt"
if ! cmp -s "$OUT/google-uids-lf.txt" "$OUT/local-uids.txt"; then
    log "the sides differ:"
    diff "$OUT/google-uids-lf.txt" "$OUT/local-uids.txt" | head -n 10 >&2
    exit 1
fi

stop_fake

python3 - "$OUT" "$N" <<'PY' | tee "$OUT/sync.md"
import json, sys
out, n = sys.argv[1], int(sys.argv[2])
print(f"| step ({n} events) | requests | local c/u/d | Google c/u/d | wall | peak RSS |")
print("|---|---:|---|---|---:|---:|")
for step, name in [("first", "first sync"), ("nightly", "nightly sync after 10 changes per side"), ("quiet", "sync with no changes")]:
    r = json.load(open(f"{out}/{step}.json"))
    wall, rss = open(f"{out}/{step}.time").read().split()[-2:]
    side = lambda s: "/".join(str(len(r["plan"][s][k])) for k in ("create", "update", "delete"))
    print(f"| {name} | {r['requests']} | {side('local')} | {side('google')} | {float(wall):.2f} s | {int(rss) // 1024} MiB |")
PY
