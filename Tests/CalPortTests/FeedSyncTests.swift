import CalPort
import FakeGoogle
import Foundation
import GoogleAPI
import GoogleCalendar
import LoopbackHTTP
import Testing

/// Feed sync (issue 15, section 3): `push --prune` with its deletion guard, `push
/// --time-min/--time-max`, URL inputs, `calendars create/delete`, against the fake Google.
@Suite struct FeedSyncTests {
    /// A VEVENT starting at `start` (UTC, `yyyyMMdd'T'HHmmss`) for an hour, or an all-day event
    /// for a date (`yyyyMMdd`, one day unless `days`).
    static func event(_ uid: String, _ summary: String, _ start: String, rrule: String? = nil, recurrenceId: String? = nil,
                      days: Int = 1) -> String {
        var lines = ["BEGIN:VEVENT", "UID:\(uid)", "DTSTAMP:20250101T000000Z"]
        if start.count == 8 {
            let f = DateFormatter()
            f.locale = Locale(identifier: "en_US_POSIX")
            f.timeZone = TimeZone(identifier: "UTC")
            f.dateFormat = "yyyyMMdd"
            let end = f.string(from: f.date(from: start)!.addingTimeInterval(Double(days) * 86_400))
            lines += ["DTSTART;VALUE=DATE:\(start)", "DTEND;VALUE=DATE:\(end)"]
        } else {
            let hour = Int(start.dropFirst(9).prefix(2))!
            lines += ["DTSTART:\(start)Z", "DTEND:\(start.prefix(9))\(String(format: "%02d", hour + 1))\(start.dropFirst(11))Z"]
        }
        if let rrule { lines.append("RRULE:\(rrule)") }
        if let recurrenceId { lines.append("RECURRENCE-ID:\(recurrenceId)Z") }
        lines += ["SUMMARY:\(summary)", "END:VEVENT"]
        return lines.joined(separator: "\n")
    }

    static func calendar(_ events: [String]) -> String {
        (["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//feed//EN"] + events + ["END:VCALENDAR", ""]).joined(separator: "\n")
    }

    /// `n` single events, `e1@feed` … on consecutive days of 2026.
    static func singles(_ numbers: some Sequence<Int>) -> [String] {
        numbers.map { i in
            let day = Calendar(identifier: .gregorian).date(byAdding: .day, value: i, to: Date(timeIntervalSince1970: 1_767_225_600))!
            let f = DateFormatter()
            f.locale = Locale(identifier: "en_US_POSIX")
            f.timeZone = TimeZone(identifier: "UTC")
            f.dateFormat = "yyyyMMdd'T'100000"
            return event("e\(i)@feed", "Event \(i)", f.string(from: day))
        }
    }

    /// Live (not cancelled) series and single events in the calendar, by iCalUID.
    static func live(_ h: PushHarness) -> [String: GoogleEvent] {
        var out: [String: GoogleEvent] = [:]
        for g in h.fake.storedEvents(calendarId: h.calendarId) where g.status != "cancelled" && g.recurringEventId == nil {
            if let uid = g.iCalUID { out[uid] = g }
        }
        return out
    }

    // MARK: - --prune

    @Test func pruneDeletesOnlyWhatCalportPushedFromThisSourceAndTheSourceNoLongerHas() throws {
        let h = try PushHarness()
        // Someone else's event in the calendar, never pushed by calport.
        var foreign = GoogleEvent()
        foreign.iCalUID = "foreign@elsewhere"
        foreign.summary = "Not calport's"
        foreign.start = EventDateTime(dateTime: "2026-01-05T09:00:00Z")
        foreign.end = EventDateTime(dateTime: "2026-01-05T10:00:00Z")
        try h.fake.seed([foreign], calendarId: h.calendarId)
        // Another source calport pushed into the same calendar.
        // Another source calport pushed into the same calendar; it shares one event with the feed.
        let shared = Self.event("shared@both", "In both files", "20260302T100000")
        let other = try h.write("other.ics", Self.calendar([Self.event("o1@other", "From the other file", "20260301T100000"), shared]))
        #expect(try h.push(other).status == 0)
        let feed = try h.write("feed.ics", Self.calendar(Self.singles(1...20) + [shared]))
        #expect(try h.push(feed).status == 0)
        #expect(Self.live(h).count == 23)

        // e5, e6 and the shared event leave the source; the same path is pushed again with --prune.
        _ = try h.write("feed.ics", Self.calendar(Self.singles(Array(1...4) + Array(7...20))))
        let r = try h.push(feed, ["--prune", "--report", h.path("report.json")])
        #expect(r.status == 0, "\(r.stderr)")
        let live = Self.live(h)
        #expect(live["e5@feed"] == nil && live["e6@feed"] == nil, "\(live.keys.sorted())")
        #expect(live.count == 21)
        #expect(live["foreign@elsewhere"] != nil)
        #expect(live["o1@other"] != nil)
        #expect(live["shared@both"] != nil, "the other file still has it")
        #expect(r.stderr.contains("1 more kept: another source pushed them too"), "\(r.stderr)")
        #expect(r.stderr.contains("pruned: 2 deleted"), "\(r.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: h.path("report.json")))) as! [String: Any]
        let prune = try #require(report["prune"] as? [String: Any])
        #expect((prune["items"] as? [[String: Any]])?.compactMap { $0["uid"] as? String }.sorted() == ["e5@feed", "e6@feed"])
        #expect((prune["items"] as? [[String: Any]])?.allSatisfy { $0["state"] as? String == "deleted" } == true)

        // A second run has nothing left to delete; the foreign event stays even though the
        // source never had it.
        let again = try h.push(feed, ["--prune"])
        #expect(again.status == 0)
        #expect(again.stderr.contains("pruned: 0 deleted"), "\(again.stderr)")
        #expect(Self.live(h).count == 21)

        // When the other file drops the shared event too, its own prune deletes it.
        _ = try h.write("other.ics", Self.calendar([Self.event("o1@other", "From the other file", "20260301T100000")]))
        let otherPrune = try h.push(other, ["--prune"])
        #expect(otherPrune.status == 0, "\(otherPrune.stderr)")
        #expect(Self.live(h)["shared@both"] == nil)
        #expect(Self.live(h).count == 20)

        // The other file's event is not this source's to delete, even when this file is emptied
        // of everything but one event and the limit allows it.
        _ = try h.write("feed.ics", Self.calendar(Self.singles([1])))
        let most = try h.push(feed, ["--prune", "--max-delete", "100%"])
        #expect(most.status == 0, "\(most.stderr)")
        #expect(Set(Self.live(h).keys) == ["e1@feed", "foreign@elsewhere", "o1@other"])
    }

    @Test func theGuardRefusesMoreThanTenPercentUnlessMaxDeleteAllowsIt() throws {
        let h = try PushHarness()
        let feed = try h.write("feed.ics", Self.calendar(Self.singles(1...100)))
        #expect(try h.push(feed).status == 0)

        // 9 of 100 (9%) gone: within max(5, 10%).
        _ = try h.write("feed.ics", Self.calendar(Self.singles(10...100)))
        let nine = try h.push(feed, ["--prune"])
        #expect(nine.status == 0, "\(nine.stderr)")
        #expect(Self.live(h).count == 91)

        // 11 more of the 91 left (12%): refused, and nothing at all is sent.
        let text = Self.calendar(Self.singles(21...100) + [Self.event("new@feed", "New", "20260901T100000")])
        _ = try h.write("feed.ics", text)
        let writes = h.writeCalls
        let refused = try h.push(feed, ["--prune", "--report", h.path("refused.json")])
        #expect(refused.status == Outcome.refused.rawValue, "\(refused.status) \(refused.stderr)")
        #expect(refused.stderr.contains("11 of the 91 events"), "\(refused.stderr)")
        #expect(refused.stderr.contains("--max-delete 11"), "\(refused.stderr)")
        #expect(refused.stderr.contains("nothing was sent"))
        #expect(h.writeCalls == writes)
        #expect(Self.live(h).count == 91)
        #expect(Self.live(h)["new@feed"] == nil)
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: h.path("refused.json")))) as! [String: Any]
        #expect(report["exitCode"] as? Int == Int(Outcome.refused.rawValue))

        // A percentage below the share is refused too; a count that covers it passes.
        #expect(try h.push(feed, ["--prune", "--max-delete", "10%"]).status == Outcome.refused.rawValue)
        let allowed = try h.push(feed, ["--prune", "--max-delete", "11"])
        #expect(allowed.status == 0, "\(allowed.stderr)")
        let live = Self.live(h)
        #expect(live.count == 81)
        #expect(live["new@feed"] != nil && live["e20@feed"] == nil && live["e21@feed"] != nil)
    }

    @Test func dryRunListsWhatWouldGoAndDeletesNothing() throws {
        let h = try PushHarness()
        let feed = try h.write("feed.ics", Self.calendar(Self.singles(1...10)))
        #expect(try h.push(feed).status == 0)
        _ = try h.write("feed.ics", Self.calendar(Self.singles([1, 2, 4, 5, 6, 7, 8, 9])))
        let writes = h.writeCalls
        let r = try h.push(feed, ["--prune", "--dry-run"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("would delete: e3@feed \"Event 3\" at 2026-01-04T10:00:00Z"), "\(r.stderr)")
        #expect(r.stderr.contains("would delete: e10@feed \"Event 10\""), "\(r.stderr)")
        #expect(!r.stderr.contains("would delete: e1@feed"))
        #expect(r.stderr.contains("prune: 2 of 10 events pushed from"), "\(r.stderr)")
        #expect(h.writeCalls == writes)
        #expect(Self.live(h).count == 10)
    }

    @Test func pruneInInsertModeDeletesWithTheChosenSendUpdates() throws {
        let h = try PushHarness()
        let guest = """
            BEGIN:VEVENT
            UID:meeting@feed
            DTSTAMP:20250101T000000Z
            DTSTART:20260210T100000Z
            DTEND:20260210T110000Z
            SUMMARY:Meeting
            ATTENDEE;CN=Bo:mailto:bo@partner.org
            END:VEVENT
            """
        let feed = try h.write("feed.ics", Self.calendar([guest] + Self.singles(1...3)))
        #expect(try h.push(feed, ["--mode", "insert"]).status == 0)
        _ = try h.write("feed.ics", Self.calendar(Self.singles(1...3)))
        // Default none: no email, no question.
        let r = try h.push(feed, ["--mode", "insert", "--prune"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Self.live(h)["meeting@feed"] == nil)
        let deletes = h.fake.statistics.sendUpdates.filter { $0.endpoint.hasSuffix("events.delete") }.map(\.value)
        #expect(deletes == ["none"], "\(deletes)")

        // With --send-updates all, a deletion that mails a guest needs --yes.
        _ = try h.write("feed.ics", Self.calendar([guest] + Self.singles(1...3)))
        #expect(try h.push(feed, ["--mode", "insert"]).status == 0)
        _ = try h.write("feed.ics", Self.calendar(Self.singles(1...3)))
        let asked = try h.push(feed, ["--mode", "insert", "--send-updates", "all", "--prune"])
        #expect(asked.status == Outcome.usage.rawValue, "\(asked.stderr)")
        #expect(asked.stderr.contains("1 cancellation emails"), "\(asked.stderr)")
        #expect(Self.live(h)["meeting@feed"] != nil)
        let sent = try h.push(feed, ["--mode", "insert", "--send-updates", "all", "--prune", "--yes"])
        #expect(sent.status == 0, "\(sent.stderr)")
        #expect(Self.live(h)["meeting@feed"] == nil)
        #expect(h.fake.statistics.sendUpdates.filter { $0.endpoint.hasSuffix("events.delete") }.map(\.value) == ["none", "all"])
    }

    @Test func pruneNeedsANamedSourceAndMaxDeleteNeedsPrune() throws {
        let h = try PushHarness()
        let feed = try h.write("feed.ics", Self.calendar(Self.singles(1...2)))
        let stdin = try h.push("-", ["--prune"], stdin: Data(Self.calendar(Self.singles(1...2)).utf8))
        #expect(stdin.status == Outcome.usage.rawValue)
        #expect(stdin.stderr.contains("--prune needs a file or a URL"), "\(stdin.stderr)")
        #expect(try h.push(feed, ["--max-delete", "3"]).status == Outcome.usage.rawValue)
        #expect(try h.push(feed, ["--prune", "--max-delete", "lots"]).status == Outcome.usage.rawValue)
        #expect(try h.push(feed, ["--prune", "--max-delete", "120%"]).status == Outcome.usage.rawValue)
    }

    @Test func maxDeleteTakesACountOrAPercentageAndTheDefaultIsFiveOrTenPercent() {
        #expect(PruneLimit(argument: "12") == .count(12))
        #expect(PruneLimit(argument: "25%") == .percent(25))
        #expect(PruneLimit(argument: "0") == .count(0))
        for bad in ["-1", "101%", "x", "%", "1.5"] { #expect(PruneLimit(argument: bad) == nil, "\(bad)") }
        #expect(PruneLimit.allowed(nil, pushed: 30) == 5)
        #expect(PruneLimit.allowed(nil, pushed: 200) == 20)
        #expect(PruneLimit.allowed(.percent(50), pushed: 30) == 15)
        #expect(PruneLimit.allowed(.count(3), pushed: 1000) == 3)
    }

    // MARK: - The window

    @Test func aWindowPushesWhatTouchesItAndASeriesReachingIntoItWhole() throws {
        let h = try PushHarness()
        let events = [
            Self.event("jan@w", "January", "20260115T100000"),
            Self.event("feb@w", "February", "20260210T100000"),
            Self.event("mar@w", "March", "20260315T100000"),
            // Weekly from 1 December to mid-April: reaches into February; its December override
            // comes with it.
            Self.event("weekly@w", "Weekly", "20251201T090000", rrule: "FREQ=WEEKLY;COUNT=20"),
            Self.event("weekly@w", "Weekly (moved)", "20251209T090000", recurrenceId: "20251208T090000"),
            // Over before the window.
            Self.event("autumn@w", "Autumn", "20251001T090000", rrule: "FREQ=WEEKLY;COUNT=4"),
            // All-day, 30 January to 2 February: ends inside the window.
            Self.event("trip@w", "Trip", "20260130", days: 3),
        ]
        let feed = try h.write("window.ics", Self.calendar(events))
        let r = try h.push(feed, ["--time-min", "2026-02-01", "--time-max", "2026-03-01T00:00:00+00:00"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("3 events of the input are outside it"), "\(r.stderr)")
        #expect(Set(Self.live(h).keys) == ["feb@w", "weekly@w", "trip@w"])
        let override = h.fake.storedEvents(calendarId: h.calendarId).first { $0.summary == "Weekly (moved)" }
        #expect(override?.recurringEventId != nil)

        // Everything, then a change outside the window and a removal on either side of it: a
        // windowed push with --prune touches only February.
        #expect(try h.push(feed).status == 0)
        #expect(Self.live(h).count == 6)
        var changed = events
        changed[0] = Self.event("jan@w", "January (renamed)", "20260115T100000")
        changed.remove(at: 2)  // March
        changed.remove(at: 1)  // February
        _ = try h.write("window.ics", Self.calendar(changed))
        let w = try h.push(feed, ["--time-min", "2026-02-01", "--time-max", "2026-03-01", "--prune"])
        #expect(w.status == 0, "\(w.stderr)")
        let live = Self.live(h)
        #expect(live["feb@w"] == nil, "February is gone from the source and in the window")
        #expect(live["mar@w"] != nil, "March is outside the window")
        #expect(live["jan@w"]?.summary == "January", "January is outside the window")
        #expect(live.count == 5)
    }

    @Test func windowBoundsMustBeDatesOrRFC3339() throws {
        let h = try PushHarness()
        let feed = try h.write("feed.ics", Self.calendar(Self.singles(1...2)))
        for bad in [["--time-min", "yesterday"], ["--time-max", "2026-02-30"], ["--time-min", "2026-01-01T10:00:00"],
                    ["--time-min", "2026-03-01", "--time-max", "2026-02-01"]] {
            let r = try h.push(feed, bad)
            #expect(r.status == Outcome.usage.rawValue, "\(bad): \(r.stderr)")
        }
    }

    // MARK: - URL inputs

    /// Serves `files` by path; anything else 404. Counts requests.
    final class FeedServer: @unchecked Sendable {
        private let lock = NSLock()
        private var server: LoopbackServer?
        private var files: [String: LoopbackResponse] = [:]

        init() throws {
            let s = try LoopbackServer { [weak self] request in
                self?.lock.withLock { self?.files[request.pathWithoutQuery] } ?? .text("not here", status: 404)
            }
            lock.withLock { server = s }
        }

        deinit { server?.stop() }

        var base: String { lock.withLock { server!.baseURL } }
        func serve(_ path: String, _ response: LoopbackResponse) { lock.withLock { files[path] = response } }
        func serve(_ path: String, ics: String) {
            serve(path, LoopbackResponse(status: 200, headers: [("Content-Type", "text/calendar")], body: Array(ics.utf8)))
        }
    }

    @Test func aURLIsPushedAndPrunedLikeAFile() throws {
        let h = try PushHarness()
        let server = try FeedServer()
        server.serve("/team.ics", ics: Self.calendar(Self.singles(1...10)))
        let url = server.base + "/team.ics?key=s3cr3t-feed-key"
        let r = try h.push(url, ["--report", h.path("r.json")])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Self.live(h).count == 10)
        let report = try PushReportFile.read(h.path("r.json"))
        #expect(report.summary.created == 10)
        let raw = try String(contentsOfFile: h.path("r.json"), encoding: .utf8)
        #expect(raw.contains(server.base + "/team.ics") && !raw.contains("s3cr3t"))

        server.serve("/team.ics", ics: Self.calendar(Self.singles(2...10)))
        let pruned = try h.push(url, ["--prune"])
        #expect(pruned.status == 0, "\(pruned.stderr)")
        #expect(Self.live(h)["e1@feed"] == nil && Self.live(h).count == 9)
        // The journal keeps no trace of the URL's secret.
        let journal = try Data(contentsOf: URL(fileURLWithPath: h.path("state/push-journal.sqlite")))
        #expect(journal.range(of: Data("s3cr3t".utf8)) == nil)
    }

    @Test func aURLThatFailsSaysWhichAndExitsWithItsCode() throws {
        let h = try PushHarness()
        let server = try FeedServer()
        server.serve("/busy.ics", .text("try later", status: 503))
        server.serve("/moved.ics", LoopbackResponse(status: 301, headers: [("Location", server.base + "/new.ics?sig=abc123secret")]))
        server.serve("/page.html", .html("<html>login</html>"))
        let host = server.base.replacingOccurrences(of: "http://", with: "")

        let missing = try h.push("http://ana:hunter2pass@\(host)/missing.ics?token=t0psecret", [])
        #expect(missing.status == Outcome.failure.rawValue, "\(missing.stderr)")
        #expect(missing.stderr.contains("http://\(host)/missing.ics: the server answered 404"), "\(missing.stderr)")
        #expect(!missing.stderr.contains("hunter2pass") && !missing.stderr.contains("t0psecret") && !missing.stderr.contains("ana:"))

        let busy = try h.push(server.base + "/busy.ics", [])
        #expect(busy.status == Outcome.unavailable.rawValue, "\(busy.stderr)")
        #expect(busy.stderr.contains("503"))

        let moved = try h.push(server.base + "/moved.ics", [])
        #expect(moved.status == Outcome.failure.rawValue)
        #expect(moved.stderr.contains("does not follow redirects") && moved.stderr.contains("/new.ics"), "\(moved.stderr)")
        #expect(!moved.stderr.contains("abc123secret"))

        let page = try h.push(server.base + "/page.html", [])
        #expect(page.status == Outcome.dataError.rawValue, "\(page.stderr)")
        #expect(page.stderr.contains(server.base + "/page.html"))

        // Nobody listening.
        let port = try LoopbackServer { _ in .text("") }
        let unreachable = port.baseURL + "/feed.ics"
        port.stop()
        let down = try h.push(unreachable, [])
        #expect(down.status == Outcome.unavailable.rawValue, "\(down.stderr)")
        #expect(down.stderr.contains(unreachable), "\(down.stderr)")

        // A password over plain http to another host is refused before anything is sent.
        let remote = try h.push("http://ana:pw@calendar.example.com/feed.ics", [])
        #expect(remote.status == Outcome.usage.rawValue, "\(remote.stderr)")
        #expect(!remote.stderr.contains("pw@"))
        #expect(h.writeCalls == 0)
    }

    @Test func convertAndVerifyReadURLsToo() throws {
        let h = try PushHarness()
        let server = try FeedServer()
        let text = Self.calendar(Self.singles(1...3))
        server.serve("/c.ics", ics: text)
        let local = try h.write("c.ics", text)
        let converted = try calport(["convert", server.base + "/c.ics", "-o", h.path("c.json")])
        #expect(converted.status == 0, "\(converted.stderr)")
        let json = try String(contentsOfFile: h.path("c.json"), encoding: .utf8)
        #expect(json.contains("Event 2"))
        let verified = try calport(["verify", server.base + "/c.ics", local])
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect(verified.stdoutText.contains("equivalent: 3 occurrences"))
        let missing = try calport(["verify", server.base + "/none.ics", local])
        #expect(missing.status == Outcome.dataError.rawValue, "\(missing.stderr)")
        #expect(missing.stderr.contains("/none.ics: the server answered 404"))
    }

    // MARK: - calendars create / delete

    @Test func calendarsCreatePrintsTheIdAndDeleteRemovesIt() async throws {
        let h = try PushHarness()
        let created = try calport(["calendars", "create", "Team (migrated)", "--time-zone", "America/New_York",
                                   "--description", "Moved from Outlook"], environment: h.environment)
        #expect(created.status == 0, "\(created.stderr)")
        let id = created.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(id.hasSuffix("@group.calendar.google.com") && !id.contains("\n"), "\(created.stdoutText)")
        let api = try h.api()
        let cal = try await api.calendar(id: id)
        #expect(cal.summary == "Team (migrated)" && cal.timeZone == "America/New_York" && cal.description == "Moved from Outlook")
        let listed = try calport(["calendars"], environment: h.environment)
        #expect(listed.stdoutText.contains(id))

        // A push goes straight into it.
        let feed = try h.write("feed.ics", Self.calendar(Self.singles(1...2)))
        #expect(try calport(["push", feed, "--calendar", id], environment: h.environment).status == 0)
        #expect(h.fake.storedEvents(calendarId: id).count == 2)

        // Without a terminal, deleting needs --yes; nothing goes without it.
        let unconfirmed = try calport(["calendars", "delete", id], environment: h.environment)
        #expect(unconfirmed.status == Outcome.usage.rawValue, "\(unconfirmed.stderr)")
        #expect(unconfirmed.stderr.contains("--yes"))
        #expect(try await api.calendar(id: id).id == id)

        let deleted = try calport(["calendars", "delete", id, "--yes"], environment: h.environment)
        #expect(deleted.status == 0, "\(deleted.stderr)")
        #expect(deleted.stderr.contains("Team (migrated)"))
        await #expect(throws: GoogleAPIError.self) { _ = try await api.calendar(id: id) }
        #expect(!(try calport(["calendars"], environment: h.environment)).stdoutText.contains(id))

        // Gone now: the id names no calendar.
        #expect(try calport(["calendars", "delete", id, "--yes"], environment: h.environment).status == Outcome.usage.rawValue)
    }

    @Test func thePrimaryCalendarIsNeverDeleted() async throws {
        let h = try PushHarness()
        for id in ["primary", "me@example.com"] {
            let r = try calport(["calendars", "delete", id, "--yes"], environment: h.environment)
            #expect(r.status == Outcome.usage.rawValue, "\(id): \(r.stderr)")
            #expect(r.stderr.contains("primary"), "\(r.stderr)")
        }
        #expect(h.fake.requestCount(for: "calendars.delete") == 0)
        let bad = try calport(["calendars", "create", " "], environment: h.environment)
        #expect(bad.status == Outcome.usage.rawValue)
        let zone = try calport(["calendars", "create", "X", "--time-zone", "Mars/Olympus"], environment: h.environment)
        #expect(zone.status == Outcome.usage.rawValue)
    }
}
