import CalendarModel

/// RFC 5545 content lines built as UTF-8 bytes: a line is assembled in `line`, then folded
/// into `bytes` at 75 octets. Text values are escaped and parameter values encoded on the
/// bytes, without a String for each piece. A value type, so events are encoded on any thread.
struct ContentLineText {
    var bytes: [UInt8] = []
    /// The line being built.
    private var line: [UInt8] = []
    /// The event being written, named in the diagnostic about control characters.
    var uid: String?
    /// Whether that diagnostic was given (once per event).
    var reportedControls = false
    var diagnostics: [Diagnostic] = []

    init() {
        line.reserveCapacity(256)
    }

    // MARK: - Building a line

    mutating func add(_ s: String) { line.append(contentsOf: s.utf8) }

    mutating func add(_ s: StaticString) {
        s.withUTF8Buffer { line.append(contentsOf: $0) }
    }

    /// A TEXT value escaped (RFC 5545 3.3.11) as `ICalText.escape` does: `\`, `;`, `,` and
    /// LF escaped, CR dropped.
    mutating func addEscaped(_ s: String) {
        var s = s
        s.withUTF8 { ICalText.appendEscaped($0, to: &line) }
    }

    /// `;NAME=value,value…` for each parameter.
    mutating func addParameters(_ ps: [Parameter]?) {
        guard let ps else { return }
        for p in ps {
            line.append(UInt8(ascii: ";"))
            add(p.name)
            line.append(UInt8(ascii: "="))
            // Nearly every parameter has one value: `values` would make an array for it.
            if let v = p.singleValue {
                addParameterValue(v)
                continue
            }
            for (i, v) in p.values.enumerated() {
                if i > 0 { line.append(UInt8(ascii: ",")) }
                addParameterValue(v)
            }
        }
    }

    /// A parameter value as written: a line break becomes RFC 6868's `^n` (a parameter value
    /// cannot hold one), other control characters are dropped, and the value is quoted when it
    /// holds `:`, `;` or `,`.
    mutating func addParameterValue(_ v: String) {
        // Checked and copied on its bytes in memory (nearly every value is plain).
        var v = v
        let plain = v.withUTF8 { u in
            for b in u where b == 0x22 || b == 0x3A || b == 0x3B || b == 0x2C || (b < 0x20 && b != 0x09) || b == 0x7F {
                return false
            }
            line.append(contentsOf: u)
            return true
        }
        if !plain {
            add(Property.quoteIfNeeded(ICalendarWriter.hasControlCharacters(v) ? ICalendarWriter.replacingControls(v, lineBreak: "^n") : v))
        }
    }

    mutating func property(_ p: Property) {
        add(p.name)
        addParameters(p.parameters)
        line.append(UInt8(ascii: ":"))
        add(p.value)
    }

    /// `property(u.property(named: name))`, without making the property.
    mutating func user(_ name: StaticString, _ u: CalendarUser) {
        add(name)
        u.forEachTypedParameter { name, value in
            line.append(UInt8(ascii: ";"))
            add(name)
            line.append(UInt8(ascii: "="))
            addParameterValue(value)
        }
        addParameters(u.parameters)
        line.append(UInt8(ascii: ":"))
        add(u.address)
    }

    // MARK: - Ending a line

    /// Ends the line built: folded at 75 octets without splitting a UTF-8 sequence.
    ///
    /// Text from Google (or from any input) can hold CR and LF where iCalendar allows none: in
    /// a UID, a URI, an address, a recurrence line, a zone name. Written raw, such text would end
    /// the line and start others (`END:VEVENT`, `RRULE:…`), so a line break becomes the TEXT
    /// escape `\n` and other control characters are dropped, with one warning per event. TEXT
    /// values are escaped and parameter values encoded before they get here.
    mutating func endLine() {
        defer { line.removeAll(keepingCapacity: true) }
        guard line.withUnsafeBufferPointer(ContentLineText.hasControls) else {
            fold(line)
            return
        }
        let s = String(decoding: line, as: UTF8.self)
        if !reportedControls {
            reportedControls = true
            let name = s.prefix { $0 != ";" && $0 != ":" }
            diagnostics.append(Diagnostic(.warning, "\(name) held a line break or control character, which iCalendar does not allow there; "
                + "written as \\n (other control characters dropped)", uid: uid))
        }
        fold(Array(ICalendarWriter.replacingControls(s, lineBreak: "\\n").utf8))
    }

    /// Whether `u` holds a control character other than tab (a byte below 0x20, or 0x7F).
    /// Eight bytes at a time while none of them can be one (`Bytes.Word`); from a word marked
    /// (a tab, say) on, byte by byte.
    static func hasControls(_ u: UnsafeBufferPointer<UInt8>) -> Bool {
        var k = 0
        while u.count - k >= 8 {
            let v = Bytes.Word.load(u, at: k)
            guard Bytes.Word.below(v, 0x20) | Bytes.Word.equal(v, 0x7F) == 0 else { break }
            k += 8
        }
        while k < u.count {
            let b = u[k]
            if (b < 0x20 && b != 0x09) || b == 0x7F { return true }
            k += 1
        }
        return false
    }

    private mutating func fold(_ line: [UInt8]) {
        // The pieces copied from the buffer: ArraySlice appends are generic and slower.
        line.withUnsafeBufferPointer { u in
            var start = 0
            var limit = 75
            while u.count - start > limit {
                var cut = start + limit
                // Move back while the byte at the cut is a UTF-8 continuation byte.
                while cut > start, (u[cut] & 0xC0) == 0x80 { cut -= 1 }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: u[start..<cut]))
                bytes.append(0x0D); bytes.append(0x0A); bytes.append(0x20)
                start = cut
                limit = 74
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: u[start...]))
            bytes.append(0x0D); bytes.append(0x0A)
        }
    }

    // MARK: - An event

    mutating func encode(_ e: Event, fallbackTimestamp: LocalDateTime) {
        let extra = e.propertyParameters
        func simple(_ s: StaticString) {
            add(s)
            endLine()
        }
        /// A property with the event's extra parameters; a TEXT value is escaped, others are written as given.
        func plain(_ name: StaticString, _ key: String, _ value: String, text: Bool = false) {
            add(name)
            addParameters(extra[key])
            line.append(UInt8(ascii: ":"))
            if text { addEscaped(value) } else { add(value) }
            endLine()
        }
        func text(_ name: StaticString, _ key: String, _ value: String) { plain(name, key, value, text: true) }
        func utc(_ name: StaticString, _ t: LocalDateTime) {
            add(name)
            add(t.basicFormat)
            line.append(UInt8(ascii: "Z"))
            endLine()
        }

        simple("BEGIN:VEVENT")
        if let uid = e.uid { plain("UID", "UID", uid) } else {
            let generated = "calport-" + ICalendarWriter.fingerprint(e)
            diagnostics.append(Diagnostic(.warning, "event \"\(e.summary ?? "")\" has no UID; wrote \(generated)"))
            add("UID:")
            add(generated)
            endLine()
        }
        utc("DTSTAMP:", e.timestamp ?? e.lastModified ?? e.created ?? fallbackTimestamp)
        if let r = e.recurrenceID {
            timeLine("RECURRENCE-ID", r, thisAndFuture: e.recurrenceIDThisAndFuture, extra["RECURRENCE-ID"])
        }
        if let s = e.start { timeLine("DTSTART", s, extra["DTSTART"]) }
        if let en = e.end { timeLine("DTEND", en, extra["DTEND"]) } else if let d = e.duration {
            plain("DURATION", "DURATION", d.icalString)
        }
        for r in e.recurrenceRules {
            add("RRULE:")
            add(r)
            endLine()
        }
        for r in e.exceptionRules {
            add("EXRULE:")
            add(r)
            endLine()
        }
        for r in e.recurrenceDates {
            switch r {
            case .time(let t): timeLine("RDATE", t, nil)
            case .period(let s, let en): period(s, en.icalValue)
            case .periodWithDuration(let s, let d): period(s, d.icalString)
            }
        }
        for x in e.exceptionDates { timeLine("EXDATE", x, nil) }
        if let s = e.summary { text("SUMMARY", "SUMMARY", s) }
        if let d = e.description { text("DESCRIPTION", "DESCRIPTION", d) }
        if let l = e.location { text("LOCATION", "LOCATION", l) }
        if let s = e.status { plain("STATUS", "STATUS", s.rawValue) }
        if let t = e.transparency { plain("TRANSP", "TRANSP", t.rawValue) }
        if let c = e.classification { plain("CLASS", "CLASS", c.text) }
        if let s = e.sequence { plain("SEQUENCE", "SEQUENCE", String(s)) }
        if let p = e.priority { plain("PRIORITY", "PRIORITY", String(p)) }
        if let c = e.created { utc("CREATED:", c) }
        if let m = e.lastModified { utc("LAST-MODIFIED:", m) }
        if let u = e.url { plain("URL", "URL", u) }
        if !e.categories.isEmpty {
            add("CATEGORIES")
            addParameters(extra["CATEGORIES"])
            line.append(UInt8(ascii: ":"))
            for (i, c) in e.categories.enumerated() {
                if i > 0 { line.append(UInt8(ascii: ",")) }
                addEscaped(c)
            }
            endLine()
        }
        if let c = e.color { plain("COLOR", "COLOR", c) }
        if let o = e.organizer {
            user("ORGANIZER", o)
            endLine()
        }
        for a in e.attendees {
            user("ATTENDEE", a)
            endLine()
        }
        for a in e.attachments {
            property(a.property)
            endLine()
        }
        for p in e.properties {
            property(p)
            endLine()
        }
        for a in e.alarms {
            simple("BEGIN:VALARM")
            a.forEachContentLine { p in
                property(p)
                endLine()
            }
            simple("END:VALARM")
        }
        simple("END:VEVENT")
    }

    private mutating func timeLine(_ name: StaticString, _ t: EventTime, thisAndFuture: Bool = false, _ extra: [Parameter]?) {
        add(name)
        if t.isDate { add(";VALUE=DATE") }
        addZone(t)
        if thisAndFuture { add(";RANGE=THISANDFUTURE") }
        addParameters(extra)
        line.append(UInt8(ascii: ":"))
        add(t.icalValue)
        endLine()
    }

    /// An RDATE period: its start, then its end or its duration.
    private mutating func period(_ start: EventTime, _ endOrDuration: String) {
        add("RDATE;VALUE=PERIOD")
        addZone(start)
        line.append(UInt8(ascii: ":"))
        add(start.icalValue)
        line.append(UInt8(ascii: "/"))
        add(endOrDuration)
        endLine()
    }

    private mutating func addZone(_ t: EventTime) {
        if case .zoned(_, let z, _) = t {
            add(";TZID=")
            addParameterValue(z)
        }
    }
}
