#!/usr/bin/env python3
"""Generate a large, realistic, deterministic iCalendar (RFC 5545) file.

    python3 bench/gencal.py --events N [--seed S] [--profile standard|heavy] -o FILE   (-o - for stdout)

The output imitates Google / Outlook / Thunderbird exports: a VCALENDAR with
VTIMEZONEs followed by exactly N VEVENTs (recurrence overrides included in N).
Lines are CRLF-terminated and folded at 75 octets on UTF-8 boundaries. The same
seed, N and profile always give byte-identical output.

Profiles:
  standard  four VTIMEZONEs; up to 6 attendees, one alarm, short descriptions;
            10% of events are series (0-2 EXDATEs, 0-2 overrides).
  heavy     eight VTIMEZONEs (one with an Outlook name); 2 in 5 events
            invite 5-50 attendees; most have one or two alarms; long multi-line
            descriptions (some with an HTML X-ALT-DESC); several X- properties;
            15% are series with 0-4 EXDATEs and 0-3 overrides.
"""
import argparse
import random
import sys
from datetime import date, datetime, timedelta

PRODID = "-//calport//bench gencal 1.0//EN"

# Time zones as Thunderbird/Google export them (RRULE-based, starting 1970).
VTIMEZONES = {
    "Europe/Berlin": [
        ("DAYLIGHT", "+0100", "+0200", "CEST", "19700329T020000", "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU"),
        ("STANDARD", "+0200", "+0100", "CET", "19701025T030000", "FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU"),
    ],
    "America/New_York": [
        ("DAYLIGHT", "-0500", "-0400", "EDT", "19700308T020000", "FREQ=YEARLY;BYMONTH=3;BYDAY=2SU"),
        ("STANDARD", "-0400", "-0500", "EST", "19701101T020000", "FREQ=YEARLY;BYMONTH=11;BYDAY=1SU"),
    ],
    "Asia/Tokyo": [
        ("STANDARD", "+0900", "+0900", "JST", "19700101T000000", None),
    ],
    "Australia/Sydney": [
        ("STANDARD", "+1100", "+1000", "AEST", "19700405T030000", "FREQ=YEARLY;BYMONTH=4;BYDAY=1SU"),
        ("DAYLIGHT", "+1000", "+1100", "AEDT", "19701004T020000", "FREQ=YEARLY;BYMONTH=10;BYDAY=1SU"),
    ],
}
# The heavy profile adds these (an Outlook-named zone among them).
HEAVY_VTIMEZONES = {
    "Europe/London": [
        ("DAYLIGHT", "+0000", "+0100", "BST", "19700329T010000", "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU"),
        ("STANDARD", "+0100", "+0000", "GMT", "19701025T020000", "FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU"),
    ],
    "America/Los_Angeles": [
        ("DAYLIGHT", "-0800", "-0700", "PDT", "19700308T020000", "FREQ=YEARLY;BYMONTH=3;BYDAY=2SU"),
        ("STANDARD", "-0700", "-0800", "PST", "19701101T020000", "FREQ=YEARLY;BYMONTH=11;BYDAY=1SU"),
    ],
    "Asia/Kolkata": [
        ("STANDARD", "+0530", "+0530", "IST", "19700101T000000", None),
    ],
    "W. Europe Standard Time": [
        ("STANDARD", "+0200", "+0100", "", "16010101T030000", "FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU"),
        ("DAYLIGHT", "+0100", "+0200", "", "16010101T020000", "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU"),
    ],
}
HEAVY_TZ_WEIGHTS = [("Europe/Berlin", 35), ("W. Europe Standard Time", 15), ("America/New_York", 15),
                    ("Europe/London", 10), ("America/Los_Angeles", 10), ("Asia/Tokyo", 5),
                    ("Asia/Kolkata", 5), ("Australia/Sydney", 5)]
HEAVY_TZ_CHOICES = [tz for tz, w in HEAVY_TZ_WEIGHTS for _ in range(w)]
TZ_WEIGHTS = [("Europe/Berlin", 60), ("America/New_York", 20), ("Asia/Tokyo", 10), ("Australia/Sydney", 10)]
TZ_CHOICES = [tz for tz, w in TZ_WEIGHTS for _ in range(w)]
UTC_OFFSET = {"Europe/Berlin": 1, "America/New_York": -5, "Asia/Tokyo": 9, "Australia/Sydney": 10, "Z": 0,
              "Europe/London": 0, "America/Los_Angeles": -8, "Asia/Kolkata": 5.5,
              "W. Europe Standard Time": 1}  # standard time, hours

SUMMARIES = [
    "Weekly sync", "1:1 with manager", "Sprint planning", "Sprint review & retro",
    "Quarterly business review", "Dentist", "Lunch with Sam", "Flight LH 400 FRA → JFK",
    "Café – Besprechung", "Team-Frühstück", "会議", "プロジェクト定例", "Offsite 🏔️",
    "Birthday party 🎂", "Yoga 🧘", "Budget review; Q3 numbers", "Interview: backend, senior",
    "Customer call (ACME Corp.)", "Release 2.4 go/no-go", "Réunion d'équipe", "Standup",
    "Architecture review", "Security training", "Doctor's appointment", "Parent-teacher meeting",
    "Quartalsplanung Vertrieb", "Coffee ☕", "Board meeting", "Hackathon day 1", "Öffentlicher Vortrag",
    "Workshop: \"Design systems\"", "On-call handover", "Reunión de equipo", "Ужин с друзьями",
]
LOCATIONS = [
    "Room 4.12 \"Alpstein\"", "Konferenzraum Zürich, 3. OG", "https://meet.google.com/abc-defg-hij",
    "Microsoft Teams Meeting", "Café Einstein, Unter den Linden 42, 10117 Berlin",
    "東京都港区六本木6-10-1", "350 5th Ave, New York, NY 10118", "Home", "",
    "George St, Sydney NSW 2000", "Building B; Floor 2", "Zoom", "Gate A23, Frankfurt Airport",
]
SENTENCES = [
    "Please review the attached agenda before the meeting.",
    "Agenda: 1) status, 2) risks, 3) next steps; AOB.",
    "Dial-in: +1 555 0100, PIN 1234#",
    "Bitte Unterlagen mitbringen – danke!",
    "Notes are in \\\\fileserver\\team\\notes\\2024 (read-only).",
    "資料は事前に共有します。",
    "We will discuss the roadmap, hiring plan, and budget for next year.",
    "Join Microsoft Teams Meeting: https://teams.microsoft.com/l/meetup-join/19%3ameeting_abc%40thread.v2/0",
    "Parking is available in the garage; use the north entrance.",
    "Don't forget: bring your laptop, charger, and badge 🙂",
    "Questions? Reply to this invite or ping #team-calendar on Slack.",
    "Ce rendez-vous a été déplacé à la demande du client.",
    "-::~:~::~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~::~:~::-",
]
PEOPLE = [
    ("Anna Müller", "anna.mueller"), ("José García", "jose.garcia"), ("田中 太郎", "taro.tanaka"),
    ("Øyvind Hansen", "oyvind.hansen"), ("Smith, John", "john.smith"), ("Priya Patel", "priya.patel"),
    ("Zoë O'Brien", "zoe.obrien"), ("Li Wei", "wei.li"), ("Ahmed Hassan", "ahmed.hassan"),
    ("Chloé Dubois", "chloe.dubois"), ("Mark Johnson", "mark.johnson"), ("Sara Rossi", "sara.rossi"),
    ("Jürgen Weiß", "juergen.weiss"), ("Emily Chen", "emily.chen"), ("Ivan Petrov", "ivan.petrov"),
]
ROOMS = [("Room 4.12 Alpstein", "room-412"), ("Beamer 2", "beamer-2")]
DOMAINS = ["example.com", "example.org", "example.net"]
CATEGORIES = ["Work", "Personal", "Meeting", "Travel", "Holiday", "Urgent", "Family", "Projekt Ω"]
ROLES = ["REQ-PARTICIPANT"] * 5 + ["OPT-PARTICIPANT", "CHAIR", "NON-PARTICIPANT"]
PARTSTATS = ["ACCEPTED"] * 4 + ["NEEDS-ACTION", "NEEDS-ACTION", "TENTATIVE", "DECLINED"]
TRIGGERS = ["-PT15M"] * 4 + ["-PT10M", "-PT30M", "-PT1H", "-PT5M", "PT0S", "-P1D"]
HEAVY_X_PROPS = [
    "X-MICROSOFT-CDO-APPT-SEQUENCE:0", "X-MICROSOFT-CDO-OWNERAPPTID:2118730593", "X-MICROSOFT-CDO-INTENDEDSTATUS:BUSY",
    "X-MICROSOFT-CDO-ALLDAYEVENT:FALSE", "X-MICROSOFT-CDO-INSTTYPE:0", "X-MICROSOFT-DONOTFORWARDMEETING:FALSE",
    "X-MICROSOFT-LOCATIONS:[{\"DisplayName\":\"Room 4.12\",\"LocationAnnotation\":\"\",\"LocationUri\":\"\"}]",
    "X-APPLE-STRUCTURED-LOCATION;VALUE=URI;X-ADDRESS=Unter den Linden 42\\n10117 Berlin;X-TITLE=Café Einstein:geo:52.517,13.388",
    "X-GOOGLE-CONFERENCE:https://meet.google.com/abc-defg-hij", "X-MOZ-LASTACK:20250601T080000Z",
]
X_PROPS = [
    "X-MICROSOFT-CDO-BUSYSTATUS:BUSY", "X-MICROSOFT-CDO-IMPORTANCE:1", "X-MICROSOFT-DISALLOW-COUNTER:FALSE",
    "X-APPLE-TRAVEL-ADVISORY-BEHAVIOR:AUTOMATIC", "X-MOZ-GENERATION:3", "X-GOOGLE-CONFERENCE:https://meet.google.com/abc-defg-hij",
]

EXPORT_TIME = datetime(2025, 6, 2, 7, 30, 0)  # DTSTAMP of the "export", UTC
EPOCH0 = date(2020, 1, 1).toordinal()
NDAYS = date(2027, 12, 31).toordinal() - EPOCH0 + 1


def esc(s):
    """Escape a TEXT value (RFC 5545 3.3.11)."""
    return s.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold(line):
    """Encode one content line and fold it at 75 octets without splitting UTF-8 sequences."""
    b = line.encode("utf-8")
    if len(b) <= 75:
        return b + b"\r\n"
    out, start, limit = [], 0, 75
    while len(b) - start > limit:
        cut = start + limit
        while b[cut] & 0xC0 == 0x80:  # never cut before a continuation byte
            cut -= 1
        out.append(b[start:cut])
        start, limit = cut, 74  # continuation lines carry a leading space
    out.append(b[start:])
    return b"\r\n ".join(out) + b"\r\n"


def fdt(d):
    return f"{d.year:04d}{d.month:02d}{d.day:02d}T{d.hour:02d}{d.minute:02d}{d.second:02d}"


def fdate(d):
    return f"{d.year:04d}{d.month:02d}{d.day:02d}"


class Gen:
    def __init__(self, seed, heavy=False):
        self.r = random.Random(seed)
        self.n = 0  # serial number, makes UIDs unique
        self.heavy = heavy
        self.tz_choices = HEAVY_TZ_CHOICES if heavy else TZ_CHOICES

    def person(self):
        name, handle = self.r.choice(PEOPLE)
        return name, f"{handle}@{self.r.choice(DOMAINS)}"

    def description(self):
        r = self.r
        if self.heavy:
            k = r.choices([0, 2, 4, 8, 12, 20], weights=[20, 25, 25, 15, 10, 5])[0]
        else:
            k = r.choices([0, 1, 2, 3, 5], weights=[25, 25, 25, 15, 10])[0]
        return "\n".join(r.choice(SENTENCES) for _ in range(k))

    def timing(self, kind):
        """Return (start, end-or-None, duration-or-None, tzid-or-None) for an event kind."""
        r = self.r
        day = date.fromordinal(EPOCH0 + r.randrange(NDAYS))
        if kind == "allday":
            length = 1 if r.random() < 0.8 else r.randint(2, 5)
            return day, day + timedelta(days=length), None, None
        start = datetime(day.year, day.month, day.day, r.randint(7, 19), r.choice((0, 0, 0, 30, 30, 15, 45)))
        dur = timedelta(minutes=r.choice((15, 30, 30, 45, 60, 60, 60, 90, 120, 180)))
        if kind == "duration":
            return start, None, dur, r.choice(self.tz_choices)
        if kind == "utc":
            return start, start + dur, None, "Z"
        if kind == "floating":
            return start, start + dur, None, None
        return start, start + dur, None, r.choice(self.tz_choices)

    @staticmethod
    def dtval(value, kind, tzid):
        return fdate(value) if kind == "allday" else fdt(value) + ("Z" if tzid == "Z" else "")

    @classmethod
    def dtprop(cls, name, value, kind, tzid):
        if kind == "allday":
            params = ";VALUE=DATE"
        elif tzid and tzid != "Z":
            params = f";TZID={tzid}"
        else:
            params = ""
        return f"{name}{params}:{cls.dtval(value, kind, tzid)}"

    def event(self, uid, kind, timing, summary, seq, stamp, extra=()):
        """Build the content lines of one VEVENT."""
        r = self.r
        start, end, dur, tzid = timing
        # Created some weeks before the event (but before the export), modified in between.
        t0 = start if isinstance(start, datetime) else datetime(start.year, start.month, start.day)
        created = min(t0, stamp) - timedelta(days=r.randint(1, 90), seconds=r.randrange(86400))
        modified = created + (stamp - created) * r.random() ** 3
        modified -= timedelta(microseconds=modified.microsecond)
        lines = ["BEGIN:VEVENT", self.dtprop("DTSTART", start, kind, tzid)]
        if dur is not None:
            h, m = divmod(dur.seconds // 60, 60)
            lines.append("DURATION:PT" + (f"{h}H" if h else "") + (f"{m}M" if m else ""))
        else:
            lines.append(self.dtprop("DTEND", end, kind, tzid))
        lines += [f"DTSTAMP:{fdt(stamp)}Z", f"UID:{uid}", *extra,
                  f"CREATED:{fdt(created)}Z", f"LAST-MODIFIED:{fdt(modified)}Z", f"SEQUENCE:{seq}",
                  f"SUMMARY:{esc(summary)}"]
        desc = self.description()
        if desc:
            lines.append(f"DESCRIPTION:{esc(desc)}")
        loc = r.choice(LOCATIONS)
        if loc:
            lines.append(f"LOCATION:{esc(loc)}")
        lines.append("STATUS:" + r.choices(("CONFIRMED", "TENTATIVE", "CANCELLED"), weights=(85, 10, 5))[0])
        lines.append("TRANSP:" + ("TRANSPARENT" if kind == "allday" or r.random() < 0.1 else "OPAQUE"))
        lines.append("CLASS:" + r.choices(("PUBLIC", "PRIVATE", "CONFIDENTIAL"), weights=(80, 15, 5))[0])
        if self.heavy:  # about half the events invite 5 to 50 people, most of them few
            natt = min(50, 5 + int(r.expovariate(1 / 7))) if r.random() < 0.4 else r.choice((0, 0, 1, 2))
        else:
            natt = r.choices(range(7), weights=(30, 10, 20, 15, 10, 8, 7))[0]
        if natt:
            name, mail = self.person()
            lines.append(f'ORGANIZER;CN="{name}":mailto:{mail}')
            for i in range(natt):
                if i == natt - 1 and r.random() < 0.15:
                    (name, handle), cutype = r.choice(ROOMS), "ROOM"
                    mail = f"{handle}@resource.example.com"
                else:
                    (name, mail), cutype = self.person(), "INDIVIDUAL"
                lines.append(f"ATTENDEE;CUTYPE={cutype};ROLE={r.choice(ROLES)};PARTSTAT={r.choice(PARTSTATS)};"
                             f"RSVP={'TRUE' if r.random() < 0.5 else 'FALSE'};CN=\"{name}\":mailto:{mail}")
        if r.random() < 0.3:
            cats = r.sample(CATEGORIES, r.randint(1, 3))
            lines.append("CATEGORIES:" + ",".join(esc(c) for c in cats))
        if r.random() < 0.15:
            lines.append(f"URL:https://calendar.example.com/event?id={r.getrandbits(40):x}&src=bench")
        if self.heavy:
            lines += r.sample(HEAVY_X_PROPS + X_PROPS, r.randint(2, 6))
            if desc and r.random() < 0.2:  # Outlook's HTML copy of the description
                html = "".join(f"<p>{s}</p>" for s in desc.split("\n"))
                lines.append("X-ALT-DESC;FMTTYPE=text/html:<html><body>" + esc(html) + "</body></html>")
            for i in range(r.choices((0, 1, 2), weights=(20, 55, 25))[0]):
                trig = "-PT15H" if kind == "allday" else r.choice(TRIGGERS)
                action = "DISPLAY" if i == 0 else r.choice(("DISPLAY", "AUDIO", "EMAIL"))
                alarm = ["BEGIN:VALARM", f"ACTION:{action}", f"TRIGGER:{trig}"]
                if action == "EMAIL":
                    alarm += [f"SUMMARY:{esc(summary)}", "DESCRIPTION:Reminder: " + esc(summary),
                              "ATTENDEE:mailto:" + self.person()[1]]
                elif action == "DISPLAY":
                    alarm.append("DESCRIPTION:Reminder")
                if r.random() < 0.2:
                    alarm += ["REPEAT:2", "DURATION:PT5M"]
                alarm.append(f"X-WR-ALARMUID:{r.getrandbits(64):016x}")
                lines += alarm + ["END:VALARM"]
        else:
            for x in r.sample(X_PROPS, r.choices((0, 1, 2), weights=(50, 35, 15))[0]):
                lines.append(x)
            if r.random() < 0.4:
                trig = "-PT15H" if kind == "allday" else r.choice(TRIGGERS)
                lines += ["BEGIN:VALARM", "ACTION:DISPLAY", "DESCRIPTION:Reminder", f"TRIGGER:{trig}", "END:VALARM"]
        lines.append("END:VEVENT")
        return lines

    def events(self, count):
        """Yield lists of content lines, one per VEVENT, exactly `count` in total."""
        r = self.r
        kinds = ("tz", "utc", "allday", "duration", "floating")
        weights = (69, 10, 15, 5, 1)
        emitted = 0
        while emitted < count:
            self.n += 1
            uid = f"{r.getrandbits(96):024x}{self.n:08x}@example.com"
            kind = r.choices(kinds, weights)[0]
            timing = self.timing(kind)
            summary = r.choice(SUMMARIES)
            seq = r.choice((0, 0, 0, 0, 1, 2, 3))
            stamp = EXPORT_TIME + timedelta(seconds=emitted // 500)  # exports take a while
            if r.random() >= (0.15 if self.heavy else 0.10):
                yield self.event(uid, kind, timing, summary, seq, stamp)
                emitted += 1
                continue
            # Recurring master; occurrences are start + k * step.
            freq = r.choice(("WEEKLY", "WEEKLY", "WEEKLY", "DAILY", "MONTHLY"))
            start, tzid = timing[0], timing[3]
            if freq == "MONTHLY" and start.day > 28:
                start = start.replace(day=28)
                timing = (start, timing[1] and start + (timing[1] - timing[0]), timing[2], tzid)
            nocc = r.randint(3, 52)

            def occ(k):
                if freq == "MONTHLY":
                    m = start.month - 1 + k
                    return start.replace(year=start.year + m // 12, month=m % 12 + 1)
                return start + timedelta(days=k * (7 if freq == "WEEKLY" else 1))

            rule = f"RRULE:FREQ={freq}"
            if freq == "WEEKLY" and r.random() < 0.3:
                rule += ";INTERVAL=1;BYDAY=" + ("MO", "TU", "WE", "TH", "FR", "SA", "SU")[start.weekday()]
            if r.random() < 0.5 or kind == "floating":
                rule += f";COUNT={nocc}"
            elif kind == "allday":  # UNTIL must have DTSTART's value type
                rule += f";UNTIL={fdate(occ(nocc - 1))}"
            else:  # UTC; one hour of slack covers DST, the next occurrence is >= 1 day later
                last = occ(nocc - 1) - timedelta(hours=UTC_OFFSET[tzid] - 1)
                rule += f";UNTIL={fdt(last)}Z"
            extra = [rule]
            if self.heavy:
                n_ex, n_ov = r.choice((0, 0, 1, 2, 3, 4)), r.choice((0, 0, 1, 1, 2, 3))
            else:
                n_ex, n_ov = r.choice((0, 0, 1, 2)), r.choice((0, 0, 1, 1, 2))
            picks = r.sample(range(1, nocc), min(nocc - 1, n_ex + n_ov))
            exdates, overrides = sorted(picks[:n_ex]), sorted(picks[n_ex:])
            if exdates:
                extra.append(self.dtprop("EXDATE", occ(exdates[0]), kind, tzid) +
                             "".join("," + self.dtval(occ(k), kind, tzid) for k in exdates[1:]))
            yield self.event(uid, kind, timing, summary, seq, stamp, extra)
            emitted += 1
            for k in overrides[: min(3 if self.heavy else 2, count - emitted)]:
                o = occ(k)
                shift = timedelta(days=1) if kind == "allday" else timedelta(minutes=r.choice((-60, 30, 60, 120)))
                span = timing[1] - timing[0] if timing[1] is not None else None
                otiming = (o + shift, span and o + shift + span, timing[2], tzid)
                rid = self.dtprop("RECURRENCE-ID", o, kind, tzid)
                yield self.event(uid, kind, otiming, summary + " (moved)", seq + 1, stamp, [rid])
                emitted += 1


def header(heavy=False):
    lines = ["BEGIN:VCALENDAR", f"PRODID:{PRODID}", "VERSION:2.0", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
             "X-WR-CALNAME:Work – Arbeit 📅", "X-WR-TIMEZONE:Europe/Berlin",
             "X-WR-CALDESC:Generated benchmark calendar\\, deterministic"]
    zones = {**VTIMEZONES, **HEAVY_VTIMEZONES} if heavy else VTIMEZONES
    for tzid, parts in zones.items():
        lines += ["BEGIN:VTIMEZONE", f"TZID:{tzid}", f"X-LIC-LOCATION:{tzid}"]
        for kind, off_from, off_to, name, start, rrule in parts:
            lines += [f"BEGIN:{kind}", f"TZOFFSETFROM:{off_from}", f"TZOFFSETTO:{off_to}",
                      *([f"TZNAME:{name}"] if name else []), f"DTSTART:{start}"]
            if rrule:
                lines.append(f"RRULE:{rrule}")
            lines.append(f"END:{kind}")
        lines.append("END:VTIMEZONE")
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, required=True, help="number of VEVENT components")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--profile", choices=("standard", "heavy"), default="standard")
    ap.add_argument("-o", "--output", required=True, help="output file, or - for stdout")
    args = ap.parse_args()

    out = sys.stdout.buffer if args.output == "-" else open(args.output, "wb")
    total = 0
    heavy = args.profile == "heavy"
    buf = [fold(l) for l in header(heavy)]
    for ev in Gen(args.seed, heavy).events(args.events):
        buf.extend(fold(l) for l in ev)
        if len(buf) > 20000:
            chunk = b"".join(buf)
            total += len(chunk)
            out.write(chunk)
            buf = []
    buf.append(fold("END:VCALENDAR"))
    chunk = b"".join(buf)
    total += len(chunk)
    out.write(chunk)
    out.flush()
    if out is not sys.stdout.buffer:
        out.close()
    print(f"gencal: {args.events} events ({args.profile}), {total} bytes ({total / 1e6:.1f} MB) -> {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
