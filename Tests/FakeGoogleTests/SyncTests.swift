import Foundation
import Testing
@testable import FakeGoogle

@Suite(.timeLimit(.minutes(1)))
struct SyncTests {
    /// Lists every page; returns the ids and the final sync token.
    func fullSync(_ fake: Fake, _ query: String = "") async throws -> ([String], String?) {
        var ids: [String] = []
        var token: String?
        var sync: String?
        repeat {
            var q = query
            if let token { q += (q.isEmpty ? "" : "&") + "pageToken=" + percentEncoded(token) }
            let page = try await fake.events(q)
            #expect(page.status == 200)
            ids += page.ids
            token = page["nextPageToken"] as? String
            sync = page["nextSyncToken"] as? String
        } while token != nil
        return (ids, sync)
    }

    @Test func incrementalSyncReturnsOnlyChangesWithTombstones() async throws {
        let fake = try Fake()
        var ids: [String] = []
        for i in 0..<4 { ids.append(try #require(try await fake.insert(timedEvent("E\(i)", day: i))["id"] as? String)) }
        let (listed, token) = try await fullSync(fake, "maxResults=3")
        #expect(listed == ids)
        let syncToken = try #require(token)

        // Nothing changed yet.
        let none = try await fake.events("syncToken=" + percentEncoded(syncToken))
        #expect(none.status == 200)
        #expect(none.items.isEmpty)
        #expect(none["nextSyncToken"] as? String != nil)

        // Change one, delete one, add one.
        #expect(try await fake.send("PATCH", "calendar/v3/calendars/primary/events/\(ids[1])", json: ["summary": "E1 changed"]).status == 200)
        #expect(try await fake.send("DELETE", "calendar/v3/calendars/primary/events/\(ids[2])").status == 204)
        let added = try #require(try await fake.insert(timedEvent("E4", day: 9))["id"] as? String)

        let delta = try await fake.events("syncToken=" + percentEncoded(syncToken))
        #expect(delta.status == 200)
        #expect(Set(delta.ids) == Set([ids[1], ids[2], added]))
        let tombstone = try #require(delta.items.first { $0["id"] as? String == ids[2] })
        #expect(tombstone["status"] as? String == "cancelled")
        #expect(tombstone["summary"] == nil)
        let next = try #require(delta["nextSyncToken"] as? String)

        // Paging an incremental result.
        let paged = try await fake.events("maxResults=2&syncToken=" + percentEncoded(syncToken))
        #expect(paged.items.count == 2)
        let rest = try await fake.events("maxResults=2&syncToken=\(percentEncoded(syncToken))&pageToken=\(percentEncoded(paged["nextPageToken"] as! String))")
        #expect(Set(paged.ids + rest.ids) == Set(delta.ids))
        #expect(rest["nextSyncToken"] as? String != nil)

        #expect(try await fake.events("syncToken=" + percentEncoded(next)).items.isEmpty)

        fake.server.expireSyncTokens()
        let gone = try await fake.events("syncToken=" + percentEncoded(next))
        #expect(gone.status == 410)
        #expect(gone.reason == "fullSyncRequired")
        #expect(gone.message == "Sync token is no longer valid, a full sync is required.")

        // A full sync gets a token that works again.
        let (_, fresh) = try await fullSync(fake)
        #expect(try await fake.events("syncToken=" + percentEncoded(try #require(fresh))).status == 200)
    }

    @Test func syncTokenRefusesFilters() async throws {
        let fake = try Fake()
        let (_, token) = try await fullSync(fake)
        let sync = percentEncoded(try #require(token))
        let r = try await fake.events("timeMin=2026-01-01T00:00:00Z&syncToken=" + sync)
        #expect(r.status == 400)
        #expect(r.reason == "invalid")
        for q in ["iCalUID=x", "orderBy=updated", "privateExtendedProperty=a%3Db", "q=x", "sharedExtendedProperty=a%3Db",
                  "timeMax=2026-01-01T00:00:00Z", "updatedMin=2026-01-01T00:00:00Z"] {
            #expect(try await fake.events(q + "&syncToken=" + sync).status == 400, "\(q)")
        }
        #expect(try await fake.events("syncToken=garbage").status == 400)
        #expect(try await fake.events("showDeleted=true&maxResults=5&syncToken=" + sync).status == 200)
    }

    @Test func listFilters() async throws {
        let fake = try Fake()
        let a = try await fake.insert(timedEvent("Alpha meeting", day: 0, extra: ["extendedProperties": ["private": ["calport": "1"]]]))
        _ = try await fake.insert(timedEvent("Beta", day: 5))
        let allDay = try await fake.insert(["summary": "Holiday", "start": ["date": "2026-03-20"], "end": ["date": "2026-03-21"]])
        #expect(allDay.status == 200)

        let window = try await fake.events("timeMin=2026-03-04T00:00:00Z&timeMax=2026-03-20T12:00:00%2B00:00")
        #expect(window.items.map { $0["summary"] as? String } == ["Beta", "Holiday"])
        #expect(try await fake.events("q=alpha").items.count == 1)
        #expect(try await fake.events("privateExtendedProperty=calport%3D1").ids == [a["id"] as! String])
        #expect(try await fake.events("timeMin=2026-03-04").status == 400)
        #expect(try await fake.events("timeMin=2026-03-05T00:00:00Z&timeMax=2026-03-04T00:00:00Z").status == 400)
        #expect(try await fake.events("orderBy=startTime").status == 400)  // needs singleEvents
        let ordered = try await fake.events("orderBy=updated")
        #expect(ordered.items.count == 3)
        let later = try await fake.events("updatedMin=" + percentEncoded(allDay["updated"] as! String))
        #expect(later.items.map { $0["summary"] as? String } == ["Holiday"])
    }
}
