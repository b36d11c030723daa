import Foundation
import HTTP
import Testing
@testable import FakeGoogle

@Suite(.timeLimit(.minutes(1)))
struct FaultTests {
    @Test func rateLimitEverywhereAppliesNothing() async throws {
        let fake = try Fake()
        fake.server.faults = .init(rateLimitExceeded: 1)
        let r = try await fake.importEvent(timedEvent("x", extra: ["iCalUID": "limited@x"]))
        #expect(r.status == 403)
        #expect(r.reason == "rateLimitExceeded")
        #expect(((r["error"] as? [String: Any])?["errors"] as? [[String: Any]])?.first?["domain"] as? String == "usageLimits")
        // The token endpoint never faults.
        #expect(try await fake.form("token", [("grant_type", "refresh_token"), ("refresh_token", "r")]).status == 200)
        fake.server.faults = .none
        // The failed import left nothing behind: the retry succeeds.
        #expect(try await fake.importEvent(timedEvent("x", extra: ["iCalUID": "limited@x"])).status == 200)
        #expect(fake.server.statistics.faults["rateLimitExceeded"] == 1)
    }

    @Test func otherFaults() async throws {
        let fake = try Fake()
        fake.server.faults = .init(tooManyRequests: 1)
        let tooMany = try await fake.events()
        #expect(tooMany.status == 429)
        #expect(tooMany.headers["retry-after"] == "1")

        fake.server.faults = .init(backendError: 1)
        let backend = try await fake.events()
        #expect(backend.status == 503)
        #expect(backend.reason == "backendError")

        fake.server.faults = .init(dropConnection: 1)
        await #expect(throws: HTTPError.self) { try await fake.events() }

        fake.server.faults = .none
        fake.server.failNext(2, with: .quotaExceeded)
        let quota = try await fake.events()
        #expect(quota.status == 403)
        #expect(quota.reason == "quotaExceeded")
        #expect(quota.message == "Calendar usage limits exceeded.")
        #expect(try await fake.events().status == 403)
        #expect(try await fake.events().status == 200)

        fake.server.usageLimitsExceeded = true
        #expect(try await fake.insert(timedEvent("x")).status == 403)
        #expect(try await fake.events().status == 200)
        fake.server.usageLimitsExceeded = false

        // A lost response: applied, then dropped; the retry meets 409.
        fake.server.faults = .init(dropAfterApplying: 1)
        await #expect(throws: HTTPError.self) { try await fake.importEvent(timedEvent("x", extra: ["iCalUID": "lost@x"])) }
        fake.server.faults = .none
        #expect(try await fake.importEvent(timedEvent("x", extra: ["iCalUID": "lost@x"])).status == 409)
    }

    @Test func faultsAreDeterministicForASeed() async throws {
        func run() async throws -> [Int] {
            let fake = try Fake()
            fake.server.faults = .init(rateLimitExceeded: 0.3, backendError: 0.2, seed: 42)
            var statuses: [Int] = []
            for _ in 0..<20 { statuses.append(try await fake.events().status) }
            return statuses
        }
        let a = try await run()
        #expect(a == (try await run()))
        #expect(a.contains(200) && a.contains { $0 != 200 })
    }

    @Test func rateLimitWindow() async throws {
        let fake = try Fake()
        fake.server.rateLimit = .init(calls: 3, per: .seconds(60))
        var statuses: [Int] = []
        for _ in 0..<5 { statuses.append(try await fake.events().status) }
        #expect(statuses == [200, 200, 200, 403, 403])
    }

    @Test func addedLatency() async throws {
        let fake = try Fake()
        _ = try await fake.events()  // a warm connection
        fake.server.faults = .init(latency: .milliseconds(50))
        let clock = ContinuousClock()
        let start = clock.now
        for _ in 0..<3 { #expect(try await fake.events().status == 200) }
        let elapsed = clock.now - start
        #expect(elapsed >= .milliseconds(150))
        // Loose: the suites run side by side on two cores; far more would mean latency per byte.
        #expect(elapsed < .seconds(30))
    }
}
