import Foundation
@testable import GoogleAPI
@testable import GoogleCalendar
import HTTP
import Testing

private typealias F = APIFixtures

@Suite struct APIClientTests {
    // MARK: Paths, parameters, headers

    @Test func pathAndQueryArePercentEncoded() async throws {
        let http = ScriptedHTTP([
            .respond(F.json(200, F.eventJSON(id: "ev1"))),
            .respond(F.json(200, #"{"kind":"calendar#events","items":[]}"#)),
        ])
        let api = F.api(http)
        _ = try await api.getEvent(calendarId: F.calendarId, eventId: "ev1_20260302T080000Z")
        var o = ListOptions(showDeleted: true, singleEvents: true, timeMin: "2026-01-01T00:00:00+01:00", timeMax: "2027-01-01T00:00:00Z")
        o.privateExtendedProperty = ["calport=1", "source=a b&c"]
        o.pageToken = "tok/with+plus=="
        _ = try await api.listEvents(calendarId: F.calendarId, options: o)

        let get = http.requests[0]
        #expect(get.method == "GET")
        #expect(get.url == "https://calendar.test/calendar/v3/calendars/a%23b%40group.calendar.google.com/events/ev1_20260302T080000Z")
        #expect(get.header("Authorization") == "Bearer \(F.token)")
        #expect(get.header("Accept") == "application/json")
        #expect(get.header("Content-Type") == nil)
        #expect(get.body == nil)

        let list = ParsedURL(http.requests[1].url)
        #expect(list.path == "/calendar/v3/calendars/\(F.encodedCalendarId)/events")
        #expect(list.value("maxResults") == "2500")
        #expect(list.value("showDeleted") == "true")
        #expect(list.value("singleEvents") == "true")
        #expect(list.value("timeMin") == "2026-01-01T00:00:00+01:00")
        #expect(list.rawQuery.contains("timeMin=2026-01-01T00%3A00%3A00%2B01%3A00"))
        #expect(list.values("privateExtendedProperty") == ["calport=1", "source=a b&c"])
        #expect(list.rawQuery.contains("privateExtendedProperty=source%3Da%20b%26c"))
        #expect(list.value("pageToken") == "tok/with+plus==")
        #expect(!list.names.contains("fields"), "fields only when asked")
        #expect(!list.names.contains("syncToken"))
    }

    @Test func calendarsEndpoints() async throws {
        let http = ScriptedHTTP([
            .respond(F.json(200, #"{"items":[{"id":"primary@x","primary":true,"accessRole":"owner"}],"nextPageToken":"p2"}"#)),
            .respond(F.json(200, #"{"items":[{"id":"a#b@group.calendar.google.com","summaryOverride":"Mine"}],"nextSyncToken":"s"}"#)),
            .respond(F.json(200, #"{"kind":"calendar#calendar","id":"a#b@group.calendar.google.com","timeZone":"Europe/Berlin"}"#)),
            .respond(F.json(200, #"{"kind":"calendar#calendar","id":"new@group.calendar.google.com","summary":"Imported"}"#)),
        ])
        let api = F.api(http)
        let all = try await api.allCalendars()
        #expect(all.map(\.id) == ["primary@x", F.calendarId])
        #expect(all[0].canWrite && all[0].primary == true)
        #expect(all[1].displayName == "Mine")
        let cal = try await api.calendar(id: F.calendarId)
        #expect(cal.timeZone == "Europe/Berlin")
        let made = try await api.insertCalendar(summary: "Imported", timeZone: "Europe/Berlin")
        #expect(made.id == "new@group.calendar.google.com")

        let r = http.requests
        #expect(ParsedURL(r[0].url).path == "/calendar/v3/users/me/calendarList")
        #expect(ParsedURL(r[0].url).value("pageToken") == nil)
        #expect(ParsedURL(r[1].url).value("pageToken") == "p2")
        #expect(r[2].url == "https://calendar.test/calendar/v3/calendars/\(F.encodedCalendarId)")
        #expect(r[3].method == "POST" && r[3].url == "https://calendar.test/calendar/v3/calendars")
        #expect(r[3].header("Content-Type") == "application/json")
        let body = try JSONSerialization.jsonObject(with: Data(r[3].body!)) as! [String: Any]
        #expect(body["summary"] as? String == "Imported" && body["timeZone"] as? String == "Europe/Berlin")
    }

    @Test func sendUpdatesIsExplicitOnEveryWriteAndAbsentOnImport() async throws {
        let ok = F.json(200, F.eventJSON(id: "e1"))
        let http = ScriptedHTTP([.respond(ok), .respond(ok), .respond(ok), .respond(ok), .respond(HTTPResponse(status: 204)), .respond(ok)])
        let api = F.api(http)
        let e = F.event(summary: "Planning", id: "abc12345")
        _ = try await api.insertEvent(e, calendarId: F.calendarId, sendUpdates: .none, conferenceDataVersion: 1)
        _ = try await api.updateEvent(e, calendarId: F.calendarId, eventId: "abc12345", sendUpdates: .externalOnly, ifMatch: "\"etag-1\"")
        _ = try await api.patchEvent(F.event(summary: "New"), calendarId: F.calendarId, eventId: "abc12345", sendUpdates: .all)
        _ = try await api.patchEvent(json: .object(["location": .null]), calendarId: F.calendarId, eventId: "abc12345", sendUpdates: .none)
        try await api.deleteEvent(calendarId: F.calendarId, eventId: "abc12345", sendUpdates: .none)
        _ = try await api.importEvent(F.event(summary: "Imported", iCalUID: "uid-1@example.com"), calendarId: F.calendarId,
                                      conferenceDataVersion: 1, supportsAttachments: true)

        let r = http.requests
        #expect(r.map(\.method) == ["POST", "PUT", "PATCH", "PATCH", "DELETE", "POST"])
        let base = "/calendar/v3/calendars/\(F.encodedCalendarId)/events"
        #expect(r.map { ParsedURL($0.url).path } == [base, base + "/abc12345", base + "/abc12345", base + "/abc12345", base + "/abc12345", base + "/import"])
        #expect(r.prefix(5).map { ParsedURL($0.url).value("sendUpdates") } == ["none", "externalOnly", "all", "none", "none"])
        #expect(ParsedURL(r[0].url).value("conferenceDataVersion") == "1")
        let imp = ParsedURL(r[5].url)
        #expect(!imp.names.contains("sendUpdates") && !imp.names.contains("sendNotifications"))
        #expect(imp.value("conferenceDataVersion") == "1" && imp.value("supportsAttachments") == "true")
        #expect(r[1].header("If-Match") == "\"etag-1\"")
        for w in r where w.body != nil {
            #expect(w.header("Content-Type") == "application/json")
            #expect(w.header("Accept") == "application/json")
        }
        #expect(r[4].body == nil && r[4].header("Content-Type") == nil)
        let inserted = try JSONDecoder().decode(GoogleEvent.self, from: Data(r[0].body!))
        #expect(inserted == e)
        #expect(String(decoding: r[3].body!, as: UTF8.self) == #"{"location":null}"#)
    }

    @Test func rootAndTokenFromTheEnvironment() async throws {
        let http = ScriptedHTTP([.respond(F.json(200, #"{"items":[]}"#))])
        let env = ["CALPORT_GOOGLE_API_ROOT": "http://127.0.0.1:8099/fake", "CALPORT_ACCESS_TOKEN": "env-token\n"]
        let api = try #require(GoogleCalendarAPI(http: http, environment: env))
        #expect(api.root == "http://127.0.0.1:8099/fake/")
        _ = try await api.calendarList()
        #expect(http.requests[0].url.hasPrefix("http://127.0.0.1:8099/fake/calendar/v3/users/me/calendarList?"))
        #expect(http.requests[0].header("Authorization") == "Bearer env-token")
        #expect(GoogleCalendarAPI(http: http, environment: [:]) == nil)
        #expect(GoogleCalendarAPI(http: http, environment: [:], accessToken: { "" }).root == "https://www.googleapis.com/")
    }

    // MARK: Paging

    @Test func pagingFollowsNextPageTokenAndReturnsTheSyncToken() async throws {
        let http = ScriptedHTTP([
            .respond(F.json(200, #"{"items":[{"id":"a"},{"id":"b"}],"nextPageToken":"page 2"}"#)),
            .respond(F.json(200, #"{"items":[{"id":"c"}],"nextPageToken":"p3"}"#)),
            .respond(F.json(200, #"{"items":[],"nextSyncToken":"sync-xyz"}"#)),
        ])
        let api = F.api(http)
        let all = try await api.allEvents(calendarId: F.calendarId, options: ListOptions(showDeleted: true))
        #expect(all.items.map(\.id) == ["a", "b", "c"])
        #expect(all.nextSyncToken == "sync-xyz")
        #expect(all.pages == 3)
        let urls = http.requests.map { ParsedURL($0.url) }
        #expect(urls.map { $0.value("pageToken") } == [nil, "page 2", "p3"])
        #expect(urls.allSatisfy { $0.value("showDeleted") == "true" && $0.value("maxResults") == "2500" })
    }

    @Test func eventStreamAndSyncToken() async throws {
        let http = ScriptedHTTP([
            .respond(F.json(200, #"{"items":[{"id":"a"}],"nextPageToken":"p2"}"#)),
            .respond(F.json(200, #"{"items":[{"id":"b"},{"id":"c"}],"nextSyncToken":"s2"}"#)),
        ])
        let api = F.api(http)
        var ids: [String] = []
        for try await e in api.events(calendarId: "primary", options: ListOptions(syncToken: "s1", fields: "items(id)")) {
            ids.append(e.id ?? "")
        }
        #expect(ids == ["a", "b", "c"])
        let first = ParsedURL(http.requests[0].url)
        #expect(first.value("syncToken") == "s1")
        #expect(first.value("fields") == "items(id),nextPageToken,nextSyncToken")
    }

    @Test func goneSyncTokenMeansFullSync() async throws {
        let http = ScriptedHTTP([.respond(F.googleError(410, reason: "fullSyncRequired", message: "Sync token is no longer valid, a full sync is required."))])
        let api = F.api(http)
        let error = await #expect(throws: GoogleAPIError.self) {
            _ = try await api.allEvents(calendarId: "primary", options: ListOptions(syncToken: "old"))
        }
        #expect(error?.fullSyncRequired == true && error?.isGone == true && error?.kind == .gone)
        #expect(error?.description.contains("full sync") == true)
        #expect(http.requests.count == 1)
    }

    // MARK: Tokens

    @Test func unauthorizedRunsTheHookAndRetriesOnce() async throws {
        let current = TokenBox("old-token")
        let hooks = Counter()
        let http = ScriptedHTTP([
            .respond(F.googleError(401, reason: "authError", message: "Invalid Credentials")),
            .respond(F.json(200, F.eventJSON(id: "e1"))),
        ])
        let api = F.api(http, token: { current.value }, onTokenRejected: {
            hooks.increment()
            current.value = "new-token"
        })
        let e = try await api.getEvent(calendarId: "primary", eventId: "e1")
        #expect(e.id == "e1")
        #expect(hooks.value == 1)
        #expect(http.requests.map { $0.header("Authorization") } == ["Bearer old-token", "Bearer new-token"])
        #expect(api.stats.tokenRefreshes == 1 && api.stats.retries == 0 && api.stats.requests == 2)
    }

    @Test func secondUnauthorizedIsAnAuthError() async throws {
        let hooks = Counter()
        let http = ScriptedHTTP([
            .respond(F.googleError(401, reason: "authError", message: "Invalid Credentials")),
            .respond(F.googleError(401, reason: "authError", message: "Invalid Credentials")),
        ])
        let api = F.api(http, onTokenRejected: { hooks.increment() })
        let error = await #expect(throws: GoogleAPIError.self) {
            _ = try await api.listEvents(calendarId: "primary")
        }
        #expect(error?.isAuth == true && error?.kind == .unauthorized)
        #expect(error?.description.contains("calport auth login") == true)
        #expect(hooks.value == 1)
        #expect(http.requests.count == 2)
    }

    @Test func concurrentUnauthorizedRequestsRefreshOnce() async throws {
        let current = TokenBox("old")
        let hooks = Counter()
        let http = ScriptedHTTP(fallback: { r in
            r.header("Authorization") == "Bearer new" ? F.json(200, F.eventJSON(id: "x")) : F.googleError(401, reason: "authError", message: "Invalid Credentials")
        })
        let api = F.api(http, token: { current.value }, onTokenRejected: {
            hooks.increment()
            try await Task.sleep(for: .milliseconds(20))
            current.value = "new"
        })
        try await withThrowingTaskGroup(of: Void.self) { g in
            for i in 0..<8 { g.addTask { _ = try await api.getEvent(calendarId: "primary", eventId: "e\(i)") } }
            try await g.waitForAll()
        }
        #expect(hooks.value == 1)
    }

    // MARK: Retries

    @Test func tooManyRequestsHonoursRetryAfter() async throws {
        let sleeps = SleepLog()
        let http = ScriptedHTTP([
            .respond(F.googleError(429, reason: "rateLimitExceeded", message: "Rate Limit Exceeded", headers: ["retry-after": "7"])),
            .respond(F.json(200, F.eventJSON(id: "e1"))),
        ])
        let api = F.api(http, sleeps: sleeps)
        _ = try await api.getEvent(calendarId: "primary", eventId: "e1")
        #expect(sleeps.delays == [.seconds(7)])
        #expect(api.stats.retries == 1 && api.stats.byStatus == [429: 1, 200: 1])
    }

    @Test func userRateLimitIsRetriedWithBackoff() async throws {
        let sleeps = SleepLog()
        let limited = F.googleError(403, reason: "userRateLimitExceeded", message: "User Rate Limit Exceeded", domain: "usageLimits")
        let http = ScriptedHTTP([.respond(limited), .respond(limited), .respond(F.json(200, F.eventJSON(id: "e1")))])
        let api = F.api(http, sleeps: sleeps)
        _ = try await api.updateEvent(F.event(summary: "x"), calendarId: "primary", eventId: "e1", sendUpdates: .none)
        #expect(sleeps.delays == [.milliseconds(1), .milliseconds(2)])
        #expect(http.requests.count == 3)
    }

    @Test func serviceUnavailableIsRetriedUpToTheLimit() async throws {
        let sleeps = SleepLog()
        let http = ScriptedHTTP(fallback: { _ in F.googleError(503, reason: "backendError", message: "Backend Error") })
        let api = F.api(http, sleeps: sleeps, policy: F.policy(maxAttempts: 4))
        let error = await #expect(throws: GoogleAPIError.self) {
            _ = try await api.getEvent(calendarId: "primary", eventId: "e1")
        }
        #expect(http.requests.count == 4)
        #expect(sleeps.delays == [.milliseconds(1), .milliseconds(2), .milliseconds(4)])
        #expect(error?.status == 503 && error?.isServerError == true && error?.attempts == 4)
        #expect(api.stats.retries == 3)
    }

    @Test func backoffIsCappedAndJittered() {
        let p = RetryPolicy(baseDelay: .seconds(1), maxDelay: .seconds(32))
        #expect((1...8).map { p.ceiling(retry: $0) } == [1, 2, 4, 8, 16, 32, 32, 32].map { Duration.seconds($0) })
        for n in 1...10 {
            let d = p.backoff(retry: n)
            #expect(d >= .zero && d <= p.ceiling(retry: n))
        }
        // Bounded by time without progress, not by a count; Google's 64 s cap on the backoff.
        #expect(RetryPolicy().maxAttempts == .max && RetryPolicy().maxWait == .seconds(600))
        #expect(RetryPolicy().ceiling(retry: 12) == .seconds(64))
    }

    @Test func connectionErrorsAreRetried() async throws {
        let http = ScriptedHTTP([.fail(.connection("reset")), .fail(.connection("timeout")), .respond(F.json(200, #"{"items":[]}"#))])
        let api = F.api(http)
        _ = try await api.listEvents(calendarId: "primary")
        #expect(http.requests.count == 3)
        #expect(api.stats.transportErrors == 2)

        let failing = ScriptedHTTP((0..<6).map { _ in .fail(.connection("refused")) })
        let api2 = F.api(failing)
        let error = await #expect(throws: GoogleAPIError.self) { _ = try await api2.calendarList() }
        #expect(error?.kind == .transport && error?.attempts == 6)
        #expect(failing.requests.count == 6)
    }

    @Test func quotaExceededIsNotRetried() async throws {
        let sleeps = SleepLog()
        let http = ScriptedHTTP(fallback: { _ in
            F.googleError(403, reason: "quotaExceeded", message: "Calendar usage limits exceeded.", domain: "usageLimits")
        })
        let api = F.api(http, sleeps: sleeps)
        let error = await #expect(throws: GoogleAPIError.self) {
            _ = try await api.importEvent(F.event(summary: "x", iCalUID: "u@x"), calendarId: "primary")
        }
        #expect(http.requests.count == 1 && sleeps.delays.isEmpty)
        #expect(error?.isQuotaExceeded == true && error?.isRateLimited == false && error?.kind == .quotaExceeded)
        #expect(error?.description.contains("read-only for hours") == true)
    }

    @Test(arguments: [400, 404, 409, 410, 412])
    func finalStatusesAreNotRetried(status: Int) async throws {
        let http = ScriptedHTTP(fallback: { _ in F.googleError(status, reason: "r\(status)", message: "m") })
        let api = F.api(http)
        await #expect(throws: GoogleAPIError.self) {
            _ = try await api.updateEvent(F.event(summary: "x"), calendarId: "primary", eventId: "e1", sendUpdates: .none, ifMatch: "\"1\"")
        }
        #expect(http.requests.count == 1)
    }

    @Test func tooLongRetryAfterIsNotWaitedFor() async throws {
        let sleeps = SleepLog()
        let http = ScriptedHTTP([.respond(F.googleError(429, reason: "rateLimitExceeded", message: "slow down", headers: ["retry-after": "3600"]))])
        let api = F.api(http, sleeps: sleeps)
        let error = await #expect(throws: GoogleAPIError.self) { _ = try await api.calendarList() }
        #expect(error?.retryAfter == .seconds(3600) && sleeps.delays.isEmpty)
    }

    // MARK: Creates after unclear failures

    @Test func importAfterConnectionErrorThenConflictReturnsTheExistingEvent() async throws {
        let http = ScriptedHTTP([
            .fail(.connection("connection reset by peer")),
            .respond(F.googleError(409, reason: "duplicate", message: "The requested identifier already exists.")),
            .respond(F.json(200, """
                {"items":[\(F.eventJSON(id: "other", iCalUID: "uid-7@example.com", extra: #","recurringEventId":"m","originalStartTime":{"dateTime":"2026-03-09T08:00:00Z"}"#)),
                          \(F.eventJSON(id: "created", iCalUID: "uid-7@example.com", summary: "Planning"))],"nextSyncToken":"s"}
                """)),
        ])
        let api = F.api(http)
        let e = try await api.importEvent(F.event(summary: "Planning", iCalUID: "uid-7@example.com"), calendarId: F.calendarId)
        #expect(e.id == "created" && e.summary == "Planning")
        let r = http.requests
        #expect(r.map(\.method) == ["POST", "POST", "GET"])
        let lookup = ParsedURL(r[2].url)
        #expect(lookup.path == "/calendar/v3/calendars/\(F.encodedCalendarId)/events")
        #expect(lookup.value("iCalUID") == "uid-7@example.com")
        #expect(api.stats.recoveredConflicts == 1)
    }

    @Test func importedExceptionIsFoundByItsOriginalStart() async throws {
        var exception = F.event(summary: "Moved", iCalUID: "series@x")
        exception.recurringEventId = "master"
        exception.originalStartTime = EventDateTime(dateTime: "2026-03-09T09:00:00+01:00", timeZone: "Europe/Berlin")
        let http = ScriptedHTTP([
            .respond(F.googleError(503, reason: "backendError", message: "Backend Error")),
            .respond(F.googleError(409, reason: "duplicate", message: "The requested identifier already exists.")),
            .respond(F.json(200, """
                {"items":[\(F.eventJSON(id: "master", iCalUID: "series@x")),
                          \(F.eventJSON(id: "master_20260309T080000Z", iCalUID: "series@x", summary: "Moved", extra: #","originalStartTime":{"dateTime":"2026-03-09T08:00:00Z"}"#))]}
                """)),
        ])
        let e = try await F.api(http).importEvent(exception, calendarId: "primary")
        #expect(e.id == "master_20260309T080000Z")
    }

    @Test func conflictOnTheFirstAttemptIsAnErrorWhenTheExistingEventDiffers() async throws {
        let http = ScriptedHTTP([
            .respond(F.googleError(409, reason: "duplicate", message: "The requested identifier already exists.")),
            .respond(F.json(200, "{\"items\":[\(F.eventJSON(id: "old", iCalUID: "u@x", summary: "Older text"))]}")),
        ])
        let error = await #expect(throws: GoogleAPIError.self) {
            _ = try await F.api(http).importEvent(F.event(summary: "x", iCalUID: "u@x"), calendarId: "primary")
        }
        #expect(error?.isConflict == true && error?.attempts == 1)
        #expect(http.requests.map(\.method) == ["POST", "GET"], "looked up, not sent again")

        var strict = F.policy()
        strict.acceptIdenticalOnConflict = false
        let once = ScriptedHTTP([.respond(F.googleError(409, reason: "duplicate", message: "The requested identifier already exists."))])
        await #expect(throws: GoogleAPIError.self) {
            _ = try await F.api(once, policy: strict).importEvent(F.event(summary: "x", iCalUID: "u@x"), calendarId: "primary")
        }
        #expect(once.requests.count == 1)
    }

    /// libcurl silently re-sends a request whose reused connection died before any answer, so a
    /// lost answer can surface as a 409 on what looks like the first attempt.
    @Test func conflictWithAnIdenticalEventReturnsIt() async throws {
        let sent = F.event(summary: "Planning", iCalUID: "u@x")
        let http = ScriptedHTTP([
            .respond(F.googleError(409, reason: "duplicate", message: "The requested identifier already exists.")),
            .respond(F.json(200, """
                {"items":[{"id":"made","iCalUID":"u@x","status":"confirmed","summary":"Planning","etag":"\\"1\\"",
                  "start":{"dateTime":"2026-03-02T08:00:00Z","timeZone":"Europe/Berlin"},"end":{"dateTime":"2026-03-02T10:00:00+01:00","timeZone":"Europe/Berlin"}}]}
                """)),
        ])
        let api = F.api(http)
        let e = try await api.importEvent(sent, calendarId: "primary")
        #expect(e.id == "made")
        #expect(api.stats.recoveredConflicts == 1)
    }

    /// Google may hand a series' recurrence lines back in another order: still the event sent.
    /// (The recovery once compared them as a list and called this a conflict.)
    @Test func conflictWithTheSameRecurrenceInAnotherOrderReturnsTheEvent() async throws {
        var sent = F.event(summary: "Planning", iCalUID: "u@x")
        sent.recurrence = ["RRULE:FREQ=WEEKLY;COUNT=4", "EXDATE;TZID=Europe/Berlin:20260309T090000"]
        let http = ScriptedHTTP([
            .respond(F.googleError(409, reason: "duplicate", message: "The requested identifier already exists.")),
            .respond(F.json(200, """
                {"items":[{"id":"made","iCalUID":"u@x","status":"confirmed","summary":"Planning",
                  "recurrence":["EXDATE;TZID=Europe/Berlin:20260309T090000","RRULE:FREQ=WEEKLY;COUNT=4"],
                  "start":{"dateTime":"2026-03-02T09:00:00+01:00","timeZone":"Europe/Berlin"},"end":{"dateTime":"2026-03-02T10:00:00+01:00","timeZone":"Europe/Berlin"}}]}
                """)),
        ])
        let api = F.api(http)
        let e = try await api.importEvent(sent, calendarId: "primary")
        #expect(e.id == "made")
        #expect(api.stats.recoveredConflicts == 1)
    }

    /// An event sent without a colour is not the one Google holds in colour 5: the 409 stands.
    /// (The recovery once took a missing colour to match any.)
    @Test func conflictWithAnEventInAColourTheSentOneLacksIsAnError() async throws {
        let http = ScriptedHTTP([
            .respond(F.googleError(409, reason: "duplicate", message: "The requested identifier already exists.")),
            .respond(F.json(200, """
                {"items":[{"id":"made","iCalUID":"u@x","status":"confirmed","summary":"Planning","colorId":"5",
                  "start":{"dateTime":"2026-03-02T09:00:00+01:00","timeZone":"Europe/Berlin"},"end":{"dateTime":"2026-03-02T10:00:00+01:00","timeZone":"Europe/Berlin"}}]}
                """)),
        ])
        let error = await #expect(throws: GoogleAPIError.self) {
            _ = try await F.api(http).importEvent(F.event(summary: "Planning", iCalUID: "u@x"), calendarId: "primary")
        }
        #expect(error?.isConflict == true)
    }

    @Test func insertWithClientIdAfterConnectionErrorFetchesById() async throws {
        let http = ScriptedHTTP([
            .fail(.connection("timeout")),
            .respond(F.googleError(409, reason: "duplicate", message: "The requested identifier already exists.")),
            .respond(F.json(200, F.eventJSON(id: "abcdef0123", summary: "Planning"))),
        ])
        let e = try await F.api(http).insertEvent(F.event(summary: "Planning", id: "abcdef0123"), calendarId: F.calendarId, sendUpdates: .none)
        #expect(e.id == "abcdef0123")
        #expect(http.requests[2].method == "GET")
        #expect(ParsedURL(http.requests[2].url).path == "/calendar/v3/calendars/\(F.encodedCalendarId)/events/abcdef0123")
    }

    @Test func insertWithoutIdentityIsNotResentAfterAnUnclearFailure() async throws {
        let http = ScriptedHTTP([.fail(.connection("reset")), .respond(F.json(200, F.eventJSON(id: "dup")))])
        let error = await #expect(throws: GoogleAPIError.self) {
            _ = try await F.api(http).insertEvent(F.event(summary: "No id"), calendarId: "primary", sendUpdates: .none)
        }
        #expect(http.requests.count == 1)
        #expect(error?.outcomeUnknown == true && error?.kind == .transport)
        #expect(error?.description.contains("may or may not have been applied") == true)

        // A rate limit is an answer that nothing was done: that is resent.
        let limited = ScriptedHTTP([.respond(F.googleError(429, reason: "rateLimitExceeded", message: "Rate Limit Exceeded")),
                                    .respond(F.json(200, F.eventJSON(id: "new")))])
        let e = try await F.api(limited).insertEvent(F.event(summary: "No id"), calendarId: "primary", sendUpdates: .none)
        #expect(e.id == "new" && limited.requests.count == 2)
    }

    @Test func deleteAfterAnUnclearFailureAcceptsGone() async throws {
        let http = ScriptedHTTP([.fail(.connection("reset")), .respond(F.googleError(410, reason: "deleted", message: "Resource has been deleted"))])
        try await F.api(http).deleteEvent(calendarId: "primary", eventId: "e1", sendUpdates: .none)
        #expect(http.requests.count == 2)
    }

    // MARK: Errors

    @Test func errorsNeverShowTheToken() async throws {
        let leaky = "Invalid Credentials: Bearer \(F.token) rejected (token \(F.token))"
        let http = ScriptedHTTP(fallback: { _ in F.googleError(401, reason: "authError", message: leaky) })
        let error = await #expect(throws: GoogleAPIError.self) {
            _ = try await F.api(http, onTokenRejected: {}).getEvent(calendarId: "primary", eventId: "e")
        }
        let e = try #require(error)
        for text in [e.description, String(reflecting: e), "\(e)", e.message, String(describing: [e])] {
            #expect(!text.contains("SECRET-TOKEN"), "token leaked: \(text)")
            #expect(!text.contains("Authorization"))
        }
        #expect(e.description.contains("<redacted>"))
        #expect(!e.description.contains("\n"))

        // Any other token-shaped text is scrubbed too.
        let other = GoogleAPIError.scrub("x ya29.another-token, y", secrets: [])
        #expect(other == "x <redacted>, y")
    }

    @Test func forbiddenReasonsAreTyped() throws {
        func error(_ status: Int, _ body: String, headers: [String: String] = [:]) -> GoogleAPIError {
            GoogleAPIError.from(status: status, headers: headers, body: Array(body.utf8), operation: "events.list", attempts: 1, secrets: [])
        }
        let notEnabled = error(403, """
            {"error":{"code":403,"message":"Google Calendar API has not been used in project 123 before or it is disabled.","status":"PERMISSION_DENIED",
             "errors":[{"message":"...","domain":"usageLimits","reason":"accessNotConfigured","extendedHelp":"https://console.developers.google.com"}],
             "details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"SERVICE_DISABLED","domain":"googleapis.com","metadata":{"service":"calendar-json.googleapis.com"}}]}}
            """)
        #expect(notEnabled.kind == .apiNotEnabled && notEnabled.isForbidden && notEnabled.reason == "accessNotConfigured")
        #expect(notEnabled.description.contains("enable it in the Cloud console"))
        #expect(!notEnabled.isRetryable)

        let scope = error(403, """
            {"error":{"code":403,"message":"Request had insufficient authentication scopes.","status":"PERMISSION_DENIED",
             "details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"ACCESS_TOKEN_SCOPE_INSUFFICIENT"}],
             "errors":[{"message":"Insufficient Permission","domain":"global","reason":"insufficientPermissions"}]}}
            """)
        #expect(scope.kind == .insufficientScope && scope.isInsufficientScope && scope.description.contains("calport auth login"))

        let organizer = error(403, #"{"error":{"code":403,"message":"Forbidden","errors":[{"domain":"calendar","reason":"forbiddenForNonOrganizer"}]}}"#)
        #expect(organizer.kind == .forbiddenForNonOrganizer && organizer.isForbiddenForNonOrganizer)

        let quotaByMessage = error(403, #"{"error":{"code":403,"message":"Calendar usage limits exceeded.","errors":[{"domain":"usageLimits","reason":"rateLimitExceeded"}]}}"#)
        #expect(quotaByMessage.isQuotaExceeded && !quotaByMessage.isRateLimited && !quotaByMessage.isRetryable)

        let rate = error(403, #"{"error":{"code":403,"message":"Rate Limit Exceeded","errors":[{"domain":"usageLimits","reason":"rateLimitExceeded"}]}}"#)
        #expect(rate.isRateLimited && rate.isRetryable && !rate.isForbidden)

        #expect(error(412, "").isPreconditionFailed && error(404, "").isNotFound && error(409, "").isConflict)
        #expect(error(400, #"{"error":{"code":400,"message":"Invalid sync token value."}}"#).fullSyncRequired)

        let html = error(502, "<html><body>Bad gateway</body></html>", headers: ["content-type": "text/html"])
        #expect(html.kind == .serverError && html.isRetryable && html.message.contains("non-JSON"))
    }
}

final class TokenBox: @unchecked Sendable {
    private let lock = NSLock()
    private var v: String
    init(_ v: String) { self.v = v }
    var value: String {
        get { lock.withLock { v } }
        set { lock.withLock { v = newValue } }
    }
}
