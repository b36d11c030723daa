@testable import CalendarModel
import Testing

/// `EventCoding`: the bytes a push holds its input events as.
struct EventCodingTests {
    static func encoded(_ e: Event) -> [UInt8] {
        var bytes: [UInt8] = []
        EventCoding.encode(e, into: &bytes)
        return bytes
    }

    static func decoded(_ bytes: [UInt8]) throws -> Event {
        try bytes.withUnsafeBufferPointer { try EventCoding.decode($0) }
    }

    static func time(_ d: Int, _ h: Int = 9, _ m: Int = 30, _ s: Int = 15) -> LocalDateTime {
        LocalDateTime(year: 2025, month: 3, day: d, hour: h, minute: m, second: s)
    }

    static func attendee(_ i: Int) -> CalendarUser {
        var a = CalendarUser(address: "mailto:person\(i)@example.com")
        a.commonName = "Person \(i) Müller \"Q\""
        a.role = i % 2 == 0 ? .chair : "x-lower-role"
        a.participationStatus = i % 3 == 0 ? .accepted : "accepted"
        a.userType = .individual
        a.rsvp = i % 2 == 0
        a.parameters = [Parameter("X-NUM-GUESTS", String(i)), Parameter(name: "DELEGATED-TO", values: ["mailto:a@x", "mailto:b@x"])]
        return a
    }

    /// Every field set, every case of the enums, text that is not ASCII and holds NUL bytes.
    static var fullEvent: Event {
        var e = Event()
        e.uid = "uid-\u{0}-日本-\u{1F5D3}"
        e.recurrenceID = .zoned(time(30, 2), tzid: "Europe/Zürich", utcOffset: 3600)
        e.recurrenceIDThisAndFuture = true
        e.start = .zoned(time(1), tzid: "America/New_York", utcOffset: nil)
        e.end = .utc(time(2, 23, 59, 60))
        e.duration = ICalDuration(isNegative: true, weeks: 1, days: 2, hours: 3, minutes: 4, seconds: 5)
        e.summary = "Réunion \u{0}\u{0} e\u{301} 🗓️"
        e.description = "line 1\nline 2\r\nline 3\t\u{7F}\u{80}\u{FFFF}"
        e.location = ""
        e.status = .tentative
        e.transparency = .transparent
        e.classification = "x-confidential-ish"
        e.sequence = Int.max
        e.priority = Int.min
        e.created = time(1, 0, 0, 0)
        e.lastModified = LocalDateTime(year: -4, month: 13, day: 0, hour: -1, minute: 61, second: 99)
        e.timestamp = time(3)
        e.organizer = attendee(99)
        e.attendees = (0..<20).map(attendee)
        var a1 = Alarm(action: .display, trigger: .relative(ICalDuration(isNegative: true, minutes: 15), relatedToEnd: true))
        a1.description = "Bald"
        a1.summary = "S"
        a1.repeatCount = 3
        a1.repeatInterval = ICalDuration(minutes: 5)
        a1.attendees = [attendee(1)]
        a1.triggerParameters = [Parameter("X-T", "1")]
        a1.properties = [Property(name: "X-ALARM", parameters: [Parameter("A", "b")], value: "v")]
        let a2 = Alarm(action: "x-chime", trigger: .absolute(time(4)))
        let a3 = Alarm(action: "", trigger: nil)
        e.alarms = [a1, a2, a3]
        e.recurrenceRules = ["FREQ=WEEKLY;BYDAY=MO", ""]
        e.exceptionRules = ["FREQ=DAILY"]
        e.recurrenceDates = [
            .time(.date(LocalDate(year: 2025, month: 3, day: 5))),
            .time(.floating(time(6))),
            .period(start: .utc(time(7)), end: .zoned(time(7, 11), tzid: "Asia/Tokyo", utcOffset: -32400)),
            .periodWithDuration(start: .floating(time(8)), duration: ICalDuration(hours: 2)),
        ]
        e.exceptionDates = [.date(LocalDate(year: 2025, month: 3, day: 9)), .floating(time(10)), .utc(time(11)), .zoned(time(12), tzid: "", utcOffset: 0)]
        e.url = "https://example.com/ä?x=1"
        e.categories = ["Work", "", "Ärger"]
        e.color = "turquoise"
        var attachment = Attachment(inlineBase64: "AAEC", formatType: "image/png")
        attachment.parameters = [Parameter("X-NAME", "n")]
        e.attachments = [Attachment(uri: "https://example.com/a.pdf"), attachment]
        e.properties = [
            Property(name: "X-LIST", parameters: [Parameter(name: "P", values: ["a", "b,c", ""]), Parameter(name: "EMPTY", values: [])], value: "v;1"),
            Property(name: "X-NUL", value: "\u{0}"),
        ]
        e.propertyParameters = ["SUMMARY": [Parameter("LANGUAGE", "de"), Parameter(name: "X-L", values: ["1", "2"])]]
        e.rejection = "a rule part that is not certain: BYDAY=XX"
        return e
    }

    @Test func fullyPopulatedEventRoundTripsExactly() throws {
        let event = Self.fullEvent
        let bytes = Self.encoded(event)
        let back = try Self.decoded(bytes)
        #expect(back == event)
        // `==` of EnumeratedValue ignores case, and String's `==` is Unicode equivalence: the
        // same bytes again, and the same UTF-8, show nothing changed under them.
        #expect(Self.encoded(back) == bytes)
        #expect(back.classification?.text == "x-confidential-ish")
        #expect(back.attendees[1].role?.text == "x-lower-role")
        #expect(back.attendees.map { $0.participationStatus?.text } == event.attendees.map { $0.participationStatus?.text })
        #expect(back.alarms[1].action.text == "x-chime")
        #expect(back.location == "")
        #expect(back.attendees.map(\.rsvp) == event.attendees.map(\.rsvp))
        for (a, b) in [(back.uid, event.uid), (back.summary, event.summary), (back.description, event.description), (back.url, event.url)] {
            #expect(Array(a!.utf8) == Array(b!.utf8))
        }
        #expect(back.properties[0].parameters[0].values == ["a", "b,c", ""])
        #expect(back.properties[0].parameters[1].values == [])
    }

    @Test func emptyEventAndNilsComeBackAsTheyWere() throws {
        #expect(try Self.decoded(Self.encoded(Event())) == Event())
        var e = Event()
        e.summary = ""
        e.sequence = 0
        e.attendees = [CalendarUser(address: "")]
        e.propertyParameters = ["B": [], "A": [Parameter(name: "X", values: ["1", "2"])], "": [Parameter("", "")]]
        let back = try Self.decoded(Self.encoded(e))
        #expect(back == e)
        #expect(back.summary == "" && back.description == nil && back.sequence == 0 && back.priority == nil)
        #expect(back.attendees[0].rsvp == nil && back.attendees[0].commonName == nil)
        // Keys in order: equal dictionaries, whatever their iteration order, give equal bytes.
        #expect(Self.encoded(back) == Self.encoded(e))
    }

    @Test func severalEventsInOneBufferReadFromTheirOwnBytes() throws {
        var bytes: [UInt8] = []
        var ranges: [Range<Int>] = []
        let events = [Self.fullEvent, Event(), { var e = Event(); e.uid = "three"; return e }()]
        for e in events {
            let start = bytes.count
            EventCoding.encode(e, into: &bytes)
            ranges.append(start..<bytes.count)
        }
        for (e, r) in zip(events, ranges) {
            #expect(try Array(bytes[r]).withUnsafeBufferPointer { try EventCoding.decode($0) } == e)
        }
    }

    @Test func cutOrDamagedBytesAreRefusedNotReadPastTheirEnd() {
        let bytes = Self.encoded(Self.fullEvent)
        for n in 0..<bytes.count {
            #expect(throws: EventCoding.Malformed.self) { try Self.decoded(Array(bytes[..<n])) }
        }
        #expect(throws: EventCoding.Malformed.self) { try Self.decoded(bytes + [0]) }
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            var damaged = bytes
            damaged[Int.random(in: 0..<damaged.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            _ = try? Self.decoded(damaged)
        }
    }

    /// The stored fields of every type `EventCoding` writes. When a model type gains a field,
    /// this fails: write and read the field in EventCoding.swift, then add it here.
    @Test func everyStoredFieldIsCoded() {
        func fields(_ v: Any) -> [String] { Mirror(reflecting: v).children.compactMap(\.label) }
        let e = Self.fullEvent
        #expect(fields(e) == ["uid", "recurrenceID", "recurrenceIDThisAndFuture", "start", "end", "duration", "summary", "description",
                              "location", "status", "transparency", "classification", "sequence", "priority", "created", "lastModified",
                              "timestamp", "organizer", "attendees", "alarms", "recurrenceRules", "exceptionRules", "recurrenceDates",
                              "exceptionDates", "url", "categories", "color", "attachments", "properties", "propertyParameters", "rejection"])
        #expect(fields(e.attendees[0]) == ["address", "commonName", "role", "participationStatus", "userType", "rsvp", "parameters"])
        #expect(fields(e.alarms[0]) == ["action", "trigger", "description", "summary", "repeatCount", "repeatInterval", "attendees",
                                        "triggerParameters", "properties"])
        #expect(fields(e.attachments[0]) == ["uri", "inlineBase64", "formatType", "parameters"])
        #expect(fields(e.properties[0]) == ["name", "parameters", "value"])
        #expect(fields(e.properties[0].parameters[0]) == ["name", "storage"])
        #expect(fields(LocalDate(year: 1, month: 1, day: 1)) == ["year", "month", "day"])
        #expect(fields(LocalDateTime(year: 1, month: 1, day: 1)) == ["date", "hour", "minute", "second"])
        #expect(fields(ICalDuration()) == ["isNegative", "weeks", "days", "hours", "minutes", "seconds"])
        #expect(fields(e.attendees[0].role!) == ["text"])
    }
}
