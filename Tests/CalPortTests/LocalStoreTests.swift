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
        let todoOnly = "BEGIN:VCALENDAR\r\nBEGIN:VTODO\r\nUID:t\r\nSUMMARY:a task\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"
        let eventAndTodo = twoUIDs.replacingOccurrences(of: "BEGIN:VEVENT\r\nUID:two", with: "BEGIN:VTODO\r\nUID:one")
            .replacingOccurrences(of: "20260106T090000Z\r\nEND:VEVENT", with: "20260106T090000Z\r\nEND:VTODO")
        try F.write(todoOnly, to: dir + "/todo.ics")
        try F.write(eventAndTodo, to: dir + "/mixed.ics")
        try F.write(garbage, to: dir + "/garbage.ics")
        try F.write(twoUIDs, to: dir + "/two.ics")
        try F.write(badTime, to: dir + "/bad.ics")
        let listing = try await store.list(since: nil)
        #expect(listing.entries.map(\.id) == ["good@x.ics"])
        // A file of tasks is no entry; a task beside an event would be lost on rewriting the event.
        #expect(listing.unreadable.map(\.id).sorted() == ["bad.ics", "garbage.ics", "mixed.ics", "two.ics"])
        #expect(listing.unreadable.first { $0.id == "mixed.ics" }?.message.contains("VTODO") == true)
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

@Suite struct LocalStoreFileTests {
    typealias F = LocalStoreFixtures

    /// An Apple-style file with what the store does not manage: calendar properties, a
    /// VTIMEZONE, a VTODO (folded lines and all), and two events, one with an override.
    static let calendar = """
        BEGIN:VCALENDAR\r
        VERSION:2.0\r
        PRODID:-//Apple Inc.//macOS 15.0//EN\r
        CALSCALE:GREGORIAN\r
        X-WR-CALNAME:Home\r
        X-APPLE-CALENDAR-COLOR:#1BADF8\r
        BEGIN:VTIMEZONE\r
        TZID:Europe/Paris\r
        BEGIN:STANDARD\r
        DTSTART:19701025T030000\r
        RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r
        TZOFFSETFROM:+0200\r
        TZOFFSETTO:+0100\r
        END:STANDARD\r
        BEGIN:DAYLIGHT\r
        DTSTART:19700329T020000\r
        RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r
        TZOFFSETFROM:+0100\r
        TZOFFSETTO:+0200\r
        END:DAYLIGHT\r
        END:VTIMEZONE\r
        BEGIN:VTODO\r
        UID:todo-1\r
        DTSTAMP:20260101T000000Z\r
        SUMMARY:Buy a very long list of things that needs folding because it goes on\r
          and on\r
        END:VTODO\r
        BEGIN:VEVENT\r
        UID:series@x\r
        DTSTAMP:20260101T000000Z\r
        DTSTART;TZID=Europe/Paris:20260105T090000\r
        DTEND;TZID=Europe/Paris:20260105T100000\r
        RRULE:FREQ=WEEKLY;COUNT=5\r
        SUMMARY:Weekly\r
        END:VEVENT\r
        BEGIN:VEVENT\r
        UID:single@x\r
        DTSTAMP:20260101T000000Z\r
        DTSTART:20260110T120000Z\r
        SUMMARY:Once\r
        END:VEVENT\r
        BEGIN:VEVENT\r
        UID:series@x\r
        DTSTAMP:20260101T000000Z\r
        RECURRENCE-ID;TZID=Europe/Paris:20260112T090000\r
        DTSTART;TZID=Europe/Paris:20260112T140000\r
        DTEND;TZID=Europe/Paris:20260112T150000\r
        SUMMARY:Weekly (moved)\r
        END:VEVENT\r
        END:VCALENDAR\r

        """

    static func component(_ name: String, in text: String) -> String? {
        guard let a = text.range(of: "BEGIN:\(name)\r\n"), let b = text.range(of: "END:\(name)\r\n", range: a.upperBound..<text.endIndex) else { return nil }
        return String(text[a.lowerBound..<b.upperBound])
    }

    @Test func readsOneEntryPerUIDWithItsOverrides() async throws {
        let path = try Paths.temporaryDirectory().path + "/home.ics"
        try F.write(Self.calendar, to: path)
        let listing = try await ICSFileStore(path: path).list(since: nil)
        #expect(listing.entries.map(\.id) == ["series@x", "single@x"] && listing.unreadable.isEmpty)
        #expect(listing.entries[0].item?.events.map(\.summary) == ["Weekly", "Weekly (moved)"])
        #expect(listing.info.name == "Home")
        // The version depends on the content only: a second reading gives the same.
        let again = try await ICSFileStore(path: path).list(since: nil)
        #expect(again.entries.map(\.version) == listing.entries.map(\.version))
    }

    @Test func whatTheStoreDoesNotManageIsKeptByteForByte() async throws {
        let path = try Paths.temporaryDirectory().path + "/home.ics"
        try F.write(Self.calendar, to: path)
        let store = ICSFileStore(path: path)
        let listing = try await store.list(since: nil)
        let single = try #require(listing.entries.first { $0.id == "single@x" })
        var changed = try #require(single.item)
        changed.events[0].summary = "Once, renamed"
        let outcomes = await store.apply([.update(id: "single@x", changed, ifMatch: single.version),
                                          .create(F.object("new@x", "Added"), id: nil)])
        for o in outcomes { #expect(F.entryDone(o) != nil, "\(o)") }
        try await store.commit()
        let text = try #require(F.read(path))
        let head = String(Self.calendar[..<Self.calendar.range(of: "BEGIN:VTIMEZONE")!.lowerBound])
        #expect(text.hasPrefix(head))
        for name in ["VTIMEZONE", "VTODO"] {
            #expect(Self.component(name, in: text) == Self.component(name, in: Self.calendar), "\(name)")
        }
        // The untouched series and its override keep their text too.
        #expect(text.contains("BEGIN:VEVENT\r\nUID:series@x\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;TZID=Europe/Paris:20260105T090000\r\n"))
        #expect(text.contains("RECURRENCE-ID;TZID=Europe/Paris:20260112T090000\r\nDTSTART;TZID=Europe/Paris:20260112T140000\r\n"))
        #expect(text.hasSuffix("END:VEVENT\r\nEND:VCALENDAR\r\n"))
        #expect(text.components(separatedBy: "BEGIN:VTIMEZONE").count == 2)

        let reread = try await ICSFileStore(path: path).list(since: nil)
        #expect(reread.entries.map(\.id) == ["series@x", "single@x", "new@x"])
        #expect(reread.entries[1].item?.events.first?.summary == "Once, renamed")
        // The versions apply gave are those a new listing finds.
        #expect(reread.entries[1].version == F.entryDone(outcomes[0])?.version)
        #expect(reread.entries[2].version == F.entryDone(outcomes[1])?.version)
    }

    @Test func aFileWithBareLineFeedsKeepsThem() async throws {
        let path = try Paths.temporaryDirectory().path + "/home.ics"
        try F.write(Self.calendar.replacingOccurrences(of: "\r\n", with: "\n"), to: path)
        let store = ICSFileStore(path: path)
        let listing = try await store.list(since: nil)
        var single = try #require(listing.entries.first { $0.id == "single@x" }?.item)
        single.events[0].summary = "Renamed"
        _ = await store.apply([.update(id: "single@x", single, ifMatch: nil), .create(F.object("new@x", "Added"), id: nil)])
        try await store.commit()
        let text = try #require(F.read(path))
        #expect(!text.contains("\r") && text.contains("SUMMARY:Renamed\n") && text.contains("UID:new@x\n"))
    }

    @Test func aFileChangedByAnotherProgramIsNotOverwritten() async throws {
        let path = try Paths.temporaryDirectory().path + "/home.ics"
        try F.write(Self.calendar, to: path)
        let store = ICSFileStore(path: path)
        let listing = try await store.list(since: nil)
        _ = await store.apply([.delete(id: "single@x", ifMatch: listing.entries[1].version)])
        let theirs = Self.calendar.replacingOccurrences(of: "SUMMARY:Once", with: "SUMMARY:Edited elsewhere")
        try F.write(theirs, to: path)
        await #expect(throws: StoreError.changedSinceListing(path: path)) { try await store.commit() }
        #expect(F.read(path) == theirs)
    }

    @Test func nothingIsWrittenWhenNothingChanged() async throws {
        let path = try Paths.temporaryDirectory().path + "/home.ics"
        try F.write(Self.calendar, to: path)
        let past = Date(timeIntervalSince1970: 1_600_000_000)
        try FileManager.default.setAttributes([.modificationDate: past], ofItemAtPath: path)
        let store = ICSFileStore(path: path)
        let listing = try await store.list(since: nil)
        // An update to the same content is no change either.
        let series = listing.entries[0]
        _ = await store.apply([.update(id: series.id, series.item!, ifMatch: series.version)])
        try await store.commit()
        #expect(try F.modificationTime(path) == past)
        #expect(F.read(path) == Self.calendar)
    }

    @Test func anUnreadableEventIsReportedWithItsLineAndKept() async throws {
        let path = try Paths.temporaryDirectory().path + "/home.ics"
        let broken = Self.calendar.replacingOccurrences(of: "DTSTART:20260110T120000Z", with: "DTSTART:2026XX10T120000Z")
        try F.write(broken, to: path)
        let store = ICSFileStore(path: path)
        let listing = try await store.list(since: nil)
        #expect(listing.entries.map(\.id) == ["series@x"])
        let bad = try #require(listing.unreadable.first)
        let line = broken.components(separatedBy: "\r\n").firstIndex { $0.hasPrefix("DTSTART:2026XX") }! + 1
        #expect(bad.id == "single@x" && bad.message.contains("home.ics:\(line):"), "\(bad.message)")
        // Sync must not be able to write over it…
        let refused = await store.apply([.update(id: "single@x", F.object("single@x", "x"), ifMatch: nil),
                                         .create(F.object("single@x", "x"), id: nil)])
        guard case .failed = refused[0], case .alreadyExists = refused[1] else { Issue.record("\(refused)"); return }
        // …and a commit of other changes keeps it verbatim.
        _ = await store.apply([.delete(id: "series@x", ifMatch: listing.entries[0].version)])
        try await store.commit()
        let text = try #require(F.read(path))
        #expect(text.contains("BEGIN:VEVENT\r\nUID:single@x\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:2026XX10T120000Z\r\nSUMMARY:Once\r\nEND:VEVENT\r\n"))
        #expect(!text.contains("series@x"))
    }

    @Test func aFileThatIsNoCalendarIsAnError() async throws {
        let path = try Paths.temporaryDirectory().path + "/notes.ics"
        try F.write("just some notes\n", to: path)
        await #expect(throws: LocalStoreError.self) { try await ICSFileStore(path: path).list(since: nil) }
        #expect(F.read(path) == "just some notes\n")
    }

    @Test func aMissingFileListsEmptyAndCommitCreatesIt() async throws {
        let path = try Paths.temporaryDirectory().path + "/new.ics"
        let store = ICSFileStore(path: path)
        #expect(try await store.list(since: nil).entries.isEmpty)
        try await store.commit()
        #expect(!FileManager.default.fileExists(atPath: path))
        _ = await store.apply([.create(F.object("s@x", "Weekly", weekly: true, overrides: [19, 12]), id: nil)])
        try await store.commit()
        let listing = try await ICSFileStore(path: path).list(since: nil)
        #expect(listing.entries.map(\.id) == ["s@x"])
        #expect(listing.entries[0].item?.events.map { $0.recurrenceID?.localDateTime.date.day } == [nil, 12, 19])
    }

    @Test func aFileCreatedMeanwhileIsNotOverwritten() async throws {
        let path = try Paths.temporaryDirectory().path + "/new.ics"
        let store = ICSFileStore(path: path)
        _ = try await store.list(since: nil)
        _ = await store.apply([.create(F.object("s@x", "mine"), id: nil)])
        try F.write(Self.calendar, to: path)
        await #expect(throws: StoreError.changedSinceListing(path: path)) { try await store.commit() }
        #expect(F.read(path) == Self.calendar)
    }
}

@Suite struct LocalStoreMemoryTests {
    @Test func tokensGiveTheChangesSinceIncludingDeletions() async throws {
        let store = MemoryStore<String>()
        let made = await store.apply([.create("a", id: "1"), .create("b", id: "2"), .create("c", id: nil)])
        let first = try await store.list(since: nil)
        #expect(first.entries.count == 3 && first.isComplete)
        guard case .done(let one) = made[0] else { Issue.record("\(made[0])"); return }
        _ = await store.apply([.update(id: "1", "a2", ifMatch: one.version), .delete(id: "2", ifMatch: nil)])
        let changes = try await store.list(since: first.nextToken)
        #expect(!changes.isComplete)
        #expect(changes.entries.map(\.id) == ["1", "2"] && changes.entries.map(\.item) == ["a2", nil])
        let none = try await store.list(since: changes.nextToken)
        #expect(none.entries.isEmpty)
        store.expireTokens()
        await #expect(throws: StoreError.tokenExpired) { try await store.list(since: changes.nextToken) }
    }

    @Test func staleVersionsAndInjectedFaultsFailOnlyTheirChange() async throws {
        let store = MemoryStore<String>()
        let v1 = store.put(id: "x", "one")
        store.put(id: "x", "two")
        store.injectFault(.transient("quota"), onNextApplyTo: "y")
        let outcomes = await store.apply([.update(id: "x", "mine", ifMatch: v1), .create("new", id: "y"), .create("new", id: "y"),
                                          .create("dup", id: "x"), .delete(id: "zz", ifMatch: nil)])
        guard case .preconditionFailed = outcomes[0], case .failed(_, true) = outcomes[1], case .done = outcomes[2],
              case .alreadyExists = outcomes[3], case .notFound = outcomes[4] else { Issue.record("\(outcomes)"); return }
        #expect(store.snapshot == ["x": "two", "y": "new"])
    }
}

/// Real exports (Google with moved occurrences, Apple, Outlook) through a folder store and a
/// single-file store: the same occurrences come out.
@Suite struct LocalStoreCorpusTests {
    static let files = [
        "ical4j/src/test/resources/samples/valid/google_aus_holidays.ics",
        "ical4j/src/test/resources/samples/valid/BCP321928.ics",
        "ical4j/src/test/resources/samples/valid/Standup.ics",
    ]

    @Test(.enabled(if: Paths.corpusAvailable, "../shared/corpus is not present"), arguments: files)
    func anExportGoesThroughBothLocalStoresUnchanged(_ file: String) async throws {
        let source = Paths.corpus.appendingPathComponent("ics").appendingPathComponent(file).path
        guard FileManager.default.fileExists(atPath: source) else { return }
        let original = try CalendarLoader.load(path: source, mapping: MappingOptions(), diagnostics: DiagnosticCollector())
        var byUID: [String: [Event]] = [:]
        var order: [String] = []
        for e in original.document.events {
            let uid = try #require(e.uid)
            if byUID[uid] == nil { order.append(uid) }
            byUID[uid, default: []].append(e)
        }
        let dir = try Paths.temporaryDirectory()
        let folder = ICSFolderStore(path: dir.appendingPathComponent("folder").path)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("folder"), withIntermediateDirectories: false)
        folder.addZoneDefinitions(original.document.timeZones)
        let created = await folder.apply(order.map { .create(CalendarObject(uid: $0, events: byUID[$0]!), id: nil) })
        #expect(created.allSatisfy { if case .done = $0 { true } else { false } })
        let listing = try await folder.list(since: nil)
        #expect(listing.entries.count == order.count && listing.unreadable.isEmpty, "\(listing.unreadable)")

        let single = dir.appendingPathComponent("all.ics").path
        let file = ICSFileStore(path: single)
        file.addZoneDefinitions(original.document.timeZones)
        _ = await file.apply(listing.entries.map { .create($0.item!, id: nil) })
        try await file.commit()
        let back = try CalendarLoader.load(path: single, mapping: MappingOptions(), diagnostics: DiagnosticCollector())
        let report = Verifier().compare(original, back, floatingZoneA: nil, floatingZoneB: nil)
        #expect(report.occurrencesA > 0 && report.occurrencesA == report.occurrencesB)
        #expect(report.eventsA == report.eventsB)
        #expect(report.equivalent, "\(report.differences.prefix(5))")
    }
}
