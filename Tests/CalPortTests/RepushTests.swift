import CalPort
import FakeGoogle
import Foundation
import GoogleCalendar
import Testing

/// The second push, after people used the calendar in Google: guests answered, an occurrence
/// was deleted, reminders were set. Google's side of the story survives; what the source still
/// has comes back; `verify` agrees with the push.
@Suite(.serialized) struct RepushTests {
    /// A weekly review with guests (one of them the calendar itself), and a retro without any
    /// alarm. `CAL` is replaced by the calendar's id.
    static let meetings = """
        BEGIN:VCALENDAR
        VERSION:2.0
        PRODID:-//test//repush//EN
        X-WR-TIMEZONE:Europe/Berlin
        BEGIN:VEVENT
        UID:review@example.com
        DTSTAMP:20250101T000000Z
        DTSTART;TZID=Europe/Berlin:20250106T140000
        DTEND;TZID=Europe/Berlin:20250106T150000
        RRULE:FREQ=WEEKLY;COUNT=6
        SUMMARY:Review
        ORGANIZER;CN=Ana:mailto:ana@example.com
        ATTENDEE;CN=Ana;PARTSTAT=ACCEPTED:mailto:ana@example.com
        ATTENDEE;CN=Me;PARTSTAT=NEEDS-ACTION:mailto:CAL
        ATTENDEE;CN=Bo;PARTSTAT=NEEDS-ACTION:mailto:bo@example.com
        ATTENDEE;CN=Cy;PARTSTAT=NEEDS-ACTION:mailto:cy@partner.org
        BEGIN:VALARM
        ACTION:DISPLAY
        DESCRIPTION:Review
        TRIGGER:-PT15M
        END:VALARM
        END:VEVENT
        BEGIN:VEVENT
        UID:retro@example.com
        DTSTAMP:20250101T000000Z
        DTSTART:20250110T150000Z
        DTEND:20250110T160000Z
        SUMMARY:Retro
        ORGANIZER;CN=Ana:mailto:ana@example.com
        ATTENDEE;CN=Ana;PARTSTAT=ACCEPTED:mailto:ana@example.com
        ATTENDEE;CN=Bo;PARTSTAT=NEEDS-ACTION:mailto:bo@example.com
        END:VEVENT
        END:VCALENDAR

        """

    func meetings(_ h: PushHarness, _ name: String = "meetings.ics", _ edit: (String) -> String = { $0 }) throws -> String {
        try h.write(name, edit(Self.meetings.replacingOccurrences(of: "mailto:CAL", with: "mailto:" + h.calendarId)))
    }

    func stored(_ h: PushHarness, _ uid: String) throws -> GoogleEvent {
        try #require(h.fake.storedEvents(calendarId: h.calendarId).first { $0.iCalUID == uid && $0.recurringEventId == nil })
    }

    func verifyGoogle(_ source: String, _ h: PushHarness) throws -> (RunResult, VerifyReportFile?) {
        let r = try calport(["verify", source, "google:" + h.calendarId, "--json"], environment: h.environment)
        return (r, try? JSONDecoder().decode(VerifyReportFile.self, from: r.stdout))
    }

    // MARK: - Responses

    @Test(arguments: ["import", "insert"])
    func responsesGivenInGoogleSurviveARepush(mode: String) async throws {
        let h = try PushHarness()
        let source = try meetings(h)
        let first = try h.push(source, ["--mode", mode])
        #expect(first.status == 0, "\(first.stderr)")

        // In Google: the calendar accepts, Bo declines with a comment, Cy says maybe and brings one.
        let api = try h.api()
        let series = try stored(h, "review@example.com")
        var answered = try await api.getEvent(calendarId: h.calendarId, eventId: series.id!)
        answered.attendees = answered.attendees?.map { a in
            var a = a
            switch a.email {
            case h.calendarId?: a.responseStatus = "accepted"
            case "bo@example.com"?: a.responseStatus = "declined"; a.comment = "on leave"
            case "cy@partner.org"?: a.responseStatus = "tentative"; a.additionalGuests = 1
            default: break
            }
            return a
        }
        _ = try await api.updateEvent(answered, calendarId: h.calendarId, eventId: series.id!, sendUpdates: .none)

        // The same source again: nothing differs, nothing is written.
        h.fake.resetStatistics()
        let again = try h.push(source, ["--mode", mode, "--report", h.path("again.json")])
        #expect(again.status == 0, "\(again.stderr)")
        let r = try PushReportFile.read(h.path("again.json"))
        #expect(r.summary.planned["update"] == 0, "\(r.items.filter { $0.action == "update" }.map { "\($0.uid): \($0.changes ?? [])" })")
        #expect(h.writeCalls == 0)

        func answers() async throws -> [String: GoogleEvent.Attendee] {
            let g = try await api.getEvent(calendarId: h.calendarId, eventId: series.id!)
            return Dictionary((g.attendees ?? []).map { ($0.email ?? "", $0) }, uniquingKeysWith: { a, _ in a })
        }
        var now = try await answers()
        #expect(now[h.calendarId]?.responseStatus == "accepted")
        #expect(now["bo@example.com"]?.responseStatus == "declined" && now["bo@example.com"]?.comment == "on leave")
        #expect(now["cy@partner.org"]?.responseStatus == "tentative" && now["cy@partner.org"]?.additionalGuests == 1)

        // A real change in the source (new title, Cy removed, Di added, Bo's address in capitals):
        // the update keeps the answers of those still invited, drops Cy and adds Di as the source says.
        let changed = try meetings(h, "changed.ics") {
            $0.replacingOccurrences(of: "SUMMARY:Review", with: "SUMMARY:Weekly review")
                .replacingOccurrences(of: "ATTENDEE;CN=Cy;PARTSTAT=NEEDS-ACTION:mailto:cy@partner.org",
                                      with: "ATTENDEE;CN=Di;PARTSTAT=TENTATIVE:mailto:di@example.com")
                .replacingOccurrences(of: "mailto:bo@example.com\nATTENDEE;CN=Di", with: "mailto:Bo@Example.com\nATTENDEE;CN=Di")
        }
        let update = try h.push(changed, ["--mode", mode, "--report", h.path("update.json")])
        #expect(update.status == 0, "\(update.stderr)")
        let u = try PushReportFile.read(h.path("update.json"))
        #expect(u.summary.updated == 1)
        now = try await answers()
        #expect(Set(now.keys.map { $0.lowercased() }) == ["ana@example.com", h.calendarId, "bo@example.com", "di@example.com"])
        #expect(now[h.calendarId]?.responseStatus == "accepted")
        let bo = now["bo@example.com"] ?? now["Bo@Example.com"]
        #expect(bo?.responseStatus == "declined" && bo?.comment == "on leave")
        #expect(now["di@example.com"]?.responseStatus == "tentative")
        #expect(now["ana@example.com"]?.responseStatus == "accepted")
        #expect(h.fake.sendUpdatesValues.allSatisfy { $0 == "none" })
    }

    // MARK: - Deleted occurrences

    @Test(arguments: ["import", "insert"])
    func anOccurrenceDeletedInGoogleComesBackAndVerifyAgrees(mode: String) async throws {
        let h = try PushHarness()
        let source = try h.write("small.ics", PushTests.small)
        let first = try h.push(source, ["--mode", mode])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(try verifyGoogle(source, h).0.status == 0)

        // Someone deletes the occurrence of 27 January (09:30 in Berlin) in Google.
        let api = try h.api()
        let series = try stored(h, "standup@example.com")
        try await api.deleteEvent(calendarId: h.calendarId, eventId: series.id! + "_20250127T083000Z", sendUpdates: .none)
        let (before, b) = try verifyGoogle(source, h)
        #expect(before.status == 1)
        #expect(b?.differences.map { "\($0.kind) \($0.occurrence)" } == ["missing 2025-01-27T08:30:00Z"])

        let dry = try h.push(source, ["--mode", mode, "--dry-run", "--report", h.path("dry.json")])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stderr.contains("1 update"), "\(dry.stderr)")

        let again = try h.push(source, ["--mode", mode, "--report", h.path("again.json")])
        #expect(again.status == 0, "\(again.stderr)")
        let r = try PushReportFile.read(h.path("again.json"))
        let restored = r.items.filter { $0.action == "update" }
        #expect(restored.map { "\($0.uid) \($0.recurrenceId ?? "")" } == ["standup@example.com 20250127T083000Z"])
        #expect(restored.first?.reason?.contains("deleted in Google") == true)
        #expect(r.summary.revived == 1)
        let (after, a) = try verifyGoogle(source, h)
        #expect(after.status == 0, "\(a?.differences.map { "\($0.kind) \($0.occurrence) \($0.field ?? "")" } ?? []) \(after.stderr)")
        // The cancelled occurrence the source has (20 January) stays cancelled.
        let instances = try await api.allInstances(calendarId: h.calendarId, eventId: series.id!)
        #expect(instances.count == 9)

        // Settled: a third push writes nothing.
        h.fake.resetStatistics()
        #expect(try h.push(source, ["--mode", mode]).status == 0)
        #expect(h.writeCalls == 0)

        // The occurrence deleted again, then the whole series: both come back.
        try await api.deleteEvent(calendarId: h.calendarId, eventId: series.id! + "_20250203T083000Z", sendUpdates: .none)
        try await api.deleteEvent(calendarId: h.calendarId, eventId: series.id!, sendUpdates: .none)
        let revive = try h.push(source, ["--mode", mode])
        #expect(revive.status == 0, "\(revive.stderr)")
        let (revived, v) = try verifyGoogle(source, h)
        #expect(revived.status == 0, "\(v?.differences.map { "\($0.kind) \($0.occurrence) \($0.field ?? "")" } ?? []) \(revived.stderr)")
        #expect(h.storedKeys().values.allSatisfy { $0 == 1 })
    }

    @Test func deletedAllDayAndFloatingOccurrencesComeBack() async throws {
        // An all-day series and a floating one (placed in the calendar's zone, X-WR-TIMEZONE),
        // the floating one crossing the change to summer time.
        let h = try PushHarness()
        let source = try h.write("kinds.ics", """
            BEGIN:VCALENDAR
            VERSION:2.0
            PRODID:-//test//repush//EN
            X-WR-TIMEZONE:Europe/Berlin
            BEGIN:VEVENT
            UID:bins@example.com
            DTSTAMP:20250101T000000Z
            DTSTART;VALUE=DATE:20250310
            DTEND;VALUE=DATE:20250311
            RRULE:FREQ=WEEKLY;COUNT=5
            SUMMARY:Bins out
            END:VEVENT
            BEGIN:VEVENT
            UID:yoga@example.com
            DTSTAMP:20250101T000000Z
            DTSTART:20250317T070000
            DTEND:20250317T080000
            RRULE:FREQ=WEEKLY;COUNT=5
            SUMMARY:Yoga
            END:VEVENT
            END:VCALENDAR

            """)
        #expect(try h.push(source).status == 0)
        let api = try h.api()
        let bins = try stored(h, "bins@example.com"), yoga = try stored(h, "yoga@example.com")
        try await api.deleteEvent(calendarId: h.calendarId, eventId: bins.id! + "_20250324", sendUpdates: .none)
        // 7:00 in Berlin on 31 March is 05:00 UTC (summer time).
        try await api.deleteEvent(calendarId: h.calendarId, eventId: yoga.id! + "_20250331T050000Z", sendUpdates: .none)
        #expect(try verifyGoogle(source, h).1?.differences.filter { $0.kind == "missing" }.count == 2)
        let run = try h.push(source, ["--report", h.path("r.json")])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try PushReportFile.read(h.path("r.json")).summary.revived == 2)
        let (after, a) = try verifyGoogle(source, h)
        #expect(after.status == 0, "\(a?.differences.map { "\($0.kind) \($0.uid) \($0.occurrence) \($0.field ?? "")" } ?? []) \(after.stderr)")
        h.fake.resetStatistics()
        #expect(try h.push(source).status == 0)
        #expect(h.writeCalls == 0)
    }

    @Test func anOccurrenceTheSourceNoLongerHasStaysDeleted() async throws {
        let h = try PushHarness()
        let source = try h.write("small.ics", PushTests.small)
        #expect(try h.push(source).status == 0)
        let api = try h.api()
        let series = try stored(h, "standup@example.com")
        try await api.deleteEvent(calendarId: h.calendarId, eventId: series.id! + "_20250127T083000Z", sendUpdates: .none)
        // The source now excludes that occurrence too: the series is updated, nothing is restored.
        let excluded = try h.write("excluded.ics", PushTests.small.replacingOccurrences(
            of: "RRULE:FREQ=WEEKLY;COUNT=10\n", with: "RRULE:FREQ=WEEKLY;COUNT=10\nEXDATE;TZID=Europe/Berlin:20250127T093000\n"))
        let run = try h.push(excluded, ["--report", h.path("r.json")])
        #expect(run.status == 0, "\(run.stderr)")
        let r = try PushReportFile.read(h.path("r.json"))
        #expect(r.items.filter { $0.action == "update" }.map { "\($0.uid) \($0.recurrenceId ?? "")" } == ["standup@example.com "])
        #expect(r.summary.revived == 0)
        #expect(try verifyGoogle(excluded, h).0.status == 0)
    }

    // MARK: - Reminders

    @Test func remindersSetInGoogleOnAnEventWithoutAlarmAreKept() async throws {
        let h = try PushHarness()
        let source = try meetings(h)
        #expect(try h.push(source).status == 0)
        let api = try h.api()
        // The retro has no alarm in the source; its owner adds one in Google. The review's alarm
        // is changed in Google too.
        let retro = try stored(h, "retro@example.com")
        var g = try await api.getEvent(calendarId: h.calendarId, eventId: retro.id!)
        var own = GoogleEvent.Reminders()
        own.useDefault = false
        own.overrides = [GoogleEvent.Reminder(method: "popup", minutes: 10)]
        g.reminders = own
        _ = try await api.updateEvent(g, calendarId: h.calendarId, eventId: retro.id!, sendUpdates: .none)

        h.fake.resetStatistics()
        let again = try h.push(source, ["--report", h.path("again.json")])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(h.writeCalls == 0)

        // A change elsewhere in the event: the update keeps the reminder.
        let changed = try meetings(h, "changed.ics") {
            $0.replacingOccurrences(of: "SUMMARY:Retro", with: "SUMMARY:Sprint retro")
                .replacingOccurrences(of: "TRIGGER:-PT15M", with: "TRIGGER:-PT5M")
        }
        let update = try h.push(changed, ["--report", h.path("update.json")])
        #expect(update.status == 0, "\(update.stderr)")
        #expect(try PushReportFile.read(h.path("update.json")).summary.updated == 2)
        let after = try await api.getEvent(calendarId: h.calendarId, eventId: retro.id!)
        #expect(after.summary == "Sprint retro")
        #expect(after.reminders?.useDefault == false)
        #expect(after.reminders?.overrides?.map { "\($0.method ?? "")/\($0.minutes ?? -1)" } == ["popup/10"])
        // Where the source has an alarm, the source decides.
        let review = try await api.getEvent(calendarId: h.calendarId, eventId: try stored(h, "review@example.com").id!)
        #expect(review.reminders?.overrides?.map { "\($0.method ?? "")/\($0.minutes ?? -1)" } == ["popup/5"])
    }

    @Test(arguments: ["source", "default", "none"])
    func remindersOptionChoosesWhatNewEventsGet(choice: String) throws {
        let h = try PushHarness()
        let source = try meetings(h)
        let run = try h.push(source, ["--reminders", choice])
        #expect(run.status == 0, "\(run.stderr)")
        func reminders(_ uid: String) throws -> String {
            let r = try stored(h, uid).reminders
            return "\(r?.useDefault == true ? "default" : "own")" + (r?.overrides ?? []).map { " \($0.method ?? "")/\($0.minutes ?? -1)" }.joined()
        }
        switch choice {
        case "source":
            #expect(try reminders("review@example.com") == "own popup/15")
            #expect(try reminders("retro@example.com") == "own")
        case "default":
            #expect(try reminders("review@example.com") == "default")
            #expect(try reminders("retro@example.com") == "default")
        default:
            #expect(try reminders("review@example.com") == "own")
            #expect(try reminders("retro@example.com") == "own")
        }
        // Existing events keep what they got: the same push again writes nothing.
        h.fake.resetStatistics()
        #expect(try h.push(source, ["--reminders", choice]).status == 0)
        #expect(h.writeCalls == 0)
    }

    @Test func remindersOptionRejectsOtherValues() throws {
        let h = try PushHarness()
        let source = try meetings(h)
        let run = try h.push(source, ["--reminders", "some"])
        #expect(run.status == 64)
        #expect(h.writeCalls == 0)
        let help = try calport(["push", "--help"])
        #expect(help.stdoutText.contains("--reminders"))
        #expect(help.stdoutText.contains("--strip-attendees"))
    }

    // MARK: - --strip-attendees

    @Test(arguments: ["import", "insert"])
    func stripAttendeesSendsNoGuests(mode: String) throws {
        let h = try PushHarness()
        let source = try h.write("small.ics", PushTests.small)
        let run = try h.push(source, ["--mode", mode, "--strip-attendees", "--report", h.path("r.json")])
        #expect(run.status == 0, "\(run.stderr)")
        let stored = h.fake.storedEvents(calendarId: h.calendarId)
        #expect(stored.count == 5)
        for g in stored {
            #expect(g.attendees?.isEmpty ?? true, "\(g.iCalUID ?? "")")
            // The calendar organizes: the source's organizer is not written either.
            #expect(g.organizer?.email == nil || g.organizer?.email == h.calendarId)
            let carried = (g.extendedProperties?.private ?? [:]).map { "\($0.key) \($0.value)" }.joined(separator: "\n")
            #expect(!carried.contains("example.com") && !carried.contains("partner.org"), "\(carried)")
        }
        #expect(h.fake.sendUpdatesValues.allSatisfy { $0 == "none" })
        #expect(try PushReportFile.read(h.path("r.json")).summary.notificationsRequested == 0)
        // Nobody to email: asking Google to email someone is refused.
        let mail = try h.push(source, ["--mode", mode, "--strip-attendees", "--send-updates", "all", "--yes"])
        #expect(mail.status == 64)
        #expect(mail.stderr.contains("--strip-attendees"))
    }

    @Test func stripAttendeesRemovesGuestsPushedEarlierWithoutMail() throws {
        let h = try PushHarness()
        let source = try h.write("small.ics", PushTests.small)
        #expect(try h.push(source, ["--mode", "insert"]).status == 0)
        #expect(h.fake.storedEvents(calendarId: h.calendarId).contains { $0.attendees?.isEmpty == false })
        h.fake.resetStatistics()
        let run = try h.push(source, ["--mode", "insert", "--strip-attendees"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(h.fake.storedEvents(calendarId: h.calendarId).allSatisfy { $0.attendees?.isEmpty ?? true })
        #expect(!h.fake.sendUpdatesValues.isEmpty && h.fake.sendUpdatesValues.allSatisfy { $0 == "none" })
    }

    // MARK: - Recurrence

    /// Google may return a series' RRULE, EXDATE and RDATE lines in another order than they were
    /// sent: the same set of lines, so a second push writes nothing.
    @Test(arguments: ["import", "insert"])
    func recurrenceLinesGoogleReorderedAreNotAnUpdate(mode: String) async throws {
        let h = try PushHarness()
        let source = try h.write("series.ics", """
            BEGIN:VCALENDAR
            VERSION:2.0
            PRODID:-//test//repush//EN
            BEGIN:VEVENT
            UID:planning@example.com
            DTSTAMP:20250101T000000Z
            DTSTART;TZID=Europe/Berlin:20250106T100000
            DTEND;TZID=Europe/Berlin:20250106T110000
            RRULE:FREQ=WEEKLY;COUNT=6
            EXDATE;TZID=Europe/Berlin:20250113T100000
            RDATE;TZID=Europe/Berlin:20250108T100000
            SUMMARY:Planning
            END:VEVENT
            END:VCALENDAR

            """)
        let first = try h.push(source, ["--mode", mode])
        #expect(first.status == 0, "\(first.stderr)")

        let api = try h.api()
        let series = try stored(h, "planning@example.com")
        var reordered = try await api.getEvent(calendarId: h.calendarId, eventId: series.id!)
        let lines = try #require(reordered.recurrence)
        #expect(lines.count == 3)
        reordered.recurrence = lines.reversed()
        _ = try await api.updateEvent(reordered, calendarId: h.calendarId, eventId: series.id!, sendUpdates: .none)
        #expect(try stored(h, "planning@example.com").recurrence == lines.reversed())

        h.fake.resetStatistics()
        let again = try h.push(source, ["--mode", mode, "--report", h.path("again.json")])
        #expect(again.status == 0, "\(again.stderr)")
        let r = try PushReportFile.read(h.path("again.json"))
        #expect(r.summary.planned["update"] == 0, "\(r.items.filter { $0.action == "update" }.map { "\($0.uid): \($0.changes ?? [])" })")
        #expect(h.writeCalls == 0)
    }
}
