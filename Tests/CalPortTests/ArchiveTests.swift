import CalPort
import CalendarModel
import FakeGoogle
import Foundation
import GoogleCalendar
import StateStore
import Testing

@Suite("calport archive", .serialized)
struct ArchiveTests {
    static let day1 = "1735689600"  // 2025-01-01
    static let day2 = "1735776000"  // 2025-01-02
    static let day3 = "1735862400"  // 2025-01-03

    struct Run {
        var result: RunResult
        var report: [String: Any]
        var calendar: [String: Any] { (report["calendars"] as? [[String: Any]])?.first ?? [:] }
        var requests: Int? { report["requests"] as? Int }
    }

    static func archive(_ account: FakeAccount, day: String = day1, _ extra: [String] = []) throws -> Run {
        let reportPath = account.path("report-\(UUID().uuidString).json")
        let r = try account.run(["archive", "--calendar", "primary", "--dir", account.path("archive"), "--report", reportPath, "-q"] + extra,
                                environment: ["CALPORT_NOW": day])
        let data = (try? Data(contentsOf: URL(fileURLWithPath: reportPath))) ?? Data("{}".utf8)
        return Run(result: r, report: (try JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:])
    }

    /// `primary` is archived under the account's address.
    static func calendarDir(_ account: FakeAccount) -> String { account.path("archive/me@example.com") }

    static func snapshot(_ account: FakeAccount, _ date: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: calendarDir(account) + "/\(date).ics"))
    }

    /// The .ics a fresh full pull gives now: what every snapshot must equal byte for byte.
    static func freshPull(_ account: FakeAccount) throws -> Data {
        let r = try account.run(["pull", "--calendar", "primary", "-q"])
        #expect(r.status == 0, "\(r.stderr)")
        return r.stdout
    }

    static func logLines(_ account: FakeAccount) throws -> [[String: Any]] {
        let text = (try? String(contentsOfFile: calendarDir(account) + "/changes.ndjson", encoding: .utf8)) ?? ""
        #expect(text.isEmpty || text.hasSuffix("\n"))
        return try text.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    }

    /// Ten changes: three events edited, three added, two deleted, one occurrence cancelled and
    /// the moved occurrence edited. Returns the ids by kind.
    static func tenChanges(_ account: FakeAccount) async throws -> (added: [String], changed: [String], deleted: [String], cancelled: [String]) {
        let api = account.api, cal = account.calendarId
        let listed = try await api.allEvents(calendarId: cal).items
        let singles = listed.filter { $0.recurrence == nil && $0.recurringEventId == nil && $0.status != "cancelled" }
            .sorted { $0.id! < $1.id! }
        var changed: [String] = []
        for g in singles.prefix(3) {
            var patch = GoogleEvent()
            patch.summary = (g.summary ?? "") + " (edited)"
            _ = try await api.patchEvent(patch, calendarId: cal, eventId: g.id!, sendUpdates: .none)
            changed.append(g.id!)
        }
        let added = try await account.importEvents((0..<3).map { SeedEvents.event(9000 + $0, tag: "new") }).map { $0.id! }
        var deleted: [String] = []
        for g in singles.dropFirst(3).prefix(2) {
            try await api.deleteEvent(calendarId: cal, eventId: g.id!, sendUpdates: .none)
            deleted.append(g.id!)
        }
        let master = listed.first { $0.iCalUID == "series@calport.test" && $0.recurrence != nil }!
        try await api.deleteEvent(calendarId: cal, eventId: master.id! + "_20250113T090000Z", sendUpdates: .none)
        let cancelled = [master.id! + "_20250113T090000Z"]
        let moved = listed.first { $0.iCalUID == "series@calport.test" && $0.originalStartTime != nil && $0.status != "cancelled" }!
        var patch = GoogleEvent()
        patch.location = "Room 9"
        _ = try await api.patchEvent(patch, calendarId: cal, eventId: moved.id!, sendUpdates: .none)
        changed.append(moved.id!)
        return (added, changed, deleted, cancelled)
    }

    @Test("first run lists everything; later runs fetch only the changes, and every snapshot equals a fresh pull")
    func incremental() async throws {
        let account = try FakeAccount()
        _ = try await PullTests.seedCalendar(account, count: 60)

        let first = try Self.archive(account)
        #expect(first.result.status == 0, "\(first.result.stderr)")
        #expect(first.calendar["mode"] as? String == "full")
        #expect(first.calendar["added"] as? Int == 62)
        let snapshot1 = try Self.snapshot(account, "2025-01-01")
        #expect(snapshot1 == (try Self.freshPull(account)))
        let log1 = try Self.logLines(account)
        #expect(log1.count == 62 && log1.allSatisfy { $0["kind"] as? String == "added" })
        #expect(log1.map { $0["seq"] as! Int } == Array(1...62))

        // Nothing changed: one request, the same bytes, nothing logged.
        let quiet = try Self.archive(account)
        #expect(quiet.result.status == 0, "\(quiet.result.stderr)")
        #expect(quiet.calendar["mode"] as? String == "incremental")
        #expect(quiet.requests == 1)
        #expect(try Self.snapshot(account, "2025-01-01") == snapshot1)
        #expect(try Self.logLines(account).count == 62)

        let (added, changed, deleted, cancelled) = try await Self.tenChanges(account)
        let next = try Self.archive(account, day: Self.day2)
        #expect(next.result.status == 0, "\(next.result.stderr)")
        #expect(next.calendar["mode"] as? String == "incremental")
        #expect(next.requests == 1)
        #expect(next.calendar["received"] as? Int == 10)
        #expect(next.calendar["added"] as? Int == 3 && next.calendar["changed"] as? Int == 4 && next.calendar["deleted"] as? Int == 2)
        #expect(next.calendar["cancelled"] as? Int == 1)
        let snapshot2 = try Self.snapshot(account, "2025-01-02")
        #expect(snapshot2 == (try Self.freshPull(account)))
        #expect(try Self.snapshot(account, "2025-01-01") == snapshot1, "yesterday's snapshot is kept")
        let text2 = String(decoding: snapshot2, as: UTF8.self)
        #expect(text2.contains("EXDATE;TZID=Europe/Berlin:20250113T100000"))
        #expect(text2.contains("LOCATION:Room 9"))

        let log2 = try Self.logLines(account).dropFirst(62)
        #expect(log2.count == 10)
        #expect(Set(log2.filter { $0["kind"] as? String == "added" }.map { $0["id"] as! String }) == Set(added))
        #expect(Set(log2.filter { $0["kind"] as? String == "changed" }.map { $0["id"] as! String }) == Set(changed))
        #expect(Set(log2.filter { $0["kind"] as? String == "deleted" }.map { $0["id"] as! String }) == Set(deleted))
        #expect(log2.allSatisfy { $0["run"] as? String == "2025-01-02T00:00:00Z" && $0["calendar"] as? String == "me@example.com" })
        #expect(log2.filter { $0["kind"] as? String == "deleted" }.allSatisfy { $0["iCalUID"] != nil })
        // The cancelled occurrence is logged as such: the series' UID and summary, and the
        // start it had in the series (09:00 UTC, 10:00 in Berlin), not as a deleted event.
        let cancelledLines = log2.filter { $0["kind"] as? String == "cancelled" }
        #expect(cancelledLines.map { $0["id"] as! String } == cancelled)
        #expect(cancelledLines.first?["iCalUID"] as? String == "series@calport.test")
        let series = try await account.api.allEvents(calendarId: "primary").items.first { $0.iCalUID == "series@calport.test" && $0.recurrence != nil }
        #expect(cancelledLines.first?["summary"] as? String == series?.summary)
        let originalStart = try #require(cancelledLines.first?["originalStart"] as? String)
        #expect(ISO8601DateFormatter().date(from: originalStart) == ISO8601DateFormatter().date(from: "2025-01-13T09:00:00Z"), "\(originalStart)")

        // Deleting a series takes its overrides and cancelled occurrences with it.
        let master = try await account.api.allEvents(calendarId: "primary").items.first { $0.iCalUID == "series@calport.test" && $0.recurrence != nil }!
        try await account.api.deleteEvent(calendarId: "primary", eventId: master.id!, sendUpdates: .none)
        let third = try Self.archive(account, day: Self.day3)
        #expect(third.result.status == 0, "\(third.result.stderr)")
        let snapshot3 = try Self.snapshot(account, "2025-01-03")
        #expect(!String(decoding: snapshot3, as: UTF8.self).contains("series@calport.test"))
        #expect(snapshot3 == (try Self.freshPull(account)))
    }

    @Test("an expired sync token gives a full resync that still finds the deletions in the gap")
    func expiredToken() async throws {
        let account = try FakeAccount()
        _ = try await PullTests.seedCalendar(account, count: 30)
        #expect(try Self.archive(account).result.status == 0)

        let listed = try await account.api.allEvents(calendarId: "primary").items
            .filter { $0.recurrence == nil && $0.recurringEventId == nil }.sorted { $0.id! < $1.id! }
        let gone = Array(listed.prefix(2))
        for g in gone { try await account.api.deleteEvent(calendarId: "primary", eventId: g.id!, sendUpdates: .none) }
        var patch = GoogleEvent()
        patch.summary = "Renamed"
        _ = try await account.api.patchEvent(patch, calendarId: "primary", eventId: listed[5].id!, sendUpdates: .none)
        account.server.expireSyncTokens()

        let run = try Self.archive(account, day: Self.day2)
        #expect(run.result.status == 0, "\(run.result.stderr)")
        #expect(run.calendar["mode"] as? String == "resync")
        #expect(run.calendar["deleted"] as? Int == 2 && run.calendar["changed"] as? Int == 1 && run.calendar["added"] as? Int == 0)
        let snapshot = try Self.snapshot(account, "2025-01-02")
        #expect(snapshot == (try Self.freshPull(account)))
        let text = String(decoding: snapshot, as: UTF8.self)
        for g in gone { #expect(!text.contains("UID:\(g.iCalUID!)\r\n")) }
        let deletedLines = try Self.logLines(account).filter { $0["kind"] as? String == "deleted" }
        #expect(Set(deletedLines.map { $0["id"] as! String }) == Set(gone.map { $0.id! }))
        #expect(Set(deletedLines.map { $0["summary"] as! String }) == Set(gone.map { $0.summary! }))

        // The new token works: the next run is incremental again.
        let after = try Self.archive(account, day: Self.day2)
        #expect(after.calendar["mode"] as? String == "incremental" && after.requests == 1)
    }

    @Test("a run killed midway leaves the previous snapshot and the mirror intact, and the next run is correct")
    func killed() async throws {
        let account = try FakeAccount()
        _ = try await PullTests.seedCalendar(account, count: 30)
        #expect(try Self.archive(account).result.status == 0)
        let dir = Self.calendarDir(account)
        let snapshot1 = try Self.snapshot(account, "2025-01-01")
        _ = try await Self.tenChanges(account)

        // Killed while Google is answering (same day: today's snapshot must survive whole).
        var slow = FakeGoogleServer.Faults()
        slow.latency = .seconds(5)
        account.server.faults = slow
        let p = Process()
        p.executableURL = Paths.calport
        p.arguments = ["archive", "--calendar", "primary", "--dir", account.path("archive"), "-q"]
        p.environment = ProcessInfo.processInfo.environment.merging(account.environment) { $1 }.merging(["CALPORT_NOW": Self.day1]) { $1 }
        p.standardError = FileHandle.nullDevice
        try p.run()
        try await Task.sleep(for: .milliseconds(1500))
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        account.server.faults = FakeGoogleServer.Faults()
        #expect(try Self.snapshot(account, "2025-01-01") == snapshot1)
        #expect(try Self.logLines(account).count == 32)

        // Killed after the snapshot was replaced but before the mirror committed: simulated by
        // putting back the mirror and the log as they were before a complete run.
        let archive = account.path("archive")
        let saved = account.path("saved")
        try FileManager.default.createDirectory(atPath: saved, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: archive) where name.hasPrefix("mirror.sqlite") {
            try FileManager.default.copyItem(atPath: archive + "/" + name, toPath: saved + "/" + name)
        }
        try FileManager.default.copyItem(atPath: dir + "/changes.ndjson", toPath: saved + "/changes.ndjson")
        let complete = try Self.archive(account)
        #expect(complete.result.status == 0, "\(complete.result.stderr)")
        let expected = try Self.freshPull(account)
        #expect(try Self.snapshot(account, "2025-01-01") == expected)
        for name in try FileManager.default.contentsOfDirectory(atPath: archive) where name.hasPrefix("mirror.sqlite") {
            try FileManager.default.removeItem(atPath: archive + "/" + name)
        }
        for name in try FileManager.default.contentsOfDirectory(atPath: saved) {
            let target = (name == "changes.ndjson" ? dir : archive) + "/" + name
            try? FileManager.default.removeItem(atPath: target)
            try FileManager.default.copyItem(atPath: saved + "/" + name, toPath: target)
        }
        // ... and a torn line at the end of the log, as a crash in the middle of an append leaves.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/changes.ndjson"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"calendar\":\"me@exa".utf8))
        try handle.close()

        let again = try Self.archive(account)
        #expect(again.result.status == 0, "\(again.result.stderr)")
        #expect(again.calendar["added"] as? Int == 3 && again.calendar["changed"] as? Int == 4 && again.calendar["deleted"] as? Int == 2)
        #expect(again.calendar["cancelled"] as? Int == 1)
        #expect(try Self.snapshot(account, "2025-01-01") == expected)
        let log = try Self.logLines(account)
        #expect(log.count == 42, "each change logged once, the torn line cut off")
        #expect(log.map { $0["seq"] as! Int } == Array(1...42))
        #expect(!(try FileManager.default.contentsOfDirectory(atPath: dir)).contains { $0.hasPrefix(".") })

        // Killed after the mirror committed but before the log was appended: the next run
        // appends what the log lacks.
        let full = try String(contentsOfFile: dir + "/changes.ndjson", encoding: .utf8)
        try (full.split(separator: "\n").dropLast(5).joined(separator: "\n") + "\n")
            .write(toFile: dir + "/changes.ndjson", atomically: true, encoding: .utf8)
        let catchUp = try Self.archive(account)
        #expect(catchUp.result.status == 0 && catchUp.calendar["added"] as? Int == 0)
        #expect(try Self.logLines(account).map { $0["seq"] as! Int } == Array(1...42))
    }

    @Test("a second run while one holds the lock exits 75 and touches nothing")
    func locked() async throws {
        let account = try FakeAccount()
        try await account.importEvents((0..<3).map { SeedEvents.event($0) })
        let lock = try Archiver.lock(directory: account.path("archive"))
        #expect(lock != nil)
        let blocked = try Self.archive(account)
        #expect(blocked.result.status == 75)
        #expect(blocked.result.stderr.contains("lock"))
        #expect(!FileManager.default.fileExists(atPath: Self.calendarDir(account)))
        lock?.release()
        #expect(try Self.archive(account).result.status == 0)
    }

    @Test("--gzip writes deterministic .ics.gz; --keep prunes the oldest snapshots")
    func gzipAndKeep() async throws {
        let account = try FakeAccount()
        _ = try await PullTests.seedCalendar(account, count: 20)
        for day in [Self.day1, Self.day2, Self.day3] {
            let r = try Self.archive(account, day: day, ["--gzip", "--keep", "2"])
            #expect(r.result.status == 0, "\(r.result.stderr)")
        }
        let dir = Self.calendarDir(account)
        let snapshots = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".ics") }.sorted()
        #expect(snapshots == ["2025-01-02.ics.gz", "2025-01-03.ics.gz"])
        let gz = try Data(contentsOf: URL(fileURLWithPath: dir + "/2025-01-03.ics.gz"))
        #expect(Array(gz.prefix(3)) == [0x1F, 0x8B, 8] && Array(gz[4..<8]) == [0, 0, 0, 0], "no time stamp")
        let plain = try #require(try gunzip(dir + "/2025-01-03.ics.gz"))
        #expect(plain == (try Self.freshPull(account)))
        #expect(try Self.archive(account, day: Self.day3, ["--gzip"]).result.status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/2025-01-03.ics.gz")) == gz, "same events, same bytes")
        // Without --gzip the day's snapshot becomes plain .ics, and only one form is kept.
        #expect(try Self.archive(account, day: Self.day3).result.status == 0)
        #expect(try Self.snapshot(account, "2025-01-03") == plain)
        #expect(!FileManager.default.fileExists(atPath: dir + "/2025-01-03.ics.gz"))
    }

    @Test("a mirror deleted and made again still logs every change")
    func newMirrorKeepsLogging() async throws {
        let account = try FakeAccount()
        _ = try await PullTests.seedCalendar(account, count: 30)
        #expect(try Self.archive(account, day: Self.day1).result.status == 0)
        let log = Self.calendarDir(account) + "/changes.ndjson"
        let before = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").count
        #expect(before >= 30)
        try FileManager.default.removeItem(atPath: account.path("archive/mirror.sqlite"))
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: account.path("archive/mirror.sqlite" + suffix)) }
        var g = SeedEvents.event(1000, tag: "late")
        g.summary = "Added after the reset"
        try await account.importEvents([g])
        let second = try Self.archive(account, day: Self.day2)
        #expect(second.result.status == 0, "\(second.result.stderr)")
        let added = try #require(second.calendar["added"] as? Int)
        #expect(added > before)
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == before + added, "the new mirror's whole first listing is logged")
        #expect(lines.contains { $0.contains("Added after the reset") })
    }

    @Test("primary and the account's address are one history, in one directory named by the address")
    func primaryIsTheAccountsAddress() async throws {
        let account = try FakeAccount()
        _ = try await PullTests.seedCalendar(account, count: 10)
        let first = try Self.archive(account, day: Self.day1)
        #expect(first.result.status == 0, "\(first.result.stderr)")
        #expect(first.calendar["calendarId"] as? String == "me@example.com")
        #expect(try FileManager.default.contentsOfDirectory(atPath: account.path("archive")).filter { !$0.hasPrefix("mirror.sqlite") && $0 != "archive.lock" } == ["me@example.com"])

        // The address goes on from primary's sync token: one request, nothing new.
        let reportPath = account.path("by-address.json")
        let byAddress = try account.run(["archive", "--calendar", "me@example.com", "--dir", account.path("archive"), "--report", reportPath, "-q"],
                                        environment: ["CALPORT_NOW": Self.day2])
        #expect(byAddress.status == 0, "\(byAddress.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: reportPath))) as? [String: Any] ?? [:]
        #expect(report["requests"] as? Int == 1)
        #expect(((report["calendars"] as? [[String: Any]])?.first?["mode"]) as? String == "incremental")
        // Both named at once: archived once.
        let both = try Self.archive(account, day: Self.day2, ["--calendar", "me@example.com"])
        #expect(both.result.status == 0, "\(both.result.stderr)")
        #expect((both.report["calendars"] as? [[String: Any]])?.count == 1)
        #expect(both.requests == 1, "primary's resolution is remembered: a quiet night stays one request")
    }

    @Test("an archive an earlier calport kept under primary moves to the address and goes on")
    func legacyPrimaryArchiveMoves() async throws {
        let account = try FakeAccount()
        _ = try await PullTests.seedCalendar(account, count: 10)
        #expect(try Self.archive(account, day: Self.day1).result.status == 0)
        let log = try Self.logLines(account)
        // As an earlier calport left it: everything under `primary`, and no alias.
        let archive = account.path("archive")
        try FileManager.default.moveItem(atPath: archive + "/me@example.com", toPath: archive + "/primary")
        do {
            let db = try Database(path: archive + "/mirror.sqlite")
            try db.execute("""
                DELETE FROM aliases;
                UPDATE calendars SET id = 'primary'; UPDATE events SET calendar_id = 'primary'; UPDATE changes SET calendar_id = 'primary';
                """)
        }
        try await account.importEvents([SeedEvents.event(500, tag: "later")])
        let next = try Self.archive(account, day: Self.day2)
        #expect(next.result.status == 0, "\(next.result.stderr)")
        #expect(next.calendar["mode"] as? String == "incremental", "the history goes on: \(next.calendar)")
        #expect(next.calendar["added"] as? Int == 1)
        #expect(!FileManager.default.fileExists(atPath: archive + "/primary"))
        #expect(try Self.logLines(account).count == log.count + 1)
        #expect(FileManager.default.fileExists(atPath: Self.calendarDir(account) + "/2025-01-01.ics"), "earlier snapshots moved along")
    }

    @Test("another account's primary calendar is refused, not mixed into the archive")
    func anotherAccountIsRefused() async throws {
        let home = try FakeAccount()
        _ = try await PullTests.seedCalendar(home, count: 10)
        #expect(try Self.archive(home, day: Self.day1).result.status == 0)
        let snapshot = try Self.snapshot(home, "2025-01-01")
        let log = try Self.logLines(home)

        let work = try FakeAccount(accountEmail: "someone@work.example")
        _ = try await PullTests.seedCalendar(work, count: 3)
        let mixed = try work.run(["archive", "--calendar", "primary", "--dir", home.path("archive"), "-q"],
                                 environment: ["CALPORT_NOW": Self.day2])
        #expect(mixed.status == 64, "\(mixed.stderr)")
        #expect(mixed.stderr.contains("me@example.com") && mixed.stderr.contains("someone@work.example"), "\(mixed.stderr)")
        #expect(try Self.snapshot(home, "2025-01-01") == snapshot)
        #expect(!FileManager.default.fileExists(atPath: Self.calendarDir(home) + "/2025-01-02.ics"))
        #expect(try Self.logLines(home).count == log.count)
        // The right account goes on as before.
        #expect(try Self.archive(home, day: Self.day2).result.status == 0)
    }

    @Test("--keep never prunes the snapshot the run just wrote, even when the clock stepped back")
    func keepSparesTodaysSnapshot() async throws {
        let account = try FakeAccount()
        _ = try await PullTests.seedCalendar(account, count: 5)
        #expect(try Self.archive(account, day: Self.day3).result.status == 0)
        let back = try Self.archive(account, day: Self.day1, ["--keep", "1"])
        #expect(back.result.status == 0, "\(back.result.stderr)")
        let dir = Self.calendarDir(account)
        let snapshots = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".ics") }
        #expect(snapshots == ["2025-01-01.ics"])
        #expect(back.calendar["snapshot"] as? String == dir + "/2025-01-01.ics")
    }

    // The changes log is repaired (a torn last line cut off) and appended to: through a symlink
    // that would truncate and grow whatever file the link names.
    @Test("a symlinked changes log is refused with advice, and the file it names is left as it was")
    func symlinkedChangesLogIsRefused() async throws {
        let account = try FakeAccount()
        _ = try await PullTests.seedCalendar(account, count: 3)
        #expect(try Self.archive(account).result.status == 0)
        let log = Self.calendarDir(account) + "/changes.ndjson"
        let target = account.path("notes.txt")
        let text = "someone else's file\nwithout a final newline"
        try text.write(toFile: target, atomically: false, encoding: .utf8)
        try FileManager.default.removeItem(atPath: log)
        try FileManager.default.createSymbolicLink(atPath: log, withDestinationPath: target)

        let run = try Self.archive(account, day: Self.day2)
        #expect(run.result.status == 1, "\(run.result.stderr)")
        #expect(run.result.stderr.contains("\(log) is a symbolic link"), "\(run.result.stderr)")
        #expect(run.result.stderr.contains("Replace the link"), "\(run.result.stderr)")
        #expect(try String(contentsOfFile: target, encoding: .utf8) == text)
    }

    @Test("a symlinked lock file or mirror is refused, and nothing is created or written where it points")
    func symlinkedLockAndMirrorAreRefused() async throws {
        let account = try FakeAccount()
        _ = try await PullTests.seedCalendar(account, count: 3)
        let archive = account.path("archive")
        try FileManager.default.createDirectory(atPath: archive, withIntermediateDirectories: true)
        let lockTarget = account.path("lock-target")
        try FileManager.default.createSymbolicLink(atPath: archive + "/archive.lock", withDestinationPath: lockTarget)
        let locked = try Self.archive(account)
        #expect(locked.result.status == 1, "\(locked.result.stderr)")
        #expect(locked.result.stderr.contains("\(archive)/archive.lock is a symbolic link"), "\(locked.result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: lockTarget))
        #expect(!FileManager.default.fileExists(atPath: Self.calendarDir(account)))

        try FileManager.default.removeItem(atPath: archive + "/archive.lock")
        #expect(try Self.archive(account).result.status == 0)
        let moved = account.path("mirror-elsewhere.sqlite")
        try FileManager.default.moveItem(atPath: archive + "/mirror.sqlite", toPath: moved)
        try FileManager.default.createSymbolicLink(atPath: archive + "/mirror.sqlite", withDestinationPath: moved)
        let before = try Data(contentsOf: URL(fileURLWithPath: moved))
        let mirrored = try Self.archive(account, day: Self.day2)
        #expect(mirrored.result.status == 1, "\(mirrored.result.stderr)")
        #expect(mirrored.result.stderr.contains("\(archive)/mirror.sqlite is a symbolic link"), "\(mirrored.result.stderr)")
        #expect(!mirrored.result.stderr.contains("SQLite error"), "\(mirrored.result.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: moved)) == before)
        #expect(!FileManager.default.fileExists(atPath: Self.calendarDir(account) + "/2025-01-02.ics"))
    }

    /// Archives `--calendar <the account's email>` into a fresh directory, twice (a first full
    /// listing, then an incremental run that must find the same place again).
    static func archiveTwice(_ account: FakeAccount) throws -> (first: Run, second: Run) {
        func run(_ day: String) throws -> Run {
            let reportPath = account.path("report-\(UUID().uuidString).json")
            let r = try account.run(["archive", "--calendar", account.calendarId, "--dir", account.path("archive"), "--report", reportPath, "-q"],
                                    environment: ["CALPORT_NOW": day])
            let data = (try? Data(contentsOf: URL(fileURLWithPath: reportPath))) ?? Data("{}".utf8)
            return Run(result: r, report: (try JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:])
        }
        return (try run(day1), try run(day2))
    }

    @Test("calendar ids named like the archive's own files still archive, beside those files",
          arguments: ["mirror.sqlite", "archive.lock", "mirror.sqlite-wal", "Mirror.SQLite"])
    func idsNamedLikeArchiveFiles(id: String) async throws {
        let account = try FakeAccount(accountEmail: id)
        try await account.importEvents((0..<3).map { SeedEvents.event($0) })
        let (first, second) = try Self.archiveTwice(account)
        #expect(first.result.status == 0, "\(first.result.stderr)")
        #expect(!first.result.stderr.contains("Error Domain"), "\(first.result.stderr)")
        #expect(second.result.status == 0, "\(second.result.stderr)")
        #expect(second.calendar["mode"] as? String == "incremental")
        let snapshot = try #require(second.calendar["snapshot"] as? String)
        #expect(FileManager.default.fileExists(atPath: snapshot))
        #expect(snapshot.hasPrefix(account.path("archive") + "/") && !snapshot.hasPrefix(account.path("archive/\(id)/")))
        var isDirectory: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: account.path("archive/mirror.sqlite"), isDirectory: &isDirectory) && !isDirectory.boolValue)
    }

    @Test("directory names: ordinary ids keep theirs; reserved and overlong ids get names no other id has")
    func directoryNames() {
        for id in ["primary", "me@example.com", "x@group.calendar.google.com", "mirror.sqlite.old", String(repeating: "é", count: 127)] {
            #expect(Archiver.directoryName(forCalendarId: id) == CalendarRenderer.fileName(forCalendarId: id))
        }
        #expect(Archiver.directoryName(forCalendarId: "mirror.sqlite") == "mirror%2Esqlite")
        #expect(Archiver.directoryName(forCalendarId: "mirror%2Esqlite") == "mirror%252Esqlite")
        let a = String(repeating: "a", count: 300), b = a + "b"
        let (na, nb) = (Archiver.directoryName(forCalendarId: a), Archiver.directoryName(forCalendarId: b))
        #expect(na != nb && na.utf8.count <= 255 && nb.utf8.count <= 255)
        let wide = Archiver.directoryName(forCalendarId: String(repeating: "📅", count: 100))
        #expect(wide.utf8.count <= 255 && wide.hasPrefix("📅"))
    }

    @Test("a calendar id too long for a file name still archives, in a directory named within the limit")
    func idTooLongForAFileName() async throws {
        let id = String(repeating: "a", count: 300) + "@example.com"
        let account = try FakeAccount(accountEmail: id)
        try await account.importEvents((0..<3).map { SeedEvents.event($0) })
        let (first, second) = try Self.archiveTwice(account)
        #expect(first.result.status == 0, "\(first.result.stderr)")
        #expect(second.result.status == 0, "\(second.result.stderr)")
        #expect(second.calendar["mode"] as? String == "incremental")
        let snapshot = try #require(second.calendar["snapshot"] as? String)
        #expect(FileManager.default.fileExists(atPath: snapshot))
        let directory = ((snapshot as NSString).deletingLastPathComponent as NSString).lastPathComponent
        #expect(directory.utf8.count <= 255 && directory.hasPrefix("aaaa"))
        #expect(first.calendar["snapshot"] as? String == account.path("archive/\(directory)/2025-01-01.ics"))
    }

    @Test("a --dir that is a file, or below one, is explained in plain words")
    func unusableDirIsExplained() async throws {
        let account = try FakeAccount()
        let file = account.path("plain-file")
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        for dir in [file, file + "/archive"] {
            let r = try account.run(["archive", "--calendar", "primary", "--dir", dir, "-q"])
            #expect(r.status == 64, "\(r.stderr)")
            #expect(r.stderr.contains(file + " is a file, not a directory"), "\(r.stderr)")
            #expect(r.stderr.contains("--dir"), "\(r.stderr)")
            #expect(!r.stderr.contains("Error Domain") && !r.stderr.contains("SQLite"), "\(r.stderr)")
        }
    }

    @Test("a read-only --dir is explained in plain words",
          .enabled(if: getuid() != 0, "root may write into a read-only directory: run the tests as another user"))
    func readOnlyDirIsExplained() async throws {
        let account = try FakeAccount()
        let readOnly = account.path("read-only")
        try FileManager.default.createDirectory(atPath: readOnly, withIntermediateDirectories: true)
        chmod(readOnly, 0o555)
        defer { chmod(readOnly, 0o755) }
        for dir in [readOnly, readOnly + "/archive"] {
            let r = try account.run(["archive", "--calendar", "primary", "--dir", dir, "-q"])
            #expect(r.status == 64, "\(r.stderr)")
            #expect(r.stderr.contains("permission denied (calport may not write in \(readOnly))"), "\(r.stderr)")
            #expect(r.stderr.contains("--dir"), "\(r.stderr)")
            #expect(!r.stderr.contains("Error Domain") && !r.stderr.contains("SQLite"), "\(r.stderr)")
        }
    }
}
