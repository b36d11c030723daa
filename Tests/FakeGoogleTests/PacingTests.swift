import Foundation
import GoogleAPI
import GoogleCalendar
import HTTP
import Testing
@testable import FakeGoogle

/// calport's API client against the fake's per-user quota (a real sliding window), against
/// seeded faults with the default retry policy (a time budget, not an attempt count), and
/// against a Google that lets nothing through (the client gives up at `maxWait`).
@Suite struct PacingTests {
    func event(_ n: Int, prefix: String) throws -> GoogleEvent {
        let object: [String: Any] = [
            "summary": "event \(n)", "iCalUID": "\(prefix)-\(n)@calport.test",
            "start": ["dateTime": String(format: "2026-05-%02dT%02d:00:00Z", 1 + n % 28, n % 24)],
            "end": ["dateTime": String(format: "2026-05-%02dT%02d:30:00Z", 1 + n % 28, n % 24)],
        ]
        return try JSONDecoder().decode(GoogleEvent.self, from: JSONSerialization.data(withJSONObject: object))
    }

    /// Sends imports as the push engine does: chunks of 50, four in flight.
    func push(_ api: GoogleCalendarAPI, _ count: Int, prefix: String, calendar: String) async throws -> [BatchResult] {
        let requests = try (0..<count).map { BatchRequest.importEvent(try event($0, prefix: prefix)) }
        let chunks = stride(from: 0, to: count, by: 50).map { Array(requests[$0..<min($0 + 50, count)]) }
        return try await withThrowingTaskGroup(of: [BatchResult].self) { group in
            var next = 0
            var all: [BatchResult] = []
            while next < min(4, chunks.count) {
                let c = chunks[next]
                group.addTask { try await api.batch(c, calendarId: calendar) }
                next += 1
            }
            while let r = try await group.next() {
                all += r
                if next < chunks.count {
                    let c = chunks[next]
                    group.addTask { try await api.batch(c, calendarId: calendar) }
                    next += 1
                }
            }
            return all
        }
    }

    @Test(arguments: [FakeGoogleServer.RateLimit.Answer.userRateLimitExceeded, .tooManyRequests])
    func quotaPacingLandsEveryCallAndRefusesFew(answer: FakeGoogleServer.RateLimit.Answer) async throws {
        let fake = try FakeGoogleServer()
        defer { fake.stop() }
        // Google's sliding window, shrunk: 150 calls in any 3 s (Google: 600 in any 60 s).
        fake.rateLimit = .init(calls: 150, per: .seconds(3), answer: answer)
        let api = GoogleCalendarAPI(http: sharedClient, root: fake.baseURL, environment: [:], accessToken: { "test-token" })
        let clock = ContinuousClock()
        let started = clock.now
        let results = try await push(api, 600, prefix: "quota-\(answer.rawValue)", calendar: fake.primaryCalendarId)
        let elapsed = clock.now - started

        #expect(results.count == 600)
        let failed = results.filter { !$0.succeeded }.map { "\($0.error.map { "\($0)" } ?? "?")" }
        #expect(failed.isEmpty, "\(failed.prefix(3))")
        #expect(fake.storedEvents().count == 600)
        let refused = fake.statistics.faults["quota"] ?? 0
        #expect(refused > 0, "the quota never bound")
        // Hammering would be refused far more often than it succeeds.
        #expect(refused <= 300, "\(refused) refused calls for 600 successful ones")
        let pacing = api.pacing
        #expect(pacing.refusedCalls == refused)
        #expect(pacing.learnedCalls != nil, "no limit was learned: \(pacing)")
        #expect(pacing.description.hasPrefix("rate-limited by Google: "))
        // 600 calls at 150 per 3 s need at least 9 s: the quota-bound time, plus at most 15 s
        // (loose: two cores, shared).
        #expect(elapsed >= .seconds(9))
        #expect(elapsed < .seconds(24), "\(elapsed)")
    }

    @Test func tenSeededFaultRunsLoseAndRepeatNothing() async throws {
        for seed in UInt64(1)...10 {
            let fake = try FakeGoogleServer()
            defer { fake.stop() }
            // 10% of calls fail (rate limits, 5xx, drops, lost answers), plus 2% more drops.
            fake.faults = .init(rateLimitExceeded: 0.025, backendError: 0.025, internalError: 0.0125, dropConnection: 0.035,
                                dropAfterApplying: 0.0225, seed: seed)
            // The default policy (no attempt count); sleeps skipped, the client's clock still moves.
            let api = GoogleCalendarAPI(http: sharedClient, root: fake.baseURL, environment: [:], sleep: { _ in },
                                        accessToken: { "test-token" })
            let results = try await push(api, 300, prefix: "faults-\(seed)", calendar: fake.primaryCalendarId)
            let failed = results.filter { !$0.succeeded }.map { "\($0.error.map { "\($0)" } ?? "?")" }
            #expect(failed.isEmpty, "seed \(seed): \(failed.prefix(3))")
            let injected = fake.statistics.faults
            fake.faults = .none
            let uids = fake.storedEvents().compactMap(\.iCalUID)
            #expect(uids.count == 300 && Set(uids).count == 300, "seed \(seed): \(uids.count) stored")
            #expect(injected.values.reduce(0, +) >= 10, "seed \(seed): too few faults: \(injected)")
        }
    }

    @Test func givesUpAtMaxWaitWhenNothingGetsThrough() async throws {
        let fake = try FakeGoogleServer()
        defer { fake.stop() }
        fake.rateLimit = .init(calls: 0, per: .seconds(60))
        let api = GoogleCalendarAPI(http: sharedClient, root: fake.baseURL, environment: [:],
                                    retryPolicy: RetryPolicy(maxWait: .seconds(120)), sleep: { _ in },
                                    accessToken: { "test-token" })
        let results = try await push(api, 120, prefix: "stuck", calendar: fake.primaryCalendarId)
        #expect(results.count == 120 && results.allSatisfy { !$0.succeeded })
        let error = try #require(results.first?.error)
        #expect(error.kind == .rateLimited && error.gaveUpAfter != nil)
        #expect(error.description.contains("no call to Google succeeded for 120 s"), "\(error)")
        #expect(error.description.contains("--max-wait"))
        // Paused and probed, not hammered: the first requests, then a few probes of few calls.
        let refused = fake.statistics.faults["quota"] ?? 0
        #expect(refused <= 200 + 12 * 10, "\(refused) refused calls")

        // A call begun well after the client gave up gets a budget of its own.
        fake.rateLimit = nil
        try await Task.sleep(for: .milliseconds(2100))
        let listed = try await api.listEvents(calendarId: fake.primaryCalendarId)
        #expect(listed.items?.isEmpty ?? true)
    }
}
