import CalPort
import CalendarModel
import Foundation
import GoogleCalendar
import ICalendar
import Testing

/// Each testdata/cases/<case>.ics converts to exactly <case>.json, with the options in
/// <case>.args (one argument a line) when that file exists.
@Suite struct FixtureTests {
    static let cases: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: Paths.cases.path)) ?? []
        return names.filter { $0.hasSuffix(".ics") }.map { String($0.dropLast(4)) }.sorted()
    }()

    /// The extra `convert` arguments of a case.
    static func arguments(_ name: String) -> [String] {
        let url = Paths.cases.appendingPathComponent(name + ".args")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
    }

    @Test func everyCaseHasItsExpectedJSON() {
        #expect(FixtureTests.cases.count >= 10)
        for c in FixtureTests.cases {
            #expect(FileManager.default.fileExists(atPath: Paths.cases.appendingPathComponent(c + ".json").path), "\(c).json is missing")
        }
    }

    @Test(arguments: cases)
    func icsToJSON(name: String) throws {
        let ics = Paths.cases.appendingPathComponent(name + ".ics")
        let expectedURL = Paths.cases.appendingPathComponent(name + ".json")
        let r = try calport(["convert", ics.path, "--to", "json"] + FixtureTests.arguments(name))
        #expect(r.status == 0 || r.status == 65, "\(r.stderr)")
        let expected = try jsonObject(Data(contentsOf: expectedURL))
        let actual = try jsonObject(r.stdout)
        if actual != expected {
            let dir = try Paths.temporaryDirectory()
            let got = dir.appendingPathComponent(name + ".json")
            try r.stdout.write(to: got)
            Issue.record("\(name): output differs; see: git diff --no-index \(expectedURL.path) \(got.path)")
        }
    }

    /// ics -> json -> ics -> json is a fixed point, and libical re-reads the .ics cleanly.
    @Test(arguments: cases)
    func roundTrip(name: String) throws {
        let ics = Paths.cases.appendingPathComponent(name + ".ics")
        let first = try calport(["convert", ics.path, "--to", "json"] + FixtureTests.arguments(name))
        // Input with errors (an unknown zone) is reported, not promised to round-trip.
        guard first.status == 0 else { return }
        let back = try calport(["convert", "--from", "json", "--to", "ics"], stdin: first.stdout)
        #expect(back.status == 0 || back.status == 65, "\(back.stderr)")
        let collector = DiagnosticCollector()
        let doc = try ICalendarReader.readDocument(bytes: Array(back.stdout), name: name, diagnostics: collector)
        #expect(!collector.diagnostics.contains { $0.message.hasPrefix("libical") }, "\(collector.diagnostics)")
        let again = try calport(["convert", "--from", "ics", "--to", "json"], stdin: back.stdout)
        #expect(try jsonObject(again.stdout) == jsonObject(first.stdout))
        // Series calport makes for overrides without one are dropped again on the way back.
        let items = ((try jsonObject(first.stdout) as? NSDictionary)?["items"] as? [NSDictionary]) ?? []
        let made = items.filter { (($0["extendedProperties"] as? NSDictionary)?["private"] as? NSDictionary)?["X-CALPORT-SYNTHETIC-SERIES"] != nil }
        #expect(doc.events.count == items.count - made.count)
    }

    @Test func diagnosticsNameFileLineAndUID() throws {
        let r = try calport(["convert", Paths.cases.appendingPathComponent("malformed-component.ics").path])
        // Its DTEND cannot be read, so that event is rejected (exit 65); the other is written.
        #expect(r.status == 65)
        #expect(r.stderr.contains("malformed-component.ics:8: error: DTEND 2025013 cannot be read as a time"))
        #expect(r.stdoutText.contains("Still converted"))
        #expect(r.stderr.contains("malformed-component.ics:10: warning: line is not a content line"))
        #expect(r.stderr.contains("(UID broken-1@calport.test)"))
        #expect(r.stderr.contains("1 VTODO component skipped"))
        let u = try calport(["convert", Paths.cases.appendingPathComponent("unresolvable-tzid.ics").path])
        #expect(u.status == 65)
        #expect(u.stderr.contains("Mars/Olympus_Mons"))
        // The rest of the batch is still converted.
        #expect(u.stdoutText.contains("The next event is fine"))
    }
}

/// One shape of invalid data in testdata/cases/invalid-data.ics that calport rejects: the
/// line its diagnostic names and the text (the rule part) it must contain.
struct InvalidDataCase: Sendable, CustomTestStringConvertible {
    var uid: String
    var line: Int
    var says: String
    var testDescription: String { uid }
}

@Suite struct InvalidDataTests {
    static let file = Paths.cases.appendingPathComponent("invalid-data.ics")
    static let rejected: [InvalidDataCase] = [
        InvalidDataCase(uid: "no-dtstart@invalid.test", line: 12, says: "VEVENT has no DTSTART"),
        InvalidDataCase(uid: "end-before-start@invalid.test", line: 20, says: "DTEND 20250106T080000Z is before DTSTART 20250106T090000Z"),
        InvalidDataCase(uid: "freq-invalid@invalid.test", line: 35, says: "FREQ=INVALID is not a frequency"),
        InvalidDataCase(uid: "bymonth-13@invalid.test", line: 43, says: "BYMONTH=13: month 13 does not exist"),
        InvalidDataCase(uid: "count-negative@invalid.test", line: 59, says: "COUNT=-1 is invalid"),
        InvalidDataCase(uid: "until-and-count@invalid.test", line: 67, says: "UNTIL=20250110T090000Z and COUNT=3: RFC 5545 allows UNTIL or COUNT, not both"),
        InvalidDataCase(uid: "rscale@invalid.test", line: 75, says: "RSCALE=HEBREW: RFC 7529 calendar scales are not part of Google's recurrence"),
        InvalidDataCase(uid: "year-zero@invalid.test", line: 98, says: "DTSTART 00000101: year 0 is outside 0001 to 9999"),
        InvalidDataCase(uid: "year-10000@invalid.test", line: 105, says: "DTEND 100000101T090000Z cannot be read as a time"),
        InvalidDataCase(uid: "until-year-zero@invalid.test", line: 112, says: "UNTIL=00000101: year 0 is outside 0001 to 9999"),
    ]

    /// `file:line: error: … (UID x)`, with the rule part, for each rejected event; none of
    /// them reaches the JSON, the rest does, and the exit status says the data was bad.
    @Test(arguments: rejected)
    func rejectedEventIsNamedByFileLineUIDAndRulePart(_ c: InvalidDataCase) throws {
        let r = try calport(["convert", Self.file.path, "--to", "json"])
        #expect(r.status == 65, "\(r.stderr)")
        let lines = r.stderr.split(separator: "\n").map(String.init)
        let found = lines.filter { $0.contains("\(Self.file.path):\(c.line): error: ") && $0.hasSuffix("(UID \(c.uid))") }
        #expect(found.contains { $0.contains(c.says) }, "\(r.stderr)")
        #expect(!r.stdoutText.contains("\"\(c.uid)\""), "\(c.uid) reached the JSON")
    }

    /// The repairs whose meaning is certain are written, each with a warning at its line.
    @Test func certainRepairsAreWrittenWithAWarning() throws {
        let r = try calport(["convert", Self.file.path, "--to", "json"])
        #expect(r.stderr.contains("invalid-data.ics:51: warning: RRULE: white space in \"FREQ=WEEKLY;COUNT=4;BYDAY=MO, TU\" removed"), "\(r.stderr)")
        #expect(r.stderr.contains("invalid-data.ics:27: warning: DTEND is the all-day start's own day"), "\(r.stderr)")
        #expect(r.stdoutText.contains("RRULE:FREQ=WEEKLY;COUNT=4;BYDAY=MO,TU"))
        // An empty RRULE names no recurrence: the event is written as the single event it is.
        #expect(r.stderr.contains("invalid-data.ics:83: warning: RRULE: the rule is empty, which adds no occurrences; dropped"), "\(r.stderr)")
        #expect(r.stdoutText.contains("\"empty-rrule@invalid.test\""))
        #expect(r.stderr.contains("RDATE period RDATE;VALUE=PERIOD:20250120T090000Z/PT3H: Google's recurrence holds no PERIOD"), "\(r.stderr)")
        #expect(r.stdoutText.contains("\"RDATE:20250120T090000Z\""))
        #expect(!r.stdoutText.contains("VALUE=PERIOD:20250120T090000Z/PT3H\","), "the PERIOD is only carried")
    }

    /// An occurrence of a rejected series is left out with it (Google takes no exception of a
    /// series it does not have).
    @Test func overrideOfARejectedSeriesIsLeftOut() throws {
        let r = try calport(["convert", Self.file.path, "--to", "json"])
        #expect(r.stderr.contains("the series of this occurrence was rejected"), "\(r.stderr)")
        #expect(!r.stdoutText.contains("Override of a rejected series"))
    }

    /// A file that repeats a series (iTIP messages in a row, as libical's 2446.ics) keeps the
    /// overrides of the valid copy when another copy is rejected, in convert and in push.
    @Test func aRejectedCopyOfASeriesKeepsTheValidCopysOverrides() throws {
        let ics = """
            BEGIN:VCALENDAR\r
            VERSION:2.0\r
            PRODID:-//calport tests//EN\r
            BEGIN:VEVENT\r
            UID:repeated@invalid.test\r
            DTSTART:20250106T100000Z\r
            DTEND:20250106T110000Z\r
            RRULE:FREQ=WEEKLY;COUNT=3\r
            SUMMARY:Valid copy\r
            END:VEVENT\r
            BEGIN:VEVENT\r
            UID:repeated@invalid.test\r
            DTSTART:20250106T100000Z\r
            DTEND:20250101T110000Z\r
            SUMMARY:Copy that ends before it starts\r
            END:VEVENT\r
            BEGIN:VEVENT\r
            UID:repeated@invalid.test\r
            RECURRENCE-ID:20250113T100000Z\r
            DTSTART:20250114T100000Z\r
            DTEND:20250114T110000Z\r
            SUMMARY:Moved\r
            END:VEVENT\r
            END:VCALENDAR\r

            """
        let dir = try Paths.temporaryDirectory()
        let file = dir.appendingPathComponent("repeated.ics")
        try Data(ics.utf8).write(to: file)
        let r = try calport(["convert", file.path, "--to", "ndjson"])
        #expect(!r.stderr.contains("the series of this occurrence was rejected"), "\(r.stderr)")
        #expect(r.stdoutText.contains("\"summary\":\"Moved\""), "\(r.stdoutText)")
        let input = try PushInput.load(path: file.path, mapping: MappingOptions(), diagnostics: DiagnosticCollector())
        #expect(input.items.contains { $0.key.instance != nil }, "push keeps the override")
    }

    /// Push refuses the same events, for the same reasons, before anything is sent.
    @Test func pushRejectsTheSameEventsWithTheSameReasons() throws {
        let input = try PushInput.load(path: Self.file.path, mapping: MappingOptions(), diagnostics: DiagnosticCollector())
        let reasons = Dictionary(input.rejects.map { ($0.event.uid ?? "", $0.reason) }, uniquingKeysWith: { a, b in a + "; " + b })
        for c in Self.rejected {
            #expect(reasons[c.uid]?.contains(c.says) == true, "\(c.uid): \(reasons[c.uid] ?? "not rejected")")
        }
        #expect(reasons["freq-invalid@invalid.test"]?.contains("the series of this occurrence was rejected") == true)
        #expect(Set(input.items.map(\.key.uid)) == ["good@invalid.test", "allday-empty@invalid.test", "byday-spaces@invalid.test",
                                                   "empty-rrule@invalid.test", "rdate-period@invalid.test"])
    }
}
