import Foundation
@testable import GoogleAPI
@testable import GoogleCalendar
import HTTP
import Testing

private typealias F = APIFixtures

/// The API client against a server that does not behave like Google (issue 14): page tokens
/// that never end, absurd Retry-After values, paths that a URL normaliser would rewrite, and a
/// plain-http root that would carry the bearer token in the clear. Nothing here leaves the
/// process: `ScriptedHTTP` answers.
@Suite struct HostileServerTests {
    // MARK: Pagination

    /// A server that answers `nextPageToken` with the token it was just given, `pages` times,
    /// then ends the listing (so that a client without a guard still finishes, and fails the test
    /// instead of hanging it).
    static func repeatingPages(_ pages: Int, token: String = "same", body: @escaping @Sendable (String) -> String) -> ScriptedHTTP {
        let served = Counter()
        return ScriptedHTTP(fallback: { _ in
            served.increment()
            let next = served.value < pages ? ",\"nextPageToken\":\"\(token)\"" : ""
            return F.json(200, body(next))
        })
    }

    static func eventsPage(_ next: String) -> String { "{\"kind\":\"calendar#events\",\"items\":[\(F.eventJSON(id: "e1"))]\(next)}" }
    static func calendarsPage(_ next: String) -> String { "{\"items\":[{\"id\":\"c@x\"}]\(next)}" }

    @Test func repeatedPageTokenStopsAnEventListing() async throws {
        let http = Self.repeatingPages(50, body: Self.eventsPage)
        let api = F.api(http)
        let error = await #expect(throws: GoogleAPIError.self) { _ = try await api.allEvents(calendarId: "primary") }
        #expect(http.requests.count == 2, "the second answer repeats the token just sent")
        #expect(error?.kind == .endlessListing)
        #expect(error?.description.contains("page token") == true)
        #expect(Self.outcomeIsNotRetried(error))
    }

    @Test func repeatedPageTokenStopsTheEventStream() async throws {
        let http = Self.repeatingPages(50, body: Self.eventsPage)
        let api = F.api(http)
        var seen = 0
        await #expect(throws: GoogleAPIError.self) {
            for try await _ in api.events(calendarId: "primary") { seen += 1 }
        }
        #expect(http.requests.count == 2 && seen == 2)
    }

    @Test func repeatedPageTokenStopsTheCalendarList() async throws {
        let http = Self.repeatingPages(50, body: Self.calendarsPage)
        let api = F.api(http)
        let error = await #expect(throws: GoogleAPIError.self) { _ = try await api.allCalendars() }
        #expect(http.requests.count == 2)
        #expect(error?.operation == "calendarList.list")
    }

    @Test func repeatedPageTokenStopsTheInstances() async throws {
        let http = Self.repeatingPages(50, body: Self.eventsPage)
        let api = F.api(http)
        await #expect(throws: GoogleAPIError.self) { _ = try await api.allInstances(calendarId: "primary", eventId: "e1") }
        #expect(http.requests.count == 2)
    }

    /// A token seen earlier, not just the last one: A, B, A, B, ... is a loop too.
    @Test func pageTokenCycleIsALoop() async throws {
        let served = Counter()
        let http = ScriptedHTTP(fallback: { _ in
            served.increment()
            let next = served.value < 50 ? ",\"nextPageToken\":\"\(served.value % 2 == 0 ? "A" : "B")\"" : ""
            return F.json(200, Self.eventsPage(next))
        })
        let api = F.api(http)
        await #expect(throws: GoogleAPIError.self) { _ = try await api.allEvents(calendarId: "primary") }
        #expect(http.requests.count == 3)
    }

    /// Endless distinct tokens: the listing stops at the page limit (10,000 by default) instead
    /// of growing memory until the process dies.
    @Test func endlessDistinctPageTokensStopAtThePageLimit() async throws {
        let served = Counter()
        let limit = ListingLimits.standard.maxPages
        let http = ScriptedHTTP(fallback: { _ in
            served.increment()
            let next = served.value < limit + 50 ? ",\"nextPageToken\":\"t\(served.value)\"" : ""
            return F.json(200, "{\"items\":[]\(next)}")
        })
        let api = F.api(http)
        let error = await #expect(throws: GoogleAPIError.self) { _ = try await api.allEvents(calendarId: "primary") }
        #expect(http.requests.count == limit)
        #expect(error?.kind == .endlessListing)
        #expect(error?.description.contains("\(limit) pages") == true)
    }

    @Test func listingStopsAtTheItemLimit() async throws {
        let served = Counter()
        let http = ScriptedHTTP(fallback: { _ in
            served.increment()
            let items = (0..<3).map { F.eventJSON(id: "e\(served.value)x\($0)") }.joined(separator: ",")
            return F.json(200, "{\"items\":[\(items)],\"nextPageToken\":\"t\(served.value)\"}")
        })
        let api = GoogleCalendarAPI(
            http: http, root: F.root, environment: [:], retryPolicy: F.policy(), listingLimits: ListingLimits(maxPages: 100, maxItems: 10),
            accessToken: { F.token })
        let error = await #expect(throws: GoogleAPIError.self) { _ = try await api.allEvents(calendarId: "primary") }
        #expect(http.requests.count == 4, "the fourth page brings the count to 12, past 10")
        #expect(error?.description.contains("10 items") == true)
    }

    static func outcomeIsNotRetried(_ error: GoogleAPIError?) -> Bool { error?.isRetryable == false }

    // MARK: Retry-After

    /// Values a server may send: huge, negative, fractional, not a number, an HTTP date. None
    /// may crash calport (1e16 seconds did: `Double value cannot be converted to Int64`).
    @Test(arguments: [
        "1e16", "1e308", "99999999999999999999", "9223372036854775807", "-5", "-0.5", "nan", "inf", "-inf", "0x10",
        " 7 ", "1.5", "", "Wed, 21 Oct 2015 07:28:00 GMT", "1e-400", "+3",
    ])
    func oddRetryAfterValuesDoNotCrash(_ value: String) {
        let parsed = GoogleAPIError.parseRetryAfter(value)
        if let parsed {
            #expect(parsed >= .zero)
            #expect(parsed <= GoogleAPIError.longestRetryAfter)
        }
    }

    @Test func hugeRetryAfterIsNotWaitedForAndSaysNothingWasRetried() async throws {
        let sleeps = SleepLog()
        let http = ScriptedHTTP(fallback: { _ in
            F.googleError(429, reason: "rateLimitExceeded", message: "slow down", headers: ["retry-after": "1e16"])
        })
        let api = F.api(http, sleeps: sleeps)
        let error = await #expect(throws: GoogleAPIError.self) { _ = try await api.calendarList() }
        #expect(http.requests.count == 1 && sleeps.delays.isEmpty)
        let text = error?.description ?? ""
        #expect(!text.contains("backed off and retried"), "\(text)")
        #expect(text.contains("nothing was retried"), "\(text)")
    }

    @Test func hugeRetryAfterOnABatchPartIsNotWaitedFor() async throws {
        let sleeps = SleepLog()
        let http = ScriptedHTTP(fallback: { _ in
            var answer = BatchText.response([(id: "item-1", status: 429,
                                              body: #"{"error":{"code":429,"message":"slow","errors":[{"reason":"rateLimitExceeded"}]}}"#)])
            // The part's own Retry-After header rides inside the multipart answer.
            answer.body = Array(String(decoding: answer.body, as: UTF8.self)
                .replacingOccurrences(of: "Vary: Origin", with: "Retry-After: 1e16").utf8)
            return answer
        })
        let api = F.api(http, sleeps: sleeps)
        let results = try await api.batch([.get(eventId: "e1")], calendarId: "primary")
        #expect(results.count == 1 && results[0].status == 429)
        #expect(http.requests.count == 1 && sleeps.delays.isEmpty)
        #expect(results[0].error?.description.contains("nothing was retried") == true)
    }

    // MARK: Paths

    /// "." and ".." as calendar or event ids must reach Google as ids, not as path steps that
    /// curl (RFC 3986 §5.2.4) would remove together with the segment before them.
    @Test(arguments: [".", "..", "..."])
    func dotSegmentIdsAreEncoded(_ id: String) async throws {
        let http = ScriptedHTTP(fallback: { _ in F.json(200, F.eventJSON(id: "e1")) })
        let api = F.api(http)
        _ = try await api.getEvent(calendarId: id, eventId: id)
        _ = try? await api.calendar(id: id)
        let dots = String(repeating: "%2E", count: id.count)
        #expect(http.requests[0].url == "\(F.root)calendar/v3/calendars/\(dots)/events/\(dots)")
        #expect(http.requests[1].url == "\(F.root)calendar/v3/calendars/\(dots)")
    }

    @Test func dotsInsideAnIdStayReadable() async throws {
        let http = ScriptedHTTP(fallback: { _ in F.json(200, F.eventJSON(id: "e1")) })
        _ = try await F.api(http).getEvent(calendarId: "a.b@group.calendar.google.com", eventId: "e1")
        #expect(http.requests[0].url == "\(F.root)calendar/v3/calendars/a.b%40group.calendar.google.com/events/e1")
    }

    // MARK: Plain http

    /// The bearer token goes only over https, or plain http to loopback: the same rule as for
    /// a client secret's token_uri.
    @Test(arguments: ["http://calendar.test/", "http://10.0.0.1:8080/", "http://127.0.0.1.example.com/",
                      "http://localhost.example.com/", "HTTP://calendar.test/", "http://[::2]/"])
    func plainHTTPRootIsRefusedBeforeSending(_ root: String) async throws {
        let http = ScriptedHTTP(fallback: { _ in F.json(200, #"{"items":[]}"#) })
        let api = GoogleCalendarAPI(http: http, root: root, environment: [:], retryPolicy: F.policy(), accessToken: { F.token })
        let error = await #expect(throws: GoogleAPIError.self) { _ = try await api.calendarList() }
        #expect(http.requests.isEmpty, "nothing, above all no token, goes to \(root)")
        #expect(error?.kind == .insecureRoot)
        #expect(error?.description.contains(GoogleCalendarAPI.rootEnvironmentVariable) == true)
        await #expect(throws: GoogleAPIError.self) { _ = try await api.batch([.get(eventId: "e1")], calendarId: "primary") }
        #expect(http.requests.isEmpty)
    }

    @Test(arguments: ["https://calendar.test/", "http://127.0.0.1:8080/", "http://127.1.2.3/", "http://localhost:1/",
                      "http://LOCALHOST/", "http://[::1]:8080/"])
    func httpsOrLoopbackRootIsUsed(_ root: String) async throws {
        let http = ScriptedHTTP(fallback: { _ in F.json(200, #"{"items":[]}"#) })
        let api = GoogleCalendarAPI(http: http, root: root, environment: [:], retryPolicy: F.policy(), accessToken: { F.token })
        _ = try await api.calendarList()
        #expect(http.requests.count == 1)
    }
}
