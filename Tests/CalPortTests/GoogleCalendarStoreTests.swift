import CalPort
import CalendarModel
import FakeGoogle
import Foundation
import GoogleAPI
import GoogleCalendar
import Testing

@Suite("GoogleCalendarStore against the fake Google", .serialized)
struct GoogleCalendarStoreTests {
    /// A fake account with two single events and a weekly Berlin series; returns them as stored.
    static func seeded() async throws -> (FakeAccount, GoogleCalendarStore, [GoogleEvent]) {
        let account = try FakeAccount()
        var series = GoogleEvent()
        series.iCalUID = "series@store.test"
        series.summary = "Stand-up"
        series.start = SeedEvents.time("2025-01-06T10:00:00+01:00", "Europe/Berlin")
        series.end = SeedEvents.time("2025-01-06T10:15:00+01:00", "Europe/Berlin")
        series.recurrence = ["RRULE:FREQ=WEEKLY;COUNT=8"]
        let stored = try await account.importEvents([single("one"), single("two"), series])
        return (account, GoogleCalendarStore(api: account.api, calendarId: account.calendarId), stored)
    }

    static func single(_ name: String, day: Int = 7) -> GoogleEvent {
        var g = GoogleEvent()
        g.iCalUID = "\(name)@store.test"
        g.summary = name
        g.start = SeedEvents.time(String(format: "2025-01-%02dT09:00:00+01:00", day), "Europe/Berlin")
        g.end = SeedEvents.time(String(format: "2025-01-%02dT10:00:00+01:00", day), "Europe/Berlin")
        return g
    }

    static func entries(_ listing: StoreListing<GoogleEvent>) -> [String: StoreEntry<GoogleEvent>] {
        Dictionary(listing.entries.map { ($0.id, $0) }, uniquingKeysWith: { $1 })
    }

    @Test("a full listing has every event under its Google id and etag, and the calendar's name and zone")
    func fullListing() async throws {
        let (account, store, stored) = try await Self.seeded()
        let listing = try await store.list(since: nil)
        #expect(listing.isComplete)
        #expect(listing.nextToken != nil)
        #expect(listing.info.timeZone == "Europe/Berlin")
        #expect(listing.info.name == (try await account.api.calendar(id: account.calendarId).summary))
        #expect(store.location == "google:" + account.calendarId)
        let byId = Self.entries(listing)
        #expect(Set(byId.keys) == Set(stored.compactMap(\.id)))
        for g in stored {
            let entry = try #require(byId[g.id!])
            #expect(entry.version == g.etag)
            #expect(entry.item?.iCalUID == g.iCalUID)
        }
    }

    @Test("a listing since a token has what changed: a deletion without an item, a cancelled occurrence as an item")
    func incrementalListing() async throws {
        let (account, store, stored) = try await Self.seeded()
        let api = account.api, cal = account.calendarId
        let token = try #require(try await store.list(since: nil).nextToken)
        let one = stored[0], two = stored[1], master = stored[2]

        let added = try await account.importEvents([Self.single("three", day: 9)])[0]
        var changed = one
        changed.summary = "one, moved to the afternoon"
        let updated = try await api.updateEvent(changed, calendarId: cal, eventId: one.id!, sendUpdates: .none)
        try await api.deleteEvent(calendarId: cal, eventId: two.id!, sendUpdates: .none)
        let occurrence = master.id! + "_20250113T090000Z"
        try await api.deleteEvent(calendarId: cal, eventId: occurrence, sendUpdates: .none)

        let listing = try await store.list(since: token)
        #expect(!listing.isComplete)
        #expect(listing.nextToken != nil && listing.nextToken != token)
        let byId = Self.entries(listing)
        #expect(Set(byId.keys) == [added.id!, one.id!, two.id!, occurrence])
        #expect(byId[added.id!]?.item?.summary == "three")
        #expect(byId[one.id!]?.version == updated.etag && byId[one.id!]?.version != one.etag)
        #expect(byId[one.id!]?.item?.summary == "one, moved to the afternoon")
        #expect(byId[two.id!]?.isDeleted == true)
        let cancelled = try #require(byId[occurrence]?.item)
        #expect(cancelled.status == "cancelled" && cancelled.recurringEventId == master.id)

        // Nothing changed since the new token: an empty listing.
        #expect(try await store.list(since: listing.nextToken).entries.isEmpty)
    }

    @Test("a listing within time bounds has each series in them whole, its cancelled occurrences outside the bounds included")
    func boundedListing() async throws {
        let (account, _, stored) = try await Self.seeded()
        let master = stored[2]
        let occurrence = master.id! + "_20250113T090000Z"
        try await account.api.deleteEvent(calendarId: account.calendarId, eventId: occurrence, sendUpdates: .none)
        let bounds = GoogleCalendarStore.Options(timeMin: "2025-02-01T00:00:00Z", timeMax: "2025-03-01T00:00:00Z")
        let whole = try await GoogleCalendarStore(api: account.api, calendarId: account.calendarId, options: bounds).list(since: nil)
        #expect(Set(whole.entries.map(\.id)) == [master.id!, occurrence])
        #expect(Self.entries(whole)[occurrence]?.item?.status == "cancelled")
        // Without completion, Google's bounded answer alone: the series, not the January occurrence.
        var bare = bounds
        bare.completesSeries = false
        let bounded = try await GoogleCalendarStore(api: account.api, calendarId: account.calendarId, options: bare).list(since: nil)
        #expect(bounded.entries.map(\.id) == [master.id!])
    }

    @Test("a sync token Google no longer honours is StoreError.tokenExpired, and a full listing works again")
    func expiredToken() async throws {
        let (account, store, stored) = try await Self.seeded()
        let token = try #require(try await store.list(since: nil).nextToken)
        account.server.expireSyncTokens()
        await #expect(throws: StoreError.tokenExpired) { _ = try await store.list(since: token) }
        #expect(try await store.list(since: nil).entries.count == stored.count)
    }

    @Test("an update or delete with a stale etag is refused and the newer event is kept")
    func staleIfMatch() async throws {
        let (account, store, stored) = try await Self.seeded()
        let one = stored[0]
        var theirs = one
        theirs.summary = "changed elsewhere"
        let now = try await account.api.updateEvent(theirs, calendarId: account.calendarId, eventId: one.id!, sendUpdates: .none)

        var mine = one
        mine.summary = "changed here"
        let outcomes = await store.apply([.update(id: one.id!, mine, ifMatch: one.etag), .delete(id: one.id!, ifMatch: one.etag)])
        #expect(outcomes.count == 2)
        for o in outcomes {
            guard case .preconditionFailed = o else { Issue.record("expected preconditionFailed, got \(o)"); continue }
        }
        let kept = try await account.api.getEvent(calendarId: account.calendarId, eventId: one.id!)
        #expect(kept.summary == "changed elsewhere" && kept.status != "cancelled" && kept.etag == now.etag)

        // With the current etag the update goes through and the entry carries the new etag.
        let applied = await store.apply([.update(id: one.id!, mine, ifMatch: now.etag)])
        guard case .done(let entry)? = applied.first else { Issue.record("\(applied)"); return }
        #expect(entry.id == one.id && entry.item?.summary == "changed here" && entry.version != now.etag)
        #expect(entry.version == (try await account.api.getEvent(calendarId: account.calendarId, eventId: one.id!)).etag)
    }

    @Test("a create with an id that exists is alreadyExists; a delete of an unknown event is notFound")
    func existingAndMissing() async throws {
        let (account, store, stored) = try await Self.seeded()
        var other = Self.single("other", day: 20)
        other.iCalUID = "other@store.test"
        let outcomes = await store.apply([.create(other, id: stored[0].id!), .delete(id: "nosuchevent0123", ifMatch: nil)])
        guard outcomes.count == 2 else { Issue.record("\(outcomes)"); return }
        guard case .alreadyExists = outcomes[0] else { Issue.record("expected alreadyExists, got \(outcomes[0])"); return }
        guard case .notFound = outcomes[1] else { Issue.record("expected notFound, got \(outcomes[1])"); return }
        #expect(try await account.api.getEvent(calendarId: account.calendarId, eventId: stored[0].id!).summary == "one")
    }

    @Test("a failed change says whether trying later may help, with Google's message, and does not stop the others")
    func failures() async throws {
        let (account, store, stored) = try await Self.seeded()
        account.server.failNext(1, with: .quotaExceeded)
        account.server.failNext(1, with: .backendError)
        let outcomes = await store.apply([
            .update(id: stored[0].id!, Self.single("a"), ifMatch: nil),
            .update(id: stored[1].id!, Self.single("b"), ifMatch: nil),
            .update(id: stored[0].id!, Self.single("c"), ifMatch: nil),
        ])
        guard outcomes.count == 3 else { Issue.record("\(outcomes)"); return }
        for o in outcomes.prefix(2) {
            guard case .failed(_, let transient) = o, transient else { Issue.record("expected a transient failure, got \(o)"); continue }
        }
        guard case .done(let entry) = outcomes[2] else { Issue.record("\(outcomes[2])"); return }
        #expect(entry.item?.summary == "c")

        account.server.writesForbidden = true
        let refused = await store.apply([.delete(id: stored[1].id!, ifMatch: nil)])
        guard case .failed(let message, let transient)? = refused.first else { Issue.record("\(refused)"); return }
        #expect(!transient && message.contains("writer access"), "\(message)")
    }

    @Test("creates import with the chosen id and keep the iCalUID; nobody is mailed unless asked; progress hears every change")
    func writesQuietly() async throws {
        let (account, store, stored) = try await Self.seeded()
        let heard = Heard()
        let outcomes = await store.apply([
            .create(Self.single("new", day: 21), id: "storecreated0001"),
            .update(id: stored[0].id!, Self.single("one, renamed"), ifMatch: stored[0].etag),
            .delete(id: stored[1].id!, ifMatch: nil),
        ]) { index, _ in heard.append(index) }
        #expect(heard.indices.sorted() == [0, 1, 2])
        guard case .done(let created) = outcomes[0] else { Issue.record("\(outcomes[0])"); return }
        #expect(created.id == "storecreated0001" && created.item?.iCalUID == "new@store.test" && !created.version.isEmpty)
        guard case .done(let deleted) = outcomes[2] else { Issue.record("\(outcomes[2])"); return }
        #expect(deleted.id == stored[1].id && deleted.isDeleted)
        let stats = account.server.statistics
        #expect(account.server.requestCount(for: "events.insert") == 0)
        let sent = stats.sendUpdates.filter { !$0.endpoint.hasSuffix("events.import") }.map(\.value)
        #expect(sent == ["none", "none"], "\(stats.sendUpdates)")

        // Insert when asked, still mailing nobody.
        let inserting = GoogleCalendarStore(api: account.api, calendarId: account.calendarId, options: .init(createMethod: .insert))
        let inserted = await inserting.apply([.create(Self.single("inserted", day: 22), id: nil)])
        guard case .done(let entry) = inserted[0] else { Issue.record("\(inserted)"); return }
        #expect(entry.item?.iCalUID == "inserted@store.test")
        #expect(account.server.statistics.sendUpdates.map(\.value).allSatisfy { $0 == "none" })
    }
}

/// The indices a progress callback heard.
private final class Heard: @unchecked Sendable {
    private let lock = NSLock()
    private var seen: [Int] = []
    func append(_ i: Int) { lock.withLock { seen.append(i) } }
    var indices: [Int] { lock.withLock { seen } }
}
