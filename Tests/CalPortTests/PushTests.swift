import CalPort
import FakeGoogle
import Foundation
import GoogleCalendar
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `calport push` as a user runs it, against the fake Google.
@Suite(.serialized) struct PushTests {
    static let small = """
        BEGIN:VCALENDAR
        VERSION:2.0
        PRODID:-//test//push//EN
        X-WR-TIMEZONE:Europe/Berlin
        BEGIN:VEVENT
        UID:standup@example.com
        DTSTAMP:20250101T000000Z
        DTSTART;TZID=Europe/Berlin:20250106T093000
        DTEND;TZID=Europe/Berlin:20250106T094500
        RRULE:FREQ=WEEKLY;COUNT=10
        SUMMARY:Stand-up
        ORGANIZER;CN=Ana:mailto:ana@example.com
        ATTENDEE;CN=Ana;PARTSTAT=ACCEPTED:mailto:ana@example.com
        ATTENDEE;CN=Bo;PARTSTAT=NEEDS-ACTION:mailto:bo@example.com
        ATTENDEE;CN=Cy;PARTSTAT=NEEDS-ACTION:mailto:cy@partner.org
        END:VEVENT
        BEGIN:VEVENT
        UID:standup@example.com
        DTSTAMP:20250101T000000Z
        RECURRENCE-ID;TZID=Europe/Berlin:20250113T093000
        DTSTART;TZID=Europe/Berlin:20250113T110000
        DTEND;TZID=Europe/Berlin:20250113T111500
        SUMMARY:Stand-up (moved)
        ORGANIZER;CN=Ana:mailto:ana@example.com
        ATTENDEE;CN=Ana;PARTSTAT=ACCEPTED:mailto:ana@example.com
        ATTENDEE;CN=Bo;PARTSTAT=NEEDS-ACTION:mailto:bo@example.com
        ATTENDEE;CN=Cy;PARTSTAT=NEEDS-ACTION:mailto:cy@partner.org
        END:VEVENT
        BEGIN:VEVENT
        UID:standup@example.com
        DTSTAMP:20250101T000000Z
        RECURRENCE-ID;TZID=Europe/Berlin:20250120T093000
        DTSTART;TZID=Europe/Berlin:20250120T093000
        DTEND;TZID=Europe/Berlin:20250120T094500
        SUMMARY:Stand-up
        STATUS:CANCELLED
        END:VEVENT
        BEGIN:VEVENT
        UID:lunch@example.com
        DTSTAMP:20250101T000000Z
        DTSTART:20250107T120000Z
        DTEND:20250107T130000Z
        SUMMARY:Lunch
        END:VEVENT
        BEGIN:VEVENT
        UID:holiday@example.com
        DTSTAMP:20250101T000000Z
        DTSTART;VALUE=DATE:20250501
        DTEND;VALUE=DATE:20250502
        SUMMARY:Holiday
        TRANSP:TRANSPARENT
        END:VEVENT
        END:VCALENDAR

        """

    /// Differences between the source and what Google holds, as (UID, compact occurrence).
    func verify(_ source: String, _ pulled: String, harness h: PushHarness) throws -> VerifyReportFile {
        let r = try calport(["verify", source, pulled, "--json"])
        return try JSONDecoder().decode(VerifyReportFile.self, from: r.stdout)
    }

    static func compact(_ occurrence: String) -> String {
        occurrence.replacingOccurrences(of: "-", with: "").replacingOccurrences(of: ":", with: "")
    }

    // MARK: - Acceptance: 10,000 events

    @Test func tenThousandEventsPushedPulledBackAndPushedAgain() async throws {
        let h = try PushHarness()
        let source = try h.generate(events: 10_000)
        let report = h.path("first.json")
        let first = try h.push(source, ["--report", report, "--rejects", h.path("rejects.ics")])
        let r1 = try PushReportFile.read(report)
        // The only events Google cannot hold: live overrides of a cancelled series (rejected
        // with the reason); everything else is created.
        let rejected = r1.items.filter { $0.action == "reject" }
        #expect(rejected.allSatisfy { $0.reason?.contains("series is cancelled") == true }, "\(rejected.prefix(3))")
        #expect(rejected.count < 100)
        #expect(r1.summary.failed == 0, "\(r1.items.filter { $0.state == "failed" }.prefix(3))")
        #expect(r1.summary.created + rejected.count == r1.items.count)
        #expect(first.status == (rejected.isEmpty ? 0 : 3), "\(first.stderr.suffix(2000))")
        #expect(r1.requests < 10_000 / 20, "batched: \(r1.requests) requests")
        #expect(h.fake.sendUpdatesValues.allSatisfy { $0 == "none" })

        // Pulled back, Google holds the same occurrences, except those of the rejected overrides.
        let pulled = try await h.pullBack(to: "pulled.json")
        let v = try verify(source, pulled, harness: h)
        let rejectedKeys = Set(rejected.map { "\($0.uid) \($0.recurrenceId ?? "")" })
        let unexplained = v.differences.filter { !rejectedKeys.contains("\($0.uid) \(Self.compact($0.occurrence))") }
        #expect(unexplained.isEmpty, "\(unexplained.prefix(5).map { "\($0.kind) \($0.uid) \($0.occurrence) \($0.field ?? "")" })")
        #expect(v.occurrencesA == v.occurrencesB)
        #expect(h.storedKeys().values.allSatisfy { $0 == 1 }, "no event is in Google twice")

        // A second push changes nothing and asks for no notification.
        h.fake.resetStatistics()
        let second = try h.push(source, ["--report", h.path("second.json")])
        let r2 = try PushReportFile.read(h.path("second.json"))
        #expect(second.status == first.status)
        #expect(r2.summary.planned["create"] == 0 && r2.summary.planned["update"] == 0)
        #expect(r2.summary.unchanged == r1.summary.created)
        #expect(r2.summary.notificationsRequested == 0)
        #expect(h.writeCalls == 0)
        #expect(h.fake.sendUpdatesValues.isEmpty)
        #expect(second.stderr.contains("notifications requested: 0"))
    }

    // MARK: - Resume after kill -9

    @Test func killedHalfwayAndRunAgainLeavesEveryEventOnce() async throws {
        let h = try PushHarness()
        let source = try h.generate(events: 2_000, seed: 11)
        h.fake.faults = FakeGoogleServer.Faults(latency: .milliseconds(25))
        let p = Process()
        p.executableURL = Paths.calport
        p.arguments = ["push", source, "--calendar", h.calendarId, "--batch-size", "10", "--concurrency", "2"]
        var env = ProcessInfo.processInfo.environment
        for (k, v) in h.environment { env[k] = v }
        p.environment = env
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(120)
        while h.fake.requestCount(for: "events.import") < 900 && p.isRunning && Date() < deadline { usleep(5_000) }
        #expect(p.isRunning, "the push finished before it could be killed")
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(p.terminationReason == .uncaughtSignal)
        let imported = h.fake.requestCount(for: "events.import")
        #expect(imported >= 900 && imported < 1_900, "killed halfway: \(imported) imports")
        h.fake.faults = .none

        let again = try h.push(source, ["--report", h.path("again.json")])
        let r = try PushReportFile.read(h.path("again.json"))
        #expect([0, 3].contains(again.status), "\(again.stderr.suffix(1500))")
        #expect(again.stderr.contains("resuming the push"))
        #expect(r.summary.failed == 0)
        #expect(r.summary.unchanged > 0 && r.summary.created > 0, "the re-run found the first run's events and added the rest")
        #expect(h.storedKeys().values.allSatisfy { $0 == 1 })

        let pulled = try await h.pullBack(to: "pulled.json")
        let v = try verify(source, pulled, harness: h)
        let rejectedKeys = Set(r.items.filter { $0.action == "reject" }.map { "\($0.uid) \($0.recurrenceId ?? "")" })
        #expect(v.differences.allSatisfy { rejectedKeys.contains("\($0.uid) \(Self.compact($0.occurrence))") })

        let third = try h.push(source, ["--report", h.path("third.json")])
        let r3 = try PushReportFile.read(h.path("third.json"))
        #expect(third.status == again.status)
        #expect(r3.summary.planned["create"] == 0 && r3.summary.planned["update"] == 0)
        #expect(!third.stderr.contains("resuming"), "a finished run is not resumed")
    }

    // MARK: - Faults

    @Test func tenPercentFaultsNeitherDuplicateNorLose() async throws {
        let h = try PushHarness()
        let source = try h.generate(events: 1_500, seed: 5)
        // 10% of calls fail: rate limits, 5xx, dropped connections, answers lost after applying.
        h.fake.faults = FakeGoogleServer.Faults(rateLimitExceeded: 0.025, userRateLimitExceeded: 0.01, tooManyRequests: 0.005,
                                                backendError: 0.02, internalError: 0.01, dropConnection: 0.02,
                                                dropAfterApplying: 0.01, seed: 42)
        var run = try h.push(source, ["--report", h.path("faults.json")])
        #expect([0, 3, 69].contains(run.status), "\(run.stderr.suffix(1500))")
        #expect(h.fake.statistics.faults.values.reduce(0, +) > 0)
        if run.status == 69 {
            // Google "stayed unavailable" for a few events: running again finishes them.
            run = try h.push(source, ["--report", h.path("faults.json")])
        }
        let r = try PushReportFile.read(h.path("faults.json"))
        #expect(r.summary.failed == 0, "\(r.items.filter { $0.state == "failed" }.prefix(3).map { $0.error ?? "" })")
        #expect(h.storedKeys().values.allSatisfy { $0 == 1 }, "\(h.storedKeys().filter { $0.value > 1 }.prefix(3))")
        h.fake.faults = .none
        let pulled = try await h.pullBack(to: "pulled.json")
        let v = try verify(source, pulled, harness: h)
        let rejectedKeys = Set(r.items.filter { $0.action == "reject" }.map { "\($0.uid) \($0.recurrenceId ?? "")" })
        let unexplained = v.differences.filter { !rejectedKeys.contains("\($0.uid) \(Self.compact($0.occurrence))") }
        #expect(unexplained.isEmpty, "\(unexplained.prefix(5).map { "\($0.kind) \($0.uid) \($0.occurrence) \($0.field ?? "")" })")
    }

    // MARK: - Plan, dry run, update, skip, revive

    @Test func dryRunPlansAndSendsNothing() throws {
        let h = try PushHarness()
        let input = try h.write("small.ics", Self.small)
        let run = try h.push(input, ["--dry-run", "--report", h.path("plan.json")])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("dry run, nothing sent"))
        #expect(h.writeCalls == 0)
        #expect(h.fake.storedEvents(calendarId: h.calendarId).isEmpty)
        let plan = try PushReportFile.read(h.path("plan.json"))
        #expect(plan.dryRun)
        #expect(plan.items.count == 5)
        #expect(plan.items.allSatisfy { $0.action == "create" && $0.state == "planned" })
        #expect(Set(plan.items.compactMap(\.recurrenceId)) == ["20250113T083000Z", "20250120T083000Z"])
    }

    @Test func seriesWithOverrideAndCancelledOccurrenceArriveAsGoogleExceptions() async throws {
        let h = try PushHarness()
        let input = try h.write("small.ics", Self.small)
        let run = try h.push(input)
        #expect(run.status == 0, "\(run.stderr)")
        let stored = h.fake.storedEvents(calendarId: h.calendarId)
        let master = try #require(stored.first { $0.iCalUID == "standup@example.com" && $0.recurrence != nil })
        let exceptions = stored.filter { $0.recurringEventId == master.id }
        #expect(exceptions.count == 2)
        #expect(exceptions.contains { $0.summary == "Stand-up (moved)" && $0.status != "cancelled" })
        #expect(exceptions.contains { $0.status == "cancelled" })
        // import keeps the organizer.
        #expect(master.organizer?.email == "ana@example.com")
        // Google's own view of the series: the moved occurrence at 11:00, the cancelled one gone.
        let instances = try await h.api().allInstances(calendarId: h.calendarId, eventId: master.id!)
        #expect(instances.count == 9)
        #expect(instances.contains { $0.summary == "Stand-up (moved)" && $0.start?.dateTime.map { $0.hasPrefix("2025-01-13T11:00:00") } == true })
        let pulled = try await h.pullBack(to: "pulled.json")
        #expect(try verify(input, pulled, harness: h).differences.isEmpty)
    }

    @Test func changedEventsAreUpdatedSkippedOrRevived() async throws {
        let h = try PushHarness()
        let input = try h.write("small.ics", Self.small)
        #expect(try h.push(input).status == 0)
        let changed = try h.write("changed.ics", Self.small.replacingOccurrences(of: "SUMMARY:Lunch", with: "SUMMARY:Lunch with Bo"))

        h.fake.resetStatistics()
        let skip = try h.push(changed, ["--on-existing", "skip", "--report", h.path("skip.json")])
        #expect(skip.status == 0)
        let s = try PushReportFile.read(h.path("skip.json"))
        #expect(s.summary.skipped == 1 && s.summary.unchanged == 4)
        #expect(s.items.first { $0.action == "skip" }?.reason?.contains("summary") == true)
        #expect(h.writeCalls == 0)

        let update = try h.push(changed, ["--report", h.path("update.json")])
        #expect(update.status == 0)
        let u = try PushReportFile.read(h.path("update.json"))
        #expect(u.summary.updated == 1 && u.summary.unchanged == 4 && u.summary.created == 0)
        #expect(u.items.first { $0.action == "update" }?.changes == ["summary"])
        #expect(h.fake.requestCount(for: "events.update") == 1)
        #expect(h.fake.storedEvents(calendarId: h.calendarId).contains { $0.summary == "Lunch with Bo" })

        // Deleted in Google: the next push brings it back instead of failing with 409.
        let lunch = try #require(h.fake.storedEvents(calendarId: h.calendarId).first { $0.iCalUID == "lunch@example.com" })
        try await h.api().deleteEvent(calendarId: h.calendarId, eventId: lunch.id!, sendUpdates: .none)
        // Google lists it without its UID; the journal knows the id, so even the dry run sees it.
        let dry = try h.push(changed, ["--dry-run", "--report", h.path("dry.json")])
        #expect(dry.status == 0)
        let d = try PushReportFile.read(h.path("dry.json"))
        #expect(d.items.first { $0.uid == "lunch@example.com" }.map { $0.action == "update" && $0.reason?.contains("revive") == true } == true)
        let revive = try h.push(changed, ["--report", h.path("revive.json")])
        #expect(revive.status == 0, "\(revive.stderr)")
        let rv = try PushReportFile.read(h.path("revive.json"))
        #expect(rv.summary.revived == 1 && rv.summary.updated == 1)
        let after = h.fake.storedEvents(calendarId: h.calendarId).filter { $0.iCalUID == "lunch@example.com" }
        #expect(after.count == 1 && after[0].status == "confirmed" && after[0].id == lunch.id)
        #expect(h.storedKeys().values.allSatisfy { $0 == 1 })
    }

    /// A calendar where "Old lunch" (the input's lunch@example.com) was pushed by someone else
    /// and deleted: Google lists it without its iCalUID, and this machine's journal lacks it.
    static func harnessWithDeletedLunch() async throws -> PushHarness {
        let h = try PushHarness()
        var g = GoogleEvent()
        g.iCalUID = "lunch@example.com"
        g.summary = "Old lunch"
        g.start = EventDateTime(dateTime: "2025-01-07T12:00:00Z")
        g.end = EventDateTime(dateTime: "2025-01-07T13:00:00Z")
        let ids = try h.fake.seed([g], calendarId: h.calendarId)
        try await h.api().deleteEvent(calendarId: h.calendarId, eventId: ids[0], sendUpdates: .none)
        return h
    }

    @Test func deletedEventUnknownToTheJournalIsRevivedAfterTheConflict() async throws {
        // Another machine pushed the event, then it was deleted: Google lists it without its
        // iCalUID, the import meets 409, and calport finds it by iCalUID and revives it.
        let h = try await Self.harnessWithDeletedLunch()
        let input = try h.write("small.ics", Self.small)
        let run = try h.push(input, ["--report", h.path("r.json")])
        #expect(run.status == 0, "\(run.stderr)")
        let lunch = h.fake.storedEvents(calendarId: h.calendarId).filter { $0.iCalUID == "lunch@example.com" }
        #expect(lunch.count == 1 && lunch[0].status == "confirmed" && lunch[0].summary == "Lunch")
    }

    // MARK: - Insert mode and notifications

    @Test func insertModeUsesDeterministicIdsAndAsksBeforeEmailing() throws {
        let h = try PushHarness()
        let input = try h.write("small.ics", Self.small)
        // Not a terminal and no --yes: the plan says who would be emailed, and nothing is sent.
        let refused = try h.push(input, ["--mode", "insert", "--send-updates", "external"])
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("partner.org"))
        #expect(refused.stderr.contains("refusing to send email"))
        #expect(h.writeCalls == 0)
        let dry = try h.push(input, ["--mode", "insert", "--send-updates", "all", "--dry-run", "--report", h.path("dry.json")])
        #expect(dry.status == 0)
        let plan = try PushReportFile.read(h.path("dry.json"))
        // The series and its override are sent to Bo and Cy (the calendar's owner is not mailed).
        #expect(plan.summary.notificationsPlannedByDomain["partner.org"] ?? 0 >= 2)
        #expect(plan.summary.notificationsPlannedByDomain["example.com"] ?? 0 >= 2)

        let sent = try h.push(input, ["--mode", "insert", "--send-updates", "external", "--yes", "--report", h.path("insert.json")])
        #expect(sent.status == 0, "\(sent.stderr)")
        #expect(h.fake.sendUpdatesValues.allSatisfy { $0 == "externalOnly" } && !h.fake.sendUpdatesValues.isEmpty)
        let stored = h.fake.storedEvents(calendarId: h.calendarId)
        let lunch = try #require(stored.first { $0.iCalUID == "lunch@example.com" })
        #expect(lunch.id == StableEventID.make(calendarId: h.calendarId, key: EventKey(uid: "lunch@example.com")))
        #expect(lunch.id!.allSatisfy { ("0"..."9").contains($0) || ("a"..."v").contains($0) } && lunch.id!.count >= 5)

        // Again: the ids collide with what is there, so nothing is added and nobody is emailed.
        h.fake.resetStatistics()
        let again = try h.push(input, ["--mode", "insert", "--send-updates", "external", "--yes"])
        #expect(again.status == 0)
        #expect(h.writeCalls == 0 && h.fake.sendUpdatesValues.isEmpty)
        #expect(h.storedKeys().values.allSatisfy { $0 == 1 })
    }

    @Test func guestRepliesInGoogleAreNeitherComparedNorReset() async throws {
        // Insert mode: the calendar organizes and Bo accepts in Google. Pushing the same .ics
        // (where Bo still needs to act) must not count as a change: no update, nobody emailed,
        // and Bo's answer stays.
        let h = try PushHarness()
        let input = try h.write("small.ics", Self.small)
        let first = try h.push(input, ["--mode", "insert", "--send-updates", "all", "--yes"])
        #expect(first.status == 0, "\(first.stderr)")
        let api = try h.api()
        let series = try #require(h.fake.storedEvents(calendarId: h.calendarId).first {
            $0.iCalUID == "standup@example.com" && $0.recurringEventId == nil })
        var answered = try await api.getEvent(calendarId: h.calendarId, eventId: series.id!)
        answered.attendees = answered.attendees?.map { a in
            var a = a
            if a.email == "bo@example.com" { a.responseStatus = "accepted"; a.comment = "see you" }
            return a
        }
        _ = try await api.updateEvent(answered, calendarId: h.calendarId, eventId: series.id!, sendUpdates: .none)
        h.fake.resetStatistics()
        let again = try h.push(input, ["--mode", "insert", "--send-updates", "all", "--yes", "--report", h.path("again.json")])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(h.writeCalls == 0 && h.fake.sendUpdatesValues.isEmpty)
        let r = try PushReportFile.read(h.path("again.json"))
        #expect(r.summary.updated == 0 && r.summary.notificationsRequested == 0)

        // A real change (a new summary) is sent, and Bo's answer survives the update.
        let moved = try h.write("moved.ics", Self.small.replacingOccurrences(of: "SUMMARY:Stand-up\nORGANIZER", with: "SUMMARY:Daily stand-up\nORGANIZER"))
        let changed = try h.push(moved, ["--mode", "insert", "--send-updates", "all", "--yes"])
        #expect(changed.status == 0, "\(changed.stderr)")
        let after = try await api.getEvent(calendarId: h.calendarId, eventId: series.id!)
        #expect(after.summary == "Daily stand-up")
        let bo = after.attendees?.first { $0.email == "bo@example.com" }
        #expect(bo?.responseStatus == "accepted" && bo?.comment == "see you")
    }

    @Test func onExistingSkipHoldsAfterAConflict() async throws {
        // As deletedEventUnknownToTheJournalIsRevivedAfterTheConflict, with --on-existing skip:
        // the event found after the 409 is left as it is, and counted as skipped.
        let h = try await Self.harnessWithDeletedLunch()
        let input = try h.write("small.ics", Self.small)
        let run = try h.push(input, ["--on-existing", "skip", "--report", h.path("r.json")])
        #expect(run.status == 0, "\(run.stderr)")
        let lunch = h.fake.storedEvents(calendarId: h.calendarId).filter { $0.iCalUID == "lunch@example.com" }
        #expect(lunch.count == 1 && lunch[0].status == "cancelled" && lunch[0].summary == "Old lunch")
        let r = try PushReportFile.read(h.path("r.json"))
        #expect(r.summary.skipped >= 1 && r.summary.updated == 0)
    }

    @Test func primaryAndTheAccountAddressAreOneCalendar() throws {
        // Insert mode derives event ids from the calendar: "primary" and the address it stands
        // for must give the same ids, the same journal and the same lock.
        let h = try PushHarness()
        let input = try h.write("small.ics", Self.small)
        let address = h.fake.primaryCalendarId
        func push(_ calendar: String) throws -> RunResult {
            try calport(["push", input, "--calendar", calendar, "--mode", "insert", "--report", h.path("\(calendar).json")],
                        environment: h.environment)
        }
        let first = try push("primary")
        #expect(first.status == 0, "\(first.stderr)")
        let lunch = h.fake.storedEvents(calendarId: address).first { $0.iCalUID == "lunch@example.com" }
        #expect(lunch?.id == StableEventID.make(calendarId: address, key: EventKey(uid: "lunch@example.com")))
        h.fake.resetStatistics()
        let again = try push(address)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(h.writeCalls == 0)
        let r = try PushReportFile.read(h.path("\(address).json"))
        #expect(r.summary.created == 0 && r.summary.unchanged > 0)
        let locks = try FileManager.default.contentsOfDirectory(atPath: h.path("state")).filter { $0.hasSuffix(".lock") }
        #expect(locks.count == 1)
    }

    @Test func sendUpdatesNeedsInsertMode() throws {
        let h = try PushHarness()
        let input = try h.write("small.ics", Self.small)
        let r = try h.push(input, ["--send-updates", "all"])
        #expect(r.status == 64)
        #expect(r.stderr.contains("import never emails"))
        #expect(h.writeCalls == 0)
    }

    // MARK: - Rejects and exit codes

    @Test func failedEventsGoToTheRejectsFileAndCanBePushedAgain() throws {
        let h = try PushHarness()
        let bad = Self.small.replacingOccurrences(of: "DTSTART:20250107T120000Z\nDTEND:20250107T130000Z",
                                                  with: "DTSTART:20250107T120000Z\nDTEND:20250107T110000Z")
        #expect(bad != Self.small)
        let input = try h.write("bad.ics", bad)
        let rejects = h.path("rejects.ics")
        let run = try h.push(input, ["--rejects", rejects, "--report", h.path("r.json")])
        #expect(run.status == 3, "\(run.stderr)")
        let text = try String(contentsOfFile: rejects, encoding: .utf8)
        #expect(text.contains("UID:lunch@example.com"))
        #expect(text.contains("X-CALPORT-PUSH-ERROR"))
        #expect(!text.contains("UID:holiday@example.com"))
        let r = try PushReportFile.read(h.path("r.json"))
        // calport refuses an end before the start itself (the reader rejects it), before Google would.
        #expect(r.summary.rejected == 1 && r.summary.created == 4)

        let fixed = try h.write("fixed.ics", text.replacingOccurrences(of: "DTEND:20250107T110000Z", with: "DTEND:20250107T130000Z"))
        let again = try h.push(fixed, ["--report", h.path("again.json")])
        #expect(again.status == 0, "\(again.stderr)")
        let a = try PushReportFile.read(h.path("again.json"))
        #expect(a.summary.created == 1)
        // The reason line was not carried into Google.
        let lunch = try #require(h.fake.storedEvents(calendarId: h.calendarId).first { $0.iCalUID == "lunch@example.com" })
        #expect(lunch.extendedProperties?.private?.keys.contains { $0.contains("CALPORT-PUSH-ERROR") } != true)
    }

    @Test func exitCodesSayWhatHappened() throws {
        let h = try PushHarness()
        let input = try h.write("small.ics", Self.small)

        let garbage = try h.write("garbage.ics", "this is not a calendar\n")
        #expect(try h.push(garbage).status == 65)

        h.fake.acceptedTokens = ["the-right-token"]
        h.token = "a-wrong-token"
        let denied = try h.push(input)
        #expect(denied.status == 77, "\(denied.stderr)")
        #expect(!denied.stderr.contains("a-wrong-token"))
        h.fake.acceptedTokens = nil
        h.token = "test-token"

        h.fake.usageLimitsExceeded = true
        let quota = try h.push(input)
        #expect(quota.status == 69, "\(quota.stderr)")
        #expect(quota.stderr.contains("run the same command again"))
        h.fake.usageLimitsExceeded = false

        // A calendar the account may only read: the first refused write stops the push.
        h.fake.writesForbidden = true
        h.fake.resetStatistics()
        let many = try h.generate(events: 200)
        let readOnly = try h.push(many, ["--batch-size", "10", "--concurrency", "1"])
        #expect(readOnly.status == 77, "\(readOnly.stderr)")
        #expect(readOnly.stderr.contains("writer access"))
        #expect(h.writeCalls > 0 && h.writeCalls <= 10, "one batch sent, then stopped: \(h.writeCalls) writes")
        h.fake.writesForbidden = false

        // Another push to the same calendar holds the lock.
        let lockDir = h.path("state")
        let files = try FileManager.default.contentsOfDirectory(atPath: lockDir).filter { $0.hasPrefix("push-") && $0.hasSuffix(".lock") }
        #expect(files.count == 1)
        let fd = open(lockDir + "/" + files[0], O_RDWR)
        #expect(flock(fd, LOCK_EX | LOCK_NB) == 0)
        let locked = try h.push(input)
        #expect(locked.status == 75, "\(locked.stderr)")
        close(fd)

        let done = try h.push(input)
        #expect(done.status == 0, "\(done.stderr)")
    }
}

