import CalPort
import CalendarModel
import FakeGoogle
import Foundation
import GoogleAPI
import GoogleCalendar
import Testing

@Suite("calport pull", .serialized)
struct PullTests {
    /// Events seeded for the large pull (3,000: two pages of 2,500). CALPORT_PULL_TEST_EVENTS
    /// raises it (20000 for the acceptance run by hand).
    static let size = ProcessInfo.processInfo.environment["CALPORT_PULL_TEST_EVENTS"].flatMap(Int.init) ?? 3000

    /// Seeds `count` events plus a Berlin series with one moved and one cancelled occurrence;
    /// returns the calendar#events JSON of what was sent (the tombstone as Google lists it).
    static func seedCalendar(_ account: FakeAccount, count: Int) async throws -> Data {
        var sent = (0..<count).map { SeedEvents.event($0) }
        var series = GoogleEvent()
        series.iCalUID = "series@calport.test"
        series.summary = "Stand-up"
        series.start = SeedEvents.time("2025-01-06T10:00:00+01:00", "Europe/Berlin")
        series.end = SeedEvents.time("2025-01-06T10:15:00+01:00", "Europe/Berlin")
        series.recurrence = ["RRULE:FREQ=WEEKLY;COUNT=8"]
        sent.append(series)
        let stored = try await account.importEvents(sent)
        let master = stored.last!
        var moved = GoogleEvent()
        moved.iCalUID = series.iCalUID
        moved.recurringEventId = master.id
        moved.originalStartTime = SeedEvents.time("2025-01-20T10:00:00+01:00", "Europe/Berlin")
        moved.start = SeedEvents.time("2025-01-20T11:00:00+01:00", "Europe/Berlin")
        moved.end = SeedEvents.time("2025-01-20T11:30:00+01:00", "Europe/Berlin")
        moved.summary = "Stand-up (moved)"
        try await account.importEvents([moved])
        try await account.api.deleteEvent(calendarId: account.calendarId, eventId: master.id! + "_20250203T090000Z", sendUpdates: .none)
        var tombstone = GoogleEvent()
        tombstone.status = "cancelled"
        tombstone.iCalUID = series.iCalUID
        tombstone.recurringEventId = master.id
        tombstone.originalStartTime = SeedEvents.time("2025-02-03T10:00:00+01:00", "Europe/Berlin")
        var envelope = GoogleEvents()
        envelope.kind = "calendar#events"
        envelope.timeZone = "Europe/Berlin"
        envelope.items = stored.dropLast().map { $0 } + [master, moved, tombstone]
        return try JSONCodec.compactEncoder().encode(envelope)
    }

    @Test("a large pull is verify-equivalent to what was imported and re-reads in libical without a diagnostic")
    func largePull() async throws {
        let account = try FakeAccount()
        let expected = try await Self.seedCalendar(account, count: Self.size)
        try expected.write(to: URL(fileURLWithPath: account.path("sent.json")))

        let r = try account.run(["pull", "--calendar", "primary", "-o", account.path("out.ics"), "--report", account.path("report.json"), "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: account.path("report.json")))) as! [String: Any]
        let cal = (report["calendars"] as! [[String: Any]])[0]
        #expect(cal["pages"] as? Int == (Self.size + 4) / 2500 + 1)
        #expect(report["requests"] as? Int == cal["pages"] as? Int)
        #expect((report["responseBytes"] as? Int ?? 0) > Self.size * 300)

        let v = try account.run(["verify", account.path("sent.json"), account.path("out.ics")])
        #expect(v.status == 0, "\(v.stdoutText.prefix(2000))")
        #expect(v.stdoutText.contains("equivalent"))

        // libical reads it back without a single diagnostic.
        let reread = try account.run(["convert", account.path("out.ics"), "--to", "ndjson", "--strict", "-o", account.path("reread.ndjson")])
        #expect(reread.status == 0, "\(reread.stderr)")

        let ics = try String(contentsOfFile: account.path("out.ics"), encoding: .utf8)
        #expect(ics.contains("X-WR-CALNAME:me@example.com\r\n"))
        #expect(ics.contains("X-WR-TIMEZONE:Europe/Berlin\r\n"))
        for zone in ["America/New_York", "Asia/Tokyo", "Europe/Berlin"] {
            #expect(ics.components(separatedBy: "BEGIN:VTIMEZONE\r\nTZID:\(zone)\r\n").count == 2, "one VTIMEZONE for \(zone)")
        }
        #expect(ics.components(separatedBy: "BEGIN:VEVENT").count - 1 == Self.size + 2)
        // The series: one master with the cancelled occurrence as EXDATE, one override.
        let series = ics.components(separatedBy: "BEGIN:VEVENT").filter { $0.contains("UID:series@calport.test") }
        #expect(series.count == 2)
        #expect(series.filter { $0.contains("RRULE:FREQ=WEEKLY;COUNT=8") && $0.contains("EXDATE;TZID=Europe/Berlin:20250203T100000") }.count == 1)
        #expect(series.filter { $0.contains("RECURRENCE-ID;TZID=Europe/Berlin:20250120T100000") && $0.contains("SUMMARY:Stand-up (moved)") }.count == 1)
    }

    @Test("two pulls of an unchanged calendar give the same bytes, in every format")
    func deterministic() async throws {
        let account = try FakeAccount()
        _ = try await Self.seedCalendar(account, count: 40)
        for format in ["ics", "json", "ndjson"] {
            let a = try account.run(["pull", "--calendar", "primary", "--format", format, "--quiet"])
            let b = try account.run(["pull", "--calendar", "primary", "--format", format, "--quiet"])
            #expect(a.status == 0 && b.status == 0, "\(a.stderr)")
            #expect(!a.stdout.isEmpty && a.stdout == b.stdout, "\(format)")
        }
    }

    @Test("json and ndjson carry Google's Event resources as listed")
    func googleFormats() async throws {
        let account = try FakeAccount()
        _ = try await Self.seedCalendar(account, count: 25)
        let listed = try await account.api.allEvents(calendarId: "primary").items
        let n = try account.run(["pull", "--calendar", "primary", "--format", "ndjson", "-q"])
        #expect(n.status == 0, "\(n.stderr)")
        let lines = n.stdoutText.split(separator: "\n")
        #expect(lines.count == listed.count)
        let decoded = try lines.map { try JSONDecoder().decode(GoogleEvent.self, from: Data($0.utf8)) }
        #expect(Set(decoded) == Set(listed))
        let j = try account.run(["pull", "--calendar", "primary", "--format", "json", "-q"])
        let envelope = try JSONDecoder().decode(GoogleEvents.self, from: j.stdout)
        #expect(envelope.kind == "calendar#events" && envelope.timeZone == "Europe/Berlin")
        #expect(Set(envelope.items ?? []) == Set(listed))
    }

    @Test("several calendars go to one file each in -o DIR, and need it")
    func severalCalendars() async throws {
        let account = try FakeAccount()
        let team = try account.server.createCalendar(summary: "Team", timeZone: "Asia/Tokyo")
        try await account.importEvents((0..<5).map { SeedEvents.event($0, tag: "me") })
        try await account.importEvents((0..<7).map { SeedEvents.event($0, tag: "team") }, calendarId: team)

        let refused = try account.run(["pull", "--calendar", "primary", "--calendar", team])
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("-o DIR"))

        let out = account.path("backup")
        let r = try account.run(["pull", "--all-calendars", "-o", out])
        #expect(r.status == 0, "\(r.stderr)")
        let names = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
        #expect(names == ["me@example.com.ics", CalendarRenderer.fileName(forCalendarId: team) + ".ics"].sorted())
        let teamICS = try String(contentsOfFile: out + "/" + CalendarRenderer.fileName(forCalendarId: team) + ".ics", encoding: .utf8)
        #expect(teamICS.contains("X-WR-CALNAME:Team\r\n") && teamICS.contains("X-WR-TIMEZONE:Asia/Tokyo\r\n"))
        #expect(teamICS.components(separatedBy: "BEGIN:VEVENT").count - 1 == 7)

        // `primary` and the account's address are one calendar: one file, named by the address.
        let named = account.path("named")
        let both = try account.run(["pull", "--calendar", "primary", "--calendar", "me@example.com", "--calendar", team, "-o", named])
        #expect(both.status == 0, "\(both.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: named).sorted() == names)
    }

    @Test("several calendars into -o x.ics: refused before any request, instead of a directory named x.ics")
    func severalCalendarsIntoAFileName() throws {
        let account = try FakeAccount()
        let team = try account.server.createCalendar(summary: "Team", timeZone: "UTC")
        let before = account.server.requestCount
        let r = try account.run(["pull", "--calendar", "primary", "--calendar", team, "-o", account.path("x.ics")])
        #expect(r.status == 64, "\(r.stderr)")
        #expect(r.stderr.contains("needs a directory") || r.stderr.contains("need a directory"), "\(r.stderr)")
        #expect(r.stderr.contains("x/"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: account.path("x.ics")))
        #expect(account.server.requestCount == before)
        // A new directory is still fine when it is written as one.
        let dir = try account.run(["pull", "--calendar", "primary", "--calendar", team, "-o", account.path("new.d/"), "-q"])
        #expect(dir.status == 0, "\(dir.stderr)")
    }

    @Test("the fields mask asks for every field the mapping reads, and a masked event maps as the whole one")
    func fieldsMask() throws {
        let mask = PullFields.mask
        for field in EventField.allCases where field != .kind {
            #expect(mask.contains(field.rawValue), "\(field) missing from the mask")
        }
        for f in ["summary", "timeZone", "description", "nextPageToken", "nextSyncToken"] {
            #expect(mask.split(separator: ",").contains(Substring(f)) || mask.hasSuffix(f))
        }
        // Apply the mask as Google would (partial response) to an event with every field set.
        let full = Self.richEventJSON
        let kept = Set(mask[mask.index(after: mask.firstIndex(of: "(")!)..<mask.firstIndex(of: ")")!].split(separator: ",").map(String.init))
        let object = try JSONSerialization.jsonObject(with: Data(full.utf8)) as! [String: Any]
        #expect(Set(object.keys).subtracting(kept) == ["kind"])
        let masked = try JSONSerialization.data(withJSONObject: object.filter { kept.contains($0.key) })
        let mapper = GoogleEventMapper(calendarTimeZone: "Europe/Berlin")
        let a = mapper.event(from: try JSONDecoder().decode(GoogleEvent.self, from: Data(full.utf8))) { _ in }
        let b = mapper.event(from: try JSONDecoder().decode(GoogleEvent.self, from: masked)) { _ in }
        #expect(a == b)
        #expect(a.properties.contains { $0.name == "X-GOOGLE-HTML-LINK" })
    }

    static let richEventJSON = """
        {"kind":"calendar#event","etag":"\\"3\\"","id":"abc123def456","status":"confirmed","htmlLink":"https://example.com/e",
         "created":"2025-01-01T10:00:00.000Z","updated":"2025-01-02T10:00:00.000Z","summary":"All","description":"d","location":"l",
         "colorId":"3","creator":{"email":"c@example.com"},"organizer":{"email":"o@example.com","displayName":"O"},
         "start":{"dateTime":"2025-02-01T10:00:00+01:00","timeZone":"Europe/Berlin"},"end":{"dateTime":"2025-02-01T11:00:00+01:00","timeZone":"Europe/Berlin"},
         "endTimeUnspecified":false,"recurrence":["RRULE:FREQ=DAILY;COUNT=3"],"transparency":"transparent","visibility":"private",
         "iCalUID":"all@calport.test","sequence":2,"attendees":[{"email":"a@example.com","responseStatus":"tentative","optional":true}],
         "attendeesOmitted":false,"extendedProperties":{"private":{"other":"x"},"shared":{"s":"y"}},"hangoutLink":"https://meet.example.com/x",
         "conferenceData":{"conferenceId":"x"},"gadget":{"title":"g"},"anyoneCanAddSelf":true,"guestsCanInviteOthers":false,
         "guestsCanModify":true,"guestsCanSeeOtherGuests":false,"privateCopy":false,"locked":false,
         "reminders":{"useDefault":false,"overrides":[{"method":"email","minutes":30}]},"source":{"url":"https://example.com/s","title":"S"},
         "attachments":[{"fileUrl":"https://example.com/f","title":"F","mimeType":"text/plain"}],"eventType":"default","eventLabelId":"lbl"}
        """

    @Test("bad time bounds are a usage error; a time window narrows the export")
    func timeBounds() async throws {
        let account = try FakeAccount()
        try await account.importEvents((0..<30).map { SeedEvents.event($0 * 3 + 3) })
        let bad = try account.run(["pull", "--calendar", "primary", "--time-min", "2025-13-01"])
        #expect(bad.status == 64)
        let all = try account.run(["pull", "--calendar", "primary", "-q"])
        let some = try account.run(["pull", "--calendar", "primary", "--time-min", "2024-02-01", "--time-max", "2024-03-01T00:00:00+01:00", "-q"])
        #expect(all.status == 0 && some.status == 0, "\(some.stderr)")
        let count = { (r: RunResult) in r.stdoutText.components(separatedBy: "BEGIN:VEVENT").count - 1 }
        #expect(count(some) > 0 && count(some) < count(all))
    }

    @Test("a time window keeps a series whole: its overrides and cancelled occurrences outside the window come too")
    func timeBoundsKeepSeriesWhole() async throws {
        // The weekly series runs 2025-01-06 to 2025-02-24, moved on 01-20, cancelled on 02-03;
        // the window 02-10..03-01 holds the series, but neither exception.
        let account = try FakeAccount()
        _ = try await Self.seedCalendar(account, count: 0)
        let whole = try account.run(["pull", "--calendar", "primary", "-o", account.path("whole.ics"), "-q"])
        let window = try account.run(["pull", "--calendar", "primary", "--time-min", "2025-02-10", "--time-max", "2025-03-01",
                                      "-o", account.path("window.ics"), "-q"])
        #expect(whole.status == 0 && window.status == 0, "\(window.stderr)")
        let text = try String(contentsOfFile: account.path("window.ics"), encoding: .utf8)
        #expect(text.contains("EXDATE") && text.contains("RECURRENCE-ID") && text.contains("Stand-up (moved)"))
        let v = try account.run(["verify", account.path("whole.ics"), account.path("window.ics")])
        #expect(v.status == 0, "\(v.stdoutText)")
    }

    @Test("a refused token exits 77 and never shows the token")
    func authFailure() async throws {
        let account = try FakeAccount()
        account.server.acceptedTokens = ["some-other-token"]
        let r = try account.run(["pull", "--calendar", "primary", "-o", account.path("x.ics")])
        #expect(r.status == 77, "\(r.stderr)")
        #expect(!r.stderr.contains(FakeAccount.token))
        #expect(!FileManager.default.fileExists(atPath: account.path("x.ics")))
    }

    @Test("a calendar that does not exist fails alone: the others are written and the exit code says partial")
    func partial() async throws {
        let account = try FakeAccount()
        try await account.importEvents((0..<3).map { SeedEvents.event($0) })
        let r = try account.run(["pull", "--calendar", "primary", "--calendar", "nope@example.com", "-o", account.path("out"), "--report", account.path("r.json")])
        #expect(r.status == 3, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: account.path("out/me@example.com.ics")))
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: account.path("r.json")))) as! [String: Any]
        #expect(report["exitCode"] as? Int == 3)
        let failed = (report["calendars"] as! [[String: Any]]).filter { $0["failure"] != nil }
        #expect(failed.map { $0["calendarId"] as? String } == ["nope@example.com"])
    }

    @Test("--include-cancelled lists deleted events: JSON keeps them, the .ics leaves out those without a start and says so")
    func includeCancelled() async throws {
        let account = try FakeAccount()
        let stored = try await account.importEvents((0..<6).map { SeedEvents.event($0 * 10 + 3) })
        try await account.api.deleteEvent(calendarId: "primary", eventId: stored[2].id!, sendUpdates: .none)
        let plain = try account.run(["pull", "--calendar", "primary", "--format", "ndjson", "-q"])
        #expect(plain.stdoutText.split(separator: "\n").count == 5)
        let withDeleted = try account.run(["pull", "--calendar", "primary", "--format", "ndjson", "--include-cancelled", "-q"])
        let lines = try withDeleted.stdoutText.split(separator: "\n").map { try JSONDecoder().decode(GoogleEvent.self, from: Data($0.utf8)) }
        #expect(lines.count == 6)
        #expect(lines.filter { $0.status == "cancelled" }.map(\.id) == [stored[2].id])
        let ics = try account.run(["pull", "--calendar", "primary", "--include-cancelled"])
        #expect(ics.status == 0)
        #expect(ics.stdoutText.components(separatedBy: "BEGIN:VEVENT").count - 1 == 5)
        #expect(ics.stderr.contains("1 cancelled entries without a start left out"))
    }
}
