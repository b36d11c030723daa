@testable import CalPort
import CalendarModel
import FakeGoogle
import Foundation
import GoogleAPI
import GoogleCalendar
import HTTP
import Testing

/// A fake Google calendar, a local folder (or file) and a state directory for `calport sync`.
final class SyncHarness: @unchecked Sendable {
    let fake: FakeGoogleServer
    let directory: URL
    let calendarId: String
    let api: GoogleCalendarAPI
    var local: String

    init(file: Bool = false) throws {
        fake = try FakeGoogleServer()
        directory = try Paths.temporaryDirectory()
        calendarId = try fake.createCalendar(summary: "sync tests", timeZone: "Europe/Berlin")
        api = GoogleCalendarAPI(http: try CurlHTTPClient(), staticToken: "test-token", root: fake.baseURL, retryPolicy: .never)
        local = directory.appendingPathComponent(file ? "calendar.ics" : "calendar").path
        if !file { try FileManager.default.createDirectory(atPath: local, withIntermediateDirectories: true) }
    }

    deinit {
        fake.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    var stateDirectory: String { directory.appendingPathComponent("state").path }

    func settings(_ change: (inout Sync.Settings) -> Void = { _ in }) -> Sync.Settings {
        var s = Sync.Settings(localPath: local, options: SyncOptions(calendarId: calendarId, account: "default"),
                              stateDirectory: stateDirectory)
        change(&s)
        return s
    }

    @discardableResult
    func sync(_ change: (inout Sync.Settings) -> Void = { _ in }) async throws -> SyncReport {
        try await Sync.run(settings(change), api: api)
    }

    var environment: [String: String] {
        ["CALPORT_GOOGLE_API_ROOT": fake.baseURL, "CALPORT_ACCESS_TOKEN": "test-token", "CALPORT_STATE_DIR": stateDirectory,
         "CALPORT_CONFIG_DIR": directory.appendingPathComponent("config").path]
    }

    // MARK: the local side

    static func vevent(uid: String, summary: String, start: String = "20261208T090000", end: String = "20261208T100000",
                       extra: [String] = []) -> String {
        (["BEGIN:VEVENT", "UID:\(uid)", "DTSTAMP:20261201T000000Z", "DTSTART;TZID=Europe/Berlin:\(start)",
          "DTEND;TZID=Europe/Berlin:\(end)", "SUMMARY:\(summary)"] + extra + ["END:VEVENT"]).joined(separator: "\r\n")
    }

    static func calendar(_ events: [String]) -> String {
        (["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN"] + events + ["END:VCALENDAR"]).joined(separator: "\r\n") + "\r\n"
    }

    func writeLocal(uid: String, summary: String, extra: [String] = [], file name: String? = nil) throws {
        let text = Self.calendar([Self.vevent(uid: uid, summary: summary, extra: extra)])
        try Data(text.utf8).write(to: URL(fileURLWithPath: local + "/" + (name ?? ICSFolderStore.fileName(forUID: uid))))
    }

    func localFiles() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: local).filter { $0.hasSuffix(".ics") }.sorted()
    }

    func localObjects() async throws -> [String: CalendarObject] {
        let listing = try await ICSFolderStore(path: local).list(since: nil)
        return Dictionary(uniqueKeysWithValues: listing.entries.compactMap { e in e.item.map { ($0.uid, $0) } })
    }

    func localSummary(_ uid: String) async throws -> String? {
        try await localObjects()[uid]?.events.first?.summary
    }

    // MARK: the Google side

    /// Live events (not cancelled) by iCalUID.
    func googleEvents() -> [String: [GoogleEvent]] {
        Dictionary(grouping: fake.storedEvents(calendarId: calendarId).filter { $0.status != "cancelled" }) { $0.iCalUID ?? "?" }
    }

    func googleSummary(_ uid: String) -> String? {
        googleEvents()[uid]?.first { $0.originalStartTime == nil }?.summary
    }

    @discardableResult
    func seedGoogle(uid: String, summary: String) throws -> String {
        var g = GoogleEvent()
        g.iCalUID = uid
        g.summary = summary
        g.start = EventDateTime(dateTime: "2026-12-08T09:00:00+01:00", timeZone: "Europe/Berlin")
        g.end = EventDateTime(dateTime: "2026-12-08T10:00:00+01:00", timeZone: "Europe/Berlin")
        return try fake.seed([g], calendarId: calendarId)[0]
    }

    func editGoogle(uid: String, _ change: (inout GoogleEvent) -> Void) async throws {
        let g = try #require(googleEvents()[uid]?.first { $0.originalStartTime == nil })
        var updated = try await api.getEvent(calendarId: calendarId, eventId: g.id!)
        change(&updated)
        _ = try await api.updateEvent(updated, calendarId: calendarId, eventId: g.id!, sendUpdates: .none)
    }

    func deleteGoogle(uid: String) async throws {
        let g = try #require(googleEvents()[uid]?.first { $0.originalStartTime == nil })
        try await api.deleteEvent(calendarId: calendarId, eventId: g.id!, sendUpdates: .none)
    }

    var writeCalls: Int {
        ["events.import", "events.insert", "events.update", "events.patch", "events.delete"].reduce(0) { $0 + fake.requestCount(for: $1) }
    }
}

@Suite("calport sync", .serialized)
struct SyncTests {
    @Test func aFirstSyncLinksSharedUIDsCopiesTheRestAndEmailsNobody() async throws {
        let h = try SyncHarness()
        try h.writeLocal(uid: "shared@test", summary: "Planning")
        try h.writeLocal(uid: "local-only@test", summary: "Dentist")
        try h.seedGoogle(uid: "shared@test", summary: "Planning")
        try h.seedGoogle(uid: "google-only@test", summary: "Review")
        let report = try await h.sync()
        #expect(report.outcome == .success, "\(report.failed) \(report.plan)")
        #expect(report.firstSync)
        #expect(report.plan.linked == ["shared@test"])
        #expect(report.plan.google.create == ["local-only@test"])
        #expect(report.plan.local.create == ["google-only@test"])
        let google = h.googleEvents()
        #expect(google.keys.sorted() == ["google-only@test", "local-only@test", "shared@test"])
        #expect(google.values.allSatisfy { $0.count == 1 }, "no duplicates in Google")
        #expect(try await h.localObjects().keys.sorted() == ["google-only@test", "local-only@test", "shared@test"])
        #expect(try await h.localSummary("google-only@test") == "Review")
        #expect(h.fake.sendUpdatesValues.allSatisfy { $0 == "none" })
        #expect(h.fake.requestCount(for: "events.insert") == 0, "import never emails")
    }

    @Test func aSecondSyncWithNoChangesCostsOneRequestAndWritesNoFile() async throws {
        let h = try SyncHarness()
        try h.writeLocal(uid: "a@test", summary: "A")
        try h.seedGoogle(uid: "b@test", summary: "B")
        try await h.sync()
        // The first sync's own writes come back in the next listing: they are echoes, not changes.
        let echo = try await h.sync()
        #expect(echo.plan.local.create.isEmpty && echo.plan.local.update.isEmpty && echo.plan.google.update.isEmpty,
                "\(echo.plan)")
        let mtimes = try h.localFiles().map { try FileManager.default.attributesOfItem(atPath: h.local + "/" + $0)[.modificationDate] as? Date }
        h.fake.resetStatistics()
        let quiet = try await h.sync()
        #expect(quiet.outcome == .success)
        #expect(h.fake.statistics.requests == 1)
        #expect(h.writeCalls == 0)
        let after = try h.localFiles().map { try FileManager.default.attributesOfItem(atPath: h.local + "/" + $0)[.modificationDate] as? Date }
        #expect(after == mtimes)
    }

    @Test func editsTravelBothWaysAndDifferentFieldsMerge() async throws {
        let h = try SyncHarness()
        try h.writeLocal(uid: "a@test", summary: "Stand-up")
        try h.writeLocal(uid: "b@test", summary: "Lunch")
        try await h.sync()
        // A: edited locally. B: edited in Google.
        try h.writeLocal(uid: "a@test", summary: "Stand-up (room 4)")
        try await h.editGoogle(uid: "b@test") { $0.summary = "Lunch with Sam" }
        var r = try await h.sync()
        #expect(r.outcome == .success)
        #expect(h.googleSummary("a@test") == "Stand-up (room 4)")
        #expect(try await h.localSummary("b@test") == "Lunch with Sam")
        // Both sides edit A, different fields: both edits survive on both sides.
        try h.writeLocal(uid: "a@test", summary: "Stand-up (moved)")
        try await h.editGoogle(uid: "a@test") { $0.location = "Room 4" }
        r = try await h.sync()
        #expect(r.outcome == .success, "\(r.plan.conflicts)")
        #expect(h.googleSummary("a@test") == "Stand-up (moved)")
        #expect(h.googleEvents()["a@test"]?.first?.location == "Room 4")
        let a = try await h.localObjects()["a@test"]?.events.first
        #expect(a?.summary == "Stand-up (moved)")
        #expect(a?.location == "Room 4")
    }

    @Test(arguments: [ConflictPolicy.merge, .local, .google, .fail])
    func theSameFieldEditedOnBothSides(policy: ConflictPolicy) async throws {
        let h = try SyncHarness()
        try h.writeLocal(uid: "a@test", summary: "Stand-up")
        try await h.sync()
        try h.writeLocal(uid: "a@test", summary: "Local title")
        try await h.editGoogle(uid: "a@test") { $0.summary = "Google title" }
        let r = try await h.sync { $0.options.conflict = policy }
        switch policy {
        case .merge, .fail:
            #expect(r.outcome == .partial)
            #expect(r.plan.conflicts.keys.sorted() == ["a@test"])
            #expect(h.googleSummary("a@test") == "Google title", "left as it is")
            #expect(try await h.localSummary("a@test") == "Local title", "left as it is")
            // Still a conflict on the next run.
            let again = try await h.sync { $0.options.conflict = policy }
            #expect(again.plan.conflicts.keys.sorted() == ["a@test"])
        case .local:
            #expect(r.outcome == .success)
            #expect(h.googleSummary("a@test") == "Local title")
        case .google:
            #expect(r.outcome == .success)
            #expect(try await h.localSummary("a@test") == "Google title")
        case .newer:
            break
        }
    }

    @Test func deletionsTravelAndAnEditBeatsADeletion() async throws {
        let h = try SyncHarness()
        for uid in ["a", "b", "c", "d"] { try h.writeLocal(uid: "\(uid)@test", summary: uid.uppercased()) }
        try await h.sync()
        // a: deleted locally → deleted in Google. b: deleted in Google → deleted locally.
        // c: deleted locally, edited in Google → comes back locally. d: deleted on both → forgotten.
        try FileManager.default.removeItem(atPath: h.local + "/" + ICSFolderStore.fileName(forUID: "a@test"))
        try await h.deleteGoogle(uid: "b@test")
        try FileManager.default.removeItem(atPath: h.local + "/" + ICSFolderStore.fileName(forUID: "c@test"))
        try await h.editGoogle(uid: "c@test") { $0.summary = "C edited" }
        try FileManager.default.removeItem(atPath: h.local + "/" + ICSFolderStore.fileName(forUID: "d@test"))
        try await h.deleteGoogle(uid: "d@test")
        h.fake.resetStatistics()
        let r = try await h.sync { $0.options.deletionLimit = DeletionLimit(.unlimited) }
        #expect(r.outcome == .success)
        #expect(h.googleEvents()["a@test"] == nil)
        #expect(try await h.localObjects()["b@test"] == nil)
        #expect(try await h.localSummary("c@test") == "C edited")
        #expect(h.googleSummary("c@test") == "C edited")
        #expect(h.fake.requestCount(for: "events.delete") == 1, "only a is deleted in Google; d was gone on both sides")
        let state = try SyncState(directory: h.stateDirectory + "/sync", localPath: Sync.absolute(h.local),
                                  calendarId: h.calendarId, account: "default")
        #expect(try state.records().keys.sorted() == ["c@test"])
    }

    @Test func anUnreadableFileIsNeverTakenForADeletion() async throws {
        let h = try SyncHarness()
        try h.writeLocal(uid: "a@test", summary: "A")
        try await h.sync()
        let file = h.local + "/" + ICSFolderStore.fileName(forUID: "a@test")
        try Data("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a@test\r\nDTSTART:garbage\r\n".utf8).write(to: URL(fileURLWithPath: file))
        let r = try await h.sync()
        #expect(r.outcome == .partial)
        #expect(r.plan.unknown.keys.sorted() == ["a@test"])
        #expect(h.googleSummary("a@test") == "A", "still in Google")
        #expect(FileManager.default.fileExists(atPath: file), "the file is left alone")
    }

    @Test func aNewFileThatDoesNotParseIsReportedNotIgnored() async throws {
        let h = try SyncHarness()
        try h.writeLocal(uid: "a@test", summary: "A")
        try Data(SyncHarness.calendar(["BEGIN:VEVENT", "UID:broken@test", "DTSTART:garbage", "SUMMARY:Broken", "END:VEVENT"]).utf8)
            .write(to: URL(fileURLWithPath: h.local + "/broken.ics"))
        let r = try await h.sync()
        #expect(r.outcome == .partial, "\(r.plan)")
        #expect(r.plan.unknown.keys.sorted() == ["broken.ics"])
        #expect(h.googleEvents().keys.sorted() == ["a@test"])
    }

    @Test func refusesWhenASideWasEmptiedOrTooManyDeletions() async throws {
        let h = try SyncHarness()
        for i in 0..<100 { try h.writeLocal(uid: "e\(i)@test", summary: "E\(i)") }
        try await h.sync()
        // 11 of 100 deleted locally: more than 10%, refused, nothing written.
        for i in 0..<11 { try FileManager.default.removeItem(atPath: h.local + "/" + ICSFolderStore.fileName(forUID: "e\(i)@test")) }
        h.fake.resetStatistics()
        await #expect { try await h.sync() } throws: { ($0 as? Failure)?.outcome == .refused }
        #expect(h.writeCalls == 0)
        #expect(h.googleEvents().count == 100)
        // 9 of 100: within the limit.
        for i in 0..<2 { try h.writeLocal(uid: "e\(i)@test", summary: "E\(i)") }
        let r = try await h.sync()
        #expect(r.outcome == .success)
        #expect(r.plan.google.delete.count == 9)
        // Emptied: refused even though --max-delete would allow the count; --force-delete passes.
        for f in try h.localFiles() { try FileManager.default.removeItem(atPath: h.local + "/" + f) }
        await #expect { try await h.sync { $0.options.deletionLimit = DeletionLimit(.count(1000)) } } throws: {
            ($0 as? Failure)?.outcome == .refused
        }
        #expect(h.googleEvents().count == 91)
        let forced = try await h.sync { $0.options.deletionLimit = DeletionLimit(.unlimited) }
        #expect(forced.outcome == .success)
        #expect(h.googleEvents().isEmpty)
    }

    @Test func refusesAMovedFolderAndAnotherCalendar() async throws {
        let h = try SyncHarness()
        try h.writeLocal(uid: "a@test", summary: "A")
        try await h.sync()
        try FileManager.default.moveItem(atPath: h.local, toPath: h.local + "-old")
        try FileManager.default.createDirectory(atPath: h.local, withIntermediateDirectories: true)
        await #expect { try await h.sync() } throws: { ($0 as? Failure)?.outcome == .refused }
        #expect(h.googleEvents()["a@test"] != nil)
        // `reset --existing keep --next all` accepts the new folder: a first sync again.
        _ = try await Sync.reset(SyncReset(existing: .keep, next: .all), h.settings(), api: h.api)
        let r = try await h.sync()
        #expect(r.firstSync)
        #expect(try await h.localObjects()["a@test"] != nil)
    }

    @Test func anExpiredTokenListsGoogleWholeAndWipesNothing() async throws {
        let h = try SyncHarness()
        for uid in ["a", "b", "c"] { try h.writeLocal(uid: "\(uid)@test", summary: uid.uppercased()) }
        try await h.sync()
        try await h.deleteGoogle(uid: "a@test")
        try h.writeLocal(uid: "b@test", summary: "B edited")
        h.fake.expireSyncTokens()
        let r = try await h.sync()
        #expect(r.recoveredFromExpiredToken)
        #expect(r.outcome == .success)
        #expect(try await h.localObjects().keys.sorted() == ["b@test", "c@test"])
        #expect(h.googleSummary("b@test") == "B edited")
        #expect(h.googleEvents().keys.sorted() == ["b@test", "c@test"])
    }

    @Test func aStaleEtagIsNeverOverwritten() async throws {
        let h = try SyncHarness()
        try h.writeLocal(uid: "a@test", summary: "A")
        try await h.sync()
        try h.writeLocal(uid: "a@test", summary: "A local")
        // Google changes after the sync listed it, before it writes: the If-Match fails.
        let r = try await h.sync()
        #expect(r.outcome == .success)
        try await h.editGoogle(uid: "a@test") { $0.description = "added in Google" }
        // The state's etag is stale now; the local edit is written only after re-reading.
        try h.writeLocal(uid: "a@test", summary: "A local again")
        let again = try await h.sync()
        #expect(again.outcome == .success)
        let g = try #require(h.googleEvents()["a@test"]?.first)
        #expect(g.summary == "A local again")
        #expect(g.description == "added in Google")
    }

    @Test func noEmailUnlessAskedAndAllNeedsYes() async throws {
        let h = try SyncHarness()
        try h.writeLocal(uid: "a@test", summary: "A", extra: ["ORGANIZER:mailto:\(h.calendarId)", "ATTENDEE:mailto:guest@example.com"])
        var r = try calport(["sync", "--local", h.local, "--calendar", h.calendarId, "--send-updates", "all"],
                                  environment: h.environment)
        #expect(r.status == 64, "\(r.stderr)")
        #expect(r.stderr.contains("1 guests: example.com 1"), "\(r.stderr)")
        #expect(h.writeCalls == 0)
        r = try calport(["sync", "--local", h.local, "--calendar", h.calendarId], environment: h.environment)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(h.fake.sendUpdatesValues.allSatisfy { $0 == "none" })
        // Asked for, with --yes: the change goes with sendUpdates=all (an insert: import never emails).
        try h.writeLocal(uid: "b@test", summary: "B", extra: ["ORGANIZER:mailto:\(h.calendarId)", "ATTENDEE:mailto:guest@example.com"])
        r = try calport(["sync", "--local", h.local, "--calendar", h.calendarId, "--send-updates", "all", "--yes"], environment: h.environment)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(h.fake.sendUpdatesValues.contains("all"))
        #expect(h.fake.requestCount(for: "events.insert") == 1)
    }

    @Test func theCommandLineDryRunPrintsThePlanAndWritesNothing() async throws {
        let h = try SyncHarness()
        try h.writeLocal(uid: "a@test", summary: "A")
        try h.seedGoogle(uid: "b@test", summary: "B")
        let r = try calport(["sync", "--local", h.local, "--calendar", h.calendarId, "--dry-run"], environment: h.environment)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdoutText.contains("google: 1 create"))
        #expect(r.stdoutText.contains("local: 1 create"))
        #expect(h.writeCalls == 0)
        #expect(try h.localFiles() == [ICSFolderStore.fileName(forUID: "a@test")])
    }
}

@Suite("calport sync: recurrence", .serialized)
struct SyncRecurrenceTests {
    static let series = [
        "BEGIN:VEVENT", "UID:weekly@test", "DTSTAMP:20261201T000000Z",
        "DTSTART;TZID=Europe/Berlin:20261207T090000", "DTEND;TZID=Europe/Berlin:20261207T093000",
        "RRULE:FREQ=WEEKLY;COUNT=6", "SUMMARY:Weekly", "END:VEVENT",
    ]

    static func override(day: String, summary: String, hour: String = "10") -> [String] {
        ["BEGIN:VEVENT", "UID:weekly@test", "DTSTAMP:20261201T000000Z", "RECURRENCE-ID;TZID=Europe/Berlin:\(day)T090000",
         "DTSTART;TZID=Europe/Berlin:\(day)T\(hour)0000", "DTEND;TZID=Europe/Berlin:\(day)T\(hour)3000", "SUMMARY:\(summary)", "END:VEVENT"]
    }

    func write(_ h: SyncHarness, _ lines: [String]) throws {
        let text = (["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN"] + lines + ["END:VCALENDAR"]).joined(separator: "\r\n") + "\r\n"
        try Data(text.utf8).write(to: URL(fileURLWithPath: h.local + "/weekly@test.ics"))
    }

    func googleInstances(_ h: SyncHarness) async throws -> [GoogleEvent] {
        let series = try #require(h.googleEvents()["weekly@test"]?.first { $0.originalStartTime == nil })
        return try await h.api.allInstances(calendarId: h.calendarId, eventId: series.id!)
    }

    func localEvents(_ h: SyncHarness) async throws -> [Event] {
        try await h.localObjects()["weekly@test"]?.events ?? []
    }

    @Test func overridesAndExdatesTravelBothWaysAndASeriesIsUpdatedInPlace() async throws {
        let h = try SyncHarness()
        // A series with one moved occurrence.
        try write(h, Self.series + Self.override(day: "20261214", summary: "Moved"))
        var r = try await h.sync()
        #expect(r.outcome == .success, "\(r.failed)")
        var instances = try await googleInstances(h)
        #expect(instances.count == 6)
        #expect(instances.first { $0.summary == "Moved" }?.start?.dateTime?.hasPrefix("2026-12-14T10:00:00") == true)
        let seriesId = try #require(h.googleEvents()["weekly@test"]?.first { $0.originalStartTime == nil }?.id)

        // Google: the 4th occurrence renamed, the 5th cancelled.
        let fourth = try #require(instances.first { $0.originalStartTime?.dateTime?.hasPrefix("2026-12-28") == true })
        var renamed = fourth
        renamed.summary = "Renamed in Google"
        _ = try await h.api.updateEvent(renamed, calendarId: h.calendarId, eventId: fourth.id!, sendUpdates: .none)
        let fifth = try #require(instances.first { $0.originalStartTime?.dateTime?.hasPrefix("2027-01-04") == true })
        try await h.api.deleteEvent(calendarId: h.calendarId, eventId: fifth.id!, sendUpdates: .none)
        r = try await h.sync()
        #expect(r.outcome == .success, "\(r.failed) \(r.plan)")
        var events = try await localEvents(h)
        #expect(events.first { $0.summary == "Renamed in Google" }?.recurrenceID != nil)
        let master = try #require(events.first { $0.recurrenceID == nil })
        #expect(master.exceptionDates.map(\.localDateTime.date.basicFormat) == ["20270104"])
        #expect(events.first { $0.summary == "Moved" } != nil, "the local override stays")
        let verify = try calport(["verify", h.local + "/weekly@test.ics", "google:" + h.calendarId], environment: h.environment)
        #expect(verify.status == 0, "\(verify.stdoutText) \(verify.stderr)")

        // Local: an EXDATE on the 2nd occurrence, and the series moved an hour later.
        var lines = Self.series.map { $0.replacingOccurrences(of: "T090000", with: "T100000").replacingOccurrences(of: "T093000", with: "T103000") }
        lines.insert("EXDATE;TZID=Europe/Berlin:20261221T100000,20270104T100000", at: 6)
        try write(h, lines)
        r = try await h.sync { $0.options.deletionLimit = DeletionLimit(.unlimited) }
        #expect(r.outcome == .success, "\(r.failed) \(r.plan)")
        #expect(h.googleEvents()["weekly@test"]?.first { $0.originalStartTime == nil }?.id == seriesId,
                "the series is updated, not deleted and created again")
        instances = try await googleInstances(h)
        let starts = instances.filter { $0.status != "cancelled" }.compactMap { $0.start?.dateTime?.prefix(16) }.map(String.init)
        #expect(!starts.contains { $0.hasPrefix("2026-12-21") }, "the EXDATE cancels the occurrence in Google: \(starts)")
        #expect(starts.contains("2026-12-07T10:00"), "\(starts)")
        events = try await localEvents(h)
        #expect(events.count == 1, "the local file now holds the series alone")
        #expect(!r.plan.conflicts.keys.contains("weekly@test"))
        // Every occurrence, with its time and zone, alike on both sides.
        let verifyAgain = try calport(["verify", h.local + "/weekly@test.ics", "google:" + h.calendarId], environment: h.environment)
        #expect(verifyAgain.status == 0, "\(verifyAgain.stdoutText) \(verifyAgain.stderr)")
        let settled = try await h.sync()
        #expect(settled.plan.local.update.isEmpty && settled.plan.google.update.isEmpty, "nothing left to do: \(settled.plan)")
    }

    @Test func anOverrideRemovedLocallyGoesBackToTheSeriesInGoogle() async throws {
        let h = try SyncHarness()
        try write(h, Self.series + Self.override(day: "20261214", summary: "Moved"))
        try await h.sync()
        try write(h, Self.series)
        let r = try await h.sync()
        #expect(r.outcome == .success, "\(r.failed) \(r.plan)")
        let instances = try await googleInstances(h)
        let back = try #require(instances.first { $0.originalStartTime?.dateTime?.hasPrefix("2026-12-14") == true })
        #expect(back.summary == "Weekly")
        #expect(back.start?.dateTime?.hasPrefix("2026-12-14T09:00:00") == true, "\(String(describing: back.start))")
        let verify = try calport(["verify", h.local + "/weekly@test.ics", "google:" + h.calendarId], environment: h.environment)
        #expect(verify.status == 0, "\(verify.stdoutText) \(verify.stderr)")
        let settled = try await h.sync()
        #expect(settled.plan.local.update.isEmpty && settled.plan.google.update.isEmpty, "\(settled.plan)")
    }

    @Test func thisAndFollowingInGoogleBecomesTwoLocalSeries() async throws {
        let h = try SyncHarness()
        try write(h, Self.series)
        try await h.sync()
        // Google's "this and following events": the old series ends, a new one begins.
        try await h.editGoogle(uid: "weekly@test") { $0.recurrence = ["RRULE:FREQ=WEEKLY;UNTIL=20261220T000000Z"] }
        var next = GoogleEvent()
        next.iCalUID = "weekly@test_R20261221T080000"
        next.summary = "Weekly (new time)"
        next.start = EventDateTime(dateTime: "2026-12-21T11:00:00+01:00", timeZone: "Europe/Berlin")
        next.end = EventDateTime(dateTime: "2026-12-21T11:30:00+01:00", timeZone: "Europe/Berlin")
        next.recurrence = ["RRULE:FREQ=WEEKLY;COUNT=4"]
        _ = try h.fake.seed([next], calendarId: h.calendarId)
        let r = try await h.sync()
        #expect(r.outcome == .success, "\(r.failed) \(r.plan)")
        let objects = try await h.localObjects()
        #expect(objects.keys.sorted() == ["weekly@test", "weekly@test_R20261221T080000"])
        #expect(objects["weekly@test"]?.events.first?.recurrenceRules.first?.contains("UNTIL=20261220") == true)
        #expect(objects["weekly@test_R20261221T080000"]?.events.first?.summary == "Weekly (new time)")
    }
}

@Suite("calport sync: one .ics file", .serialized)
struct SyncFileTests {
    static let text = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Example Corp//Cal 1.0//EN", "X-WR-CALNAME:Home",
        "BEGIN:VTIMEZONE", "TZID:Europe/Berlin", "BEGIN:STANDARD", "DTSTART:19701025T030000", "TZOFFSETFROM:+0200",
        "TZOFFSETTO:+0100", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "END:STANDARD", "BEGIN:DAYLIGHT",
        "DTSTART:19700329T020000", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
        "END:DAYLIGHT", "END:VTIMEZONE",
        "BEGIN:VTODO", "UID:todo@test", "DTSTAMP:20261201T000000Z", "SUMMARY:Buy milk", "END:VTODO",
        SyncHarness.vevent(uid: "a@test", summary: "Dentist"),
        SyncHarness.vevent(uid: "b@test", summary: "Piano", start: "20261209T170000", end: "20261209T180000"),
        "END:VCALENDAR",
    ].joined(separator: "\r\n") + "\r\n"

    func read(_ h: SyncHarness) throws -> String { String(decoding: try Data(contentsOf: URL(fileURLWithPath: h.local)), as: UTF8.self) }

    @Test func keepsWhatItDoesNotManageAndAddsGooglesEvents() async throws {
        let h = try SyncHarness(file: true)
        try Data(Self.text.utf8).write(to: URL(fileURLWithPath: h.local))
        try h.seedGoogle(uid: "c@test", summary: "Review")
        let r = try await h.sync()
        #expect(r.outcome == .success, "\(r.failed)")
        let after = try read(h)
        for kept in ["BEGIN:VTODO\r\nUID:todo@test\r\nDTSTAMP:20261201T000000Z\r\nSUMMARY:Buy milk\r\nEND:VTODO\r\n",
                     "X-WR-CALNAME:Home\r\n", "PRODID:-//Example Corp//Cal 1.0//EN\r\n",
                     SyncHarness.vevent(uid: "a@test", summary: "Dentist") + "\r\n",
                     SyncHarness.vevent(uid: "b@test", summary: "Piano", start: "20261209T170000", end: "20261209T180000") + "\r\n"] {
            #expect(after.contains(kept), "\(kept)")
        }
        #expect(after.contains("SUMMARY:Review"))
        #expect(h.googleEvents().keys.sorted() == ["a@test", "b@test", "c@test"])
        // Every occurrence alike on both sides, as `calport verify` sees them.
        let verify = try calport(["verify", h.local, "google:" + h.calendarId], environment: h.environment)
        #expect(verify.status == 0, "\(verify.stdoutText) \(verify.stderr)")
        // Nothing changed: the file is not written again.
        let mtime = try FileManager.default.attributesOfItem(atPath: h.local)[.modificationDate] as? Date
        try await Task.sleep(for: .milliseconds(20))
        _ = try await h.sync()
        #expect(try FileManager.default.attributesOfItem(atPath: h.local)[.modificationDate] as? Date == mtime)
    }

    /// The local file store, with another program writing the file after calport read it.
    final class Interfering: CalendarStore, @unchecked Sendable {
        let inner: ICSFileStore
        let path: String
        init(path: String) { inner = ICSFileStore(path: path); self.path = path }
        var location: String { inner.location }
        func list(since token: String?) async throws -> StoreListing<CalendarObject> { try await inner.list(since: token) }
        func apply(_ changes: [StoreChange<CalendarObject>],
                   progress: (@Sendable (Int, StoreOutcome<CalendarObject>) -> Void)?) async -> [StoreOutcome<CalendarObject>] {
            let text = String(decoding: FileManager.default.contents(atPath: path)!, as: UTF8.self)
            try? Data(text.replacingOccurrences(of: "SUMMARY:Piano", with: "SUMMARY:Piano lesson").utf8).write(to: URL(fileURLWithPath: path))
            return await inner.apply(changes, progress: progress)
        }
        func commit() async throws { try await inner.commit() }
    }

    @Test func aFileChangedByAnotherProgramDuringTheRunIsNotOverwritten() async throws {
        let h = try SyncHarness(file: true)
        try Data(Self.text.utf8).write(to: URL(fileURLWithPath: h.local))
        try await h.sync()
        try h.seedGoogle(uid: "c@test", summary: "Review")
        let path = Sync.absolute(h.local)
        let r = try await {
            let state = try SyncState(directory: h.stateDirectory + "/sync", localPath: path, calendarId: h.calendarId, account: "default")
            let engine = SyncEngine(local: Interfering(path: path),
                                    remote: GoogleCalendarStore(api: h.api, calendarId: h.calendarId),
                                    state: state, options: SyncOptions(calendarId: h.calendarId, account: "default"),
                                    localIdentity: try Sync.identity(of: path))
            return try await engine.run()
        }()
        #expect(r.outcome == .partial)
        #expect(r.localWriteAbandoned == path)
        let after = try read(h)
        #expect(after.contains("SUMMARY:Piano lesson"), "the other program's edit is kept")
        #expect(!after.contains("SUMMARY:Review"), "calport wrote nothing")
        // The next run takes both: Review comes in, the edit goes to Google.
        let next = try await h.sync()
        #expect(next.outcome == .success, "\(next.failed) \(next.plan)")
        #expect(try read(h).contains("SUMMARY:Review"))
        #expect(h.googleSummary("b@test") == "Piano lesson")
    }

    @Test func anUnparsableEventStaysInTheFileAndInGoogle() async throws {
        let h = try SyncHarness(file: true)
        try Data(Self.text.utf8).write(to: URL(fileURLWithPath: h.local))
        try await h.sync()
        let broken = try read(h).replacingOccurrences(of: "DTSTART;TZID=Europe/Berlin:20261209T170000", with: "DTSTART;TZID=Europe/Berlin:2026-12-09 five pm")
        try Data(broken.utf8).write(to: URL(fileURLWithPath: h.local))
        try h.seedGoogle(uid: "c@test", summary: "Review")
        let r = try await h.sync()
        #expect(r.plan.unknown.keys.sorted() == ["b@test"])
        #expect(h.googleSummary("b@test") == "Piano", "not deleted from Google")
        let after = try read(h)
        #expect(after.contains("2026-12-09 five pm"), "the unreadable event is kept as it was")
        #expect(after.contains("SUMMARY:Review"))
    }
}

@Suite("calport sync reset", .serialized)
struct SyncResetTests {
    /// a, b local and c in Google, synced; x organised by someone else, synced too.
    func synced() async throws -> SyncHarness {
        let h = try SyncHarness()
        try h.writeLocal(uid: "a@test", summary: "A")
        try h.writeLocal(uid: "b@test", summary: "B")
        try h.seedGoogle(uid: "c@test", summary: "C")
        var x = GoogleEvent()
        x.iCalUID = "x@test"
        x.summary = "Their meeting"
        x.organizer = GoogleEvent.Person(email: "other@example.com")
        x.start = EventDateTime(dateTime: "2026-12-10T09:00:00+01:00", timeZone: "Europe/Berlin")
        x.end = EventDateTime(dateTime: "2026-12-10T10:00:00+01:00", timeZone: "Europe/Berlin")
        _ = try h.fake.seed([x], calendarId: h.calendarId)
        let r = try await h.sync()
        #expect(r.outcome == .success)
        return h
    }

    @Test(arguments: SyncReset.Existing.allCases, SyncReset.Next.allCases)
    func theResetMatrix(existing: SyncReset.Existing, next: SyncReset.Next) async throws {
        let h = try await synced()
        let everything = ["a@test", "b@test", "c@test", "x@test"]
        let report = try await Sync.reset(SyncReset(existing: existing, next: next), h.settings(), api: h.api)
        #expect(report.outcome == .success)
        #expect(h.fake.sendUpdatesValues.allSatisfy { $0 == "none" })
        let deletesGoogle = existing == .deleteGoogle || existing == .deleteBoth
        let deletesLocal = existing == .deleteLocal || existing == .deleteBoth
        // Only what the account organises leaves Google; x is someone else's meeting.
        #expect(h.googleEvents().keys.sorted() == (deletesGoogle ? ["x@test"] : everything))
        #expect(report.notOrganised == (deletesGoogle ? ["x@test"] : []))
        #expect(try await h.localObjects().keys.sorted() == (deletesLocal ? [] : everything))

        // The next sync, with a new local event.
        try h.writeLocal(uid: "new@test", summary: "New")
        let r = try await h.sync()
        #expect(r.outcome == .success, "\(r.failed) \(r.plan)")
        let google = Set(h.googleEvents().keys), local = Set(try await h.localObjects().keys)
        #expect(google.contains("new@test") && local.contains("new@test"), "new events travel either way")
        switch next {
        case .all:
            // A first sync: whatever is on one side is copied to the other.
            #expect(google == local, "\(google.sorted()) vs \(local.sorted())")
            #expect(r.firstSync)
        case .new:
            // What existed stays where it is.
            #expect(google == Set(deletesGoogle ? ["x@test", "new@test"] : everything + ["new@test"]))
            #expect(local == Set(deletesLocal ? ["new@test"] : everything + ["new@test"]))
        }
        #expect(h.fake.sendUpdatesValues.allSatisfy { $0 == "none" })
    }

    @Test func aResetCutShortFinishesWhenRunAgainAndSyncWaitsForIt() async throws {
        let h = try await synced()
        // Google fails two of the three deletions: they stay queued.
        h.fake.failNext(2, with: .backendError)
        let first = try await Sync.reset(SyncReset(existing: .deleteGoogle, next: .new), h.settings(), api: h.api)
        #expect(first.outcome == .partial)
        #expect(h.googleEvents().count == 3)
        await #expect { try await h.sync() } throws: { ($0 as? Failure)?.outcome == .refused }
        let again = try await Sync.reset(SyncReset(existing: .deleteGoogle, next: .new), h.settings(), api: h.api)
        #expect(again.outcome == .success)
        #expect(h.googleEvents().keys.sorted() == ["x@test"])
        let r = try await h.sync()
        #expect(r.outcome == .success)
    }
}

@Suite("calport sync: interrupted", .serialized)
struct SyncInterruptedTests {
    @Test func killedAtRandomPointsWithLostAnswersEachEventEndsOnceOnEachSide() async throws {
        let h = try SyncHarness()
        for i in 0..<40 { try h.writeLocal(uid: "local\(i)@test", summary: "Local \(i)") }
        for i in 0..<40 { try h.seedGoogle(uid: "google\(i)@test", summary: "Google \(i)") }
        let all = Set((0..<40).flatMap { ["local\($0)@test", "google\($0)@test"] })
        var faults = FakeGoogleServer.Faults()
        faults.latency = .milliseconds(120)
        faults.dropAfterApplying = 0.15
        faults.seed = 11
        h.fake.faults = faults
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<6 {
            let p = Process()
            p.executableURL = Paths.calport
            p.arguments = ["sync", "--local", h.local, "--calendar", h.calendarId, "-q"]
            p.environment = ProcessInfo.processInfo.environment.merging(h.environment) { $1 }
            p.standardError = FileHandle.nullDevice
            p.standardOutput = FileHandle.nullDevice
            try p.run()
            try await Task.sleep(for: .milliseconds(Int.random(in: 50...900, using: &generator)))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            // The token is saved only once a run has written everything.
            let state = try SyncState(directory: h.stateDirectory + "/sync", localPath: Sync.absolute(h.local),
                                      calendarId: h.calendarId, account: "default")
            if try state.syncToken != nil {
                #expect(Set(h.googleEvents().keys) == all)
                #expect(Set(try await h.localObjects().keys) == all)
            }
        }
        h.fake.faults = FakeGoogleServer.Faults()
        let r = try calport(["sync", "--local", h.local, "--calendar", h.calendarId], environment: h.environment)
        #expect(r.status == 0, "\(r.stderr)")
        let google = h.googleEvents()
        #expect(Set(google.keys) == all)
        #expect(google.values.allSatisfy { $0.count == 1 }, "no duplicates in Google: \(google.filter { $0.value.count > 1 }.keys.sorted())")
        #expect(Set(try await h.localObjects().keys) == all)
        #expect(try h.localFiles().count == all.count, "no duplicate files")
        let again = try await h.sync()
        #expect(again.plan.local.create.isEmpty && again.plan.google.create.isEmpty && again.plan.local.update.isEmpty
                && again.plan.google.update.isEmpty && again.plan.conflicts.isEmpty, "\(again.plan)")
    }
}

@Suite("calport sync: random", .serialized)
struct SyncRandomTests {
    /// A small deterministic generator, so that a failure can be replayed from its seed.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E3779B97F4A7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
            z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
            return z ^ (z >> 31)
        }
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func randomEditsOnBothSidesConverge(seed: UInt64) async throws {
        let h = try SyncHarness()
        var g = Generator(state: seed)
        var next = 0
        for _ in 0..<8 {
            // A few random operations on each side.
            for _ in 0..<Int.random(in: 1...6, using: &g) {
                let local = try await h.localObjects().keys.sorted()
                let google = h.googleEvents().keys.sorted()
                switch Int.random(in: 0..<6, using: &g) {
                case 0:
                    next += 1
                    try h.writeLocal(uid: "r\(next)@test", summary: "made locally \(next)")
                case 1:
                    next += 1
                    try h.seedGoogle(uid: "r\(next)@test", summary: "made in Google \(next)")
                case 2:
                    if let uid = local.randomElement(using: &g) { try h.writeLocal(uid: uid, summary: "edited locally \(Int.random(in: 0..<1000, using: &g))") }
                case 3:
                    if let uid = google.randomElement(using: &g) {
                        let s = "edited in Google \(Int.random(in: 0..<1000, using: &g))"
                        try await h.editGoogle(uid: uid) { $0.summary = s }
                    }
                case 4:
                    if let uid = local.randomElement(using: &g) {
                        try FileManager.default.removeItem(atPath: h.local + "/" + ICSFolderStore.fileName(forUID: uid))
                    }
                default:
                    if let uid = google.randomElement(using: &g) { try await h.deleteGoogle(uid: uid) }
                }
            }
            let r = try await h.sync {
                $0.options.conflict = .google
                $0.options.deletionLimit = DeletionLimit(.unlimited)
            }
            #expect(r.outcome == .success, "seed \(seed): \(r.failed) \(r.plan)")
            // Both sides hold the same events, and the state exactly their UIDs.
            let local = try await h.localObjects()
            let google = h.googleEvents()
            #expect(Set(local.keys) == Set(google.keys), "seed \(seed)")
            for (uid, object) in local {
                #expect(object.events.first?.summary == google[uid]?.first?.summary, "seed \(seed): \(uid)")
                #expect(google[uid]?.count == 1, "seed \(seed): \(uid) once in Google")
            }
            let state = try SyncState(directory: h.stateDirectory + "/sync", localPath: Sync.absolute(h.local),
                                      calendarId: h.calendarId, account: "default")
            #expect(Set(try state.records().keys) == Set(local.keys), "seed \(seed)")
        }
    }
}

@Suite("calport sync: safety", .serialized)
struct SyncSafetyTests {
    @Test func aFolderSyncedWithOneCalendarIsNotPouredIntoAnother() async throws {
        let h = try SyncHarness()
        try h.writeLocal(uid: "a@test", summary: "A")
        try await h.sync()
        let other = try h.fake.createCalendar(summary: "another", timeZone: "UTC")
        let settings = h.settings { $0.options.calendarId = other }
        await #expect { try await Sync.run(settings, api: h.api) } throws: { ($0 as? Failure)?.outcome == .refused }
        #expect(h.fake.storedEvents(calendarId: other).isEmpty)
        // A reset of the new pair says it is meant.
        _ = try await Sync.reset(SyncReset(existing: .keep, next: .all), settings, api: h.api)
        let r = try await Sync.run(settings, api: h.api)
        #expect(r.outcome == .success)
        #expect(h.fake.storedEvents(calendarId: other).compactMap(\.iCalUID) == ["a@test"])
    }

    /// The Google store, with someone editing the event in Google after calport listed it.
    final class EditedMeanwhile: CalendarStore, @unchecked Sendable {
        let inner: GoogleCalendarStore
        let edit: @Sendable () async throws -> Void
        init(_ inner: GoogleCalendarStore, edit: @escaping @Sendable () async throws -> Void) {
            self.inner = inner
            self.edit = edit
        }
        var location: String { inner.location }
        func list(since token: String?) async throws -> StoreListing<GoogleEvent> { try await inner.list(since: token) }
        func apply(_ changes: [StoreChange<GoogleEvent>],
                   progress: (@Sendable (Int, StoreOutcome<GoogleEvent>) -> Void)?) async -> [StoreOutcome<GoogleEvent>] {
            try? await edit()
            return await inner.apply(changes, progress: progress)
        }
    }

    @Test func aStaleEtagIsReadAgainNeverOverwritten() async throws {
        let h = try SyncHarness()
        try h.writeLocal(uid: "a@test", summary: "A")
        try await h.sync()
        try h.writeLocal(uid: "a@test", summary: "A edited locally")
        let path = Sync.absolute(h.local)
        let r = try await {
            let state = try SyncState(directory: h.stateDirectory + "/sync", localPath: path, calendarId: h.calendarId, account: "default")
            let remote = EditedMeanwhile(GoogleCalendarStore(api: h.api, calendarId: h.calendarId)) {
                try await h.editGoogle(uid: "a@test") { $0.location = "Room 4" }
            }
            let engine = SyncEngine(local: ICSFolderStore(path: path), remote: remote, state: state,
                                    options: SyncOptions(calendarId: h.calendarId, account: "default"),
                                    localIdentity: try Sync.identity(of: path))
            return try await engine.run()
        }()
        #expect(r.outcome == .partial)
        #expect(r.failed["a@test"]?.contains("412") == true, "\(r.failed)")
        #expect(h.googleEvents()["a@test"]?.first?.location == "Room 4", "Google's edit is not overwritten")
        // The next run reads it again and merges both edits.
        let next = try await h.sync()
        #expect(next.outcome == .success, "\(next.failed) \(next.plan)")
        let g = try #require(h.googleEvents()["a@test"]?.first)
        #expect(g.summary == "A edited locally")
        #expect(g.location == "Room 4")
        #expect(try await h.localObjects()["a@test"]?.events.first?.location == "Room 4")
    }
}

@Suite("calport sync: real exports", .serialized)
struct SyncCorpusTests {
    static let files = [
        "ical4j/src/test/resources/samples/valid/google_aus_holidays.ics",
        "ical4j/src/test/resources/samples/valid/BCP321928.ics",
        "ical4j/src/test/resources/samples/valid/Standup.ics",
        "ical-allenporter/tests/examples/testdata/apple_ical.ics",
        "ical4j/src/test/resources/net/fortuna/ical4j/data/apple-iphone-os-26-structured-location.ics",
        // Lotus Notes: one occurrence of a series whose master is not in the file.
        "ical4j/src/test/resources/samples/valid/calconnect7.ics",
    ]

    /// A real export as the local file: after the first sync Google shows every occurrence it
    /// has (`calport verify`), and a second sync finds nothing to do on either side.
    @Test(.enabled(if: Paths.corpusAvailable, "../shared/corpus is not present"), arguments: files)
    func aRealExportSyncsAndSettles(file: String) async throws {
        let h = try SyncHarness(file: true)
        let source = Paths.corpus.appendingPathComponent("ics").appendingPathComponent(file).path
        try FileManager.default.copyItem(atPath: source, toPath: h.local)
        let first = try await h.sync()
        #expect(first.failed.isEmpty, "\(file): \(first.failed)")
        let verify = try calport(["verify", h.local, "google:" + h.calendarId], environment: h.environment)
        #expect(verify.status == 0, "\(file): \(verify.stdoutText) \(verify.stderr)")
        let before = try Data(contentsOf: URL(fileURLWithPath: h.local))
        let second = try await h.sync()
        #expect(second.plan == SyncPlanSummary() || (second.plan.local.create + second.plan.local.update + second.plan.local.delete
                + second.plan.google.create + second.plan.google.update + second.plan.google.delete).isEmpty && second.plan.conflicts.isEmpty,
                "\(file): \(second.plan)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: h.local)) == before, "\(file): the file was written again")
    }
}
