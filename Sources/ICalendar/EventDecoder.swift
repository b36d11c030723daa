import CalendarModel

/// Turns one VEVENT (its lines, tokenised by calport and parsed by libical) into an `Event`.
/// Typed times, durations and counters come from libical; text and everything kept verbatim
/// from calport's tokens, so escapes and unknown parameters survive.
struct EventDecoder {
    /// The zones TZIDs resolve against.
    let zones: ZoneSnapshot
    let file: String
    /// Receives each diagnostic; `onceKey` is set for those reported once per input (an
    /// unknown TZID): the receiver drops all but the first with the same key.
    let report: (_ diagnostic: Diagnostic, _ onceKey: String?) -> Void

    /// Properties that map to typed fields of `Event` are the `PropertyKind`s below `begin`;
    /// everything else is kept verbatim. Each has its own bit, its raw value, for telling a
    /// repeated property from the first.
    static func typedBit(_ kind: PropertyKind) -> UInt32? {
        kind.rawValue < PropertyKind.begin.rawValue ? UInt32(1) << UInt32(kind.rawValue) : nil
    }
    /// The typed properties an event may have several of.
    static let repeatable: UInt32 = [PropertyKind.attendee, .rrule, .exrule, .rdate, .exdate, .categories, .attach]
        .reduce(0) { $0 | typedBit($1)! }

    /// Parameters the typed fields already express, per property.
    static let modelledParameters: [String: Set<String>] = [
        "DTSTART": ["TZID", "VALUE"], "DTEND": ["TZID", "VALUE"], "RECURRENCE-ID": ["TZID", "VALUE", "RANGE"],
        "RDATE": ["TZID", "VALUE"], "EXDATE": ["TZID", "VALUE"], "ATTACH": ["FMTTYPE", "VALUE", "ENCODING"],
        "URL": ["VALUE"],
    ]

    /// Whether the bytes are UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF).
    static func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        let n = bytes.count
        while i < n {
            // ASCII, nearly all of any calendar, eight bytes at a time.
            if i + 8 <= n, Bytes.Word.load(bytes, at: i) & 0x8080_8080_8080_8080 == 0 { i += 8; continue }
            let b = bytes[i]
            if b < 0x80 { i += 1; continue }
            // The length of the sequence, and the range its second byte must fall in.
            let length: Int, low: UInt8, high: UInt8
            switch b {
            case 0xC2...0xDF: (length, low, high) = (2, 0x80, 0xBF)
            case 0xE0: (length, low, high) = (3, 0xA0, 0xBF)
            case 0xE1...0xEC, 0xEE...0xEF: (length, low, high) = (3, 0x80, 0xBF)
            case 0xED: (length, low, high) = (3, 0x80, 0x9F)
            case 0xF0: (length, low, high) = (4, 0x90, 0xBF)
            case 0xF1...0xF3: (length, low, high) = (4, 0x80, 0xBF)
            case 0xF4: (length, low, high) = (4, 0x80, 0x8F)
            default: return false
            }
            guard i + length <= n, (low...high).contains(bytes[i + 1]) else { return false }
            for k in 2..<length where !(0x80...0xBF).contains(bytes[i + k]) { return false }
            i += length
        }
        return true
    }

    func decode(_ raw: RawComponentText) -> Event {
        let tree = RawComponent(raw)
        var event = Event()
        event.uid = tree.properties.first { $0.kind == .uid }?.value
        let uid = event.uid

        func diag(_ sev: Diagnostic.Severity, _ msg: String, line: Int? = nil) {
            report(Diagnostic(sev, msg, file: file, line: line ?? raw.startLine, uid: uid), nil)
        }
        func once(_ msg: String, _ key: String) {
            report(Diagnostic(.warning, msg, file: file, line: raw.startLine, uid: uid), key)
        }
        if raw.truncated { diag(.error, "VEVENT has no END:VEVENT; read up to the end of the input") }
        for l in tree.malformed { diag(.warning, "line is not a content line (`NAME:value`); ignored", line: l) }
        // iCalendar is UTF-8 (RFC 5545 3.1.4); bytes that are not are read as U+FFFD: say so.
        // The lines are checked together first: when their bytes are UTF-8 and no line starts
        // with a continuation byte, every line ends where a character does, so each is UTF-8.
        let allValid = raw.storage.withUnsafeBufferPointer { b in
            Self.isValidUTF8(b) && raw.spans.allSatisfy { $0.start == $0.end || b[$0.start] & 0xC0 != 0x80 }
        }
        if !allValid {
            raw.forEachLine { bytes, number in
                if !Self.isValidUTF8(bytes) {
                    diag(.warning, "the line is not valid UTF-8 (another encoding?); its invalid bytes were read as U+FFFD", line: number)
                }
            }
        }
        if uid == nil {
            event.uid = Event.derivedUID(fromContent: raw.text)
            diag(.warning, "VEVENT has no UID; calport uses \(event.uid!), derived from its content")
        }

        // What makes the event unfit for Google; each is reported as an error where found.
        var rejections: [String] = []
        func reject(_ msg: String, line: Int?) {
            diag(.error, msg + "; the event is left out of the Google JSON", line: line)
            rejections.append(msg)
        }
        func lineOf(_ name: String) -> Int? { tree.properties.first { $0.name == name }?.line }
        var markedDates: (rdates: [RecurrenceDate], exdates: [EventTime]) = ([], [])
        // Typed values: read by calport when every such line is plain, else through libical
        // (no lock: see `typedValues`), whose errors are reported.
        let typed: [TypedValue]
        if let plain = PlainTypedValues.read(tree, truncated: raw.truncated) {
            typed = plain
        } else {
            guard let parsed = LibicalComponent(parsing: raw.typedText) else {
                diag(.error, "libical could not parse this VEVENT; the event is left out of the Google JSON")
                event.rejection = "libical could not parse this VEVENT"
                return event
            }
            libicalErrors(parsed.errors, tree: tree, lineOf: lineOf, markedDates: &markedDates, diag: diag, reject: reject)
            typed = parsed.typedValues()
        }
        for v in typed {
            switch v {
            case .dtstart(let t): event.start = time(t, diag, once)
            case .dtend(let t): event.end = time(t, diag, once)
            case .recurrenceID(let t, let future):
                event.recurrenceID = time(t, diag, once)
                event.recurrenceIDThisAndFuture = future
            case .duration(let d): event.duration = d
            case .created(let t): event.created = utc(t)
            case .lastModified(let t): event.lastModified = utc(t)
            case .timestamp(let t): event.timestamp = utc(t)
            case .sequence(let n): event.sequence = n
            case .priority(let n): event.priority = n
            case .exdate(let t): event.exceptionDates.append(time(t, diag, once))
            case .rdate(let t): event.recurrenceDates.append(.time(time(t, diag, once)))
            case .rdatePeriod(let s, let e): event.recurrenceDates.append(.period(start: time(s, diag, once), end: time(e, diag, once)))
            case .rdatePeriodDuration(let s, let d):
                event.recurrenceDates.append(.periodWithDuration(start: time(s, diag, once), duration: d))
            }
        }

        event.recurrenceDates += markedDates.rdates
        event.exceptionDates += markedDates.exdates

        // Text and verbatim through calport's tokens. The lists the lines fill are allocated
        // once, not grown through their doublings.
        var attendeeLines = 0, otherLines = 0
        for p in tree.properties {
            if p.kind == .attendee { attendeeLines += 1 } else if EventDecoder.typedBit(p.kind) == nil { otherLines += 1 }
        }
        event.attendees.reserveCapacity(attendeeLines)
        event.properties.reserveCapacity(otherLines)
        event.alarms.reserveCapacity(tree.children.count)
        var seen: UInt32 = 0  // single typed properties met so far, by bit
        // By index, each line's fields read where they are: `for p in` copied every line
        // (its name, parameters and value retained, then released), 29 per heavy event.
        let lines = tree.properties
        for i in lines.indices {
            let kind = lines[i].kind
            guard let bit = EventDecoder.typedBit(kind) else {
                event.properties.append(lines[i].property)
                continue
            }
            if bit & EventDecoder.repeatable == 0 {
                guard seen & bit == 0 else {
                    diag(.warning, "\(lines[i].name) appears more than once; the first is used, this one kept verbatim", line: lines[i].line)
                    event.properties.append(lines[i].property)
                    continue
                }
                seen |= bit
            }
            keepExtraParameters(of: lines[i].property, kind: kind, in: &event)
            switch kind {
            case .summary: event.summary = ICalText.unescape(lines[i].value)
            case .description: event.description = ICalText.unescape(lines[i].value)
            case .location: event.location = ICalText.unescape(lines[i].value)
            case .url: event.url = lines[i].value
            case .color: event.color = lines[i].value
            case .categories: event.categories += ICalText.splitList(lines[i].value).filter { !$0.isEmpty }
            case .rrule, .exrule:
                let p = lines[i]
                let checked = RuleValidation.check(p.value)
                for r in checked.repairs { diag(.warning, "\(p.name): \(r)", line: p.line) }
                if let problem = checked.problem {
                    reject("\(p.name) \(p.value): \(problem)", line: p.line)
                } else if checked.rule.isEmpty {
                    break
                } else if p.kind == .rrule {
                    event.recurrenceRules.append(checked.rule)
                } else {
                    event.exceptionRules.append(checked.rule)
                }
            case .status:
                let p = lines[i]
                if let s = Status(rawValue: p.value.uppercased()) { event.status = s } else {
                    diag(.warning, "STATUS \(p.value) is not valid for a VEVENT; kept verbatim", line: p.line)
                    event.properties.append(p.property)
                }
            case .transp:
                let p = lines[i]
                if let t = Transparency(rawValue: p.value.uppercased()) { event.transparency = t } else {
                    diag(.warning, "TRANSP \(p.value) is not OPAQUE or TRANSPARENT; kept verbatim", line: p.line)
                    event.properties.append(p.property)
                }
            case .classification: event.classification = Classification(lines[i].value)
            case .organizer: event.organizer = CalendarUser(property: lines[i].property)
            case .attendee: event.attendees.append(CalendarUser(property: lines[i].property))
            case .attach: event.attachments.append(Attachment(property: lines[i].property))
            default: break  // typed through libical above
            }
        }

        for child in tree.children {
            guard child.name == "VALARM" else {
                diag(.warning, "\(child.name) inside a VEVENT is not part of iCalendar; ignored", line: child.startLine)
                continue
            }
            event.alarms.append(alarm(child, diag))
        }

        if let s = event.start, let e = event.end, s.isDate != e.isDate {
            diag(.warning, "DTSTART and DTEND differ in value type (DATE vs DATE-TIME)")
        }
        checkTimes(&event, lineOf: lineOf, diag, reject)
        if !rejections.isEmpty { event.rejection = rejections.joined(separator: "; ") }
        return event
    }

    /// Reports libical's errors for the event's typed lines: a time it dropped rejects the
    /// event (a date with a UTC mark is read as the date); rule errors are left to
    /// `RuleValidation`, lines that are not content lines to their own diagnostic.
    private func libicalErrors(_ errors: [String], tree: RawComponent, lineOf: (String) -> Int?,
                               markedDates: inout (rdates: [RecurrenceDate], exdates: [EventTime]),
                               diag: (Diagnostic.Severity, String, Int?) -> Void, reject: (String, Int?) -> Void) {
        for e in errors {
            // Lines that are not content lines were reported above with their own numbers.
            if !tree.malformed.isEmpty && e.hasPrefix("Got a data line") { continue }
            // Rules are checked (and reported, naming the part) below.
            if e.contains("in RRULE property") || e.contains("in EXRULE property") { continue }
            // libical drops a time it cannot parse (a year beyond 9999 among them): the event
            // would be written without it, changing when it happens.
            if let name = Self.timeProperties.first(where: { e.contains("in \($0) property") }) {
                // "… Removing entire property: <value>"; time values hold no colon.
                let value = e.lastIndex(of: ":").map { String(e[e.index(after: $0)...].drop { $0 == " " }) } ?? ""
                let line = tree.properties.first { $0.name == name && $0.value == value }?.line ?? lineOf(name)
                // A date with a UTC mark (`RDATE:20131210Z`, in Google's own birthday exports):
                // the day is certain, the mark meaningless on a date.
                if name == "RDATE" || name == "EXDATE", value.utf8.count == 9, value.hasSuffix("Z"),
                   let day = EventTime(icalValue: String(value.dropLast()), tzid: nil), day.isDate {
                    diag(.warning, "\(name) \(value) is a date with a UTC mark; read as the date \(day.icalValue)", line)
                    if name == "RDATE" { markedDates.rdates.append(.time(day)) } else { markedDates.exdates.append(day) }
                    continue
                }
                reject("\(name) \(value) cannot be read as a time (malformed, or a year beyond 9999, which neither iCalendar nor Google can hold)", line)
                continue
            }
            diag(.warning, "libical: \(e)", nil)
        }
    }

    /// Properties whose values are times; libical drops one it cannot parse.
    static let timeProperties = ["DTSTART", "DTEND", "DURATION", "RECURRENCE-ID", "RDATE", "EXDATE"]

    /// The times Google needs and can hold: a start, an end not before it, years 1 to 9999.
    /// An all-day end on its start is repaired to one day; the rest is rejected.
    private func checkTimes(_ event: inout Event, lineOf: (String) -> Int?,
                            _ diag: (Diagnostic.Severity, String, Int?) -> Void, _ reject: (String, Int?) -> Void) {
        guard let start = event.start else {
            // Google requires a start, and an event without one has no time to give it.
            // (A DTSTART libical could not read was reported with its own line.)
            if lineOf("DTSTART") == nil { reject("VEVENT has no DTSTART, which Google requires", lineOf("UID")) }
            return
        }
        // Google's RFC 3339 fields hold years 0001 to 9999 (libical reads `00000101` as year 0).
        // The first time outside them, in this order, rejects the event.
        func outside(_ name: String, _ t: EventTime) -> Bool {
            guard !(1...9999).contains(t.localDateTime.date.year) else { return false }
            reject("\(name) \(t.icalValue): year \(t.localDateTime.date.year) is outside 0001 to 9999, which Google's times can hold",
                   lineOf(name))
            return true
        }
        if outside("DTSTART", start) { return }
        if let e = event.end, outside("DTEND", e) { return }
        if let r = event.recurrenceID, outside("RECURRENCE-ID", r) { return }
        for r in event.recurrenceDates where outside("RDATE", r.start) { return }
        for x in event.exceptionDates where outside("EXDATE", x) { return }
        guard let end = event.effectiveEnd else { return }
        let endName = event.end != nil ? "DTEND" : "DURATION"
        if case .date(let s) = start, case .date(let e) = end, e == s {
            // RFC 5545 3.6.1: a DATE DTSTART without an end lasts one day; an end on the start
            // day (exclusive, so nothing) can only mean that day.
            event.end = .date(s.adding(days: 1))
            event.duration = nil
            diag(.warning, "\(endName) is the all-day start's own day (an empty event); written as one day, RFC 5545's length for a DATE start", lineOf(endName))
            return
        }
        let s = start.instant ?? start.localDateTime.secondsSinceEpoch
        let e = end.instant ?? end.localDateTime.secondsSinceEpoch
        if e < s {
            // Swapped times, a wrong date and a wrong zone all look like this: which one the
            // writer meant is not certain, and Google refuses an end before the start.
            reject("\(endName) \(end.icalValue) is before DTSTART \(start.icalValue)", lineOf(endName))
        }
    }

    /// Given the line's `Property` and kind, not the `ContentLine`, which the caller would copy
    /// whole to pass.
    private func keepExtraParameters(of p: Property, kind: PropertyKind, in event: inout Event) {
        if kind == .organizer || kind == .attendee { return }  // CalendarUser keeps its own
        guard !p.parameters.isEmpty else { return }
        let modelled = EventDecoder.modelledParameters[p.name] ?? []
        let extra = p.parameters.filter { !modelled.contains($0.name) }
        guard !extra.isEmpty else { return }
        if kind == .attach { return }  // Attachment keeps its own
        event.propertyParameters[p.name, default: []].append(contentsOf: extra)
    }

    private func time(_ t: LibicalTime, _ diag: (Diagnostic.Severity, String, Int?) -> Void,
                      _ once: (_ message: String, _ key: String) -> Void) -> EventTime {
        if t.isDate { return .date(LocalDate(year: t.year, month: t.month, day: t.day)) }
        let local = t.localDateTime
        if t.isUTC { return .utc(local) }
        guard let tzid = t.tzid else { return .floating(local) }
        guard let zone = zones.zone(for: tzid) else {
            if let fallback = zones.registry.fallbackZone, let name = zones.registry.naming.fallback {
                once("TZID \"\(tzid)\" has no VTIMEZONE in the input and names no zone calport knows; times in it are placed in \(name), the default zone (reported once)", tzid)
                return .zoned(local, tzid: tzid, utcOffset: fallback.utcOffset(at: local))
            }
            once("TZID \"\(tzid)\" has no VTIMEZONE in the input and is not in the tz database; times in it cannot be placed on the timeline (reported once)", tzid)
            return .zoned(local, tzid: tzid, utcOffset: nil)
        }
        let offset = zone.utcOffset(at: local)
        if let declared = zone as? DeclaredZone {
            let iana = declared.ianaOffset(at: local)
            if iana != offset {
                once("VTIMEZONE \"\(tzid)\" differs from the tz database's \(declared.ianaName) at \(local.extendedFormat): UTC\(Self.offsetText(offset)) there, UTC\(Self.offsetText(iana)) in the tz database; times in it follow the VTIMEZONE (reported once)",
                     "differs:" + tzid)
            }
        }
        return .zoned(local, tzid: tzid, utcOffset: offset)
    }

    private static func offsetText(_ seconds: Int) -> String {
        let a = abs(seconds), h = a / 3600, m = a % 3600 / 60
        return (seconds < 0 ? "-" : "+") + (h < 10 ? "0" : "") + "\(h):" + (m < 10 ? "0" : "") + "\(m)"
    }

    private func utc(_ t: LibicalTime) -> LocalDateTime? {
        t.isNull ? nil : t.localDateTime
    }

    private func alarm(_ c: RawComponent, _ diag: (Diagnostic.Severity, String, Int?) -> Void) -> Alarm {
        let alarm = Alarm(contentLines: c.properties.map(\.property))
        if alarm.action.text.isEmpty { diag(.warning, "VALARM has no ACTION", c.startLine) }
        if alarm.trigger == nil { diag(.warning, "VALARM has no valid TRIGGER", c.startLine) }
        for child in c.children {
            diag(.warning, "\(child.name) inside a VALARM is not part of iCalendar; ignored", child.startLine)
        }
        return alarm
    }
}
