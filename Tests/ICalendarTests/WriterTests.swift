import CalendarModel
import ICalendar
import Testing

func write(_ doc: CalendarDocument) throws -> String {
    var out = ""
    let w = ICalendarWriter(fallbackTimestamp: LocalDateTime(year: 2025, month: 1, day: 1), diagnostics: DiagnosticCollector()) { out += $0 }
    try w.begin(doc.info)
    doc.timeZones.forEach(w.addDefinition)
    for e in doc.events { try w.write(e) }
    try w.end()
    return out
}

@Suite struct WriterTests {
    static func sampleEvent() -> Event {
        var e = Event()
        e.uid = "w1@calport.test"
        e.start = .zoned(LocalDateTime(year: 2025, month: 3, day: 30, hour: 9), tzid: "Europe/Berlin", utcOffset: 7200)
        e.end = .zoned(LocalDateTime(year: 2025, month: 3, day: 30, hour: 10), tzid: "Europe/Berlin", utcOffset: 7200)
        e.summary = String(repeating: "Zürich – 東京 – ", count: 12) + "🎉"
        e.description = "two\nlines; with, specials \\"
        e.properties = [Property(name: "X-KEEP", parameters: [Parameter(name: "X-P", values: ["a:b", "c"])], value: #"v\,1"#)]
        return e
    }

    /// The text of each line as written, the escapes spelled out: TEXT values escape `\`, `;`,
    /// `,` and line breaks (a CR is dropped), parameter values holding `:`, `;` or `,` are
    /// quoted and a line break in one becomes `^n`; an event without UID gets one and a warning.
    @Test func escapesTextQuotesParametersAndNamesAMissingUID() throws {
        var e = Event()
        e.summary = "a\\b; c, d\r\ne"
        e.categories = ["x,y", "z"]
        e.attendees = [CalendarUser(address: "mailto:a@example.com")]
        e.attendees[0].commonName = "Doe: Jane"
        e.attendees[0].parameters = [Parameter("X-NOTE", "one\ntwo")]
        let sink = DiagnosticCollector()
        var out = ""
        let w = ICalendarWriter(fallbackTimestamp: LocalDateTime(year: 2025, month: 1, day: 1), diagnostics: sink) { out += $0 }
        try w.write(e)
        try w.end()
        let lines = out.components("\r\n")
        #expect(lines.contains(#"SUMMARY:a\\b\; c\, d\ne"#))
        #expect(lines.contains(#"CATEGORIES:x\,y,z"#))
        #expect(lines.contains(#"ATTENDEE;CN="Doe: Jane";X-NOTE=one^ntwo:mailto:a@example.com"#))
        let uid = try #require(lines.first { $0.hasPrefix("UID:calport-") })
        #expect(sink.diagnostics.map(\.message) == ["event \"a\\b; c, d\r\ne\" has no UID; wrote \(uid.dropFirst(4))"])
    }

    @Test func foldsAt75OctetsOnCharacterBoundaries() throws {
        let text = try write(CalendarDocument(events: [WriterTests.sampleEvent()]))
        #expect(!text.replacingOccurrences("\r\n", "").contains("\n"))
        let lines = text.components("\r\n")
        for l in lines { #expect(l.utf8.count <= 75, "\(l)") }
        // Every physical line is valid UTF-8 on its own: no sequence was split.
        for l in lines { #expect(String(validatingUTF8: l) != nil) }
        #expect(text.hasSuffix("END:VCALENDAR\r\n"))
    }

    @Test func roundTripThroughTheReader() throws {
        let e = WriterTests.sampleEvent()
        let text = try write(CalendarDocument(events: [e]))
        let (doc, diags) = try read(Array(text.utf8))
        #expect(diags.isEmpty, "\(diags)")
        var back = try #require(doc.events.first)
        back.timestamp = nil
        #expect(back == e)
        // A VTIMEZONE was generated for the TZID from the tz database.
        #expect(text.contains("BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n"))
    }

    @Test func deterministicBytes() throws {
        let doc = CalendarDocument(events: [WriterTests.sampleEvent(), WriterTests.sampleEvent()])
        #expect(try write(doc) == write(doc))
        // The zone is written once, before the first event that uses it.
        #expect(try write(doc).components("BEGIN:VTIMEZONE").count == 2)
    }

    @Test func sourceDefinitionsAreWrittenBack() throws {
        let def = TimeZoneDefinition(tzid: "My Zone", lines: ["BEGIN:VTIMEZONE", "TZID:My Zone", "BEGIN:STANDARD",
            "DTSTART:19700101T000000", "TZOFFSETFROM:+0545", "TZOFFSETTO:+0545", "END:STANDARD", "END:VTIMEZONE"])
        var e = Event()
        e.uid = "z"
        e.start = .zoned(LocalDateTime(year: 2025, month: 1, day: 1, hour: 8), tzid: "My Zone", utcOffset: 20_700)
        let text = try write(CalendarDocument(timeZones: [def], events: [e]))
        #expect(text.contains(def.lines.joined(separator: "\r\n")))
        let (doc, _) = try read(Array(text.utf8))
        #expect(doc.events.first?.start == e.start)
    }
}

extension String {
    func replacingOccurrences(_ a: String, _ b: String) -> String { components(a).joined(separator: b) }
    func components(_ sep: String) -> [String] {
        var out: [String] = []
        var rest = Substring(self)
        while let r = rest.range(of: sep) {
            out.append(String(rest[..<r.lowerBound]))
            rest = rest[r.upperBound...]
        }
        out.append(String(rest))
        return out
    }
}

extension Substring {
    func range(of s: String) -> Range<Substring.Index>? {
        guard !s.isEmpty, count >= s.count else { return nil }
        var i = startIndex
        while i < endIndex {
            if self[i...].hasPrefix(s) { return i..<index(i, offsetBy: s.count) }
            i = index(after: i)
        }
        return nil
    }
}
