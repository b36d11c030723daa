import CalendarModel
import Foundation
@testable import GoogleCalendar
import Testing

private let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
private let discovery = repository.deletingLastPathComponent().appendingPathComponent("shared/corpus/google-api/calendar.v3.json")

@Suite struct MappingTests {
    /// The byte-wise lower-cased address matches `email(of:)?.lowercased()`, ASCII or not.
    @Test func lowercasedEmailIsEmailLowercased() {
        let addresses = ["mailto:Ann.Lee@Example.COM", "MAILTO:x@y", "MaIlTo:", "mailto:", "mailt", "a@B.c", "a:b@c", "plain",
                         "tel:+1-555", "", "mailto:Ünïcode@X.de", "ÄB@c.d", "mailto:a\r\nB@c", "mailto:\u{301}A@b", "urn:uuid:1@2"]
        for a in addresses {
            #expect(PeopleMapping.lowercasedEmail(of: a) == PeopleMapping.email(of: a)?.lowercased(), "\(a)")
        }
    }

    /// An attendee's carried address is matched to its Google e-mail address on the bytes as
    /// `sameAddress` matches them as Strings: random addresses (ASCII or not, any case, with and
    /// without a scheme), each against e-mail addresses that differ from its own by case, by
    /// bytes one bit from a letter's other case (`@` and `` ` ``), by length, or not at all.
    @Test func addressMatchesAnEmailAsSameAddressDoes() {
        var gen = PropertyTests.Generator(state: 0xADD5)
        let pieces = ["a", "Z", "q", "@", "`", "[", "{", ".", "-", ":", "é", "É", "\u{212A}", "k", "K", "İ", "i", "\u{301}", "東"]
        let schemes = ["mailto:", "MAILTO:", "MaIlTo:", "mailto", "tel:", "", ""]
        var matched = 0, compared = 0
        for _ in 0..<3000 {
            let local = (0..<gen.int(0...6)).map { _ in gen.pick(pieces) }.joined()
            let address = gen.pick(schemes) + local + (gen.bool() ? "@Example.COM" : "")
            var emails = [PeopleMapping.email(of: address) ?? local, local, "", address]
            if let own = PeopleMapping.email(of: address) {
                // Case flipped byte by byte, where that leaves ASCII (letters, and `@` <-> `` ` ``).
                let flipped = own.utf8.map { b -> UInt8 in b >= 0x40 && b < 0x80 && gen.bool() ? b ^ 0x20 : b }
                if let s = String(bytes: flipped, encoding: .utf8) { emails.append(s) }
                emails.append(own.uppercased())
                emails.append(own + "x")
            }
            for e in emails {
                let expected = PeopleMapping.sameAddress(address, e)
                #expect(PeopleMapping.isAddress(address, ofEmail: e) == expected, "\(address) against \(e)")
                if expected { matched += 1 }
                compared += 1
            }
        }
        // Both answers occur often.
        #expect(matched > compared / 10 && matched < compared * 9 / 10, "\(matched) of \(compared) matched")
    }

    /// Google's strings are read by plain equality before case is disregarded: every table gives
    /// what reading without regard to case alone gives, for its own strings in any case and
    /// for others (as long, non-ASCII, empty), and no two of a table's strings differ in case only.
    @Test func valueTablesReadGooglesStringsAsWithoutRegardToCase() {
        var gen = PropertyTests.Generator(state: 0x7AB1)
        func check<M: Equatable & Sendable>(_ table: ValueTable<M>, _ what: String) {
            let strings = table.rows.map(\.google)
            for (i, a) in strings.enumerated() {
                for b in strings[(i + 1)...] { #expect(!a.caseInsensitiveEquals(b), "\(what): \(a) and \(b)") }
            }
            var inputs = strings + ["", "x", "ÿes", "needsactiоn", "DEFAULT", "\u{212A}"]
            for s in strings {
                inputs.append(String(s.map { _ in gen.pick(Array("abcdeéz")) }))
                for _ in 0..<20 {
                    inputs.append(String(s.map { c in gen.bool() ? Character(c.uppercased()) : c }))
                }
            }
            for s in inputs {
                #expect(table.model(s) == table.rows.first { $0.google.caseInsensitiveEquals(s) }?.model, "\(what): \(s)")
            }
        }
        check(PeopleMapping.participation, "responseStatus")
        check(EventValues.status, "status")
        check(EventValues.transparency, "transparency")
        check(EventValues.visibility, "visibility")
    }

    /// An attendee line without ROLE, PARTSTAT or both carries the names it lacks, so that
    /// Google's defaults for them are not written back; with both it carries neither.
    @Test func residueNamesTheTypedParametersTheLineLacks() throws {
        let cases: [(String, [String])] = [
            ("ATTENDEE;RSVP=TRUE:mailto:a@example.com", ["ROLE", "PARTSTAT"]),
            ("ATTENDEE;PARTSTAT=ACCEPTED;RSVP=TRUE:mailto:a@example.com", ["ROLE"]),
            ("ATTENDEE;ROLE=CHAIR:mailto:a@example.com", ["PARTSTAT"]),
            ("ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=DECLINED;RSVP=FALSE:mailto:a@example.com", []),
        ]
        for (line, lacking) in cases {
            let u = CalendarUser(property: try #require(Property(contentLine: line)))
            let (attendee, carried) = PeopleMapping.attendee(u)
            guard case .residue(let r)? = carried else { Issue.record("\(line): no residue"); continue }
            let unset = r.parameterList.filter { $0.name == PeopleMapping.unsetParameter }
            #expect(unset.map(\.values) == (lacking.isEmpty ? [] : [lacking]), "\(line)")
            #expect(r.parameterList == r.parameters.map(\.parameter), "\(line)")
            // Read back, the line has what it had.
            let back = PeopleMapping.calendarUser(attendee: try #require(attendee), address: u.address, residue: r.parameterList)
            #expect(back.property(named: "ATTENDEE").contentLine == u.property(named: "ATTENDEE").contentLine, "\(line)")
        }
    }

    /// Each Google-only field reaches .ics when set, and only then (the presence check
    /// agrees with the table of fields).
    @Test func everyGoogleOnlyFieldIsCarriedWhenSet() {
        for field in EventField.allCases {
            #expect(GoogleOnlyFields.property(for: field, of: GoogleEvent()) == nil, "\(field) on an empty event")
            guard let (name, kind) = GoogleOnlyFields.table[field] else { continue }
            var g = GoogleEvent()
            switch kind {
            case .string(let kp): g[keyPath: kp] = "v"
            case .bool(let kp): g[keyPath: kp] = false
            case .json(let kp): g[keyPath: kp] = .object([:])
            case .person(let kp): g[keyPath: kp] = GoogleEvent.Person(email: "a@b")
            }
            #expect(GoogleOnlyFields.property(for: field, of: g)?.name == name, "\(field)")
        }
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: discovery.path), "../shared/corpus/google-api/calendar.v3.json is not present"))
    func eventFieldCoversTheDiscoveryDocument() throws {
        let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: discovery)) as! [String: Any]
        let schemas = doc["schemas"] as! [String: Any]
        let event = (schemas["Event"] as! [String: Any])["properties"] as! [String: Any]
        #expect(Set(event.keys) == Set(EventField.allCases.map(\.rawValue)))
    }

    @Test func mappingDocumentNamesEveryField() throws {
        let text = try String(contentsOf: repository.appendingPathComponent("docs/mapping.md"), encoding: .utf8)
        for f in EventField.allCases {
            #expect(text.contains("| `\(f.rawValue)` |"), "docs/mapping.md has no row for \(f.rawValue)")
        }
        for (field, row) in GoogleOnlyFields.table {
            #expect(text.contains(row.property), "docs/mapping.md does not name \(row.property) for \(field)")
        }
        for p in ["DTSTAMP", "UID", "GEO", "COMMENT", "CONTACT", "RELATED-TO", "RESOURCES", "REQUEST-STATUS", "PRIORITY", "CATEGORIES",
                  "ALTREP", "LANGUAGE", "DELEGATED-TO", "SENT-BY", "MEMBER", "DIR", "FBTYPE", "RELTYPE", "CONFERENCE", "IMAGE"] {
            #expect(text.contains("`\(p)`"), "docs/mapping.md does not mention \(p)")
        }
    }

    private func roundTrip(_ e: Event, zone: String? = nil) -> (GoogleEvent, Event, [Diagnostic]) {
        var diags: [Diagnostic] = []
        let m = GoogleEventMapper(options: MappingOptions(), calendarTimeZone: zone)
        let g = m.googleEvent(from: e) { diags.append($0) }
        let data = try! JSONEncoder().encode(g)
        let decoded = try! JSONDecoder().decode(GoogleEvent.self, from: data)
        let back = m.event(from: decoded) { diags.append($0) }
        return (g, back, diags)
    }

    @Test func googleOnlyFieldsSurviveGoogleToICalendarToGoogle() throws {
        let json = """
            {"id":"abc123","iCalUID":"abc123@google.com","status":"confirmed","summary":"Standup",
             "start":{"dateTime":"2025-05-05T09:00:00+02:00","timeZone":"Europe/Paris"},
             "end":{"dateTime":"2025-05-05T09:15:00+02:00","timeZone":"Europe/Paris"},
             "hangoutLink":"https://meet.google.com/abc-defg-hij","guestsCanModify":true,"guestsCanSeeOtherGuests":false,
             "eventType":"default","colorId":"5",
             "conferenceData":{"conferenceId":"abc-defg-hij","entryPoints":[{"entryPointType":"video","uri":"https://meet.google.com/abc-defg-hij"}]},
             "extendedProperties":{"private":{"crmId":"42"},"shared":{"room":"B"}},
             "reminders":{"useDefault":true},
             "attendees":[{"email":"a@example.com","responseStatus":"accepted","comment":"late, sorry","additionalGuests":1}],
             "organizer":{"email":"o@example.com","displayName":"O","self":true}}
            """
        let g = try JSONDecoder().decode(GoogleEvent.self, from: Data(json.utf8))
        let m = GoogleEventMapper()
        var diags: [Diagnostic] = []
        let e = m.event(from: g) { diags.append($0) }
        #expect(e.properties.contains(Property(name: "X-GOOGLE-CONFERENCE", value: "https://meet.google.com/abc-defg-hij")))
        #expect(e.properties.contains { $0.name == "X-GOOGLE-PRIVATE-PROPERTY" && $0.value == "42" })
        #expect(e.color == "khaki" || e.color != nil)
        let back = m.googleEvent(from: e) { diags.append($0) }
        #expect(back.hangoutLink == g.hangoutLink)
        #expect(back.conferenceData == g.conferenceData)
        #expect(back.guestsCanModify == true && back.guestsCanSeeOtherGuests == false)
        #expect(back.colorId == "5")
        #expect(back.extendedProperties?.shared == ["room": "B"])
        #expect(back.extendedProperties?.private?["crmId"] == "42")
        #expect(back.reminders?.useDefault == true)
        #expect(back.attendees == g.attendees)
        #expect(back.organizer?.email == "o@example.com" && back.organizer?.`self` == true)
        #expect(back.start == g.start && back.end == g.end)
        #expect(diags.isEmpty, "\(diags)")
    }

    @Test func alarmsBecomeRemindersAndComeBackWhole() {
        var e = Event()
        e.uid = "a"
        e.start = .utc(LocalDateTime(year: 2025, month: 1, day: 1, hour: 9))
        var popup = Alarm(action: "DISPLAY", trigger: .relative(ICalDuration(isNegative: true, minutes: 15), relatedToEnd: false))
        popup.description = "Leave now"
        var email = Alarm(action: "EMAIL", trigger: .relative(ICalDuration(isNegative: true, days: 1), relatedToEnd: false))
        email.summary = "Tomorrow"
        email.attendees = [CalendarUser(address: "mailto:me@example.com")]
        let atEnd = Alarm(action: "DISPLAY", trigger: .relative(ICalDuration(minutes: 0), relatedToEnd: true))
        e.alarms = [popup, email, atEnd]
        let (g, back, diags) = roundTrip(e)
        #expect(g.reminders?.useDefault == false)
        #expect(g.reminders?.overrides == [.init(method: "popup", minutes: 15), .init(method: "email", minutes: 1440)])
        #expect(back.alarms == e.alarms)
        #expect(diags.contains { $0.severity == .note && $0.message.contains("no Google reminder equivalent") })
    }

    @Test func noAlarmsMeansNoReminders() {
        var e = Event()
        e.uid = "n"
        e.start = .date(LocalDate(year: 2025, month: 1, day: 1))
        let (g, back, _) = roundTrip(e)
        #expect(g.reminders?.useDefault == false && g.reminders?.overrides == nil)
        #expect(back.alarms.isEmpty)
        #expect(!back.properties.contains { $0.name == "X-GOOGLE-REMINDERS-USE-DEFAULT" })
    }

    @Test func atMostFiveReminders() {
        var e = Event()
        e.uid = "r"
        e.start = .utc(LocalDateTime(year: 2025, month: 1, day: 1, hour: 9))
        e.alarms = (1...7).map { Alarm(action: "DISPLAY", trigger: .relative(ICalDuration(isNegative: true, minutes: $0 * 10), relatedToEnd: false)) }
        let (g, back, diags) = roundTrip(e)
        #expect(g.reminders?.overrides?.count == 5)
        #expect(back.alarms.count == 7)
        #expect(diags.contains { $0.message.contains("at most 5") })
    }

    @Test func attendeesAndVerbatimContentRoundTrip() {
        var e = Event()
        e.uid = "p"
        e.start = .zoned(LocalDateTime(year: 2025, month: 6, day: 1, hour: 9), tzid: "America/Chicago", utcOffset: -18_000)
        var a = CalendarUser(address: "mailto:a@example.com")
        a.commonName = "A, B"
        a.role = "CHAIR"
        a.participationStatus = "DELEGATED"
        a.rsvp = true
        a.parameters = [Parameter("DELEGATED-TO", "mailto:c@example.com")]
        var room = CalendarUser(address: "mailto:room@example.com")
        room.userType = "ROOM"
        let other = CalendarUser(address: "urn:uuid:1234")
        e.attendees = [a, room, other]
        e.categories = ["Work", "Travel, abroad"]
        e.priority = 1
        e.color = "darkred"
        e.properties = [Property(name: "X-MICROSOFT-CDO-BUSYSTATUS", value: "OOF"), Property(name: "GEO", value: "37.386013;-122.082932"),
                        Property(name: "X-LONG", value: String(repeating: "é", count: 1500))]
        e.propertyParameters = ["SUMMARY": [Parameter("LANGUAGE", "de")]]
        e.summary = "Hallo"
        let (g, back, _) = roundTrip(e)
        #expect(g.attendees?.count == 2)
        #expect(g.colorId == "11")
        #expect(back.attendees == e.attendees)
        #expect(back.categories == e.categories)
        #expect(back.priority == 1)
        #expect(back.color == "darkred")
        #expect(Set(back.properties) == Set(e.properties))
        #expect(back.propertyParameters == e.propertyParameters)
        for (k, v) in g.extendedProperties?.private ?? [:] {
            #expect(k.count <= Carrier.maximumKeyLength && v.utf8.count <= Carrier.maximumValueLength)
        }
    }

    @Test func floatingAndDurationComeBack() {
        var e = Event()
        e.uid = "f"
        e.start = .floating(LocalDateTime(year: 2025, month: 3, day: 30, hour: 1, minute: 30))
        e.duration = ICalDuration(hours: 2)
        let (g, back, _) = roundTrip(e, zone: "Europe/Berlin")
        #expect(g.start?.dateTime == "2025-03-30T01:30:00+01:00")
        #expect(g.end?.dateTime == "2025-03-30T04:30:00+02:00")
        #expect(back.start == e.start && back.duration == e.duration && back.end == nil)
    }

    @Test func untilIsNormalisedForGoogle() {
        var e = Event()
        e.uid = "u"
        e.start = .zoned(LocalDateTime(year: 2025, month: 1, day: 6, hour: 9), tzid: "Europe/Berlin", utcOffset: 3600)
        e.recurrenceRules = ["FREQ=WEEKLY;UNTIL=20250331T090000"]
        let (g, _, _) = roundTrip(e)
        #expect(g.recurrence == ["RRULE:FREQ=WEEKLY;UNTIL=20250331T070000Z"])
        var d = Event()
        d.uid = "d"
        d.start = .date(LocalDate(year: 2025, month: 1, day: 6))
        d.recurrenceRules = ["FREQ=DAILY;UNTIL=20250110T000000Z"]
        #expect(roundTrip(d).0.recurrence == ["RRULE:FREQ=DAILY;UNTIL=20250110"])
    }

    @Test func googleDateTimeInAnotherOffsetIsReexpressedInItsZone() {
        let g = GoogleEvent.with(start: EventDateTime(dateTime: "2025-01-10T18:00:00+01:00", timeZone: "America/New_York"))
        let e = GoogleEventMapper().event(from: g) { _ in }
        #expect(e.start == .zoned(LocalDateTime(year: 2025, month: 1, day: 10, hour: 12), tzid: "America/New_York", utcOffset: -18_000))
    }

    /// Google's limits on extended properties (guides/extended-properties; docs/mapping.md):
    /// keys of at most 44 characters, values of at most 1,024, 300 entries, 32 kB per event.
    private func withinGooglesLimits(_ x: GoogleEvent.ExtendedProperties?) -> Bool {
        let all = (x?.private ?? [:]).merging(x?.shared ?? [:]) { a, _ in a }
        return all.count <= 300 && all.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count } <= 32 * 1024
            && all.allSatisfy { $0.key.count <= 44 && $0.value.utf8.count <= 1024 }
    }

    private func outlookAttendee(_ n: Int, extra: [Parameter] = []) -> CalendarUser {
        var a = CalendarUser(address: "mailto:firstname.lastname\(n)@contoso.example")
        a.commonName = "Firstname Lastname \(n)"
        a.role = n % 7 == 0 ? "OPT-PARTICIPANT" : "REQ-PARTICIPANT"
        a.participationStatus = n % 5 == 0 ? "ACCEPTED" : "NEEDS-ACTION"
        a.userType = "INDIVIDUAL"
        a.rsvp = true
        a.parameters = extra
        return a
    }

    /// Outlook writes ROLE, PARTSTAT, RSVP, CN and CUTYPE on every ATTENDEE; a whole line
    /// carried per attendee took a 400-attendee meeting to about 50 kB, over Google's 32 kB.
    @Test func outlookMeetingOf400AttendeesFitsGooglesLimitsAndComesBackWhole() {
        var e = Event()
        e.uid = "all-hands"
        e.start = .utc(LocalDateTime(year: 2025, month: 6, day: 2, hour: 15))
        e.attendees = (1...400).map { outlookAttendee($0) }
        let (g, back, diags) = roundTrip(e)
        let bytes = (g.extendedProperties?.private ?? [:]).reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count }
        print("400 Outlook attendees: extendedProperties.private is \(bytes) bytes in \(g.extendedProperties?.private?.count ?? 0) entries")
        #expect(withinGooglesLimits(g.extendedProperties))
        #expect(g.attendees?.count == 400)
        #expect(back.attendees == e.attendees)
        #expect(!diags.contains { $0.severity >= .warning })
    }

    /// When the carried data cannot fit, what only restores the .ics's spelling goes before
    /// what carries meaning, and the warning names every attendee and property it dropped.
    @Test func carriedDataOverGooglesLimitsDropsTheLeastValuableAndNamesIt() {
        var e = Event()
        e.uid = "big"
        e.start = .utc(LocalDateTime(year: 2025, month: 6, day: 2, hour: 15))
        e.duration = ICalDuration(minutes: 45)
        // An X- parameter of 80 characters, its own on every attendee: 400 of them cannot all fit.
        e.attendees = (1...400).map { outlookAttendee($0, extra: [Parameter("X-ORACLE-NOTE", "\($0)" + String(repeating: "n", count: 80))]) }
        e.properties = [Property(name: "X-VENDOR-BLOB", value: String(repeating: "b", count: 40_000)),
                        Property(name: "GEO", value: "37.386013;-122.082932")]
        let (g, back, diags) = roundTrip(e)
        #expect(withinGooglesLimits(g.extendedProperties))
        let warnings = diags.filter { $0.severity == .warning && $0.message.contains("dropped") }
        #expect(warnings.count == 1)
        let message = warnings.first?.message ?? ""
        // Meaning before vendor data before spelling: GEO stays, the blob goes.
        #expect(back.properties.contains(Property(name: "GEO", value: "37.386013;-122.082932")))
        #expect(!back.properties.contains { $0.name == "X-VENDOR-BLOB" })
        #expect(message.contains("X-VENDOR-BLOB"))
        // Exactly the attendees the warning names came back without their carried parameters.
        var lost = 0
        for (a, b) in zip(e.attendees, back.attendees) {
            // No address is a prefix of another (`…lastname1@` against `…lastname10@`).
            let named = message.contains(a.address)
            if b != a {
                lost += 1
                #expect(named, "\(a.address) lost carried data the warning does not name")
                #expect(b.email == a.email && b.commonName == a.commonName && b.participationStatus == a.participationStatus)
            } else {
                #expect(!named, "\(a.address) is named but came back whole")
            }
        }
        #expect(lost > 0 && lost < 400)
        #expect(back.attendees.count == 400)
        // RSVP carries meaning, the X- notes are another application's: every RSVP stays.
        #expect(back.attendees.allSatisfy { $0.rsvp == true })
        // Within a worth the smaller go last: DURATION's few bytes stay.
        #expect(!message.contains("DURATION") && back.duration == e.duration)
    }

    /// The key already names the carried property: `"DURATION": "DURATION:PT45M"` said it twice.
    @Test func carriedLineDoesNotRepeatItsName() {
        var e = Event()
        e.uid = "d"
        e.start = .utc(LocalDateTime(year: 2025, month: 6, day: 2, hour: 15))
        e.duration = ICalDuration(minutes: 45)
        e.properties = [Property(name: "X-MICROSOFT-CDO-BUSYSTATUS", value: "OOF")]
        let (g, back, _) = roundTrip(e)
        let carried = g.extendedProperties?.private ?? [:]
        #expect(carried["DURATION"] == ":PT45M")
        #expect(carried["X-MICROSOFT-CDO-BUSYSTATUS"] == ":OOF")
        #expect(back.duration == e.duration && back.end == nil)
        #expect(back.properties == e.properties)
    }

    /// The content-line reader takes `_` in names (libical's fuzz data has `RES_URCES`); such a
    /// line is still calport's own on the way back, not another application's entry.
    @Test func carriedNameWithUnderscoreComesBack() {
        var e = Event()
        e.uid = "u"
        e.start = .utc(LocalDateTime(year: 2025, month: 6, day: 2, hour: 15))
        e.properties = [Property(name: "RES_URCES", parameters: [Parameter("LANGUAGE", "a")], value: "b")]
        let (g, back, _) = roundTrip(e)
        #expect(g.extendedProperties?.private?["RES_URCES"] == ";LANGUAGE=a:b")
        #expect(back.properties == e.properties)
    }

    /// JSON written by earlier versions, whose values were whole content lines, converts back
    /// as it did.
    @Test func carriedLinesOfEarlierVersionsStillComeBack() throws {
        let json = """
            {"iCalUID":"old","start":{"dateTime":"2025-06-02T15:00:00Z"},"end":{"dateTime":"2025-06-02T15:45:00Z"},
             "attendees":[{"email":"a@example.com","displayName":"A","responseStatus":"needsAction"}],
             "extendedProperties":{"private":{"DURATION":"DURATION:PT45M","X-MICROSOFT-CDO-BUSYSTATUS":"X-MICROSOFT-CDO-BUSYSTATUS:OOF",
               "ATTENDEE":"ATTENDEE;CN=A;CUTYPE=INDIVIDUAL;ROLE=CHAIR;PARTSTAT=DELEGATED;RSVP=TRUE:mailto:a@example.com"}}}
            """
        let g = try JSONDecoder().decode(GoogleEvent.self, from: Data(json.utf8))
        let e = GoogleEventMapper().event(from: g) { _ in }
        var a = CalendarUser(address: "mailto:a@example.com")
        a.commonName = "A"
        a.userType = "INDIVIDUAL"
        a.role = "CHAIR"
        a.participationStatus = "DELEGATED"
        a.rsvp = true
        #expect(e.attendees == [a])
        #expect(e.duration == ICalDuration(minutes: 45) && e.end == nil)
        #expect(e.properties == [Property(name: "X-MICROSOFT-CDO-BUSYSTATUS", value: "OOF")])
    }
}

extension GoogleEvent {
    static func with(start: EventDateTime) -> GoogleEvent {
        var g = GoogleEvent()
        g.iCalUID = "x"
        g.start = start
        return g
    }
}

@Suite struct SeriesAssemblyTests {
    @Test func cancelledOccurrencesBecomeExdates() throws {
        let json = """
            [{"id":"m1","iCalUID":"m1@google.com","status":"confirmed","summary":"Daily",
              "start":{"dateTime":"2025-03-03T09:00:00+01:00","timeZone":"Europe/Berlin"},
              "end":{"dateTime":"2025-03-03T09:30:00+01:00","timeZone":"Europe/Berlin"},
              "recurrence":["RRULE:FREQ=DAILY;COUNT=5"]},
             {"id":"m1_20250304T080000Z","status":"cancelled","recurringEventId":"m1",
              "originalStartTime":{"dateTime":"2025-03-04T09:00:00+01:00","timeZone":"Europe/Berlin"}},
             {"id":"other_20250101","status":"cancelled","recurringEventId":"other",
              "originalStartTime":{"date":"2025-01-01"}}]
            """
        let items = try JSONDecoder().decode([GoogleEvent].self, from: Data(json.utf8))
        let folded = GoogleEventMapper().foldingCancelledOccurrences(items) { _ in }
        #expect(folded.count == 2)
        #expect(folded[0].recurrence == ["RRULE:FREQ=DAILY;COUNT=5", "EXDATE;TZID=Europe/Berlin:20250304T090000"])
        // A tombstone whose series is not in the input is kept.
        #expect(folded[1].id == "other_20250101")
    }
}
