#!/usr/bin/env bash
# Pull and nightly-archive costs against the fake Google (never the real one).
#
#   bench/archive.sh            # 20,000 events; BENCH_ARCHIVE_EVENTS=N to change
#   BENCH_SCRATCH=.build-x      # the build directory (default .build)
#   BENCH_SKIP_BUILD=1          # use the release binaries already built there
#
# Steps: release build of calport and calport-fake-google; the fake started with --stats;
# a 20,000-event calendar (bench/gencal.py, converted with `calport convert --to ndjson`)
# imported through the batch endpoint by the small Python client below; then
#   1. calport pull (a full export),
#   2. calport archive (first run: a full listing),
#   3. 10 changes through the API (3 edits, 3 new events, 2 deletions, 1 cancelled occurrence,
#      1 edited occurrence),
#   4. calport archive (the nightly run: the changes only).
# Requests and response bytes per step come from calport's --report (the API client's own
# count) and are checked against the fake's totals (--stats) minus the seeding client's.
# Also checks that the pull is verify-equivalent to what was imported (the generated events
# that are not cancelled, converted by calport convert), re-reads in libical with --strict, and that the nightly
# snapshot is byte-identical to a fresh pull. Report on stdout and in .bench/archive.md.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${BENCH_ARCHIVE_EVENTS:-20000}
SEED=${BENCH_SEED:-1}
OUT=.bench/archive
SCRATCH=${BENCH_SCRATCH:-.build}
rm -rf "$OUT"
mkdir -p "$OUT"
log() { echo "bench: $*" >&2; }

. bench/fake-google.sh
log "generating $N events"
python3 bench/gencal.py --events "$((N + N / 5))" --seed "$SEED" -o "$OUT/source.ics" 2>/dev/null
"$CALPORT" convert "$OUT/source.ics" --to ndjson -o "$OUT/source.ndjson"

# The seeding and changing client: events.import in batches of 1000, overrides after their
# series (with recurringEventId), and the 10 changes. Counts its own requests and bytes.
cat >"$OUT/client.py" <<'PY'
import json, sys, urllib.request, uuid

root, token, stats_path = sys.argv[1], sys.argv[2], sys.argv[3]
stats = {"requests": 0, "bytesReceived": 0}
try:
    stats = json.load(open(stats_path))
except FileNotFoundError:
    pass

def call(method, path, body=None, content_type="application/json", headers=None):
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    req = urllib.request.Request(root + path, data=data, method=method)
    req.add_header("Authorization", "Bearer " + token)
    if data is not None:
        req.add_header("Content-Type", content_type)
    with urllib.request.urlopen(req) as r:
        payload = r.read()
        stats["requests"] += 1
        stats["bytesReceived"] += len(payload)
        return r.headers.get("Content-Type", ""), payload

def batch_import(events):
    results = []
    for start in range(0, len(events), 1000):
        chunk = events[start:start + 1000]
        boundary = "bench" + uuid.uuid4().hex
        parts = []
        for i, e in enumerate(chunk):
            body = json.dumps(e)
            parts.append(f"--{boundary}\r\nContent-Type: application/http\r\nContent-ID: <i{i}>\r\n\r\n"
                         f"POST /calendar/v3/calendars/primary/events/import HTTP/1.1\r\n"
                         f"Content-Type: application/json\r\n\r\n{body}\r\n")
        payload = ("".join(parts) + f"--{boundary}--\r\n").encode()
        ctype, answer = call("POST", "batch/calendar/v3", payload, f"multipart/mixed; boundary={boundary}")
        b = ctype.split("boundary=")[1].strip('"')
        for part in answer.decode().split("--" + b)[1:-1]:
            status = int(part.split("HTTP/1.1 ", 1)[1][:3])
            text = part[part.index("{"):part.rindex("}") + 1]
            if status != 200:
                raise SystemExit(f"import failed: {status} {text[:300]}")
            results.append(json.loads(text))
    return results

cmd = sys.argv[4]
if cmd == "seed":
    # A cancelled event imported into Google is a deleted one: it is not listed and its
    # overrides cannot be imported. The calendar is made of the first `target` live events
    # (overrides counted, kept with their series); what was sent goes to sys.argv[7].
    target = int(sys.argv[6])
    events = [json.loads(l) for l in open(sys.argv[5]) if l.strip()]
    by_uid = {}
    for e in events:
        by_uid.setdefault(e["iCalUID"], []).append(e)
    chosen = []
    for e in events:
        if "originalStartTime" in e or e.get("status") == "cancelled":
            continue
        group = [e] + [o for o in by_uid[e["iCalUID"]] if "originalStartTime" in o]
        if len(chosen) + len(group) > target:
            break
        chosen += group
    masters = [e for e in chosen if "originalStartTime" not in e]
    overrides = [e for e in chosen if "originalStartTime" in e]
    ids = {}
    for e in batch_import(masters):
        if e.get("recurrence"):
            ids[e["iCalUID"]] = e["id"]
    for o in overrides:
        o["recurringEventId"] = ids[o["iCalUID"]]
    batch_import(overrides)
    with open(sys.argv[7], "w") as f:
        for e in masters + overrides:
            f.write(json.dumps(e) + "\n")
    print(f"seeded {len(masters)} series and single events, {len(overrides)} overrides", file=sys.stderr)
elif cmd == "change":
    items, token_ = [], None
    while True:
        q = "calendar/v3/calendars/primary/events?maxResults=2500" + (f"&pageToken={token_}" if token_ else "")
        page = json.loads(call("GET", q)[1])
        items += page.get("items", [])
        token_ = page.get("nextPageToken")
        if not token_:
            break
    singles = sorted((e for e in items if "recurrence" not in e and "recurringEventId" not in e and e.get("status") != "cancelled"),
                     key=lambda e: e["id"])
    base = "calendar/v3/calendars/primary/events/"
    for e in singles[:3]:
        call("PATCH", base + e["id"], {"summary": e.get("summary", "") + " (edited)"})
    new = []
    for i in range(3):
        e = dict(singles[10 + i])
        for k in ("id", "etag", "htmlLink", "created", "updated", "kind", "creator", "organizer"):
            e.pop(k, None)
        e["iCalUID"] = f"bench-new-{i}@calport.test"
        e["summary"] = f"New event {i}"
        new.append(e)
    batch_import(new)
    for e in singles[3:5]:
        call("DELETE", base + e["id"])
    # One occurrence of a series cancelled, one override edited.
    series = [e for e in items if e.get("recurrence") and any(r.startswith("RRULE:FREQ=WEEKLY") for r in e["recurrence"])]
    done = False
    for s in series:
        inst = json.loads(call("GET", base + s["id"] + "/instances?maxResults=5")[1]).get("items", [])
        if len(inst) >= 3:
            call("DELETE", base + inst[2]["id"])
            done = True
            break
    if not done:
        raise SystemExit("no expandable weekly series to cancel an occurrence of")
    override = next(e for e in items if "recurringEventId" in e and e.get("status") != "cancelled")
    call("PATCH", base + override["id"], {"location": "Moved room"})
    print("made 10 changes", file=sys.stderr)
json.dump(stats, open(stats_path, "w"))
PY

log "seeding"
python3 "$OUT/client.py" "$ROOT" "$CALPORT_ACCESS_TOKEN" "$OUT/client-stats.json" seed "$OUT/source.ndjson" "$N" "$OUT/seeded.ndjson"


log "calport pull"
"$CALPORT" pull --calendar primary -o "$OUT/pull.ics" --report "$OUT/pull.json" --quiet
log "calport archive (first run)"
CALPORT_NOW=1735689600 "$CALPORT" archive --calendar primary --dir "$OUT/archive" --report "$OUT/archive-1.json" --quiet
log "10 changes"
python3 "$OUT/client.py" "$ROOT" "$CALPORT_ACCESS_TOKEN" "$OUT/client-stats.json" change
log "calport archive (nightly run)"
CALPORT_NOW=1735776000 "$CALPORT" archive --calendar primary --dir "$OUT/archive" --report "$OUT/archive-2.json" --quiet
log "checks: the pull against what was imported; the nightly snapshot against a fresh pull"
# NDJSON has no calendar zone; the generated calendar's floating times are in its
# X-WR-TIMEZONE, Europe/Berlin (the fake's calendar is in UTC).
"$CALPORT" verify "$OUT/seeded.ndjson" "$OUT/pull.ics" --default-tz Europe/Berlin >"$OUT/verify.txt" || { log "verify found differences:"; tail -n 5 "$OUT/verify.txt" >&2; exit 1; }
"$CALPORT" convert "$OUT/pull.ics" --to ndjson --strict -o "$OUT/reread.ndjson"
"$CALPORT" pull --calendar primary -o "$OUT/pull-after.ics" --report "$OUT/pull-after.json" --quiet
# `--calendar primary` is archived under the account's address.
cmp "$OUT"/archive/*/2025-01-02.ics "$OUT/pull-after.ics"

stop_fake

python3 - "$OUT" "$N" <<'PY' | tee "$OUT/archive.md"
import json, sys
out, n = sys.argv[1], int(sys.argv[2])
load = lambda name: json.load(open(f"{out}/{name}"))
runs = [("calport pull (full export)", load("pull.json")),
        ("calport archive, first run (full listing)", load("archive-1.json")),
        ("calport archive, nightly run after 10 changes", load("archive-2.json")),
        ("calport pull again (check)", load("pull-after.json"))]
fake, client = load("fake-stats.json"), load("client-stats.json")
seeded = sum(1 for l in open(f"{out}/seeded.ndjson") if l.strip())
print(f"Calendar: {seeded:,} events (series, single events and overrides) from bench/gencal.py, imported into calport-fake-google (loopback, no gzip).\n")
print("| run | requests | response bytes | events received | wall time |")
print("|---|---:|---:|---:|---:|")
for name, r in runs:
    c = r["calendars"][0]
    print(f"| {name} | {r['requests']} | {r['responseBytes']:,} | {c['received']:,} | {r['seconds']:.2f} s |")
print()
calport_requests = sum(r["requests"] for _, r in runs)
calport_bytes = sum(r["responseBytes"] for _, r in runs)
print(f"Check against the fake's own count: {fake['requests']} requests and {fake['bytesSent']:,} response bytes in all, "
      f"of which the seeding and changing client made {client['requests']} and received {client['bytesReceived']:,}; "
      f"calport's runs add up to {calport_requests} and {calport_bytes:,} "
      f"({'equal' if (calport_requests, calport_bytes) == (fake['requests'] - client['requests'], fake['bytesSent'] - client['bytesReceived']) else 'DIFFERENT'}).")
a2 = runs[2][1]["calendars"][0]
print(f"Nightly run: mode {a2['mode']}, {a2['added']} added, {a2['changed']} changed, {a2['deleted']} deleted; "
      f"snapshot of {a2['events']:,} events identical to a fresh pull.")
PY
