import CalendarModel
import ICalendar
import Testing

func ics(_ lines: String...) -> [UInt8] {
    Array(lines.joined(separator: "\r\n").utf8) + [13, 10]
}

func read(_ bytes: [UInt8]) throws -> (CalendarDocument, [Diagnostic]) {
    let c = DiagnosticCollector()
    let doc = try ICalendarReader.readDocument(bytes: bytes, name: "t.ics", diagnostics: c)
    return (doc, c.diagnostics)
}

@Suite struct ReaderTests {
    @Test func unknownPropertiesAndParametersAreKeptVerbatim() throws {
        // libical 3.0 would unescape X-FOO's value and drop FOO-BAR entirely.
        let (doc, diags) = try read(ics(
            "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:t",
            "BEGIN:VEVENT", "UID:u1", "DTSTAMP:20250101T000000Z", "DTSTART:20250101T100000Z",
            #"X-FOO;X-A="b:c";X-D=e,f:val\;x\,y"#, "FOO-BAR;P=1:zz",
            "SUMMARY;LANGUAGE=de:Hallo",
            "END:VEVENT", "END:VCALENDAR"))
        let e = try #require(doc.events.first)
        #expect(e.properties == [
            Property(name: "X-FOO", parameters: [Parameter(name: "X-A", values: ["b:c"]), Parameter(name: "X-D", values: ["e", "f"])], value: #"val\;x\,y"#),
            Property(name: "FOO-BAR", parameters: [Parameter("P", "1")], value: "zz"),
        ])
        #expect(e.summary == "Hallo")
        #expect(e.propertyParameters["SUMMARY"] == [Parameter("LANGUAGE", "de")])
        #expect(diags.filter { $0.severity != .note }.count <= 1)  // libical may complain about FOO-BAR
    }

    /// libical reads the lines whose values calport takes from it (times, durations, counters,
    /// rules); text it never sees, so a NUL byte in a SUMMARY (which ends libical's C string)
    /// costs the event nothing, and libical's complaints about text calport keeps are gone.
    @Test func textLibicalCannotReadDoesNotCostTheEventItsTimes() throws {
        var bytes = ics("BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:t", "BEGIN:VEVENT", "UID:nul")
        bytes += Array("SUMMARY:before".utf8) + [0, 4] + Array("after\r\n".utf8)
        bytes += ics("LOCATION:", "DTSTART;TZID=Europe/Paris:20250301T090000", "DURATION:PT1H", "RRULE:FREQ=DAILY;COUNT=3",
                     "EXDATE;TZID=Europe/Paris:20250302T090000", "SEQUENCE:4", "END:VEVENT", "END:VCALENDAR")
        let (doc, diags) = try read(bytes)
        let e = try #require(doc.events.first)
        #expect(e.start == .zoned(LocalDateTime(year: 2025, month: 3, day: 1, hour: 9, minute: 0, second: 0), tzid: "Europe/Paris", utcOffset: 3600))
        #expect(e.duration == ICalDuration(isNegative: false, weeks: 0, days: 0, hours: 1, minutes: 0, seconds: 0))
        #expect(e.recurrenceRules == ["FREQ=DAILY;COUNT=3"])
        #expect(e.exceptionDates == [.zoned(LocalDateTime(year: 2025, month: 3, day: 2, hour: 9, minute: 0, second: 0), tzid: "Europe/Paris", utcOffset: 3600)])
        #expect(e.sequence == 4)
        #expect(e.summary?.hasPrefix("before") == true)
        #expect(e.location == "")
        #expect(!diags.contains { $0.message.contains("libical") }, "\(diags)")
    }

    @Test func zonesResolveFromInputThenTzDatabase() throws {
        let (doc, diags) = try read(ics(
            "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:t",
            "BEGIN:VTIMEZONE", "TZID:Custom Zone", "BEGIN:STANDARD", "DTSTART:19700101T000000",
            "TZOFFSETFROM:+0330", "TZOFFSETTO:+0330", "END:STANDARD", "END:VTIMEZONE",
            "BEGIN:VEVENT", "UID:a", "DTSTART;TZID=Custom Zone:20250601T120000", "END:VEVENT",
            "BEGIN:VEVENT", "UID:b", "DTSTART;TZID=America/New_York:20250601T120000", "END:VEVENT",
            "BEGIN:VEVENT", "UID:c", "DTSTART;TZID=America/New_York:20250101T120000", "END:VEVENT",
            "BEGIN:VEVENT", "UID:d", "DTSTART;TZID=Nowhere/Special:20250101T120000", "END:VEVENT",
            "END:VCALENDAR"))
        #expect(doc.timeZones.map(\.tzid) == ["Custom Zone"])
        let offsets = doc.events.map { e -> Int? in if case .zoned(_, _, let o)? = e.start { return o } else { return -1 } }
        #expect(offsets == [12_600, -14_400, -18_000, nil])
        #expect(diags.contains { $0.message.contains("Nowhere/Special") && $0.uid == "d" && $0.line == 24 })
    }

    @Test func malformedComponentIsReportedAndTheRestContinues() throws {
        let (doc, diags) = try read(ics(
            "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:t",
            "BEGIN:VEVENT", "UID:broken", "DTSTART:20250101T100000Z", "DTEND:2025013", "garbage line", "END:VEVENT",
            "BEGIN:VEVENT", "UID:fine", "DTSTART:20250102T100000Z", "END:VEVENT",
            "END:VCALENDAR"))
        #expect(doc.events.map(\.uid) == ["broken", "fine"])
        #expect(doc.events[0].end == nil)
        #expect(diags.contains { $0.line == 8 && $0.uid == "broken" && $0.message.contains("not a content line") })
        // The DTEND libical drops is named at its own line, and makes the event a reject.
        #expect(diags.contains { $0.line == 7 && $0.uid == "broken" && $0.severity == .error && $0.message.contains("DTEND 2025013") })
        #expect(doc.events[0].rejection != nil && doc.events[1].rejection == nil)
        #expect(!diags.contains { $0.uid == "fine" })
    }

    @Test func truncatedInputKeepsWhatWasRead() throws {
        let (doc, diags) = try read(ics(
            "BEGIN:VCALENDAR", "BEGIN:VEVENT", "UID:x", "DTSTART:20250101T100000Z", "SUMMARY:cut off"))
        #expect(doc.events.first?.summary == "cut off")
        #expect(diags.contains { $0.severity == .error && $0.message.contains("END:VEVENT") })
    }

    @Test func notICalendar() throws {
        let (doc, diags) = try read(Array("hello\nworld\n".utf8))
        #expect(doc.events.isEmpty)
        #expect(diags.contains { $0.message.contains("not an iCalendar file") })
        let (_, empty) = try read([])
        #expect(empty.contains { $0.message.contains("empty") })
    }

    @Test func lineEndingsAndBOM() throws {
        let body = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:lf\nSUMMARY:bare\n  LF\nEND:VEVENT\rBEGIN:VEVENT\rUID:cr\rEND:VEVENT\rEND:VCALENDAR"
        let (doc, _) = try read([0xEF, 0xBB, 0xBF] + Array(body.utf8))
        #expect(doc.events.map(\.uid) == ["lf", "cr"])
        #expect(doc.events[0].summary == "bare LF")
    }

    @Test func alarmsAttendeesAndRecurrence() throws {
        let (doc, _) = try read(ics(
            "BEGIN:VCALENDAR", "BEGIN:VEVENT", "UID:r", "DTSTART;TZID=Europe/Berlin:20250101T090000",
            "RRULE:FREQ=WEEKLY;COUNT=3", "EXDATE;TZID=Europe/Berlin:20250108T090000,20250115T090000",
            "RDATE;VALUE=PERIOD:20250120T100000Z/20250120T110000Z",
            #"ATTENDEE;CN="Doe, J";ROLE=OPT-PARTICIPANT;PARTSTAT=ACCEPTED;X-NUM-GUESTS=2:mailto:j@x.org"#,
            "BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER;RELATED=END:-PT5M", "DESCRIPTION:x", "END:VALARM",
            "BEGIN:VALARM", "ACTION:EMAIL", "TRIGGER;VALUE=DATE-TIME:20241231T080000Z", "X-EXTRA:1", "END:VALARM",
            "END:VEVENT", "END:VCALENDAR"))
        let e = try #require(doc.events.first)
        #expect(e.recurrenceRules == ["FREQ=WEEKLY;COUNT=3"])
        #expect(e.exceptionDates.count == 2)
        #expect(e.recurrenceDates.count == 1)
        let a = try #require(e.attendees.first)
        #expect(a.commonName == "Doe, J" && a.role == "OPT-PARTICIPANT" && a.participationStatus == "ACCEPTED")
        #expect(a.parameters == [Parameter("X-NUM-GUESTS", "2")])
        #expect(e.alarms.count == 2)
        #expect(e.alarms[0].trigger == .relative(ICalDuration(isNegative: true, minutes: 5), relatedToEnd: true))
        #expect(e.alarms[1].trigger == .absolute(LocalDateTime(year: 2024, month: 12, day: 31, hour: 8)))
        #expect(e.alarms[1].properties == [Property(name: "X-EXTRA", value: "1")])
    }
}

@Suite struct DeferredZoneTests {
    @Test func vtimezoneAfterItsEventsStillDefinesTheirTimes() throws {
        let (doc, diags) = try read(ics(
            "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:t",
            "BEGIN:VEVENT", "UID:first", "DTSTART;TZID=Office Time:20250601T090000", "END:VEVENT",
            "BEGIN:VEVENT", "UID:second", "DTSTART:20250601T090000Z", "END:VEVENT",
            "BEGIN:VTIMEZONE", "TZID:Office Time", "BEGIN:STANDARD", "DTSTART:19700101T000000",
            "TZOFFSETFROM:+0930", "TZOFFSETTO:+0930", "END:STANDARD", "END:VTIMEZONE",
            "END:VCALENDAR"))
        // Order is kept, and the first event's time is placed by the later VTIMEZONE.
        #expect(doc.events.map(\.uid) == ["first", "second"])
        #expect(doc.events[0].start == .zoned(LocalDateTime(year: 2025, month: 6, day: 1, hour: 9), tzid: "Office Time", utcOffset: 34_200))
        #expect(diags.isEmpty, "\(diags)")
    }

    @Test func escapedCommaInTZID() throws {
        let (doc, _) = try read(ics(
            "BEGIN:VCALENDAR",
            #"BEGIN:VTIMEZONE"#, #"TZID:Kuala Lumpur\, Singapore"#, "BEGIN:STANDARD", "DTSTART:19700101T000000",
            "TZOFFSETFROM:+0800", "TZOFFSETTO:+0800", "END:STANDARD", "END:VTIMEZONE",
            #"BEGIN:VEVENT"#, "UID:k", #"DTSTART;TZID="Kuala Lumpur, Singapore":20081031T090000"#, "END:VEVENT",
            "END:VCALENDAR"))
        #expect(doc.events.first?.start?.instant == LocalDateTime(year: 2008, month: 10, day: 31, hour: 1).secondsSinceEpoch)
    }

    @Test func unknownZoneAtTheEndIsReportedOnce() throws {
        let (doc, diags) = try read(ics(
            "BEGIN:VCALENDAR",
            "BEGIN:VEVENT", "UID:a", "DTSTART;TZID=Nowhere:20250601T090000", "END:VEVENT",
            "BEGIN:VEVENT", "UID:b", "DTSTART;TZID=Nowhere:20250602T090000", "END:VEVENT",
            "END:VCALENDAR"))
        #expect(doc.events.map(\.uid) == ["a", "b"])
        #expect(diags.filter { $0.message.contains("Nowhere") }.count == 1)
    }
}
