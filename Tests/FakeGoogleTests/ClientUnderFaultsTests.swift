import Foundation
import GoogleAPI
import GoogleCalendar
import HTTP
import Testing
@testable import FakeGoogle

/// calport's API client against the fake with one call in five failing: rate limits, 5xx,
/// connections dropped before the call is applied, and answers lost after it was applied.
@Suite struct ClientUnderFaultsTests {
    static let faults = FakeGoogleServer.Faults(
        rateLimitExceeded: 0.04, userRateLimitExceeded: 0.02, tooManyRequests: 0.02, backendError: 0.04,
        internalError: 0.02, dropConnection: 0.03, dropAfterApplying: 0.03, seed: 7)

    func client(_ fake: FakeGoogleServer) -> GoogleCalendarAPI {
        // Many attempts, no waiting: the point is correctness, not the backoff schedule.
        GoogleCalendarAPI(
            http: sharedClient, root: fake.baseURL,
            retryPolicy: RetryPolicy(maxAttempts: 12, baseDelay: .milliseconds(1), maxDelay: .milliseconds(2), jitter: { $0 }),
            sleep: { _ in }, accessToken: { "test-token" })
    }

    func event(_ n: Int, id: String? = nil, iCalUID: String? = nil) throws -> GoogleEvent {
        var object: [String: Any] = [
            "summary": "event \(n)",
            "start": ["dateTime": String(format: "2026-05-%02dT%02d:00:00Z", 1 + n % 28, n % 24)],
            "end": ["dateTime": String(format: "2026-05-%02dT%02d:30:00Z", 1 + n % 28, n % 24)],
        ]
        if let id { object["id"] = id }
        if let iCalUID { object["iCalUID"] = iCalUID }
        return try JSONDecoder().decode(GoogleEvent.self, from: JSONSerialization.data(withJSONObject: object))
    }

    @Test func listing2000EventsLosesAndRepeatsNothing() async throws {
        let fake = try FakeGoogleServer()
        let api = client(fake)
        let calendar = fake.primaryCalendarId
        var requests: [BatchRequest] = []
        for n in 0..<2000 { requests.append(.importEvent(try event(n, iCalUID: "list-\(n)@calport.test"))) }
        let seeded = try await api.batch(requests, calendarId: calendar)
        #expect(seeded.filter { !$0.succeeded }.isEmpty)

        fake.faults = Self.faults
        let listed = try await api.allEvents(calendarId: calendar, options: ListOptions(maxResults: 250))
        #expect(listed.pages == 8)
        let uids = listed.items.compactMap(\.iCalUID)
        #expect(uids.count == 2000)
        #expect(Set(uids) == Set((0..<2000).map { "list-\($0)@calport.test" }))
        #expect(fake.statistics.faults.values.reduce(0, +) > 0, "no fault was injected")
    }

    @Test func inserting500EventsMakesEachExactlyOnce() async throws {
        let fake = try FakeGoogleServer()
        let api = client(fake)
        let calendar = fake.primaryCalendarId
        fake.faults = Self.faults
        // Half one by one, half in batches of 50; ids are the client's, so a retried insert
        // whose first answer was lost meets 409 and is recognised as done.
        for n in 0..<250 {
            let inserted = try await api.insertEvent(try event(n, id: String(format: "calport%05d", n)), calendarId: calendar, sendUpdates: .none)
            #expect(inserted.id == String(format: "calport%05d", n))
        }
        var requests: [BatchRequest] = []
        for n in 250..<500 { requests.append(.insert(try event(n, id: String(format: "calport%05d", n)), sendUpdates: .none)) }
        let results = try await api.batch(requests, calendarId: calendar, partsPerBatch: 50)
        #expect(results.count == 250)
        let failed = results.filter { !$0.succeeded }.map { "\($0.error.map { "\($0)" } ?? "?")" }
        #expect(failed.isEmpty, "\(failed.prefix(3))")

        let injected = fake.statistics.faults
        fake.faults = .none
        let listed = try await api.allEvents(calendarId: calendar)
        let ids = listed.items.compactMap(\.id)
        #expect(ids.count == 500)
        #expect(Set(ids) == Set((0..<500).map { String(format: "calport%05d", $0) }))
        #expect(listed.items.allSatisfy { $0.summary == "event \(Int($0.id!.dropFirst(7))!)" })
        #expect((injected["dropAfterApplying"] ?? 0) > 0, "no answer was lost: \(injected)")
        #expect(injected.values.reduce(0, +) >= 50, "too few faults injected: \(injected)")
    }
}
