import CalendarModel

/// Writes RFC 5545 text as a stream: calendar header, then events, each preceded by the
/// VTIMEZONEs it is the first to use. Output bytes depend only on the input.
public final class ICalendarWriter {
    private let output: (String) throws -> Void
    private let sink: DiagnosticSink
    private var buffer = ""
    private var sourceDefinitions: [String: TimeZoneDefinition] = [:]
    private var writtenZones: Set<String> = []
    private var began = false
    /// Used as DTSTAMP for events that carry neither DTSTAMP, LAST-MODIFIED nor CREATED.
    private let fallbackTimestamp: LocalDateTime
    public private(set) var eventsWritten = 0
    /// The event being written, for the diagnostic about control characters (one per event).
    private var currentUID: String?
    private var reportedControls = false

    public static let productID = "-//calport//calport//EN"

    /// `output` receives the text in pieces of about 64 KiB.
    public init(fallbackTimestamp: LocalDateTime, diagnostics: DiagnosticSink, output: @escaping (String) throws -> Void) {
        self.output = output
        self.sink = diagnostics
        self.fallbackTimestamp = fallbackTimestamp
    }

    /// A VTIMEZONE from the input; written (once) before the first event that uses its TZID.
    public func addDefinition(_ def: TimeZoneDefinition) {
        if sourceDefinitions[def.tzid] == nil { sourceDefinitions[def.tzid] = def }
    }

    public func begin(_ info: CalendarInfo) throws {
        guard !began else { return }
        began = true
        line("BEGIN:VCALENDAR")
        line("VERSION:2.0")
        line("PRODID:" + (info.productID ?? ICalendarWriter.productID))
        line("CALSCALE:GREGORIAN")
        if let m = info.method { line("METHOD:" + m) }
        if let n = info.name { line("X-WR-CALNAME:" + ICalText.escape(n)) }
        if let d = info.description { line("X-WR-CALDESC:" + ICalText.escape(d)) }
        if let z = info.timeZone { line("X-WR-TIMEZONE:" + z) }
        for p in info.properties { property(p) }
        try flushIfNeeded()
    }

    public func write(_ event: Event) throws {
        if !began { try begin(CalendarInfo()) }
        for tzid in ICalendarWriter.zonesUsed(by: event) where !writtenZones.contains(tzid) {
            writtenZones.insert(tzid)
            writeZone(tzid, uid: event.uid)
        }
        currentUID = event.uid
        reportedControls = false
        encode(event)
        currentUID = nil
        eventsWritten += 1
        try flushIfNeeded()
    }

    /// Writes into a calendar whose envelope another writer keeps (a file rewritten in place,
    /// `ICalendarLayout`): no header and, with `finish()` instead of `end()`, no END:VCALENDAR.
    /// `zonesPresent`: TZIDs whose VTIMEZONE the calendar already holds, not written again.
    public func beginFragment(zonesPresent: Set<String>) {
        began = true
        writtenZones.formUnion(zonesPresent)
    }

    /// Hands over what is buffered, without END:VCALENDAR (after `beginFragment`).
    public func finish() throws {
        try output(buffer)
        buffer = ""
    }

    public func end() throws {
        if !began { try begin(CalendarInfo()) }
        line("END:VCALENDAR")
        try output(buffer)
        buffer = ""
    }

    // MARK: - Events

    /// The TZIDs an event names, in the order the writer meets them.
    public static func zonesUsed(by e: Event) -> [String] {
        var out: [String] = []
        func add(_ t: EventTime?) { if let z = t?.tzid, !out.contains(z) { out.append(z) } }
        add(e.start); add(e.end); add(e.recurrenceID)
        for r in e.recurrenceDates {
            switch r {
            case .time(let t): add(t)
            case .period(let s, let en): add(s); add(en)
            case .periodWithDuration(let s, _): add(s)
            }
        }
        e.exceptionDates.forEach { add($0) }
        return out
    }

    private func encode(_ e: Event) {
        line("BEGIN:VEVENT")
        let extra = e.propertyParameters
        if let uid = e.uid { line("UID" + params(extra["UID"]) + ":" + uid) } else {
            let generated = "calport-" + ICalendarWriter.fingerprint(e)
            sink.emit(Diagnostic(.warning, "event \"\(e.summary ?? "")\" has no UID; wrote \(generated)"))
            line("UID:" + generated)
        }
        let stamp = e.timestamp ?? e.lastModified ?? e.created ?? fallbackTimestamp
        line("DTSTAMP:" + stamp.basicFormat + "Z")
        if let r = e.recurrenceID {
            timeLine("RECURRENCE-ID", r, extraParams: e.recurrenceIDThisAndFuture ? ";RANGE=THISANDFUTURE" : "", extra["RECURRENCE-ID"])
        }
        if let s = e.start { timeLine("DTSTART", s, extra["DTSTART"]) }
        if let en = e.end { timeLine("DTEND", en, extra["DTEND"]) } else if let d = e.duration {
            line("DURATION" + params(extra["DURATION"]) + ":" + d.icalString)
        }
        for r in e.recurrenceRules { line("RRULE:" + r) }
        for r in e.exceptionRules { line("EXRULE:" + r) }
        for r in e.recurrenceDates {
            switch r {
            case .time(let t): timeLine("RDATE", t, nil)
            case .period(let s, let en):
                line("RDATE;VALUE=PERIOD" + zoneParam(s) + ":" + timeValue(s) + "/" + timeValue(en))
            case .periodWithDuration(let s, let d):
                line("RDATE;VALUE=PERIOD" + zoneParam(s) + ":" + timeValue(s) + "/" + d.icalString)
            }
        }
        for x in e.exceptionDates { timeLine("EXDATE", x, nil) }
        if let s = e.summary { line("SUMMARY" + params(extra["SUMMARY"]) + ":" + ICalText.escape(s)) }
        if let d = e.description { line("DESCRIPTION" + params(extra["DESCRIPTION"]) + ":" + ICalText.escape(d)) }
        if let l = e.location { line("LOCATION" + params(extra["LOCATION"]) + ":" + ICalText.escape(l)) }
        if let s = e.status { line("STATUS" + params(extra["STATUS"]) + ":" + s.rawValue) }
        if let t = e.transparency { line("TRANSP" + params(extra["TRANSP"]) + ":" + t.rawValue) }
        if let c = e.classification { line("CLASS" + params(extra["CLASS"]) + ":" + c.text) }
        if let s = e.sequence { line("SEQUENCE" + params(extra["SEQUENCE"]) + ":\(s)") }
        if let p = e.priority { line("PRIORITY" + params(extra["PRIORITY"]) + ":\(p)") }
        if let c = e.created { line("CREATED:" + c.basicFormat + "Z") }
        if let m = e.lastModified { line("LAST-MODIFIED:" + m.basicFormat + "Z") }
        if let u = e.url { line("URL" + params(extra["URL"]) + ":" + u) }
        if !e.categories.isEmpty {
            line("CATEGORIES" + params(extra["CATEGORIES"]) + ":" + e.categories.map(ICalText.escape).joined(separator: ","))
        }
        if let c = e.color { line("COLOR" + params(extra["COLOR"]) + ":" + c) }
        if let o = e.organizer { property(o.property(named: "ORGANIZER")) }
        for a in e.attendees { property(a.property(named: "ATTENDEE")) }
        for a in e.attachments { property(a.property) }
        for p in e.properties { property(p) }
        for a in e.alarms {
            line("BEGIN:VALARM")
            a.contentLines.forEach(property)
            line("END:VALARM")
        }
        line("END:VEVENT")
    }

    private func timeLine(_ name: String, _ t: EventTime, extraParams: String = "", _ extra: [Parameter]?) {
        var s = name
        if t.isDate { s += ";VALUE=DATE" }
        s += zoneParam(t) + extraParams + params(extra)
        line(s + ":" + timeValue(t))
    }

    private func zoneParam(_ t: EventTime) -> String {
        if case .zoned(_, let z, _) = t { return ";TZID=" + paramValue(z) }
        return ""
    }

    private func timeValue(_ t: EventTime) -> String { t.icalValue }

    // MARK: - Zones

    private func writeZone(_ tzid: String, uid: String?) {
        guard let def = sourceDefinitions[tzid] ?? Self.databaseDefinition(tzid: tzid) else {
            sink.emit(Diagnostic(.warning, "no VTIMEZONE can be written for TZID \"\(tzid)\": it is not in the tz database", uid: uid))
            return
        }
        def.lines.forEach(line)
    }

    /// The VTIMEZONE the writer gives a TZID no input defines: from the tz database's own
    /// data when the TZID names a zone there, else libical's built-in zone; nil for neither.
    public static func databaseDefinition(tzid: String) -> TimeZoneDefinition? {
        let name = tzid.hasPrefix("/") ? TimeZoneRegistry.ianaSuffix(of: tzid) : tzid
        if let name, let zone = Libical.lock.withLock({ ZoneMatcher.loadTzif(named: name) }) {
            return TimeZoneDefinition(tzid: tzid, lines: VTimezoneGenerator.lines(tzid: tzid, zone: zone))
        }
        guard let text = LibicalZone(builtin: tzid)?.componentText else { return nil }
        // libical names built-in zones with a vendor prefix; write the plain TZID the events use.
        return TimeZoneDefinition(tzid: tzid, lines: unfold(text).map { $0.hasPrefix("TZID:") ? "TZID:" + tzid : $0 })
    }

    static func unfold(_ text: String) -> [String] {
        var out: [String] = []
        for raw in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            if let f = raw.first, f == " " || f == "\t", !out.isEmpty {
                out[out.count - 1] += raw.dropFirst()
            } else {
                out.append(String(raw))
            }
        }
        return out
    }

    // MARK: - Content lines

    private func property(_ p: Property) { line(p.name + params(p.parameters) + ":" + p.value) }

    private func params(_ ps: [Parameter]?) -> String {
        guard let ps, !ps.isEmpty else { return "" }
        var s = ""
        for p in ps { s += ";" + p.name + "=" + p.values.map(paramValue).joined(separator: ",") }
        return s
    }

    /// A parameter value as written: a line break becomes RFC 6868's `^n` (a parameter value
    /// cannot hold one), other control characters are dropped, and the value is quoted when it
    /// holds `:`, `;` or `,`.
    private func paramValue(_ v: String) -> String {
        Property.quoteIfNeeded(Self.hasControlCharacters(v) ? Self.replacingControls(v, lineBreak: "^n") : v)
    }

    /// Appends one content line, folded at 75 octets without splitting a UTF-8 sequence.
    ///
    /// Text from Google (or from any input) can hold CR and LF where iCalendar allows none: in
    /// a UID, a URI, an address, a recurrence line, a zone name. Written raw, such text would end
    /// the line and start others (`END:VEVENT`, `RRULE:…`), so a line break becomes the TEXT
    /// escape `\n` and other control characters are dropped, with one warning per event. TEXT
    /// values are escaped and parameter values encoded before they get here.
    private func line(_ s: String) {
        guard !Self.hasControlCharacters(s) else {
            if !reportedControls {
                reportedControls = true
                let name = s.prefix { $0 != ";" && $0 != ":" }
                sink.emit(Diagnostic(.warning, "\(name) held a line break or control character, which iCalendar does not allow there; "
                    + "written as \\n (other control characters dropped)", uid: currentUID))
            }
            fold(Self.replacingControls(s, lineBreak: "\\n"))
            return
        }
        fold(s)
    }

    private func fold(_ s: String) {
        var u = s.utf8[...]
        var limit = 75
        while u.count > limit {
            var cut = u.index(u.startIndex, offsetBy: limit)
            // Move back while the byte at the cut is a UTF-8 continuation byte.
            while cut > u.startIndex, (u[cut] & 0xC0) == 0x80 { cut = u.index(before: cut) }
            buffer += Substring(u[u.startIndex..<cut])
            buffer += "\r\n "
            u = u[cut...]
            limit = 74
        }
        buffer += Substring(u)
        buffer += "\r\n"
    }

    /// C0 controls other than TAB, and DEL (RFC 5545 3.1: CONTROL).
    static func hasControlCharacters(_ s: String) -> Bool {
        s.utf8.contains { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }
    }

    /// CR LF, CR and LF become `lineBreak`; other controls (TAB kept) are dropped.
    static func replacingControls(_ s: String, lineBreak: String) -> String {
        var out = ""
        var previousCR = false
        for u in s.unicodeScalars {
            defer { previousCR = u == "\r" }
            switch u.value {
            case 0x0A where previousCR: continue
            case 0x0A, 0x0D: out += lineBreak
            case 0x09: out.unicodeScalars.append(u)
            case 0..<0x20, 0x7F: continue
            default: out.unicodeScalars.append(u)
            }
        }
        return out
    }

    private func flushIfNeeded() throws {
        if buffer.utf8.count >= 64 << 10 {
            try output(buffer)
            buffer = ""
        }
    }

    /// A stable short hash of an event's content, for generated UIDs.
    static func fingerprint(_ e: Event) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        let key = (e.summary ?? "") + "|" + (e.start.map { "\($0)" } ?? "") + "|" + (e.description ?? "")
        for b in key.utf8 {
            h ^= UInt64(b)
            h = h &* 0x100_0000_01b3
        }
        return String(h, radix: 16)
    }
}

