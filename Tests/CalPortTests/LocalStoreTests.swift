import CalPort
import CalendarModel
import GoogleCalendar
import Foundation
import Testing

/// Events for the stores: a weekly series in Europe/Paris (with `overrides` moved occurrences)
/// or a single event.
enum LocalStoreFixtures {
    static func time(_ day: Int, _ hour: Int = 9) -> EventTime {
        .zoned(LocalDateTime(year: 2026, month: 1, day: day, hour: hour), tzid: "Europe/Paris", utcOffset: 3600)
    }

    static func object(_ uid: String, _ summary: String, weekly: Bool = false, overrides: [Int] = []) -> CalendarObject {
        var series = Event()
        series.uid = uid
        series.summary = summary
        series.start = time(5)
        series.end = time(5, 10)
        series.timestamp = LocalDateTime(year: 2026, month: 1, day: 1)
        if weekly { series.recurrenceRules = ["FREQ=WEEKLY;COUNT=10"] }
        var events = [series]
        // Given in reverse, so the store's order (by RECURRENCE-ID) shows.
        for day in overrides.sorted(by: >) {
            var o = series
            o.recurrenceRules = []
            o.recurrenceID = time(day)
            o.start = time(day, 14)
            o.end = time(day, 15)
            o.summary = summary + " (moved)"
            events.append(o)
        }
        return CalendarObject(uid: uid, events: events)
    }

    static func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    static func read(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }

    static func entryDone(_ outcome: StoreOutcome<CalendarObject>) -> StoreEntry<CalendarObject>? {
        if case .done(let e) = outcome { return e }
        return nil
    }

    static func modificationTime(_ path: String) throws -> Date {
        try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as! Date
    }
}

@Suite struct LocalStoreFolderTests {
    typealias F = LocalStoreFixtures

    @Test func createdEventsListUpdateAndDelete() async throws {
        let dir = try Paths.temporaryDirectory().path
        let store = ICSFolderStore(path: dir)
        let made = await store.apply([.create(F.object("a@example.com", "Standup", weekly: true), id: nil),
                                      .create(F.object("b@example.com", "Lunch"), id: nil)])
        let a = try #require(F.entryDone(made[0])), b = try #require(F.entryDone(made[1]))
        #expect(a.id == "a@example.com.ics" && b.id == "b@example.com.ics")

        var listing = try await store.list(since: nil)
        #expect(listing.isComplete && listing.nextToken == nil && listing.unreadable.isEmpty)
        #expect(listing.entries.map(\.id) == ["a@example.com.ics", "b@example.com.ics"])
        #expect(listing.entries.map(\.version) == [a.version, b.version])
        #expect(listing.entries[0].item?.events.first?.recurrenceRules == ["FREQ=WEEKLY;COUNT=10"])
        let text = try #require(F.read(dir + "/a@example.com.ics"))
        #expect(text.hasPrefix("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:") && text.contains("BEGIN:VTIMEZONE\r\nTZID:Europe/Paris"))

        let updated = await store.apply([.update(id: a.id, F.object("a@example.com", "Standup, later"), ifMatch: a.version)])
        let a2 = try #require(F.entryDone(updated[0]))
        #expect(a2.id == a.id && a2.version != a.version)
        listing = try await store.list(since: nil)
        #expect(listing.entries.first { $0.id == a.id }?.item?.events.first?.summary == "Standup, later")
        #expect(listing.entries.first { $0.id == a.id }?.version == a2.version)

        let deleted = await store.apply([.delete(id: b.id, ifMatch: b.version), .delete(id: b.id, ifMatch: nil)])
        #expect(F.entryDone(deleted[0])?.isDeleted == true)
        guard case .notFound = deleted[1] else { Issue.record("second delete: \(deleted[1])"); return }
        listing = try await store.list(since: nil)
        #expect(listing.entries.map(\.id) == ["a@example.com.ics"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["a@example.com.ics"])
    }

    /// khal names files after anything; an update must not rename them.
    @Test func anUpdateKeepsTheFileName() async throws {
        let dir = try Paths.temporaryDirectory().path
        let store = ICSFolderStore(path: dir)
        let made = await store.apply([.create(F.object("x@example.com", "Dentist"), id: "3f2a-khal-name.ics")])
        let e = try #require(F.entryDone(made[0]))
        #expect(e.id == "3f2a-khal-name.ics")
        _ = await store.apply([.update(id: e.id, F.object("x@example.com", "Dentist, moved"), ifMatch: e.version)])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["3f2a-khal-name.ics"])
        #expect(F.read(dir + "/3f2a-khal-name.ics")?.contains("SUMMARY:Dentist\\, moved") == true)
    }

    @Test func uidsThatAreNoSafeFileNameGetADigestName() async throws {
        let parent = try Paths.temporaryDirectory().path
        let dir = parent + "/cal"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        let store = ICSFolderStore(path: dir)
        let uids = ["../../escape", "/etc/passwd", "..", ".hidden", "a/b", "with space", "ünïcode", ""]
        let outcomes = await store.apply(uids.map { .create(F.object($0, "odd"), id: nil) })
        let names = outcomes.compactMap { F.entryDone($0)?.id }
        #expect(names.count == uids.count)
        for n in names { #expect(n.hasPrefix("calport-") && n.hasSuffix(".ics") && !n.contains("/"), "\(n)") }
        #expect(Set(names).count == uids.count)
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent) == ["cal"])
        // A name chosen by the caller that is a path is refused.
        let bad = await store.apply([.create(F.object("z", "z"), id: "../z.ics"), .create(F.object("z", "z"), id: ".z.ics")])
        for o in bad { guard case .failed = o else { Issue.record("\(o)"); continue } }
        let listing = try await store.list(since: nil)
        #expect(listing.entries.count == uids.count && listing.unreadable.isEmpty)
    }

    @Test func anExistingNameIsNotOverwrittenByACreate() async throws {
        let dir = try Paths.temporaryDirectory().path
        let store = ICSFolderStore(path: dir)
        _ = await store.apply([.create(F.object("a@x", "first"), id: nil)])
        let before = F.read(dir + "/a@x.ics")
        let again = await store.apply([.create(F.object("a@x", "second"), id: nil)])
        guard case .alreadyExists = again[0] else { Issue.record("\(again[0])"); return }
        #expect(F.read(dir + "/a@x.ics") == before)
    }

    @Test func aStaleVersionIsRefusedAndNothingIsOverwritten() async throws {
        let dir = try Paths.temporaryDirectory().path
        let store = ICSFolderStore(path: dir)
        let made = await store.apply([.create(F.object("a@x", "mine"), id: nil)])
        let e = try #require(F.entryDone(made[0]))
        // Another program edits the file.
        let edited = try #require(F.read(dir + "/a@x.ics")).replacingOccurrences(of: "SUMMARY:mine", with: "SUMMARY:theirs")
        try F.write(edited, to: dir + "/a@x.ics")
        let outcomes = await store.apply([.update(id: e.id, F.object("a@x", "mine again"), ifMatch: e.version),
                                          .delete(id: e.id, ifMatch: e.version)])
        for o in outcomes { guard case .preconditionFailed = o else { Issue.record("\(o)"); continue } }
        #expect(F.read(dir + "/a@x.ics") == edited)
        let listing = try await store.list(since: nil)
        #expect(listing.entries.first?.item?.events.first?.summary == "theirs")
        #expect(listing.entries.first?.version != e.version)
    }

    @Test func anUnreadableFileIsReportedAndLeftAlone() async throws {
        let dir = try Paths.temporaryDirectory().path
        let store = ICSFolderStore(path: dir)
        _ = await store.apply([.create(F.object("good@x", "fine"), id: nil)])
        let garbage = "this is not a calendar\n"
        let twoUIDs = """
            BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:one\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260105T090000Z\r\nEND:VEVENT\r
            BEGIN:VEVENT\r\nUID:two\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260106T090000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n
            """
        let badTime = """
            BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:bad\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:2026XX05T090000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n
            """
        try F.write(garbage, to: dir + "/garbage.ics")
        try F.write(twoUIDs, to: dir + "/two.ics")
        try F.write(badTime, to: dir + "/bad.ics")
        let listing = try await store.list(since: nil)
        #expect(listing.entries.map(\.id) == ["good@x.ics"])
        #expect(listing.unreadable.map(\.id).sorted() == ["bad.ics", "garbage.ics", "two.ics"])
        let bad = try #require(listing.unreadable.first { $0.id == "bad.ics" })
        #expect(bad.message.contains("bad.ics:") && bad.message.contains("DTSTART"), "\(bad.message)")
        #expect(listing.unreadable.first { $0.id == "two.ics" }?.message.contains("2 UIDs") == true)
        #expect(F.read(dir + "/garbage.ics") == garbage && F.read(dir + "/two.ics") == twoUIDs && F.read(dir + "/bad.ics") == badTime)
    }

    @Test func temporaryHiddenAndOtherFilesAreNoEntries() async throws {
        let dir = try Paths.temporaryDirectory().path
        let store = ICSFolderStore(path: dir)
        _ = await store.apply([.create(F.object("a@x", "real"), id: nil)])
        let text = try #require(F.read(dir + "/a@x.ics"))
        for name in ["a@x.ics.tmp", ".a@x.ics.calport-123456", ".hidden.ics", "notes.txt", "b.ics~"] {
            try F.write(text, to: dir + "/" + name)
        }
        let listing = try await store.list(since: nil)
        #expect(listing.entries.map(\.id) == ["a@x.ics"] && listing.unreadable.isEmpty)
    }

    @Test func overridesAreKeptWithTheirSeriesInOrder() async throws {
        let dir = try Paths.temporaryDirectory().path
        let store = ICSFolderStore(path: dir)
        _ = await store.apply([.create(F.object("s@x", "Weekly", weekly: true, overrides: [12, 26, 19]), id: nil)])
        let text = try #require(F.read(dir + "/s@x.ics"))
        #expect(text.components(separatedBy: "BEGIN:VEVENT").count == 5)
        let item = try #require(try await store.list(since: nil).entries.first?.item)
        #expect(item.events.map { $0.recurrenceID?.localDateTime.date.day } == [nil, 12, 19, 26])
        #expect(item.events[0].recurrenceRules == ["FREQ=WEEKLY;COUNT=10"])
    }

    @Test func aMissingFolderIsAnErrorNotAnEmptyCalendar() async throws {
        let dir = try Paths.temporaryDirectory().path + "/gone"
        await #expect(throws: LocalStoreError.self) { try await ICSFolderStore(path: dir).list(since: nil) }
    }
}
