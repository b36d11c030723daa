import GoogleCalendar
import Foundation
import Testing

/// What Google shows must be what the .ics meant, read from Google's own fields (the private
/// carrier only brings a round trip back; Google never reads it).
@Suite struct FidelityTests {
    static func calendar(_ body: String) -> Data {
        Data(("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//calport tests//EN\r\n" + body + "END:VCALENDAR\r\n").utf8)
    }

    static func items(_ r: RunResult) throws -> [[String: Any]] {
        try r.stdoutText.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    }

    /// CLASS:PUBLIC is RFC 5545's default and Outlook writes it on every event; Google's
    /// "public" would publish the details of events in a private calendar. It maps to the
    /// calendar's default, and comes back as CLASS:PUBLIC; Google's explicit public does too.
    @Test func classPublicIsTheCalendarsDefaultInGoogle() throws {
        let ics = Self.calendar("""
            BEGIN:VEVENT\r
            UID:pub@calport.test\r
            DTSTAMP:20250101T000000Z\r
            DTSTART:20250301T100000Z\r
            DTEND:20250301T110000Z\r
            CLASS:PUBLIC\r
            SUMMARY:Outlook meeting\r
            END:VEVENT\r

            """)
        let json = try calport(["convert", "-", "--to", "ndjson"], stdin: ics)
        let g = try #require(try Self.items(json).first)
        #expect(g["visibility"] as? String == "default")
        let back = try calport(["convert", "-", "--from", "ndjson", "--to", "ics"], stdin: json.stdout)
        #expect(back.stdoutText.contains("\r\nCLASS:PUBLIC\r\n"))

        let explicit = #"{"iCalUID":"p2","visibility":"public","start":{"date":"2025-01-01"},"end":{"date":"2025-01-02"}}"#
        let fromGoogle = try calport(["convert", "-", "--from", "ndjson", "--to", "ics"], stdin: Data(explicit.utf8))
        #expect(fromGoogle.stdoutText.contains("\r\nCLASS:PUBLIC\r\n"))
        let priv = try calport(["convert", "-", "--to", "ndjson"], stdin: Data(String(decoding: ics, as: UTF8.self).replacingOccurrences(of: "CLASS:PUBLIC", with: "CLASS:PRIVATE").utf8))
        #expect(try Self.items(priv).first?["visibility"] as? String == "private")
    }

    /// verify reads a Google side as Google does: what only the carrier says (Google never
    /// reads it) does not count, unless --with-carrier asks for the round-trip view.
    @Test func verifyJudgesGoogleJSONByGooglesOwnFields() throws {
        let dir = try Paths.temporaryDirectory()
        let ics = dir.appendingPathComponent("src.ics")
        try Self.calendar("""
            BEGIN:VEVENT\r
            UID:one@calport.test\r
            DTSTAMP:20250101T000000Z\r
            RECURRENCE-ID:20250108T100000Z\r
            DTSTART:20250108T120000Z\r
            DTEND:20250108T130000Z\r
            SUMMARY:Moved occurrence\r
            END:VEVENT\r

            """).write(to: ics)
        // The occurrence's identity only in calport's private carrier: to Google, a single event.
        let json = dir.appendingPathComponent("google.json")
        try Data(#"{"kind":"calendar#events","items":[{"iCalUID":"one@calport.test","summary":"Moved occurrence","start":{"dateTime":"2025-01-08T12:00:00Z"},"end":{"dateTime":"2025-01-08T13:00:00Z"},"extendedProperties":{"private":{"RECURRENCE-ID":"RECURRENCE-ID:20250108T100000Z"}}}]}"#.utf8).write(to: json)
        let asGoogle = try calport(["verify", ics.path, json.path])
        #expect(asGoogle.status == 1, "\(asGoogle.stdoutText)")
        #expect(asGoogle.stdoutText.contains("missing in B: one@calport.test"), "\(asGoogle.stdoutText)")
        let roundTrip = try calport(["verify", ics.path, json.path, "--with-carrier"])
        #expect(roundTrip.status == 0, "\(roundTrip.stdoutText)")
    }

    /// Shapes real exports contain, pushed into the fake Google: every occurrence is there, as
    /// `verify FILE google:CAL` (reading Google's own fields) finds, and a second push changes nothing.
    @Test(arguments: ["apple-moved-occurrence", "allday-series-datetime-recurrence-id", "overrides-without-series",
                      "rrule-and-recurrence-id", "sample"])
    // (recurrence.ics is left out: its RDATE;VALUE=PERIOD lasts longer than the event, which
    // Google cannot hold; that occurrence's end differs as Google shows it, with a warning.)
    func shapesArriveWholeInGoogle(_ name: String) throws {
        let h = try PushHarness()
        let file = (name == "sample" ? Paths.testdata : Paths.cases).appendingPathComponent(name + ".ics").path
        let push = try h.push(file, [])
        #expect(push.status == 0, "\(name): \(push.stderr)")
        let v = try calport(["verify", file, "google:" + h.calendarId], environment: h.environment)
        #expect(v.status == 0, "\(name): \(v.stdoutText) \(v.stderr)")
        #expect(h.storedKeys().values.allSatisfy { $0 == 1 }, "\(name): an event twice in Google")
        let again = try h.push(file, [])
        #expect(again.status == 0 && again.stderr.contains("0 create, 0 update"), "\(name): \(again.stderr)")
        // The .ics converts to JSON that a Google reader sees the same way.
        let json = try calport(["convert", file, "--to", "json"])
        let dir = try Paths.temporaryDirectory()
        let out = dir.appendingPathComponent("out.json")
        try json.stdout.write(to: out)
        #expect(try calport(["verify", file, out.path]).status == 0, "\(name): the JSON shows other occurrences")
    }

    /// A series whose overrides come after another UID is written before they are seen: the
    /// shapes are mended where the whole input is at hand (push), and reported by verify.
    @Test func pullingBackMadeSeriesGivesTheOverridesAlone() throws {
        let h = try PushHarness()
        let file = Paths.cases.appendingPathComponent("overrides-without-series.ics").path
        #expect(try h.push(file, []).status == 0)
        let pulled = try calport(["pull", "--calendar", h.calendarId, "-q"], environment: h.environment)
        #expect(pulled.status == 0, "\(pulled.stderr)")
        #expect(pulled.stdoutText.components(separatedBy: "BEGIN:VEVENT").count - 1 == 3, "\(pulled.stdoutText)")
        #expect(!pulled.stdoutText.contains("SYNTHETIC"))
    }

    /// Offline JSON names events as Google does: every series and single event has a valid,
    /// deterministic id from its UID, and an override has its series' id as recurringEventId and
    /// `<series id>_<UTC start>` as its own, so a reader that follows Google's documentation links
    /// it. The ids are calport's: reading the JSON back, they do not become X-GOOGLE-ID.
    @Test func offlineJSONLinksOverridesAsGoogleDoes() throws {
        let file = Paths.cases.appendingPathComponent("apple-moved-occurrence.ics").path
        let items = try Self.items(try calport(["convert", file, "--to", "ndjson"]))
        #expect(items.count == 2)
        let series = try #require(items.first { $0["originalStartTime"] == nil })
        let override = try #require(items.first { $0["originalStartTime"] != nil })
        let seriesId = try #require(series["id"] as? String)
        #expect(seriesId.count == 52 && seriesId.allSatisfy { ("0"..."9").contains($0) || ("a"..."v").contains($0) })
        #expect(override["recurringEventId"] as? String == seriesId)
        // 10:00 in Berlin in January is 09:00 UTC.
        #expect(override["id"] as? String == seriesId + "_20250113T090000Z")
        let again = try Self.items(try calport(["convert", file, "--to", "ndjson"]))
        #expect(again.map { $0["id"] as? String } == items.map { $0["id"] as? String }, "the same ids every time")
        let allDay = try Self.items(try calport(["convert", Paths.cases.appendingPathComponent("allday-series-datetime-recurrence-id.ics").path, "--to", "ndjson"]))
        #expect(allDay.compactMap { $0["id"] as? String }.contains { $0.hasSuffix("_20030425") })

        let back = try calport(["convert", "-", "--from", "ndjson", "--to", "ics"], stdin: Data(try calport(["convert", file, "--to", "ndjson"]).stdout))
        #expect(!back.stdoutText.contains("X-GOOGLE-ID") && !back.stdoutText.contains("X-GOOGLE-RECURRING-EVENT-ID"))
    }

    /// JSON written as Google documents instances (recurringEventId + originalStartTime, no
    /// iCalUID) links each to its series, read from a file or from standard input.
    @Test func overridesLinkedByRecurringEventIdAlone() throws {
        let json = #"{"kind":"calendar#events","items":[{"id":"abcde12345","iCalUID":"s@x","summary":"Weekly","start":{"dateTime":"2025-01-06T10:00:00Z","timeZone":"UTC"},"end":{"dateTime":"2025-01-06T11:00:00Z","timeZone":"UTC"},"recurrence":["RRULE:FREQ=WEEKLY;COUNT=3"]},{"id":"abcde12345_20250113T100000Z","recurringEventId":"abcde12345","summary":"Moved","originalStartTime":{"dateTime":"2025-01-13T10:00:00Z"},"start":{"dateTime":"2025-01-14T10:00:00Z"},"end":{"dateTime":"2025-01-14T11:00:00Z"}}]}"#
        let dir = try Paths.temporaryDirectory()
        let file = dir.appendingPathComponent("instances.json")
        try Data(json.utf8).write(to: file)
        for r in [try calport(["convert", file.path, "--to", "ics"]), try calport(["convert", "-", "--from", "json", "--to", "ics"], stdin: Data(json.utf8))] {
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdoutText.components(separatedBy: "UID:s@x\r\n").count - 1 == 2, "\(r.stdoutText)")
            #expect(r.stdoutText.contains("RECURRENCE-ID:20250113T100000Z"))
        }
    }

    /// push chooses its own ids: an id Google would refuse is dropped with a warning naming the
    /// event (it failed with "Invalid resource id value" and no event named), and calport's
    /// offline ids are not sent.
    @Test func pushDropsIdsGoogleWouldRefuse() throws {
        let h = try PushHarness()
        let bad = try h.write("bad-id.ndjson", #"{"id":"ok1","iCalUID":"bad-id@x","summary":"x","start":{"date":"2025-01-01"},"end":{"date":"2025-01-02"}}"#)
        let r = try h.push(bad, [])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("id \"ok1\" is not an event id Google accepts") && r.stderr.contains("bad-id@x"), "\(r.stderr)")
        let offline = try h.write("offline.json", String(decoding: try calport(["convert", Paths.cases.appendingPathComponent("apple-moved-occurrence.ics").path]).stdout, as: UTF8.self))
        let p = try h.push(offline, [])
        #expect(p.status == 0, "\(p.stderr)")
        let stored = h.fake.storedEvents().compactMap(\.id)
        let offlineId = "uftrm69uu0d0go6qk7lsl756ltfmiis2krvv2u4fhr932q84fim0"  // OfflineEventID.series of the UID
        #expect(!stored.contains { $0.hasPrefix(offlineId) }, "an offline id reached Google: \(stored)")
    }

    /// Real exports from the corpus, as a migration goes: convert to JSON, push the JSON into the
    /// fake Google, then verify the original .ics against the calendar, read from Google's own
    /// fields. Every occurrence must be there.
    @Test(.enabled(if: Paths.corpusAvailable, "../shared/corpus is not present"), arguments: [
        "ical4j/src/test/resources/samples/valid/Standup.ics",  // Outlook, Windows zone names
        "ical4j/src/test/resources/samples/valid/2207678.ics",  // Outlook
        "ical4j/src/test/resources/net/fortuna/ical4j/data/apple-iphone-os-26-structured-location.ics",  // Apple
        "ccs-calendarserver/twistedcaldav/test/data/recurrance/Test-03B.ics",  // an override without its series (Lotus Notes)
        "ical.js/samples/google_birthday.ics",  // Google, overrides of a yearly series
        "ical-allenporter/tests/testdata/rrule-monthly.ics",  // Google, RRULE and RECURRENCE-ID together
    ])
    func realExportsArriveWholeInGoogle(_ path: String) throws {
        let source = Paths.corpus.appendingPathComponent("ics").appendingPathComponent(path).path
        let h = try PushHarness()
        let json = h.path("export.json")
        let convert = try calport(["convert", source, "-o", json])
        #expect([0, 65].contains(convert.status), "\(path): \(convert.stderr)")
        let push = try h.push(json, [])
        #expect(push.status == 0, "\(path): \(push.stderr)")
        let v = try calport(["verify", source, "google:" + h.calendarId], environment: h.environment)
        #expect(v.status == 0, "\(path): \(v.stdoutText)")
    }
}
