import Foundation
import GoogleCalendar
import HTTP
import Testing
@testable import FakeGoogle

@Suite(.timeLimit(.minutes(1)))
struct EventsTests {
    @Test func insertGetAndListInThreePages() async throws {
        let fake = try Fake()
        var inserted: [String] = []
        for i in 0..<5 {
            let r = try await fake.insert(timedEvent("Event \(i)", day: i))
            #expect(r.status == 200)
            #expect(r["kind"] as? String == "calendar#event")
            #expect(r["status"] as? String == "confirmed")
            #expect((r["etag"] as? String)?.hasPrefix("\"") == true)
            #expect((r["iCalUID"] as? String)?.hasSuffix("@google.com") == true)
            #expect(((r["organizer"] as? [String: Any])?["email"] as? String) == "me@example.com")
            let id = try #require(r["id"] as? String)
            #expect(FakeState.isValidEventId(id))
            let updated = try #require(r["updated"] as? String)
            #expect(updated.hasSuffix("Z") && updated.contains("."))  // RFC 3339 UTC with milliseconds
            inserted.append(id)
        }
        let got = try await fake.send("GET", "calendar/v3/calendars/primary/events/\(inserted[2])")
        #expect(got.status == 200)
        #expect(got["summary"] as? String == "Event 2")

        var pages: [[String]] = []
        var token: String?
        repeat {
            let page = try await fake.events("maxResults=2" + (token.map { "&pageToken=" + percentEncoded($0) } ?? ""))
            #expect(page.status == 200)
            #expect(page["kind"] as? String == "calendar#events")
            #expect(page["accessRole"] as? String == "owner")
            #expect(page["timeZone"] as? String == "UTC")
            #expect(page["defaultReminders"] is [Any])
            pages.append(page.ids)
            token = page["nextPageToken"] as? String
            if token == nil { #expect(page["nextSyncToken"] is String) } else { #expect(page["nextSyncToken"] == nil) }
        } while token != nil && pages.count < 10
        #expect(pages.count == 3)
        #expect(pages.map(\.count) == [2, 2, 1])
        #expect(pages.flatMap { $0 } == inserted)

        // The calendar id may be given percent-encoded.
        let byEmail = try await fake.events("", calendar: percentEncoded("me@example.com"))
        #expect(byEmail.ids == inserted)
        #expect(fake.server.requestCount(for: "events.insert") == 5)
        #expect(fake.server.requestCount(for: "calendar.events.list") == 4)
    }

    @Test func importKeepsOrganizerAndRefusesADuplicateICalUID() async throws {
        let fake = try Fake()
        var event = timedEvent("Imported", extra: [
            "iCalUID": "abc-123@calport.example", "sequence": 2,
            "organizer": ["email": "boss@example.org", "displayName": "Boss"],
        ])
        let first = try await fake.importEvent(event)
        #expect(first.status == 200)
        #expect(((first["organizer"] as? [String: Any])?["email"] as? String) == "boss@example.org")
        #expect(first["sequence"] as? Int == 2)
        #expect(first["iCalUID"] as? String == "abc-123@calport.example")

        event["sequence"] = 7  // a higher SEQUENCE does not help
        let again = try await fake.importEvent(event)
        #expect(again.status == 409)
        #expect(again.reason == "duplicate")
        #expect(again.message == "The requested identifier already exists.")

        // Insert with that iCalUID is a duplicate too; import needs an iCalUID.
        #expect(try await fake.insert(timedEvent("x", extra: ["iCalUID": "abc-123@calport.example"])).status == 409)
        let missing = try await fake.importEvent(timedEvent("no uid"))
        #expect(missing.status == 400)
        #expect(missing.reason == "required")

        let list = try await fake.events("iCalUID=" + percentEncoded("abc-123@calport.example"))
        #expect(list.items.count == 1)
        #expect(fake.server.requestCount(for: "events.import") == 3)
    }

    @Test func clientIdsMustBeBase32hex() async throws {
        let fake = try Fake()
        for bad in ["abc", "UPPERCASE1", "has-dash-1", "wxyz12345", String(repeating: "a", count: 1025)] {
            let r = try await fake.insert(timedEvent("bad", extra: ["id": bad]))
            #expect(r.status == 400, "\(bad)")
            #expect(r.reason == "invalid")
            #expect(r.message == "Invalid resource id value.")
        }
        let good = try await fake.insert(timedEvent("good", extra: ["id": "0123456789abcdefghijklmnopqrstuv"]))
        #expect(good.status == 200)
        #expect(good["id"] as? String == "0123456789abcdefghijklmnopqrstuv")
        #expect(try await fake.insert(timedEvent("again", extra: ["id": "0123456789abcdefghijklmnopqrstuv"])).status == 409)
    }

    @Test func bodiesAreValidatedAgainstTheDiscoveryDocument() async throws {
        let fake = try Fake()
        #expect(fake.server.validatesAgainstDiscoveryDocument, "the embedded discovery document is used")
        let unknown = try await fake.insert(timedEvent("x", extra: ["colour": "red"]))
        #expect(unknown.status == 400)
        #expect(unknown.reason == "invalid")
        #expect(unknown.message?.contains("colour") == true)
        #expect(unknown.message?.contains("unknown field") == true)

        let nested = try await fake.insert(timedEvent("x", extra: ["reminders": ["useDefault": false, "overides": []]]))
        #expect(nested.status == 400)
        #expect(nested.message?.contains("overides") == true)

        let reminders = try await fake.insert(timedEvent("x", extra: ["reminders": [
            "useDefault": false, "overrides": (0..<6).map { ["method": "popup", "minutes": $0] },
        ]]))
        #expect(reminders.status == 400)
        let minutes = try await fake.insert(timedEvent("x", extra: ["reminders": [
            "useDefault": false, "overrides": [["method": "popup", "minutes": 40321]],
        ]]))
        #expect(minutes.status == 400)
        #expect(minutes.message?.contains("40320") == true)

        let recurrence = try await fake.insert(timedEvent("x", extra: ["recurrence": ["DTSTART:20260302T090000Z"]]))
        #expect(recurrence.status == 400)

        var noEnd = timedEvent("x")
        noEnd.removeValue(forKey: "end")
        let missing = try await fake.insert(noEnd)
        #expect(missing.status == 400)
        #expect(missing.reason == "required")
        #expect(missing.message == "Missing end time.")

        let backwards = try await fake.insert(["summary": "x", "start": ["dateTime": "2026-03-02T10:00:00Z"], "end": ["dateTime": "2026-03-02T09:00:00Z"]])
        #expect(backwards.status == 400)
        #expect(backwards.reason == "timeRangeEmpty")

        let wrongType = try await fake.insert(timedEvent("x", extra: ["sequence": "two"]))
        #expect(wrongType.status == 400)

        // Recurring events need a zone.
        let zoneless = try await fake.insert(timedEvent("x", extra: ["recurrence": ["RRULE:FREQ=DAILY;COUNT=3"]]))
        #expect(zoneless.status == 400)
        #expect(zoneless.message == "Missing time zone definition for start time.")

        #expect(try await fake.events().items.isEmpty)  // nothing was stored
    }

    @Test func unknownFieldsCanBeIgnoredAsGoogleDoes() async throws {
        let fake = try Fake(options: .init(rejectsUnknownFields: false))
        let r = try await fake.insert(timedEvent("x", extra: [
            "colour": "red", "start": ["dateTime": "2026-03-02T09:00:00Z", "tz": "x"],
            "attendees": [["email": "a@b.c", "mood": "happy"]], "extendedProperties": ["private": ["k": "v"], "secret": ["a": "b"]],
        ]))
        #expect(r.status == 200)
        #expect(r["colour"] == nil)
        #expect(r["start"] as? [String: String] == ["dateTime": "2026-03-02T09:00:00Z"])
        #expect(r["attendees"] as? [[String: String]] == [["email": "a@b.c"]])
        #expect(r["extendedProperties"] as? [String: [String: String]] == ["private": ["k": "v"]])
        let id = try #require(r["id"] as? String)
        let patched = try await fake.send("PATCH", "calendar/v3/calendars/primary/events/\(id)", json: ["summary": "y", "colour": "blue"])
        #expect(patched.status == 200)
        #expect(patched["colour"] == nil)
        #expect(patched["summary"] as? String == "y")
    }

    @Test func patchBodiesAreValidated() async throws {
        let fake = try Fake()
        #expect(fake.server.validatesAgainstDiscoveryDocument, "the embedded discovery document is used")
        let id = try #require(try await fake.insert(timedEvent("x"))["id"] as? String)
        let path = "calendar/v3/calendars/primary/events/\(id)"
        let unknown = try await fake.send("PATCH", path, json: ["colour": "blue"])
        #expect(unknown.status == 400)
        #expect(unknown.message?.contains("colour") == true)
        // Switching to all-day needs dateTime cleared: patches merge into nested objects.
        let both = try await fake.send("PATCH", path, json: ["start": ["date": "2026-03-02"], "end": ["date": "2026-03-03"]])
        #expect(both.status == 400)
        let allDay = try await fake.send("PATCH", path, json: [
            "start": ["date": "2026-03-02", "dateTime": NSNull()], "end": ["date": "2026-03-03", "dateTime": NSNull()],
        ])
        #expect(allDay.status == 200)
        #expect(allDay["start"] as? [String: String] == ["date": "2026-03-02"])
        #expect(try await fake.send("PATCH", path, json: ["start": NSNull()]).status == 400)
    }

    @Test func unknownQueryParametersAreRejected() async throws {
        let fake = try Fake()
        #expect(fake.server.validatesAgainstDiscoveryDocument, "the embedded discovery document is used")
        let r = try await fake.events("maxResult=5")
        #expect(r.status == 400)
        #expect(r.message?.contains("maxResult") == true)
        #expect(try await fake.events("maxResults=abc").status == 400)
        #expect(try await fake.events("maxResults=0").status == 400)
        #expect(try await fake.events("orderBy=summary").status == 400)
        #expect(try await fake.events("fields=items(id)&prettyPrint=false&maxResults=5000").status == 200)
        #expect(try await fake.insert(timedEvent("x"), query: "sendUpdates=sometimes").status == 400)
    }

    @Test func deleteCancelsThenGoneThenDuplicate() async throws {
        let fake = try Fake()
        let id = "deleteme12345"
        #expect(try await fake.insert(timedEvent("Doomed", extra: ["id": id]), query: "sendUpdates=none").status == 200)
        let deleted = try await fake.send("DELETE", "calendar/v3/calendars/primary/events/\(id)?sendUpdates=all")
        #expect(deleted.status == 204)
        #expect(deleted.body.isEmpty)

        let got = try await fake.send("GET", "calendar/v3/calendars/primary/events/\(id)")
        #expect(got.status == 200)
        #expect(got["status"] as? String == "cancelled")

        let second = try await fake.send("DELETE", "calendar/v3/calendars/primary/events/\(id)")
        #expect(second.status == 410)
        #expect(second.reason == "deleted")

        let reinsert = try await fake.insert(timedEvent("Again", extra: ["id": id]))
        #expect(reinsert.status == 409)
        #expect(reinsert.reason == "duplicate")

        #expect(try await fake.events().items.isEmpty)
        let withDeleted = try await fake.events("showDeleted=true")
        #expect(withDeleted.ids == [id])
        #expect(withDeleted.items[0]["status"] as? String == "cancelled")
        #expect(fake.server.sendUpdatesValues == ["none", "all"])

        let missing = try await fake.send("DELETE", "calendar/v3/calendars/primary/events/nosuchevent")
        #expect(missing.status == 404)
        #expect(missing.reason == "notFound")

        // An update undeletes.
        let undelete = try await fake.send("PUT", "calendar/v3/calendars/primary/events/\(id)", json: timedEvent("Back"))
        #expect(undelete.status == 200)
        #expect(undelete["status"] as? String == "confirmed")
    }

    @Test func patchMergesAndIfMatchGuards() async throws {
        let fake = try Fake()
        let created = try await fake.insert(timedEvent("Original", extra: [
            "description": "keep me", "extendedProperties": ["private": ["a": "1"]], "sequence": 3,
        ]))
        let id = try #require(created["id"] as? String)
        let etag = try #require(created["etag"] as? String)
        let path = "calendar/v3/calendars/primary/events/\(id)"

        let patched = try await fake.send("PATCH", path, json: ["summary": "Renamed", "extendedProperties": ["private": ["b": "2"]]],
                                          headers: [("If-Match", etag)])
        #expect(patched.status == 200)
        #expect(patched["summary"] as? String == "Renamed")
        #expect(patched["description"] as? String == "keep me")
        let props = (patched["extendedProperties"] as? [String: Any])?["private"] as? [String: String]
        #expect(props == ["a": "1", "b": "2"])
        let newEtag = try #require(patched["etag"] as? String)
        #expect(newEtag != etag)
        #expect((patched["updated"] as? String ?? "") > (created["updated"] as? String ?? ""))

        let stale = try await fake.send("PATCH", path, json: ["summary": "Lost update"], headers: [("If-Match", etag)])
        #expect(stale.status == 412)
        #expect(stale.reason == "conditionNotMet")
        #expect(try await fake.send("GET", path)["summary"] as? String == "Renamed")

        // null clears a field; a lower sequence is refused.
        let cleared = try await fake.send("PATCH", path, json: ["description": NSNull()])
        #expect(cleared.status == 200)
        #expect(cleared["description"] == nil)
        let lower = try await fake.send("PATCH", path, json: ["sequence": 1])
        #expect(lower.status == 400)

        // PUT replaces: fields not sent are gone, read-only ones stay.
        let put = try await fake.send("PUT", path, json: timedEvent("Replaced"))
        #expect(put.status == 200)
        #expect(put["extendedProperties"] == nil)
        #expect(put["id"] as? String == id)
        #expect(put["created"] as? String == created["created"] as? String)
        #expect(put["sequence"] as? Int == 3)

        let notModified = try await fake.send("GET", path, headers: [("If-None-Match", put["etag"] as! String)])
        #expect(notModified.status == 304)
    }

    @Test func remindersAloneDoNotMoveUpdated() async throws {
        let fake = try Fake()
        let created = try await fake.insert(timedEvent("R"))
        let id = try #require(created["id"] as? String)
        let patched = try await fake.send("PATCH", "calendar/v3/calendars/primary/events/\(id)",
                                          json: ["reminders": ["useDefault": false, "overrides": [["method": "popup", "minutes": 10]]]])
        #expect(patched.status == 200)
        #expect(patched["updated"] as? String == created["updated"] as? String)
        #expect(patched["etag"] as? String != created["etag"] as? String)
    }

    @Test func calendarsAndTheCalendarList() async throws {
        let fake = try Fake()
        let list = try await fake.send("GET", "calendar/v3/users/me/calendarList")
        #expect(list.status == 200)
        #expect(list.items.count == 1)
        #expect(list.items[0]["primary"] as? Bool == true)
        #expect(list.items[0]["id"] as? String == "me@example.com")

        let created = try await fake.send("POST", "calendar/v3/calendars", json: ["summary": "Work", "timeZone": "Europe/Berlin"])
        #expect(created.status == 200)
        let id = try #require(created["id"] as? String)
        #expect(id.hasSuffix("@group.calendar.google.com"))
        let got = try await fake.send("GET", "calendar/v3/calendars/\(percentEncoded(id))")
        #expect(got["summary"] as? String == "Work")
        #expect(got["timeZone"] as? String == "Europe/Berlin")
        #expect(try await fake.send("POST", "calendar/v3/calendars", json: ["timeZone": "UTC"]).status == 400)

        let event = try await fake.insert(timedEvent("In Work"), calendar: percentEncoded(id))
        #expect(event.status == 200)
        #expect(try await fake.events("", calendar: percentEncoded(id)).items.count == 1)
        #expect(try await fake.events().items.isEmpty)
        #expect(try await fake.send("GET", "calendar/v3/calendars/nobody%40example.com/events").status == 404)
        #expect(try await fake.send("GET", "calendar/v3/users/me/calendarList").items.count == 2)
        // A method of the discovery document that the fake lacks.
        #expect(try await fake.send("POST", "calendar/v3/calendars/primary/events/quickAdd?text=Lunch").status == 501)
        #expect(try await fake.send("GET", "calendar/v3/nonsense").status == 404)
    }

    @Test func seededEventsAreVisibleThroughTheAPI() async throws {
        let fake = try Fake()
        var event = GoogleEvent()
        event.summary = "Seeded"
        event.iCalUID = "seed-1@calport.example"
        event.start = EventDateTime(date: "2026-05-01")
        event.end = EventDateTime(date: "2026-05-02")
        let ids = try fake.server.seed([event])
        #expect(ids.count == 1)
        #expect(try await fake.events().ids == ids)
        #expect(fake.server.storedEvents().first?.summary == "Seeded")
        #expect(throws: FakeGoogleServer.Failure.self) { try fake.server.seed([event]) }
    }

    @Test func everyServedRouteIsInTheDiscoveryDocument() throws {
        let methods = try DiscoveryMethods.embedded()
        let served: [(String, String, String)] = [
            ("calendar.calendarList.list", "GET", "users/me/calendarList"),
            ("calendar.calendarList.get", "GET", "users/me/calendarList/{calendarId}"),
            ("calendar.calendars.insert", "POST", "calendars"),
            ("calendar.calendars.get", "GET", "calendars/{calendarId}"),
            ("calendar.calendars.delete", "DELETE", "calendars/{calendarId}"),
            ("calendar.events.list", "GET", "calendars/{calendarId}/events"),
            ("calendar.events.insert", "POST", "calendars/{calendarId}/events"),
            ("calendar.events.import", "POST", "calendars/{calendarId}/events/import"),
            ("calendar.events.get", "GET", "calendars/{calendarId}/events/{eventId}"),
            ("calendar.events.update", "PUT", "calendars/{calendarId}/events/{eventId}"),
            ("calendar.events.patch", "PATCH", "calendars/{calendarId}/events/{eventId}"),
            ("calendar.events.delete", "DELETE", "calendars/{calendarId}/events/{eventId}"),
            ("calendar.events.instances", "GET", "calendars/{calendarId}/events/{eventId}/instances"),
        ]
        for (id, method, path) in served {
            let m = try #require(methods.methods[id], "\(id)")
            #expect(m.httpMethod == method, "\(id)")
            #expect(m.path == path, "\(id)")
        }
        #expect(methods.servicePath == "calendar/v3/")
        #expect(methods.batchPath == "batch/calendar/v3")
    }

    /// The embedded copy says what Google's document says: same revision, methods, parameters
    /// and schemas. When this fails, run `scripts/gen-discovery.py`.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: FakeGoogleServer.sharedDiscoveryDocument.path),
                   "../shared/corpus/google-api/calendar.v3.json is not present"))
    func theEmbeddedDiscoveryDocumentMatchesGooglesDocument() throws {
        let url = FakeGoogleServer.sharedDiscoveryDocument
        let (shared, embedded) = (try DiscoveryDocument(contentsOf: url), try DiscoveryDocument.embedded())
        #expect(embedded.revision == shared.revision)
        #expect(embedded.name == shared.name && embedded.version == shared.version)
        #expect(embedded.unhandledKeywords == shared.unhandledKeywords)
        #expect(embedded.schemas.keys.sorted() == shared.schemas.keys.sorted())
        for (name, schema) in shared.schemas {
            #expect(embedded.schemas[name].map { describe($0) } == describe(schema), "schema \(name)")
        }
        let (sharedMethods, embeddedMethods) = (try DiscoveryMethods(contentsOf: url), try DiscoveryMethods.embedded())
        #expect(embeddedMethods.servicePath == sharedMethods.servicePath && embeddedMethods.batchPath == sharedMethods.batchPath)
        #expect(embeddedMethods.methods.keys.sorted() == sharedMethods.methods.keys.sorted())
        for (id, m) in sharedMethods.methods {
            let e = try #require(embeddedMethods.methods[id])
            #expect(e.httpMethod == m.httpMethod && e.path == m.path, "\(id)")
            #expect(describe(e.parameters) == describe(m.parameters), "\(id)")
        }
        #expect(describe(embeddedMethods.globalParameters) == describe(sharedMethods.globalParameters))
    }

    /// A schema as nested text: every keyword the validator reads.
    private func describe(_ s: DiscoveryDocument.Schema) -> String {
        let props = s.properties.keys.sorted().map { "\($0):\(describe(s.properties[$0]!))" }.joined(separator: ",")
        return "[\(s.type ?? "")|\(s.ref ?? "")|\(s.format ?? "")|\(s.enumValues ?? [])|\(s.requiredFor)|{\(props)}"
            + "|\(s.items.map(describe) ?? "")|\(s.additionalProperties.map(describe) ?? "")]"
    }

    private func describe(_ p: [String: DiscoveryMethods.Parameter]) -> String {
        p.keys.sorted().map { k in
            let v = p[k]!
            return "\(k):\(v.type),\(v.location),\(v.required),\(v.repeated),\(v.enumValues ?? []),\(String(describing: v.minimum)),\(String(describing: v.maximum))"
        }.joined(separator: ";")
    }

    @Test func pkceS256ChallengeMatchesRFC7636() {
        // RFC 7636, appendix B.
        #expect(FakeGoogleServer.s256Challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
    }
}

@Suite(.timeLimit(.minutes(1)))
struct ServerTests {
    @Test func concurrentClientsAreSerializedSafely() async throws {
        let fake = try Fake()
        let ids = try await withThrowingTaskGroup(of: String?.self) { group in
            for i in 0..<100 {
                group.addTask { try await fake.insert(timedEvent("P\(i)", day: i % 20))["id"] as? String }
            }
            var ids: [String] = []
            for try await id in group { if let id { ids.append(id) } }
            return ids
        }
        #expect(Set(ids).count == 100)
        let listed = try await fake.events("maxResults=2500")
        #expect(Set(listed.ids) == Set(ids))
        #expect(fake.server.requestCount(for: "events.insert") == 100)
        #expect(fake.server.bytesSent > 0)
    }

    @Test func calendarIdsWithHashAndAt() async throws {
        let fake = try Fake(options: .init(accountEmail: "en.usa#holiday@group.v.calendar.google.com"))
        let id = percentEncoded("en.usa#holiday@group.v.calendar.google.com")
        #expect(try await fake.insert(timedEvent("x"), calendar: id).status == 200)
        #expect(try await fake.events("", calendar: id).items.count == 1)
        #expect(try await fake.events("", calendar: "primary").items.count == 1)
    }

    @Test func withoutTheDiscoveryDocumentBuiltInRulesStillApply() async throws {
        let fake = try Fake(options: .init(discoveryDocument: URL(fileURLWithPath: "/nonexistent/calendar.v3.json")))
        #expect(!fake.server.validatesAgainstDiscoveryDocument)
        #expect(try await fake.insert(timedEvent("x", extra: ["colour": "red"])).status == 200)  // not checked
        #expect(try await fake.insert(timedEvent("x", extra: ["id": "BAD"])).status == 400)
        #expect(try await fake.insert(["summary": "no times"]).status == 400)
        #expect(try await fake.importEvent(timedEvent("no uid")).status == 400)
        #expect(try await fake.events("anything=1").status == 200)  // parameters not checked
    }
}
