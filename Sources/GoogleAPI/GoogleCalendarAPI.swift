import CalendarModel
import Foundation
import GoogleCalendar
import HTTP

/// Whom Google emails about a change. The API has no default worth relying on, so calport always
/// sends the caller's choice explicitly. events.import takes none: it never sends mail.
public enum SendUpdates: String, Sendable, CaseIterable {
    case all
    case externalOnly
    /// No mail. Google warns this can keep external calendars from syncing: for migrations,
    /// prefer `importEvent`.
    case none
}

/// Query parameters of events.list (see calendar.v3.json `events.list.parameters`).
///
/// A sync token cannot be combined with `iCalUID`, `orderBy`, `privateExtendedProperty`, `q`,
/// `sharedExtendedProperty`, `timeMin`, `timeMax` or `updatedMin`: Google answers 400.
public struct ListOptions: Sendable, Equatable {
    /// At most 2500 (Google's ceiling; its default is 250).
    public var maxResults: Int?
    public var pageToken: String?
    public var syncToken: String?
    public var showDeleted: Bool?
    /// Expand recurring events into instances.
    public var singleEvents: Bool?
    public var iCalUID: String?
    /// RFC 3339 bounds, with an offset (`2025-01-01T00:00:00Z`).
    public var timeMin: String?
    public var timeMax: String?
    public var updatedMin: String?
    /// A partial-response mask, e.g. `items(id,iCalUID),nextPageToken,nextSyncToken`.
    public var fields: String?
    /// `key=value` constraints, all of which must match.
    public var privateExtendedProperty: [String]
    public var sharedExtendedProperty: [String]
    /// `startTime` (needs singleEvents) or `updated`.
    public var orderBy: String?
    public var q: String?
    public var timeZone: String?
    public var showHiddenInvitations: Bool?
    public var eventTypes: [String]
    public var maxAttendees: Int?

    public init(
        maxResults: Int? = 2500, pageToken: String? = nil, syncToken: String? = nil, showDeleted: Bool? = nil,
        singleEvents: Bool? = nil, iCalUID: String? = nil, timeMin: String? = nil, timeMax: String? = nil,
        updatedMin: String? = nil, fields: String? = nil, privateExtendedProperty: [String] = [],
        sharedExtendedProperty: [String] = [], orderBy: String? = nil, q: String? = nil, timeZone: String? = nil,
        showHiddenInvitations: Bool? = nil, eventTypes: [String] = [], maxAttendees: Int? = nil
    ) {
        self.maxResults = maxResults
        self.pageToken = pageToken
        self.syncToken = syncToken
        self.showDeleted = showDeleted
        self.singleEvents = singleEvents
        self.iCalUID = iCalUID
        self.timeMin = timeMin
        self.timeMax = timeMax
        self.updatedMin = updatedMin
        self.fields = fields
        self.privateExtendedProperty = privateExtendedProperty
        self.sharedExtendedProperty = sharedExtendedProperty
        self.orderBy = orderBy
        self.q = q
        self.timeZone = timeZone
        self.showHiddenInvitations = showHiddenInvitations
        self.eventTypes = eventTypes
        self.maxAttendees = maxAttendees
    }

    var query: Query {
        var q = Query()
        q.add("maxResults", maxResults)
        q.add("pageToken", pageToken)
        q.add("syncToken", syncToken)
        q.add("showDeleted", showDeleted)
        q.add("singleEvents", singleEvents)
        q.add("iCalUID", iCalUID)
        q.add("timeMin", timeMin)
        q.add("timeMax", timeMax)
        q.add("updatedMin", updatedMin)
        q.add("privateExtendedProperty", privateExtendedProperty)
        q.add("sharedExtendedProperty", sharedExtendedProperty)
        q.add("orderBy", orderBy)
        q.add("q", self.q)
        q.add("timeZone", timeZone)
        q.add("showHiddenInvitations", showHiddenInvitations)
        q.add("eventTypes", eventTypes)
        q.add("maxAttendees", maxAttendees)
        q.add("fields", fields)
        return q
    }
}

/// Query parameters of events.instances.
public struct InstancesOptions: Sendable, Equatable {
    public var maxResults: Int?
    public var pageToken: String?
    public var showDeleted: Bool?
    public var timeMin: String?
    public var timeMax: String?
    public var originalStart: String?
    public var timeZone: String?
    public var maxAttendees: Int?
    public var fields: String?

    public init(
        maxResults: Int? = 2500, pageToken: String? = nil, showDeleted: Bool? = nil, timeMin: String? = nil,
        timeMax: String? = nil, originalStart: String? = nil, timeZone: String? = nil, maxAttendees: Int? = nil,
        fields: String? = nil
    ) {
        self.maxResults = maxResults
        self.pageToken = pageToken
        self.showDeleted = showDeleted
        self.timeMin = timeMin
        self.timeMax = timeMax
        self.originalStart = originalStart
        self.timeZone = timeZone
        self.maxAttendees = maxAttendees
        self.fields = fields
    }

    var query: Query {
        var q = Query()
        q.add("maxResults", maxResults)
        q.add("pageToken", pageToken)
        q.add("showDeleted", showDeleted)
        q.add("timeMin", timeMin)
        q.add("timeMax", timeMax)
        q.add("originalStart", originalStart)
        q.add("timeZone", timeZone)
        q.add("maxAttendees", maxAttendees)
        q.add("fields", fields)
        return q
    }
}

/// Google Calendar API v3 over an `HTTPClient`: paths and parameters as in calendar.v3.json,
/// retries with backoff, one token refresh on 401, and batches.
///
/// Every request carries `Authorization: Bearer <token>` and `Accept: application/json`; JSON
/// bodies go with `Content-Type: application/json`. Errors are `GoogleAPIError` (the access-token
/// provider's and the token-rejected hook's own errors, and `CancellationError`, pass through).
public final class GoogleCalendarAPI: Sendable {
    public typealias AccessTokenProvider = @Sendable () async throws -> String
    public typealias TokenRejectedHook = @Sendable () async throws -> Void

    public static let defaultRoot = "https://www.googleapis.com/"
    public static let rootEnvironmentVariable = "CALPORT_GOOGLE_API_ROOT"
    public static let tokenEnvironmentVariable = "CALPORT_ACCESS_TOKEN"
    /// Google's limit of calls in one batch request.
    public static let maxBatchParts = 1000

    /// The API root, ending in "/": `https://www.googleapis.com/` or a fake's.
    public let root: String
    public let retryPolicy: RetryPolicy
    public let requestTimeout: Duration
    public let batchTimeout: Duration
    /// Where following `nextPageToken` stops with an error.
    public let listingLimits: ListingLimits

    let http: any HTTPClient
    let accessToken: AccessTokenProvider
    let onTokenRejected: TokenRejectedHook?
    let clock: PacingClock
    /// Paces every call of this client to Google's per-user quota.
    let pacer: Pacer
    let statistics = StatisticsBox()
    let refreshGate = RefreshGate()
    /// The path part of `root` ("/" for Google), which batch parts put before `calendar/v3/`.
    let rootPath: String
    /// Whether `root` may see the access token (`CredentialPolicy`); when not, every call
    /// fails before it asks for a token.
    let rootAllowsCredentials: Bool

    /// - Parameters:
    ///   - root: the API root; nil: `CALPORT_GOOGLE_API_ROOT` from `environment`, else Google's.
    ///   - sleep: how retries wait (tests pass one that returns at once).
    ///   - accessToken: called before every send; return a cached token cheaply.
    ///   - onTokenRejected: called when Google answers 401, once per call, so the token can be
    ///     refreshed; the request is then sent once more. Nil: a 401 is final.
    public init(
        http: any HTTPClient,
        root: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        retryPolicy: RetryPolicy = .standard,
        requestTimeout: Duration = .seconds(60),
        batchTimeout: Duration = .seconds(300),
        listingLimits: ListingLimits = .standard,
        sleep: @escaping APISleeper = { try await Task.sleep(for: $0) },
        accessToken: @escaping AccessTokenProvider,
        onTokenRejected: TokenRejectedHook? = nil
    ) {
        var r = root ?? environment[Self.rootEnvironmentVariable].flatMap { $0.isEmpty ? nil : $0 } ?? Self.defaultRoot
        if !r.hasSuffix("/") { r += "/" }
        self.root = r
        self.rootPath = Self.pathPart(of: r)
        self.rootAllowsCredentials = CredentialPolicy.allows(r)
        self.http = http
        self.retryPolicy = retryPolicy
        self.requestTimeout = requestTimeout
        self.batchTimeout = batchTimeout
        self.listingLimits = listingLimits
        self.clock = PacingClock(sleeper: sleep)
        self.pacer = Pacer(clock: clock, policy: retryPolicy)
        self.accessToken = accessToken
        self.onTokenRejected = onTokenRejected
    }

    /// A client with a fixed token (no refresh).
    public convenience init(
        http: any HTTPClient, staticToken: String, root: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment, retryPolicy: RetryPolicy = .standard
    ) {
        self.init(http: http, root: root, environment: environment, retryPolicy: retryPolicy, accessToken: { staticToken })
    }

    /// A client using `CALPORT_ACCESS_TOKEN` as a fixed token; nil when it is not set.
    public convenience init?(
        http: any HTTPClient, environment: [String: String] = ProcessInfo.processInfo.environment,
        retryPolicy: RetryPolicy = .standard
    ) {
        guard let token = environment[Self.tokenEnvironmentVariable]?.trimmingCharacters(in: .whitespacesAndNewlines),
              !token.isEmpty else { return nil }
        self.init(http: http, staticToken: token, environment: environment, retryPolicy: retryPolicy)
    }

    /// What was sent so far.
    public var stats: APIStatistics { statistics.snapshot }
    /// How the client paces itself to Google's rate limits so far.
    public var pacing: PacingStatus { pacer.status }
    public func resetStats() { statistics.reset() }

    static func pathPart(of root: String) -> String {
        guard let scheme = root.range(of: "://") else { return "/" }
        guard let slash = root[scheme.upperBound...].firstIndex(of: "/") else { return "/" }
        return String(root[slash...])
    }

    /// An id as one path segment (see `PercentEncoding.pathSegment`).
    static func enc(_ s: String) -> String { PercentEncoding.pathSegment(s) }

    static func eventsPath(_ calendarId: String) -> String { "calendar/v3/calendars/\(enc(calendarId))/events" }
    static func eventPath(_ calendarId: String, _ eventId: String) -> String { "\(eventsPath(calendarId))/\(enc(eventId))" }

    // MARK: Calendars

    /// One page of calendarList.list (`maxResults` at most 250).
    public func calendarList(
        pageToken: String? = nil, maxResults: Int? = 250, showHidden: Bool? = nil, showDeleted: Bool? = nil,
        minAccessRole: String? = nil, syncToken: String? = nil
    ) async throws -> CalendarList {
        var q = Query()
        q.add("maxResults", maxResults)
        q.add("pageToken", pageToken)
        q.add("showHidden", showHidden)
        q.add("showDeleted", showDeleted)
        q.add("minAccessRole", minAccessRole)
        q.add("syncToken", syncToken)
        let call = APICall(name: "calendarList.list", method: "GET", path: "calendar/v3/users/me/calendarList", query: q)
        return try await decoded(CalendarList.self, call)
    }

    /// Every calendar of the list, following `nextPageToken` (within `listingLimits`).
    public func allCalendars(showHidden: Bool? = nil, minAccessRole: String? = nil) async throws -> [CalendarListEntry] {
        var items: [CalendarListEntry] = []
        var trail = PageTrail(operation: "calendarList.list", limits: listingLimits)
        var token: String?
        repeat {
            let page = try await calendarList(pageToken: token, showHidden: showHidden, minAccessRole: minAccessRole)
            items += page.items ?? []
            token = try trail.follow(itemCount: page.items?.count ?? 0, next: page.nextPageToken)
        } while token != nil
        return items
    }

    /// calendars.get (`primary` names the user's primary calendar).
    public func calendar(id: String) async throws -> CalendarResource {
        try await decoded(CalendarResource.self,
                          APICall(name: "calendars.get", method: "GET", path: "calendar/v3/calendars/\(Self.enc(id))"))
    }

    /// calendars.insert: a new secondary calendar owned by the user. Not sent again after a
    /// failure that may have created it (unless `retryAmbiguousCreates`).
    public func insertCalendar(summary: String, timeZone: String? = nil, description: String? = nil) async throws -> CalendarResource {
        let body = try APIJSON.encoder().encode(CalendarResource(summary: summary, description: description, timeZone: timeZone))
        let call = APICall(name: "calendars.insert", method: "POST", path: "calendar/v3/calendars", body: Array(body),
                           safety: .create(nil))
        return try await decoded(CalendarResource.self, call)
    }

    /// calendars.delete: deletes a secondary calendar and its events (Google refuses the
    /// primary calendar). A 404 or 410 after an unclear earlier attempt counts as deleted.
    public func deleteCalendar(id: String) async throws {
        let call = APICall(name: "calendars.delete", method: "DELETE", path: "calendar/v3/calendars/\(Self.enc(id))", safety: .delete)
        _ = try await perform(call)
    }

    // MARK: Events: reading

    /// One page of events.list.
    public func listEvents(calendarId: String, options: ListOptions = ListOptions()) async throws -> GoogleEvents {
        let call = APICall(name: "events.list", method: "GET", path: Self.eventsPath(calendarId), query: options.query)
        return try await decoded(GoogleEvents.self, call)
    }

    /// Every page of events.list from `options.pageToken` on. `nextSyncToken` comes from the last
    /// page. A `fields` mask gets `nextPageToken,nextSyncToken` added when it lacks them.
    public func allEvents(
        calendarId: String, options: ListOptions = ListOptions()
    ) async throws -> (items: [GoogleEvent], nextSyncToken: String?, pages: Int) {
        var items: [GoogleEvent] = []
        var pages = 0
        var syncToken: String?
        for try await page in eventPages(calendarId: calendarId, options: options) {
            pages += 1
            items += page.items ?? []
            syncToken = page.nextSyncToken ?? syncToken
        }
        return (items, syncToken, pages)
    }

    /// The pages of events.list, fetched as they are consumed. A page token seen before, or
    /// going past `listingLimits`, ends the stream with `GoogleAPIError` kind `.endlessListing`
    /// (after the page that named it).
    public func eventPages(calendarId: String, options: ListOptions = ListOptions()) -> AsyncThrowingStream<GoogleEvents, Error> {
        var first = options
        if let f = first.fields, !f.contains("nextPageToken") { first.fields = f + ",nextPageToken,nextSyncToken" }
        let cursor = PageCursor(first, trail: PageTrail(operation: "events.list", limits: listingLimits, startToken: first.pageToken))
        return AsyncThrowingStream { [self] in
            guard let o = try cursor.next() else { return nil }
            let page = try await listEvents(calendarId: calendarId, options: o)
            cursor.advance(after: page)
            return page
        }
    }

    /// Every event of the calendar, page by page as they are consumed.
    public func events(calendarId: String, options: ListOptions = ListOptions()) -> AsyncThrowingStream<GoogleEvent, Error> {
        let pages = eventPages(calendarId: calendarId, options: options)
        let state = EventCursor(pages.makeAsyncIterator())
        return AsyncThrowingStream { try await state.next() }
    }

    /// events.get.
    public func getEvent(calendarId: String, eventId: String, timeZone: String? = nil, fields: String? = nil) async throws -> GoogleEvent {
        var q = Query()
        q.add("timeZone", timeZone)
        q.add("fields", fields)
        let call = APICall(name: "events.get", method: "GET", path: Self.eventPath(calendarId, eventId), query: q)
        return try await decoded(GoogleEvent.self, call)
    }

    /// One page of events.instances.
    public func instances(calendarId: String, eventId: String, options: InstancesOptions = InstancesOptions()) async throws -> GoogleEvents {
        let call = APICall(name: "events.instances", method: "GET", path: Self.eventPath(calendarId, eventId) + "/instances",
                           query: options.query)
        return try await decoded(GoogleEvents.self, call)
    }

    /// Every instance of a recurring event, following `nextPageToken` (within `listingLimits`).
    public func allInstances(calendarId: String, eventId: String, options: InstancesOptions = InstancesOptions()) async throws -> [GoogleEvent] {
        var o = options
        var items: [GoogleEvent] = []
        var trail = PageTrail(operation: "events.instances", limits: listingLimits, startToken: o.pageToken)
        repeat {
            let page = try await instances(calendarId: calendarId, eventId: eventId, options: o)
            items += page.items ?? []
            o.pageToken = try trail.follow(itemCount: page.items?.count ?? 0, next: page.nextPageToken)
        } while o.pageToken != nil
        return items
    }

    // MARK: Events: writing

    /// events.insert. Give the event an `id` (base32hex, 5-1024 characters) or an `iCalUID` so
    /// that a retry after an unclear failure finds it instead of duplicating it; without either,
    /// an insert is not sent again after a failure that may have been applied. A 409 is handled
    /// as for `importEvent`.
    public func insertEvent(
        _ event: GoogleEvent, calendarId: String, sendUpdates: SendUpdates,
        conferenceDataVersion: Int? = nil, supportsAttachments: Bool? = nil
    ) async throws -> GoogleEvent {
        try await writeEvent(.insert(event, sendUpdates: sendUpdates, conferenceDataVersion: conferenceDataVersion,
                                     supportsAttachments: supportsAttachments), calendarId: calendarId)
    }

    /// events.import: a private copy of an event, identified by its `iCalUID`; never sends mail.
    /// A 409 returns the existing event when an earlier attempt of this call was unclear (no
    /// answer, 5xx) or when the existing event holds what was sent; otherwise it is thrown
    /// (Google answers 409 for a known iCalUID even with a higher SEQUENCE: update instead).
    public func importEvent(
        _ event: GoogleEvent, calendarId: String, conferenceDataVersion: Int? = nil, supportsAttachments: Bool? = nil
    ) async throws -> GoogleEvent {
        try await writeEvent(.importEvent(event, conferenceDataVersion: conferenceDataVersion, supportsAttachments: supportsAttachments),
                             calendarId: calendarId)
    }

    /// events.update (PUT): replaces the event. `ifMatch`: an etag; 412 when it changed.
    public func updateEvent(
        _ event: GoogleEvent, calendarId: String, eventId: String, sendUpdates: SendUpdates, ifMatch: String? = nil,
        conferenceDataVersion: Int? = nil, supportsAttachments: Bool? = nil
    ) async throws -> GoogleEvent {
        try await writeEvent(.update(event, eventId: eventId, sendUpdates: sendUpdates, ifMatch: ifMatch,
                                     conferenceDataVersion: conferenceDataVersion, supportsAttachments: supportsAttachments),
                             calendarId: calendarId)
    }

    /// events.patch: changes the fields set in `changes`. Google counts a patch as three quota
    /// units; get + update is cheaper for large jobs.
    public func patchEvent(
        _ changes: GoogleEvent, calendarId: String, eventId: String, sendUpdates: SendUpdates, ifMatch: String? = nil,
        conferenceDataVersion: Int? = nil, supportsAttachments: Bool? = nil
    ) async throws -> GoogleEvent {
        try await writeEvent(.patch(changes, eventId: eventId, sendUpdates: sendUpdates, ifMatch: ifMatch,
                                    conferenceDataVersion: conferenceDataVersion, supportsAttachments: supportsAttachments),
                             calendarId: calendarId)
    }

    /// events.patch with a raw JSON body, where `null` clears a field.
    public func patchEvent(
        json: JSONValue, calendarId: String, eventId: String, sendUpdates: SendUpdates, ifMatch: String? = nil,
        conferenceDataVersion: Int? = nil, supportsAttachments: Bool? = nil
    ) async throws -> GoogleEvent {
        try await writeEvent(.patch(json: json, eventId: eventId, sendUpdates: sendUpdates, ifMatch: ifMatch,
                                    conferenceDataVersion: conferenceDataVersion, supportsAttachments: supportsAttachments),
                             calendarId: calendarId)
    }

    /// events.delete. The event stays as a `cancelled` tombstone, its id taken. A 404 or 410
    /// after an unclear earlier attempt counts as deleted.
    public func deleteEvent(calendarId: String, eventId: String, sendUpdates: SendUpdates, ifMatch: String? = nil) async throws {
        let r = BatchRequest.delete(eventId: eventId, sendUpdates: sendUpdates, ifMatch: ifMatch)
        _ = try await perform(r.call(calendarId: calendarId))
    }

    func writeEvent(_ r: BatchRequest, calendarId: String) async throws -> GoogleEvent {
        let call = r.call(calendarId: calendarId)
        switch try await perform(call) {
        case .response(let response):
            return try APIJSON.decode(GoogleEvent.self, response.body, operation: call.name, status: response.status)
        case .recovered(let e): return e
        case .alreadyDone: return GoogleEvent()
        }
    }

    // MARK: Sending

    func decoded<T: Decodable>(_ type: T.Type, _ call: APICall) async throws -> T {
        switch try await perform(call) {
        case .response(let r): return try APIJSON.decode(T.self, r.body, operation: call.name, status: r.status)
        case .recovered, .alreadyDone:
            throw GoogleAPIError.invalidResponse(status: 0, operation: call.name, detail: "no body")
        }
    }

    enum Outcome {
        case response(HTTPResponse)
        /// A create met 409 after an unclear attempt; this is the event that attempt made.
        case recovered(GoogleEvent)
        /// A delete met 404/410 after an unclear attempt.
        case alreadyDone
    }

    /// Whether a failure may be retried, and whether the request may have been applied.
    enum FailureClass { case notApplied, ambiguous, final }

    static func classify(_ e: GoogleAPIError) -> FailureClass {
        if e.isQuotaExceeded { return .final }
        if e.isRateLimited { return .notApplied }
        if e.isTransport { return e.transportError?.isRetryable == true ? .ambiguous : .final }
        if [500, 502, 503, 504].contains(e.status) { return .ambiguous }
        return .final
    }

    struct AuthState { var refreshed = false }

    /// Sends `call` with retries: paced by the client's `Pacer`, with the policy's backoff
    /// after server errors and lost answers, until the policy's `maxWait` passes without
    /// progress; one token refresh on 401; and for creates and deletes the recovery of an
    /// unclear earlier attempt.
    func perform(_ call: APICall) async throws -> Outcome {
        var attempt = 0
        var failures = 0
        var ambiguousBefore = false
        var auth = AuthState()
        var lastError: GoogleAPIError?
        let policy = retryPolicy
        while true {
            let grant: Pacer.Grant
            do {
                grant = try await pacer.admit(upTo: 1)
            } catch let g as Pacer.GaveUp {
                var e = lastError ?? GoogleAPIError(status: 0, message: "Google refused or failed every call", operation: call.name,
                                                    attempts: attempt)
                e.gaveUpAfter = g.stalled
                throw e
            }
            attempt += 1
            var error: GoogleAPIError
            do {
                let (response, token) = try await exchange(call, &auth)
                if (200...299).contains(response.status) {
                    pacer.report(grant, Pacer.Outcome(answered: 1, final: 1))
                    return .response(response)
                }
                error = GoogleAPIError.from(response, operation: call.name, attempts: attempt, secrets: [token])
            } catch let e as HTTPError {
                error = GoogleAPIError.transport(e, operation: call.name, attempts: attempt, outcomeUnknown: false, secrets: [])
            } catch {
                pacer.release(grant)
                throw error
            }
            let failure = Self.classify(error)
            let acceptableWait = error.retryAfter.map { $0 <= policy.maxRetryAfter } ?? true
            pacer.report(grant, Self.pacingOutcome(of: error, parts: 1, acceptableWait: acceptableWait))
            lastError = error

            if error.status == 409, case .create(let recovery?) = call.safety {
                if let existing = try await resolveConflict(recovery, afterUnclearAttempt: ambiguousBefore) {
                    return .recovered(existing)
                }
                throw error
            }
            if ambiguousBefore, error.status == 404 || error.status == 410, case .delete = call.safety { return .alreadyDone }

            switch failure {
            case .final:
                throw error
            case .notApplied:
                break
            case .ambiguous:
                ambiguousBefore = true
                if case .create(nil) = call.safety, !policy.retryAmbiguousCreates {
                    error.outcomeUnknown = true
                    throw error
                }
            }
            guard attempt < policy.maxAttempts, acceptableWait else { throw error }
            if error.isRateLimited {
                // The pacer holds every call back until Google takes calls again.
                try await wait(.zero, retries: 1)
            } else {
                failures += 1
                try await wait(error.retryAfter ?? policy.backoff(retry: failures), retries: 1)
            }
        }
    }

    /// What an error answer means for the pacer: a refusal for rate, a failure worth retrying,
    /// or a final answer (progress). A `Retry-After` beyond the policy's limit pauses nothing:
    /// the call fails at once instead.
    static func pacingOutcome(of error: GoogleAPIError, parts: Int, acceptableWait: Bool) -> Pacer.Outcome {
        var o = Pacer.Outcome()
        if error.isRateLimited {
            o.refused = parts
            if acceptableWait { o.retryAfter = error.retryAfter }
        } else if error.isRetryable {
            o.failed = parts
            if error.status != 0 { o.answered = parts }
        } else {
            o.answered = parts
            o.final = parts
        }
        return o
    }

    func wait(_ delay: Duration, retries: Int) async throws {
        statistics.update {
            $0.retries += retries
            $0.waited += delay
        }
        if delay > .zero { try await clock.sleep(delay) }
        try Task.checkCancellation()
    }

    /// One send, plus one more after the token-rejected hook when the answer is 401 (once per
    /// call). Returns the answer and the token it was sent with; throws `HTTPError`, or
    /// `GoogleAPIError` kind `.insecureRoot` without sending anything.
    func exchange(_ call: APICall, _ auth: inout AuthState) async throws -> (HTTPResponse, String) {
        guard rootAllowsCredentials else {
            throw GoogleAPIError(status: 0, message: "the API root \(redactURL(root)) is not https", operation: call.name,
                                 localKind: .insecureRoot)
        }
        while true {
            let generation = refreshGate.currentGeneration
            let token = try await accessToken()
            let request = makeRequest(call, token: token)
            statistics.update { $0.requests += 1 }
            let response: HTTPResponse
            do {
                response = try await http.send(request)
            } catch let e as HTTPError {
                statistics.update { $0.transportErrors += 1 }
                throw e
            }
            statistics.update { $0.byStatus[response.status, default: 0] += 1 }
            if response.status == 401, !auth.refreshed, let hook = onTokenRejected {
                auth.refreshed = true
                if try await refreshGate.refresh(after: generation, hook: hook) {
                    statistics.update { $0.tokenRefreshes += 1 }
                }
                continue
            }
            return (response, token)
        }
    }

    func makeRequest(_ call: APICall, token: String) -> HTTPRequest {
        var headers: [(String, String)] = [("Authorization", "Bearer \(token)"), ("Accept", "application/json")]
        if call.body != nil { headers.append(("Content-Type", call.contentType)) }
        headers += call.headers
        let query = call.query.encoded
        return HTTPRequest(
            method: call.method, url: root + call.path + (query.isEmpty ? "" : "?" + query), headers: headers,
            body: call.body, timeout: call.timeout ?? requestTimeout)
    }
}

/// One API request before it is given a token and a root.
struct APICall: Sendable {
    var name: String
    var method: String
    /// Relative to the root: `calendar/v3/...` or `batch/calendar/v3`.
    var path: String
    var query = Query()
    var body: [UInt8]? = nil
    var contentType = "application/json"
    var headers: [(String, String)] = []
    var safety: Safety = .idempotent
    var timeout: Duration? = nil
}

/// What an unclear failure of a request means for sending it again.
enum Safety: Sendable {
    /// Sending it again does no harm.
    case idempotent
    /// A create; with a recovery (the event has an id or an iCalUID) it can be sent again, and
    /// a 409 then finds what it made.
    case create(Recovery?)
    /// A delete: 404 or 410 after an unclear attempt means it was applied.
    case delete
}

/// Hands out the ListOptions of each page in turn, and the error that ended the listing once
/// its page trail refused the next token (after the page that named it was handed on).
final class PageCursor: @unchecked Sendable {
    private let lock = Lock()
    private var options: ListOptions?
    private var trail: PageTrail
    private var failure: (any Error)?

    init(_ options: ListOptions, trail: PageTrail) {
        self.options = options
        self.trail = trail
    }

    func next() throws -> ListOptions? {
        try lock.withLock {
            if let failure { throw failure }
            return options
        }
    }

    func advance(after page: GoogleEvents) {
        lock.withLock {
            do {
                let token = try trail.follow(itemCount: page.items?.count ?? 0, next: page.nextPageToken)
                options?.pageToken = token
                if token == nil { options = nil }
            } catch {
                failure = error
                options = nil
            }
        }
    }
}

/// Flattens a stream of pages into events.
final class EventCursor: @unchecked Sendable {
    private var pages: AsyncThrowingStream<GoogleEvents, Error>.AsyncIterator
    private var buffer: [GoogleEvent] = []
    private var index = 0

    init(_ pages: AsyncThrowingStream<GoogleEvents, Error>.AsyncIterator) { self.pages = pages }

    /// Called by one consumer at a time (AsyncThrowingStream's unfolding closure).
    func next() async throws -> GoogleEvent? {
        while index >= buffer.count {
            guard let page = try await pages.next() else { return nil }
            buffer = page.items ?? []
            index = 0
        }
        defer { index += 1 }
        return buffer[index]
    }
}
