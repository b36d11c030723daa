import Foundation

/// Large, realistic, deterministic iCalendar files for the tests, in Swift so that the tests
/// need no interpreter: the shapes of `bench/gencal.py` (which stays the benchmarks'
/// generator), drawn from a seeded generator of our own.
///
/// A VCALENDAR with four RRULE-based VTIMEZONEs (as Thunderbird and Google export them) and
/// exactly `events` VEVENTs, overrides included: about 10% recurring series (daily, weekly,
/// monthly; COUNT or UNTIL) with EXDATEs and moved occurrences, 5% cancelled events, all-day,
/// UTC, floating and DURATION events, attendees and rooms, alarms, categories, X- properties,
/// non-ASCII text. Lines end in CRLF and are folded at 75 octets on UTF-8 boundaries. The same
/// seed and count always give the same bytes.
struct CalendarGenerator {
    /// SplitMix64: small, fast, and the same on every platform.
    struct Random {
        private var state: UInt64
        init(seed: UInt64) { state = seed &+ 0x632B_E59B_D9B4_E019 }

        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }

        /// 0 ..< n
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
        /// a ... b
        mutating func int(_ a: Int, _ b: Int) -> Int { a + below(b - a + 1) }
        /// [0, 1)
        mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
        mutating func chance(_ p: Double) -> Bool { unit() < p }
        mutating func pick<T>(_ values: [T]) -> T { values[below(values.count)] }
        mutating func pick<T>(_ values: [T], weights: [Int]) -> T {
            var r = below(weights.reduce(0, +))
            for (value, weight) in zip(values, weights) {
                if r < weight { return value }
                r -= weight
            }
            return values[values.count - 1]
        }
        /// `k` distinct elements, in draw order.
        mutating func sample<T>(_ values: [T], _ k: Int) -> [T] {
            var pool = values, out: [T] = []
            for _ in 0..<min(k, pool.count) { out.append(pool.remove(at: below(pool.count))) }
            return out
        }
    }

    /// A wall-clock time without zone: seconds since 1970-01-01T00:00:00.
    struct Local: Comparable {
        var seconds: Int
        static func < (a: Local, b: Local) -> Bool { a.seconds < b.seconds }
        init(seconds: Int) { self.seconds = seconds }
        init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
            seconds = Self.days(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
        }
        var day: Int { seconds.floorDiv(86_400) }
        /// Monday is 0, as Python's `weekday()`.
        var weekday: Int { (day + 3).floorMod(7) }
        var civil: (year: Int, month: Int, day: Int) { Self.civil(day) }
        func adding(days: Int = 0, minutes: Int = 0) -> Local { Local(seconds: seconds + days * 86_400 + minutes * 60) }
        func adding(months: Int) -> Local {
            let c = civil, m = c.month - 1 + months
            let time = seconds.floorMod(86_400)
            return Local(seconds: Self.days(year: c.year + m.floorDiv(12), month: m.floorMod(12) + 1, day: c.day) * 86_400 + time)
        }
        var date: String {
            let c = civil
            return String(format: "%04d%02d%02d", c.year, c.month, c.day)
        }
        var dateTime: String {
            let t = seconds.floorMod(86_400)
            return date + String(format: "T%02d%02d%02d", t / 3600, t / 60 % 60, t % 60)
        }

        // Days from and to civil dates (proleptic Gregorian), after H. Hinnant's algorithms.
        static func days(year: Int, month: Int, day: Int) -> Int {
            let y = month <= 2 ? year - 1 : year
            let era = y.floorDiv(400)
            let yoe = y - era * 400
            let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
            let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
            return era * 146_097 + doe - 719_468
        }

        static func civil(_ days: Int) -> (year: Int, month: Int, day: Int) {
            let z = days + 719_468
            let era = z.floorDiv(146_097)
            let doe = z - era * 146_097
            let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
            let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
            let mp = (5 * doy + 2) / 153
            let d = doy - (153 * mp + 2) / 5 + 1
            let m = mp < 10 ? mp + 3 : mp - 9
            return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
        }
    }

    enum Kind: CaseIterable { case zoned, utc, allDay, duration, floating }

    struct Timing {
        var start: Local
        var end: Local?
        var durationMinutes: Int?
        /// nil: floating or all-day; "Z": UTC; else a TZID.
        var zone: String?
    }

    static let timeZones: [(tzid: String, parts: [(kind: String, from: String, to: String, name: String, start: String, rule: String?)])] = [
        ("Europe/Berlin", [("DAYLIGHT", "+0100", "+0200", "CEST", "19700329T020000", "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU"),
                           ("STANDARD", "+0200", "+0100", "CET", "19701025T030000", "FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU")]),
        ("America/New_York", [("DAYLIGHT", "-0500", "-0400", "EDT", "19700308T020000", "FREQ=YEARLY;BYMONTH=3;BYDAY=2SU"),
                              ("STANDARD", "-0400", "-0500", "EST", "19701101T020000", "FREQ=YEARLY;BYMONTH=11;BYDAY=1SU")]),
        ("Asia/Tokyo", [("STANDARD", "+0900", "+0900", "JST", "19700101T000000", nil)]),
        ("Australia/Sydney", [("STANDARD", "+1100", "+1000", "AEST", "19700405T030000", "FREQ=YEARLY;BYMONTH=4;BYDAY=1SU"),
                              ("DAYLIGHT", "+1000", "+1100", "AEDT", "19701004T020000", "FREQ=YEARLY;BYMONTH=10;BYDAY=1SU")]),
    ]
    static let zoneWeights = [60, 20, 10, 10]
    /// Standard-time offsets in hours, for UNTIL in UTC.
    static let standardOffset = ["Europe/Berlin": 1, "America/New_York": -5, "Asia/Tokyo": 9, "Australia/Sydney": 10, "Z": 0]

    static let summaries = [
        "Weekly sync", "1:1 with manager", "Sprint planning", "Sprint review & retro", "Quarterly business review",
        "Dentist", "Lunch with Sam", "Flight LH 400 FRA → JFK", "Café – Besprechung", "Team-Frühstück", "会議",
        "プロジェクト定例", "Offsite 🏔️", "Birthday party 🎂", "Budget review; Q3 numbers", "Interview: backend, senior",
        "Customer call (ACME Corp.)", "Release 2.4 go/no-go", "Réunion d'équipe", "Standup", "Coffee ☕",
        "Workshop: \"Design systems\"", "On-call handover", "Ужин с друзьями",
    ]
    static let locations = [
        "Room 4.12 \"Alpstein\"", "Konferenzraum Zürich, 3. OG", "https://meet.google.com/abc-defg-hij",
        "Café Einstein, Unter den Linden 42, 10117 Berlin", "東京都港区六本木6-10-1", "Home", "", "Building B; Floor 2", "Zoom",
    ]
    static let sentences = [
        "Please review the attached agenda before the meeting.", "Agenda: 1) status, 2) risks, 3) next steps; AOB.",
        "Dial-in: +1 555 0100, PIN 1234#", "Bitte Unterlagen mitbringen – danke!",
        "Notes are in \\\\fileserver\\team\\notes\\2024 (read-only).", "資料は事前に共有します。",
        "Join Microsoft Teams Meeting: https://teams.microsoft.com/l/meetup-join/19%3ameeting_abc%40thread.v2/0",
        "Don't forget: bring your laptop, charger, and badge 🙂",
        "-::~:~::~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~::~:~::-",
    ]
    static let people = [
        ("Anna Müller", "anna.mueller"), ("José García", "jose.garcia"), ("田中 太郎", "taro.tanaka"),
        ("Øyvind Hansen", "oyvind.hansen"), ("Smith, John", "john.smith"), ("Priya Patel", "priya.patel"),
        ("Zoë O'Brien", "zoe.obrien"), ("Li Wei", "wei.li"), ("Jürgen Weiß", "juergen.weiss"), ("Emily Chen", "emily.chen"),
    ]
    static let rooms = [("Room 4.12 Alpstein", "room-412"), ("Beamer 2", "beamer-2")]
    static let domains = ["example.com", "example.org", "example.net"]
    static let categories = ["Work", "Personal", "Meeting", "Travel", "Holiday", "Urgent", "Family", "Projekt Ω"]
    static let roles = ["REQ-PARTICIPANT", "REQ-PARTICIPANT", "REQ-PARTICIPANT", "OPT-PARTICIPANT", "CHAIR", "NON-PARTICIPANT"]
    static let partstats = ["ACCEPTED", "ACCEPTED", "ACCEPTED", "NEEDS-ACTION", "TENTATIVE", "DECLINED"]
    static let triggers = ["-PT15M", "-PT15M", "-PT15M", "-PT10M", "-PT30M", "-PT1H", "PT0S", "-P1D"]
    static let xProperties = [
        "X-MICROSOFT-CDO-BUSYSTATUS:BUSY", "X-MICROSOFT-CDO-IMPORTANCE:1", "X-APPLE-TRAVEL-ADVISORY-BEHAVIOR:AUTOMATIC",
        "X-MOZ-GENERATION:3", "X-GOOGLE-CONFERENCE:https://meet.google.com/abc-defg-hij",
    ]
    static let exportTime = Local(year: 2025, month: 6, day: 2, hour: 7, minute: 30)
    static let firstDay = Local(year: 2020, month: 1, day: 1).day
    static let dayCount = Local(year: 2027, month: 12, day: 31).day - firstDay + 1

    private var random: Random
    private var serial = 0

    init(seed: Int) { random = Random(seed: UInt64(bitPattern: Int64(seed))) }

    /// The whole calendar as bytes.
    static func calendar(events: Int, seed: Int) -> Data {
        var generator = CalendarGenerator(seed: seed)
        var out = Data()
        for line in header() { out.append(fold(line)) }
        for event in generator.events(count: events) {
            for line in event { out.append(fold(line)) }
        }
        out.append(fold("END:VCALENDAR"))
        return out
    }

    static func header() -> [String] {
        var lines = ["BEGIN:VCALENDAR", "PRODID:-//calport//test generator 1.0//EN", "VERSION:2.0", "CALSCALE:GREGORIAN",
                     "METHOD:PUBLISH", "X-WR-CALNAME:Work – Arbeit 📅", "X-WR-TIMEZONE:Europe/Berlin"]
        for zone in timeZones {
            lines += ["BEGIN:VTIMEZONE", "TZID:\(zone.tzid)", "X-LIC-LOCATION:\(zone.tzid)"]
            for p in zone.parts {
                lines += ["BEGIN:\(p.kind)", "TZOFFSETFROM:\(p.from)", "TZOFFSETTO:\(p.to)", "TZNAME:\(p.name)", "DTSTART:\(p.start)"]
                if let rule = p.rule { lines.append("RRULE:\(rule)") }
                lines.append("END:\(p.kind)")
            }
            lines.append("END:VTIMEZONE")
        }
        return lines
    }

    /// RFC 5545 3.3.11 TEXT escaping.
    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "\\": out += "\\\\"
            case ";": out += "\\;"
            case ",": out += "\\,"
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out
    }

    /// One content line, CRLF-terminated, folded at 75 octets without splitting a UTF-8 sequence.
    static func fold(_ line: String) -> Data {
        let bytes = Array(line.utf8)
        var out = Data(), start = 0, limit = 75
        while bytes.count - start > limit {
            var cut = start + limit
            while bytes[cut] & 0xC0 == 0x80 { cut -= 1 }
            out.append(contentsOf: bytes[start..<cut])
            out.append(contentsOf: Array("\r\n ".utf8))
            start = cut
            limit = 74
        }
        out.append(contentsOf: bytes[start...])
        out.append(contentsOf: Array("\r\n".utf8))
        return out
    }

    mutating func person() -> (name: String, mail: String) {
        let (name, handle) = random.pick(Self.people)
        return (name, "\(handle)@\(random.pick(Self.domains))")
    }

    mutating func timing(_ kind: Kind) -> Timing {
        let day = Local(seconds: (Self.firstDay + random.below(Self.dayCount)) * 86_400)
        if kind == .allDay {
            let length = random.chance(0.8) ? 1 : random.int(2, 5)
            return Timing(start: day, end: day.adding(days: length))
        }
        let start = Local(seconds: day.seconds + random.int(7, 19) * 3600 + random.pick([0, 0, 0, 30, 30, 15, 45]) * 60)
        let minutes = random.pick([15, 30, 30, 45, 60, 60, 60, 90, 120, 180])
        let zone = random.pick(Self.timeZones.map(\.tzid), weights: Self.zoneWeights)
        switch kind {
        case .duration: return Timing(start: start, durationMinutes: minutes, zone: zone)
        case .utc: return Timing(start: start, end: start.adding(minutes: minutes), zone: "Z")
        case .floating: return Timing(start: start, end: start.adding(minutes: minutes))
        default: return Timing(start: start, end: start.adding(minutes: minutes), zone: zone)
        }
    }

    static func value(_ t: Local, _ kind: Kind, _ zone: String?) -> String {
        kind == .allDay ? t.date : t.dateTime + (zone == "Z" ? "Z" : "")
    }

    static func property(_ name: String, _ t: Local, _ kind: Kind, _ zone: String?) -> String {
        let parameters = kind == .allDay ? ";VALUE=DATE" : (zone.map { $0 == "Z" ? "" : ";TZID=\($0)" } ?? "")
        return "\(name)\(parameters):\(value(t, kind, zone))"
    }

    /// The content lines of one VEVENT.
    mutating func event(uid: String, kind: Kind, timing t: Timing, summary: String, sequence: Int, stamp: Local,
                        extra: [String] = []) -> [String] {
        let created = Local(seconds: min(t.start, stamp).seconds - random.int(1, 90) * 86_400 - random.below(86_400))
        let modified = Local(seconds: created.seconds + Int(Double(stamp.seconds - created.seconds) * pow(random.unit(), 3)))
        var lines = ["BEGIN:VEVENT", Self.property("DTSTART", t.start, kind, t.zone)]
        if let minutes = t.durationMinutes {
            let (h, m) = minutes.quotientAndRemainder(dividingBy: 60)
            lines.append("DURATION:PT" + (h > 0 ? "\(h)H" : "") + (m > 0 ? "\(m)M" : ""))
        } else if let end = t.end {
            lines.append(Self.property("DTEND", end, kind, t.zone))
        }
        lines += ["DTSTAMP:\(stamp.dateTime)Z", "UID:\(uid)"] + extra
        lines += ["CREATED:\(created.dateTime)Z", "LAST-MODIFIED:\(modified.dateTime)Z", "SEQUENCE:\(sequence)",
                  "SUMMARY:\(Self.escape(summary))"]
        let sentences = (0..<random.pick([0, 1, 2, 3, 5], weights: [25, 25, 25, 15, 10])).map { _ in random.pick(Self.sentences) }
        if !sentences.isEmpty { lines.append("DESCRIPTION:" + Self.escape(sentences.joined(separator: "\n"))) }
        let location = random.pick(Self.locations)
        if !location.isEmpty { lines.append("LOCATION:" + Self.escape(location)) }
        lines.append("STATUS:" + random.pick(["CONFIRMED", "TENTATIVE", "CANCELLED"], weights: [85, 10, 5]))
        lines.append("TRANSP:" + (kind == .allDay || random.chance(0.1) ? "TRANSPARENT" : "OPAQUE"))
        lines.append("CLASS:" + random.pick(["PUBLIC", "PRIVATE", "CONFIDENTIAL"], weights: [80, 15, 5]))
        let attendees = random.pick(Array(0..<7), weights: [30, 10, 20, 15, 10, 8, 7])
        if attendees > 0 {
            let organizer = person()
            lines.append("ORGANIZER;CN=\"\(organizer.name)\":mailto:\(organizer.mail)")
            for i in 0..<attendees {
                var who = person(), cutype = "INDIVIDUAL"
                if i == attendees - 1, random.chance(0.15) {
                    let room = random.pick(Self.rooms)
                    who = (room.0, "\(room.1)@resource.example.com")
                    cutype = "ROOM"
                }
                lines.append("ATTENDEE;CUTYPE=\(cutype);ROLE=\(random.pick(Self.roles));PARTSTAT=\(random.pick(Self.partstats));"
                             + "RSVP=\(random.chance(0.5) ? "TRUE" : "FALSE");CN=\"\(who.name)\":mailto:\(who.mail)")
            }
        }
        if random.chance(0.3) {
            lines.append("CATEGORIES:" + random.sample(Self.categories, random.int(1, 3)).map(Self.escape).joined(separator: ","))
        }
        if random.chance(0.15) {
            lines.append("URL:https://calendar.example.com/event?id=\(String(random.next() >> 24, radix: 16))&src=test")
        }
        lines += random.sample(Self.xProperties, random.pick([0, 1, 2], weights: [50, 35, 15]))
        if random.chance(0.4) {
            let trigger = kind == .allDay ? "-PT15H" : random.pick(Self.triggers)
            lines += ["BEGIN:VALARM", "ACTION:DISPLAY", "DESCRIPTION:Reminder", "TRIGGER:\(trigger)", "END:VALARM"]
        }
        lines.append("END:VEVENT")
        return lines
    }

    /// Exactly `count` VEVENTs, each as its content lines.
    mutating func events(count: Int) -> [[String]] {
        var out: [[String]] = []
        while out.count < count {
            serial += 1
            let uid = String(format: "%016llx%08x@example.com", random.next(), serial)
            let kind = random.pick(Kind.allCases, weights: [69, 10, 15, 5, 1])
            var t = timing(kind)
            let summary = random.pick(Self.summaries)
            let sequence = random.pick([0, 0, 0, 0, 1, 2, 3])
            let stamp = Local(seconds: Self.exportTime.seconds + out.count / 500)  // exports take a while
            if !random.chance(0.10) {
                out.append(event(uid: uid, kind: kind, timing: t, summary: summary, sequence: sequence, stamp: stamp))
                continue
            }
            // A recurring series; occurrence k starts at start + k steps.
            let freq = random.pick(["WEEKLY", "WEEKLY", "WEEKLY", "DAILY", "MONTHLY"])
            if freq == "MONTHLY", t.start.civil.day > 28 {
                let shift = (t.start.civil.day - 28) * 86_400
                t.start.seconds -= shift
                t.end?.seconds -= shift
            }
            let start = t.start
            let occurrences = random.int(3, 52)
            func occurrence(_ k: Int) -> Local {
                switch freq {
                case "MONTHLY": start.adding(months: k)
                case "WEEKLY": start.adding(days: 7 * k)
                default: start.adding(days: k)
                }
            }
            var rule = "RRULE:FREQ=\(freq)"
            if freq == "WEEKLY", random.chance(0.3) {
                rule += ";INTERVAL=1;BYDAY=" + ["MO", "TU", "WE", "TH", "FR", "SA", "SU"][start.weekday]
            }
            if random.chance(0.5) || kind == .floating {
                rule += ";COUNT=\(occurrences)"
            } else if kind == .allDay {  // UNTIL has DTSTART's value type
                rule += ";UNTIL=\(occurrence(occurrences - 1).date)"
            } else {  // in UTC; an hour of slack covers DST, the next occurrence is a day or more later
                let last = occurrence(occurrences - 1).adding(minutes: -60 * ((Self.standardOffset[t.zone ?? "Z"] ?? 0) - 1))
                rule += ";UNTIL=\(last.dateTime)Z"
            }
            var extra = [rule]
            let exdates = random.pick([0, 0, 1, 2]), moved = random.pick([0, 0, 1, 1, 2])
            let picks = random.sample(Array(1..<occurrences), min(occurrences - 1, exdates + moved))
            let excluded = picks.prefix(exdates).sorted(), overridden = picks.dropFirst(exdates).sorted()
            if let first = excluded.first {
                extra.append(Self.property("EXDATE", occurrence(first), kind, t.zone)
                             + excluded.dropFirst().map { "," + Self.value(occurrence($0), kind, t.zone) }.joined())
            }
            out.append(event(uid: uid, kind: kind, timing: t, summary: summary, sequence: sequence, stamp: stamp, extra: extra))
            for k in overridden.prefix(min(2, count - out.count)) {
                let o = occurrence(k)
                let shifted = kind == .allDay ? o.adding(days: 1) : o.adding(minutes: random.pick([-60, 30, 60, 120]))
                let span = t.end.map { $0.seconds - t.start.seconds }
                let moved = Timing(start: shifted, end: span.map { Local(seconds: shifted.seconds + $0) },
                                   durationMinutes: t.durationMinutes, zone: t.zone)
                out.append(event(uid: uid, kind: kind, timing: moved, summary: summary + " (moved)", sequence: sequence + 1,
                                 stamp: stamp, extra: [Self.property("RECURRENCE-ID", o, kind, t.zone)]))
            }
        }
        return out
    }
}

private extension Int {
    func floorDiv(_ d: Int) -> Int { (self >= 0 ? self : self - d + 1) / d }
    func floorMod(_ d: Int) -> Int { self - floorDiv(d) * d }
}
