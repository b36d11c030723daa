import Foundation
import GoogleCalendar
import LoopbackHTTP

/// A fake Google Calendar API v3 (and Google's OAuth 2.0 token endpoints) on 127.0.0.1, for
/// tests and benchmarks: calport must never reach the real Google from a test.
///
/// State is in memory, one account with a primary calendar (`me@example.com` by default), and
/// every method is thread-safe. Point a client at `baseURL` instead of
/// `https://www.googleapis.com/` (API and batch) and `https://oauth2.googleapis.com/` (`token`,
/// `revoke`); `authorizationURL` stands in for `https://accounts.google.com/o/oauth2/v2/auth`.
///
/// Served (paths under `baseURL`, as Google serves them under its root):
///
/// | path | methods |
/// |---|---|
/// | `calendar/v3/users/me/calendarList[/{calendarId}]` | list, get |
/// | `calendar/v3/calendars[/{calendarId}]` | insert; get, delete |
/// | `calendar/v3/calendars/{calendarId}/events` | list (GET), insert (POST) |
/// | `calendar/v3/calendars/{calendarId}/events/import` | import (POST) |
/// | `calendar/v3/calendars/{calendarId}/events/{eventId}` | get, update (PUT), patch, delete |
/// | `calendar/v3/calendars/{calendarId}/events/{eventId}/instances` | instances |
/// | `batch/calendar/v3` | multipart/mixed batches of up to 1000 calls |
/// | `token`, `revoke`, `o/oauth2/v2/auth` | OAuth 2.0 |
///
/// Other methods of the discovery document answer 501; unknown paths 404. Query parameters are
/// checked against the discovery document (unknown names and malformed values are 400, as at
/// Google). `FakeGoogleBehaviour` lists what is implemented and what is approximated.
///
/// Faults (`faults`, `failNext`, `usageLimitsExceeded`, `rateLimit`) are decided before a call
/// is applied: a call that gets an injected error or a dropped connection has changed nothing,
/// so retrying it behaves exactly like the first attempt. The one exception is
/// `Faults.dropAfterApplying`, which models a lost response: the call is applied, then the
/// connection closes, and a retried insert or import gets 409 duplicate.
public final class FakeGoogleServer: @unchecked Sendable {
    public struct Options: Sendable {
        /// The account; its primary calendar has this id (and `primary` is its alias).
        public var accountEmail: String
        /// The primary calendar's zone.
        public var timeZone: String
        /// The discovery document (`calendar.v3.json`). Nil: `../shared/corpus/google-api/calendar.v3.json`
        /// next to the repository. When the file does not exist, bodies are checked by a few
        /// built-in rules only and query parameters are not checked.
        public var discoveryDocument: URL?
        /// Unknown fields in an Event or Calendar body are a 400 naming them. Google itself
        /// ignores them; false makes the fake drop them silently instead.
        public var rejectsUnknownFields: Bool
        /// A change to reminders alone does not move `updated` (Google's behaviour); etag and
        /// the change number still move.
        public var remindersOnlyChangeKeepsUpdated: Bool
        /// Seeds generated ids.
        public var seed: UInt64
        /// 0: any free port.
        public var port: UInt16

        public init(
            accountEmail: String = "me@example.com", timeZone: String = "UTC", discoveryDocument: URL? = nil,
            rejectsUnknownFields: Bool = true, remindersOnlyChangeKeepsUpdated: Bool = true, seed: UInt64 = 1, port: UInt16 = 0
        ) {
            self.accountEmail = accountEmail
            self.timeZone = timeZone
            self.discoveryDocument = discoveryDocument
            self.rejectsUnknownFields = rejectsUnknownFields
            self.remindersOnlyChangeKeepsUpdated = remindersOnlyChangeKeepsUpdated
            self.seed = seed
            self.port = port
        }
    }

    /// Random faults, each a probability per API call (batch parts included, each rolled on its
    /// own; the token endpoints never fault). One draw per call from a generator seeded with
    /// `seed`, so a given sequence of calls meets the same faults every run.
    public struct Faults: Sendable, Equatable {
        /// 403 `rateLimitExceeded` ("Rate Limit Exceeded", domain usageLimits).
        public var rateLimitExceeded: Double
        /// 403 `userRateLimitExceeded`.
        public var userRateLimitExceeded: Double
        /// 429 `rateLimitExceeded` with `Retry-After: 1`.
        public var tooManyRequests: Double
        /// 503 `backendError`.
        public var backendError: Double
        /// 500 `backendError`.
        public var internalError: Double
        /// The connection closes without an answer; nothing was applied. Not for batch parts
        /// (the whole batch request rolls for it once).
        public var dropConnection: Double
        /// The call is applied, then the connection closes without an answer (a lost response).
        /// Not for batch parts.
        public var dropAfterApplying: Double
        /// Added before every response (API, batch and token endpoints alike).
        public var latency: Duration
        public var seed: UInt64
        /// Method ids faults apply to ("calendar.events.import", "batch", ...); nil: every API call.
        public var endpoints: Set<String>?

        public init(
            rateLimitExceeded: Double = 0, userRateLimitExceeded: Double = 0, tooManyRequests: Double = 0,
            backendError: Double = 0, internalError: Double = 0, dropConnection: Double = 0, dropAfterApplying: Double = 0,
            latency: Duration = .zero, seed: UInt64 = 0, endpoints: Set<String>? = nil
        ) {
            self.rateLimitExceeded = rateLimitExceeded
            self.userRateLimitExceeded = userRateLimitExceeded
            self.tooManyRequests = tooManyRequests
            self.backendError = backendError
            self.internalError = internalError
            self.dropConnection = dropConnection
            self.dropAfterApplying = dropAfterApplying
            self.latency = latency
            self.seed = seed
            self.endpoints = endpoints
        }

        public static let none = Faults()
    }

    /// A fault for `failNext`.
    public enum Fault: String, Sendable, CaseIterable {
        case rateLimitExceeded, userRateLimitExceeded, quotaExceeded, tooManyRequests, backendError, internalError, dropConnection
    }

    /// A sliding-window limit on API calls (batch parts count one each), beyond which calls get
    /// 403 `userRateLimitExceeded`.
    public struct RateLimit: Sendable, Equatable {
        public var calls: Int
        public var per: Duration
        public init(calls: Int, per: Duration) {
            self.calls = calls
            self.per = per
        }
    }

    /// An OAuth client the token endpoint insists on (nil: any client is accepted).
    public struct OAuthClient: Sendable, Equatable {
        public var id: String
        /// Nil: no secret is checked (public clients).
        public var secret: String?
        public init(id: String, secret: String? = nil) {
            self.id = id
            self.secret = secret
        }
    }

    public struct LoggedRequest: Sendable, Equatable {
        public var method: String
        /// The path without the query string (batch parts: the part's path).
        public var path: String
        /// The method id ("calendar.events.import"), "batch", "oauth.token", ... or "unknown".
        public var endpoint: String
        public var status: Int
        public var inBatch: Bool
    }

    public struct Statistics: Sendable {
        /// HTTP requests received (a batch counts once).
        public var requests = 0
        /// Calls by endpoint: method ids ("calendar.events.insert"), "batch", "oauth.token",
        /// "oauth.revoke", "oauth.authorize", "unknown". Batch parts count under their method.
        public var calls: [String: Int] = [:]
        /// Response body bytes sent, and request body bytes received.
        public var bytesSent = 0
        public var bytesReceived = 0
        /// Injected faults, by kind.
        public var faults: [String: Int] = [:]
        /// `sendUpdates` values received, in order, with the method id.
        public var sendUpdates: [(endpoint: String, value: String)] = []
        /// Token endpoint requests, their form fields.
        public var tokenRequests: [[String: String]] = []
    }

    public struct Failure: Error, CustomStringConvertible {
        public var status: Int
        public var description: String
    }

    // MARK: - State

    private let lock = NSLock()
    private let state: FakeState
    private var server: LoopbackServer!
    private var faultSettings = Faults()
    private var faultRNG = SplitMix64(seed: 0)
    private var failQueue: [Fault] = []
    private var usageLimited = false
    private var readerOnly = false
    private var rateLimitSetting: RateLimit?
    private var recentCalls: [UInt64] = []
    private var stats = Statistics()
    private var log: [LoggedRequest] = []
    private static let logLimit = 20_000

    // OAuth
    private var accepted: Set<String>?
    private var revoked: Set<String> = []
    private var seenTokens: Set<String> = []
    private var issuedAccess: [String: UInt64] = [:]
    private var accessByRefresh: [String: [String]] = [:]
    private var tokenCounter = 0
    private var refreshValid = true
    private var revokedRefresh: Set<String> = []
    private var codes: [String: (redirectURI: String?, challenge: String?, method: String, scope: String?)] = [:]
    private var usedCodes: Set<String> = []
    private var client: OAuthClient?
    private var acceptsUnregistered = true
    private var denyConsent = false
    private var accessLifetime: Duration?
    private var assertions: [String] = []

    /// The discovery document's default location: `<repo>/../shared/corpus/google-api/calendar.v3.json`.
    public static var defaultDiscoveryDocument: URL {
        URL(fileURLWithPath: #filePath)  // <repo>/Sources/FakeGoogle/FakeGoogleServer.swift
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/corpus/google-api/calendar.v3.json")
    }

    private static let documentCache = NSLock()
    nonisolated(unsafe) private static var documents: [String: (DiscoveryDocument, DiscoveryMethods)] = [:]

    private static func loadDocument(_ url: URL) throws -> (DiscoveryDocument, DiscoveryMethods)? {
        documentCache.lock()
        defer { documentCache.unlock() }
        if let cached = documents[url.path] { return cached }
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let loaded = (try DiscoveryDocument(contentsOf: url), try DiscoveryMethods(contentsOf: url))
        documents[url.path] = loaded
        return loaded
    }

    /// Starts serving at once.
    public init(options: Options = Options()) throws {
        let loaded = try Self.loadDocument(options.discoveryDocument ?? Self.defaultDiscoveryDocument)
        state = FakeState(
            accountEmail: options.accountEmail, timeZone: options.timeZone, seed: options.seed,
            schema: loaded?.0, methods: loaded?.1, rejectUnknownFields: options.rejectsUnknownFields,
            remindersOnlyChangeKeepsUpdated: options.remindersOnlyChangeKeepsUpdated)
        server = try LoopbackServer(port: options.port) { [weak self] request in
            guard let self else { return .closeConnection }
            return self.handle(request)
        }
    }

    deinit { server?.stop() }

    /// Stops listening and closes every connection. Idempotent.
    public func stop() { server.stop() }

    public var port: UInt16 { server.port }
    /// "http://127.0.0.1:PORT/": the API root, in place of `https://www.googleapis.com/`.
    public var baseURL: String { server.baseURL + "/" }
    /// The token endpoint, in place of `https://oauth2.googleapis.com/token`.
    public var tokenURL: String { server.baseURL + "/token" }
    /// The revocation endpoint, in place of `https://oauth2.googleapis.com/revoke`.
    public var revokeURL: String { server.baseURL + "/revoke" }
    /// The consent page, in place of `https://accounts.google.com/o/oauth2/v2/auth`: it approves
    /// at once with a 302 to `redirect_uri` carrying `code` and `state` (or `error=access_denied`
    /// when `consentDenied`), and registers the code with the request's PKCE challenge.
    public var authorizationURL: String { server.baseURL + "/o/oauth2/v2/auth" }
    /// Whether request bodies are validated against the discovery document.
    public var validatesAgainstDiscoveryDocument: Bool { state.schema != nil }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    // MARK: - Hooks

    /// The primary calendar's id (the account email).
    public var primaryCalendarId: String { state.primaryId }

    /// Random faults and latency. Setting them re-seeds the generator with `seed`.
    public var faults: Faults {
        get { locked { faultSettings } }
        set {
            locked {
                faultSettings = newValue
                faultRNG = SplitMix64(seed: newValue.seed)
            }
        }
    }

    /// The next `count` API calls (batch parts included; token endpoints excluded) fail with
    /// `fault`, before any random fault. Calls queue up: `failNext(2, .backendError)` then
    /// `failNext(1, .quotaExceeded)` fails three calls in that order.
    public func failNext(_ count: Int, with fault: Fault = .quotaExceeded) {
        locked { failQueue += Array(repeating: fault, count: max(0, count)) }
    }

    /// While true, every write (POST, PUT, PATCH, DELETE) fails with 403 `quotaExceeded`
    /// ("Calendar usage limits exceeded."), reads work: the calendar is read-only, as after
    /// Google's usage limits are hit.
    public var usageLimitsExceeded: Bool {
        get { locked { usageLimited } }
        set { locked { usageLimited = newValue } }
    }

    /// While true, every write fails with 403 `forbidden` ("You need to have writer access to
    /// this calendar."), reads work: the account can only read the calendar.
    public var writesForbidden: Bool {
        get { locked { readerOnly } }
        set { locked { readerOnly = newValue } }
    }

    public var rateLimit: RateLimit? {
        get { locked { rateLimitSetting } }
        set { locked {
            rateLimitSetting = newValue
            recentCalls = []
        } }
    }

    /// Invalidates every sync token (and incremental page token) handed out so far: using one
    /// answers 410 `fullSyncRequired`.
    public func expireSyncTokens() { locked { state.syncEpoch += 1 } }

    /// Bearer tokens accepted besides those the token endpoint issued. Nil (the default): any
    /// non-empty token that was not revoked or expired.
    public var acceptedTokens: Set<String>? {
        get { locked { accepted } }
        set { locked { accepted = newValue } }
    }

    /// Every access token used or issued so far stops working (401), as when they expire; tokens
    /// issued afterwards work.
    public func expireAccessTokens() {
        locked {
            revoked.formUnion(issuedAccess.keys)
            revoked.formUnion(seenTokens)
            revoked.formUnion(accepted ?? [])
            issuedAccess = [:]
        }
    }

    /// Issued access tokens older than this are refused (401). Nil: they never expire.
    public var accessTokenLifetime: Duration? {
        get { locked { accessLifetime } }
        set { locked { accessLifetime = newValue } }
    }

    /// False: every refresh_token grant answers 400 `invalid_grant` "Token has been expired or
    /// revoked." (as after 7 days in Testing mode).
    public var refreshTokensValid: Bool {
        get { locked { refreshValid } }
        set { locked { refreshValid = newValue } }
    }

    /// When set, the token endpoint requires this client (`client_id`/`client_secret` in the
    /// form or HTTP Basic), else 401 `invalid_client`.
    public var oauthClient: OAuthClient? {
        get { locked { client } }
        set { locked { client = newValue } }
    }

    /// Whether the authorization_code grant accepts codes that were never registered (with any
    /// redirect_uri and no PKCE check). Default true.
    public var acceptsUnregisteredAuthorizationCodes: Bool {
        get { locked { acceptsUnregistered } }
        set { locked { acceptsUnregistered = newValue } }
    }

    /// The consent page redirects with `error=access_denied`.
    public var consentDenied: Bool {
        get { locked { denyConsent } }
        set { locked { denyConsent = newValue } }
    }

    /// Registers an authorization code: the grant then checks `redirect_uri` (when given) and the
    /// PKCE `code_verifier` against `codeChallenge` (method "S256" or "plain"). Codes work once.
    public func registerAuthorizationCode(
        _ code: String, redirectURI: String? = nil, codeChallenge: String? = nil, codeChallengeMethod: String = "S256",
        scope: String? = nil
    ) {
        locked { codes[code] = (redirectURI, codeChallenge, codeChallengeMethod, scope) }
    }

    /// JWT assertions received by the jwt-bearer grant, in order.
    public var receivedAssertions: [String] { locked { assertions } }

    // MARK: - Statistics

    public var statistics: Statistics { locked { stats } }
    /// HTTP requests received (a batch counts once).
    public var requestCount: Int { locked { stats.requests } }
    /// Calls of one endpoint: a method id ("calendar.events.import", or without the
    /// "calendar." prefix), "batch", "oauth.token", "oauth.revoke", "oauth.authorize".
    public func requestCount(for endpoint: String) -> Int {
        locked { stats.calls[endpoint] ?? stats.calls["calendar." + endpoint] ?? 0 }
    }
    public var requestCounts: [String: Int] { locked { stats.calls } }
    public var bytesSent: Int { locked { stats.bytesSent } }
    public var bytesReceived: Int { locked { stats.bytesReceived } }
    /// `sendUpdates` values received, in order.
    public var sendUpdatesValues: [String] { locked { stats.sendUpdates.map(\.value) } }
    /// The last 20,000 requests and batch parts (at least; oldest first).
    public var requestLog: [LoggedRequest] { locked { Array(log.suffix(Self.logLimit)) } }
    public func resetStatistics() {
        locked {
            stats = Statistics()
            log = []
        }
    }

    // MARK: - Direct access to the data

    /// Every stored event of a calendar, cancelled ones included, in creation order (instances
    /// of a series only when they were modified or cancelled).
    public func storedEvents(calendarId: String = "primary") -> [GoogleEvent] {
        locked {
            guard let cal = try? state.calendar(calendarId) else { return [] }
            let decoder = JSONDecoder()
            return cal.order.compactMap { id in
                cal.events[id].flatMap { try? decoder.decode(GoogleEvent.self, from: Data(FakeJSON.encode($0.resource))) }
            }
        }
    }

    /// One stored event's JSON as the API returns it, or nil.
    public func eventJSON(id: String, calendarId: String = "primary") -> String? {
        locked {
            guard let cal = try? state.calendar(calendarId), let r = cal.events[id] else { return nil }
            return FakeJSON.string(.object(r.resource))
        }
    }

    /// Creates a secondary calendar; returns its id.
    @discardableResult
    public func createCalendar(summary: String, timeZone: String = "UTC") throws -> String {
        let body: JSONValue = .object(["summary": .string(summary), "timeZone": .string(timeZone)])
        let call = APICall(httpMethod: "POST", segments: ["calendars"], query: [], headers: [:], body: FakeJSON.encode(body))
        return try locked {
            do {
                let result = try state.insertCalendar(call)
                return result.body?.objectValue?["id"]?.stringValue ?? ""
            } catch let error as APIError {
                throw Failure(status: error.code, description: error.message)
            }
        }
    }

    /// Stores events without HTTP, faults or statistics, by the rules of events.import
    /// (`importing`) or events.insert. Returns their ids.
    @discardableResult
    public func seed(_ events: [GoogleEvent], calendarId: String = "primary", importing: Bool = true) throws -> [String] {
        let encoder = JSONEncoder()
        var ids: [String] = []
        for event in events {
            let body = try Array(encoder.encode(event))
            let call = APICall(httpMethod: "POST", segments: [], query: [], headers: [:], body: body)
            try locked {
                do {
                    let result = try state.createEvent(call, calendarId: calendarId, importing: importing)
                    ids.append(result.body?.objectValue?["id"]?.stringValue ?? "")
                } catch let error as APIError {
                    throw Failure(status: error.code, description: error.message)
                }
            }
        }
        return ids
    }

    // MARK: - Handling requests

    private func handle(_ request: LoopbackRequest) -> LoopbackResponse {
        let path = request.pathWithoutQuery
        let latency = locked {
            stats.requests += 1
            stats.bytesReceived += request.body.count
            return faultSettings.latency
        }
        var response: LoopbackResponse
        var endpoint = "unknown"
        switch path {
        case "/token", "/o/oauth2/token", "/oauth2/v4/token":
            endpoint = "oauth.token"
            response = tokenEndpoint(request)
        case "/revoke", "/o/oauth2/revoke":
            endpoint = "oauth.revoke"
            response = revokeEndpoint(request)
        case "/o/oauth2/v2/auth", "/o/oauth2/auth":
            endpoint = "oauth.authorize"
            response = authorizeEndpoint(request)
        case "/batch/calendar/v3":
            endpoint = "batch"
            response = batch(request)
        default:
            if path.hasPrefix("/calendar/v3/") {
                response = single(request)
                endpoint = ""
            } else {
                response = jsonResponse(APIResult(status: 404, body: APIError.notFound.json))
            }
        }
        locked {
            stats.bytesSent += response.body.count
            if !endpoint.isEmpty {
                if endpoint != "batch" { stats.calls[endpoint, default: 0] += 1 }
                appendLog(LoggedRequest(method: request.method, path: path, endpoint: endpoint, status: response.status, inBatch: false))
            }
        }
        return latency > .zero ? response.delayed(by: latency) : response
    }

    private func appendLog(_ entry: LoggedRequest) {
        log.append(entry)
        // Trimmed in chunks, so that a long benchmark does not shift the array on every call.
        if log.count >= Self.logLimit * 2 { log.removeFirst(log.count - Self.logLimit) }
    }

    private func jsonResponse(_ result: APIResult) -> LoopbackResponse {
        var headers = result.headers
        var body: [UInt8] = []
        if let json = result.body {
            headers.insert(("Content-Type", "application/json; charset=UTF-8"), at: 0)
            body = FakeJSON.encode(json)
        }
        return LoopbackResponse(status: result.status, headers: headers, body: body)
    }

    private static func errorResult(_ error: APIError) -> APIResult {
        APIResult(status: error.code, body: error.json, headers: error.extraHeaders)
    }

    /// A request under `calendar/v3/`.
    private func single(_ request: LoopbackRequest) -> LoopbackResponse {
        let call = APICall(
            httpMethod: request.method, segments: Self.segments(request.pathWithoutQuery), query: request.queryItems,
            headers: request.headers, body: request.body)
        switch perform(call, authorization: request.header("authorization"), inBatch: false, path: request.pathWithoutQuery) {
        case .respond(let result): return jsonResponse(result)
        case .drop: return .closeConnection
        }
    }

    /// The percent-decoded segments after "/calendar/v3/" ("+" stays "+" in paths).
    static func segments(_ path: String) -> [String] {
        var rest = Substring(path)
        if rest.hasPrefix("/calendar/v3/") { rest = rest.dropFirst("/calendar/v3/".count) }
        return rest.split(separator: "/", omittingEmptySubsequences: false).map { decodeSegment($0) }
    }

    static func decodeSegment(_ s: Substring) -> String {
        var bytes: [UInt8] = []
        var utf8 = Array(s.utf8)[...]
        while let b = utf8.popFirst() {
            if b == UInt8(ascii: "%"), utf8.count >= 2,
               let h = hex(utf8[utf8.startIndex]), let l = hex(utf8[utf8.startIndex + 1]) {
                bytes.append(h << 4 | l)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(b)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hex(_ b: UInt8) -> UInt8? {
        switch b {
        case 48...57: b - 48
        case 65...70: b - 55
        case 97...102: b - 87
        default: nil
        }
    }

    enum Outcome {
        case respond(APIResult)
        case drop
    }

    /// Which method a call is, and how to run it.
    private func route(_ call: APICall) -> (String, (APICall) throws(APIError) -> APIResult) {
        let s = call.segments
        let m = call.httpMethod
        let st = state
        switch (m, s.count) {
        case ("GET", 3) where s[0] == "users" && s[1] == "me" && s[2] == "calendarList":
            return ("calendar.calendarList.list", { c throws(APIError) in try st.listCalendars(c) })
        case ("GET", 4) where s[0] == "users" && s[1] == "me" && s[2] == "calendarList":
            return ("calendar.calendarList.get", { _ throws(APIError) in .ok(st.calendarListEntry(try st.calendar(s[3]))) })
        case ("POST", 1) where s[0] == "calendars":
            return ("calendar.calendars.insert", { c throws(APIError) in try st.insertCalendar(c) })
        case ("GET", 2) where s[0] == "calendars":
            return ("calendar.calendars.get", { _ throws(APIError) in .ok(st.calendarResource(try st.calendar(s[1]))) })
        case ("DELETE", 2) where s[0] == "calendars":
            return ("calendar.calendars.delete", { c throws(APIError) in try st.deleteCalendar(c, calendarId: s[1]) })
        case ("GET", 3) where s[0] == "calendars" && s[2] == "events":
            return ("calendar.events.list", { c throws(APIError) in try st.listEvents(c, calendarId: s[1]) })
        case ("POST", 3) where s[0] == "calendars" && s[2] == "events":
            return ("calendar.events.insert", { c throws(APIError) in try st.createEvent(c, calendarId: s[1], importing: false) })
        case ("POST", 4) where s[0] == "calendars" && s[2] == "events" && s[3] == "import":
            return ("calendar.events.import", { c throws(APIError) in try st.createEvent(c, calendarId: s[1], importing: true) })
        case ("GET", 4) where s[0] == "calendars" && s[2] == "events":
            return ("calendar.events.get", { c throws(APIError) in try st.getEvent(c, calendarId: s[1], eventId: s[3]) })
        case ("PUT", 4) where s[0] == "calendars" && s[2] == "events":
            return ("calendar.events.update", { c throws(APIError) in try st.updateEvent(c, calendarId: s[1], eventId: s[3], patch: false) })
        case ("PATCH", 4) where s[0] == "calendars" && s[2] == "events":
            return ("calendar.events.patch", { c throws(APIError) in try st.updateEvent(c, calendarId: s[1], eventId: s[3], patch: true) })
        case ("DELETE", 4) where s[0] == "calendars" && s[2] == "events":
            return ("calendar.events.delete", { c throws(APIError) in try st.deleteEvent(c, calendarId: s[1], eventId: s[3]) })
        case ("GET", 5) where s[0] == "calendars" && s[2] == "events" && s[4] == "instances":
            return ("calendar.events.instances", { c throws(APIError) in try st.listInstances(c, calendarId: s[1], eventId: s[3]) })
        default:
            // A method of the discovery document the fake does not implement: 501; else 404.
            if let methods = st.methods {
                for method in methods.methods.values where method.httpMethod == m && Self.matches(template: method.path, s) {
                    return (method.id, { _ throws(APIError) in throw APIError.notImplemented(method.id) })
                }
            }
            return ("unknown", { _ throws(APIError) in throw APIError.notFound })
        }
    }

    private static func matches(template: String, _ segments: [String]) -> Bool {
        let parts = template.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == segments.count else { return false }
        return zip(parts, segments).allSatisfy { p, s in p.hasPrefix("{") || p == s }
    }

    private static let writeMethods: Set<String> = ["POST", "PUT", "PATCH", "DELETE"]

    private func perform(_ call: APICall, authorization: String?, inBatch: Bool, path: String) -> Outcome {
        locked {
            let (endpoint, run) = route(call)
            stats.calls[endpoint, default: 0] += 1
            let outcome = decideAndRun(call, endpoint: endpoint, run: run, authorization: authorization, inBatch: inBatch)
            let status: Int
            switch outcome {
            case .respond(let r): status = r.status
            case .drop: status = 0
            }
            appendLog(LoggedRequest(method: call.httpMethod, path: path, endpoint: endpoint, status: status, inBatch: inBatch))
            return outcome
        }
    }

    /// Under the lock: authentication, parameter checks, the fault decision, then the call.
    private func decideAndRun(
        _ call: APICall, endpoint: String, run: (APICall) throws(APIError) -> APIResult, authorization: String?, inBatch: Bool
    ) -> Outcome {
        guard isAuthorized(authorization) else { return .respond(Self.errorResult(.unauthenticated)) }
        if let value = call.q("sendUpdates") { stats.sendUpdates.append((endpoint, value)) }
        if let methods = state.methods, let problem = methods.queryProblems(call.query, method: endpoint).first {
            return .respond(Self.errorResult(problem))
        }
        let fault = decideFault(endpoint: endpoint, write: Self.writeMethods.contains(call.httpMethod), inBatch: inBatch)
        var dropAfter = false
        switch fault {
        case .error(let e):
            return .respond(Self.errorResult(e))
        case .drop:
            return .drop
        case .dropAfterApplying:
            dropAfter = true
        case .none:
            break
        }
        let result: APIResult
        do {
            result = try run(call)
        } catch {
            result = Self.errorResult(error)
        }
        return dropAfter ? .drop : .respond(result)
    }

    private enum Decision {
        case none
        case error(APIError)
        case drop
        case dropAfterApplying
    }

    private func countFault(_ name: String) { stats.faults[name, default: 0] += 1 }

    private func decision(for fault: Fault) -> Decision {
        countFault(fault.rawValue)
        switch fault {
        case .rateLimitExceeded: return .error(.rateLimitExceeded)
        case .userRateLimitExceeded: return .error(.userRateLimitExceeded)
        case .quotaExceeded: return .error(.quotaExceeded)
        case .tooManyRequests: return .error(.tooManyRequests)
        case .backendError: return .error(.backendError)
        case .internalError: return .error(.internalError)
        case .dropConnection: return .drop
        }
    }

    /// Decided before anything is applied. Order: the failNext queue, the read-only switch, the
    /// rate limit, then one random draw. A batch request as a whole only draws (its parts meet
    /// the queue, the switch and the limit).
    private func decideFault(endpoint: String, write: Bool, inBatch: Bool, wholeBatch: Bool = false) -> Decision {
        if wholeBatch {
        } else if !failQueue.isEmpty {
            let fault = failQueue.removeFirst()
            // A batch part cannot drop the connection: it fails as a backend error instead.
            return decision(for: inBatch && fault == .dropConnection ? .backendError : fault)
        }
        if usageLimited && write && !wholeBatch { return decision(for: .quotaExceeded) }
        if readerOnly && write && !wholeBatch { return .error(.writerAccessRequired) }
        if let limit = rateLimitSetting, !wholeBatch {
            let now = DispatchTime.now().uptimeNanoseconds
            let window = UInt64(limit.per.components.seconds) * 1_000_000_000 + UInt64(limit.per.components.attoseconds / 1_000_000_000)
            recentCalls.removeAll { now - $0 > window }
            if recentCalls.count >= limit.calls { return decision(for: .userRateLimitExceeded) }
            recentCalls.append(now)
        }
        let f = faultSettings
        if let endpoints = f.endpoints, !endpoints.contains(endpoint) { return .none }
        let total = f.rateLimitExceeded + f.userRateLimitExceeded + f.tooManyRequests + f.backendError + f.internalError
            + (inBatch ? 0 : f.dropConnection + f.dropAfterApplying)
        guard total > 0 else { return .none }
        let r = faultRNG.unit()
        var threshold = 0.0
        let table: [(Double, Fault?)] = [
            (f.rateLimitExceeded, .rateLimitExceeded), (f.userRateLimitExceeded, .userRateLimitExceeded),
            (f.tooManyRequests, .tooManyRequests), (f.backendError, .backendError), (f.internalError, .internalError),
            (inBatch ? 0 : f.dropConnection, .dropConnection), (inBatch ? 0 : f.dropAfterApplying, nil),
        ]
        for (p, fault) in table where p > 0 {
            threshold += p
            if r < threshold {
                if let fault { return decision(for: fault) }
                countFault("dropAfterApplying")
                return .dropAfterApplying
            }
        }
        return .none
    }

    private func isAuthorized(_ header: String?) -> Bool {
        guard let header, header.count > 7, header.prefix(7).lowercased() == "bearer " else { return false }
        let token = header.dropFirst(7).trimmingCharacters(in: .whitespaces)
        guard !token.isEmpty, !revoked.contains(token) else { return false }
        if let issued = issuedAccess[token] {
            if let lifetime = accessLifetime {
                let age = DispatchTime.now().uptimeNanoseconds - issued
                let limit = UInt64(lifetime.components.seconds) * 1_000_000_000 + UInt64(lifetime.components.attoseconds / 1_000_000_000)
                return age <= limit
            }
            return true
        }
        seenTokens.insert(token)
        return accepted?.contains(token) ?? true
    }

    // MARK: - Batch

    private func batch(_ request: LoopbackRequest) -> LoopbackResponse {
        func fail(_ e: APIError) -> LoopbackResponse { jsonResponse(Self.errorResult(e)) }
        guard request.method == "POST" else { return fail(.notFound) }
        let outerAuth = request.header("authorization")
        let outer: Decision = locked {
            stats.calls["batch", default: 0] += 1
            guard isAuthorized(outerAuth) else { return .error(.unauthenticated) }
            return decideFault(endpoint: "batch", write: false, inBatch: false, wholeBatch: true)
        }
        switch outer {
        case .error(let e): return fail(e)
        case .drop: return .closeConnection
        case .none, .dropAfterApplying: break
        }
        guard let contentType = request.header("content-type"), contentType.lowercased().hasPrefix("multipart/mixed"),
              let boundary = Multipart.boundary(contentType) else {
            return fail(.invalid("Batch requests must be multipart/mixed with a boundary."))
        }
        let parts = Multipart.split(request.body, boundary: boundary)
        guard !parts.isEmpty else { return fail(.invalid("The batch request contains no requests.")) }
        guard parts.count <= 1000 else { return fail(.invalid("A batch request cannot contain more than 1000 requests.")) }

        var responses: [(contentID: String?, status: Int, headers: [(String, String)], body: [UInt8])] = []
        for part in parts {
            let contentID = part.headers["content-id"]
            guard let inner = Multipart.innerRequest(part.body) else {
                let e = APIError.invalid("Each batch part must hold an HTTP request (Content-Type: application/http).")
                responses.append((contentID, 400, [("Content-Type", "application/json; charset=UTF-8")], FakeJSON.encode(e.json)))
                continue
            }
            let target = LoopbackRequest(method: inner.method, path: inner.target)
            var result: APIResult
            if target.pathWithoutQuery.hasPrefix("/calendar/v3/") {
                let call = APICall(
                    httpMethod: inner.method, segments: Self.segments(target.pathWithoutQuery), query: target.queryItems,
                    headers: inner.headers, body: inner.body)
                switch perform(call, authorization: inner.headers["authorization"] ?? outerAuth, inBatch: true, path: target.pathWithoutQuery) {
                case .respond(let r): result = r
                case .drop: result = Self.errorResult(.backendError)
                }
            } else {
                result = Self.errorResult(.notFound)
            }
            var headers = result.headers
            var body: [UInt8] = []
            if let json = result.body {
                headers.insert(("Content-Type", "application/json; charset=UTF-8"), at: 0)
                body = FakeJSON.encode(json)
            }
            responses.append((contentID, result.status, headers, body))
        }
        if case .dropAfterApplying = outer { return .closeConnection }

        let responseBoundary = "batch_" + locked { state.newId() }
        var out: [UInt8] = []
        for r in responses {
            var head = "--\(responseBoundary)\r\nContent-Type: application/http\r\n"
            if let id = r.contentID { head += "Content-ID: \(Multipart.responseContentID(id))\r\n" }
            head += "\r\nHTTP/1.1 \(r.status) \(reasonPhrase(r.status))\r\n"
            for (name, value) in r.headers { head += "\(name): \(value)\r\n" }
            head += "Content-Length: \(r.body.count)\r\n\r\n"
            out += Array(head.utf8)
            out += r.body
            out += Array("\r\n".utf8)
        }
        out += Array("--\(responseBoundary)--\r\n".utf8)
        return LoopbackResponse(status: 200, headers: [("Content-Type", "multipart/mixed; boundary=\(responseBoundary)")], body: out)
    }

    // MARK: - OAuth

    private func oauthError(_ error: String, _ description: String, status: Int = 400) -> LoopbackResponse {
        .json(FakeJSON.string(.object(["error": .string(error), "error_description": .string(description)])), status: status)
    }

    private static func form(_ request: LoopbackRequest) -> [String: String] {
        var fields: [String: String] = [:]
        for (name, value) in LoopbackRequest(method: "POST", path: "/?" + request.bodyText).queryItems where fields[name] == nil {
            fields[name] = value
        }
        for (name, value) in request.queryItems where fields[name] == nil { fields[name] = value }
        return fields
    }

    private func issueAccessToken(refresh: String?) -> String {
        tokenCounter += 1
        let token = "fake-access-\(tokenCounter)"
        issuedAccess[token] = DispatchTime.now().uptimeNanoseconds
        if let refresh { accessByRefresh[refresh, default: []].append(token) }
        return token
    }

    private func tokenEndpoint(_ request: LoopbackRequest) -> LoopbackResponse {
        guard request.method == "POST" else { return oauthError("invalid_request", "Method not allowed", status: 405) }
        var fields = Self.form(request)
        if let basic = request.header("authorization"), basic.lowercased().hasPrefix("basic "),
           let data = Data(base64Encoded: String(basic.dropFirst(6))), let pair = String(data: data, encoding: .utf8),
           let colon = pair.firstIndex(of: ":") {
            fields["client_id"] = fields["client_id"] ?? String(pair[..<colon]).removingPercentEncoding
            fields["client_secret"] = fields["client_secret"] ?? String(pair[pair.index(after: colon)...]).removingPercentEncoding
        }
        return locked {
            stats.tokenRequests.append(fields)
            if let client {
                guard fields["client_id"] == client.id else { return oauthError("invalid_client", "The OAuth client was not found.", status: 401) }
                if let secret = client.secret, fields["client_secret"] != secret {
                    return oauthError("invalid_client", "Unauthorized", status: 401)
                }
            }
            let scopeDefault = "https://www.googleapis.com/auth/calendar"
            switch fields["grant_type"] ?? "" {
            case "authorization_code":
                guard let code = fields["code"], !code.isEmpty else {
                    return oauthError("invalid_request", "Missing required parameter: code")
                }
                if usedCodes.contains(code) { return oauthError("invalid_grant", "Bad Request") }
                var scope = scopeDefault
                if let registered = codes[code] {
                    if let uri = registered.redirectURI, fields["redirect_uri"] != uri {
                        return oauthError("redirect_uri_mismatch", "Bad Request")
                    }
                    if let challenge = registered.challenge {
                        guard let verifier = fields["code_verifier"] else { return oauthError("invalid_grant", "Missing code verifier.") }
                        let computed = registered.method.uppercased() == "PLAIN" ? verifier : SHA256Digest.s256Challenge(verifier)
                        guard computed == challenge else { return oauthError("invalid_grant", "Invalid code verifier.") }
                    }
                    scope = registered.scope ?? scopeDefault
                } else if !acceptsUnregistered {
                    return oauthError("invalid_grant", "Malformed auth code.")
                }
                usedCodes.insert(code)
                tokenCounter += 1
                let refresh = "fake-refresh-\(tokenCounter)"
                let access = issueAccessToken(refresh: refresh)
                // Google adds an OpenID Connect id_token naming the account when asked for it.
                let words = scope.split(separator: " ")
                let idToken = words.contains("openid") || words.contains("email")
                    ? Self.idToken(email: state.primaryId, audience: fields["client_id"] ?? "") : nil
                return tokenResponse(access: access, refresh: refresh, scope: scope, idToken: idToken)
            case "refresh_token":
                guard let refresh = fields["refresh_token"], !refresh.isEmpty else {
                    return oauthError("invalid_request", "Missing required parameter: refresh_token")
                }
                guard refreshValid, !revokedRefresh.contains(refresh) else {
                    return oauthError("invalid_grant", "Token has been expired or revoked.")
                }
                return tokenResponse(access: issueAccessToken(refresh: refresh), refresh: nil, scope: scopeDefault)
            case "urn:ietf:params:oauth:grant-type:jwt-bearer":
                let assertion = fields["assertion"] ?? ""
                assertions.append(assertion)
                let parts = assertion.split(separator: ".", omittingEmptySubsequences: false)
                guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty }) else {
                    return oauthError("invalid_grant", "Invalid JWT Signature.")
                }
                return tokenResponse(access: issueAccessToken(refresh: nil), refresh: nil, scope: nil)
            case let other:
                return oauthError("unsupported_grant_type", "Invalid grant_type: \(other)")
            }
        }
    }

    private func tokenResponse(access: String, refresh: String?, scope: String?, idToken: String? = nil) -> LoopbackResponse {
        var r: [String: JSONValue] = [
            "access_token": .string(access), "expires_in": .number(3599), "token_type": .string("Bearer"),
        ]
        if let refresh { r["refresh_token"] = .string(refresh) }
        if let idToken { r["id_token"] = .string(idToken) }
        if let scope { r["scope"] = .string(scope) }
        return .json(FakeJSON.string(.object(r)))
    }

    /// An id_token whose signature part is not a real signature: calport reads the payload of an
    /// id_token only to show the account, and never verifies it.
    static func idToken(email: String, audience: String) -> String {
        let header = FakeJSON.string(.object(["alg": .string("RS256"), "typ": .string("JWT")]))
        let payload = FakeJSON.string(.object([
            "iss": .string("https://accounts.google.com"), "aud": .string(audience), "email": .string(email),
            "email_verified": .bool(true), "sub": .string("1000000000"),
        ]))
        return SHA256Digest.base64URL(Array(header.utf8)) + "." + SHA256Digest.base64URL(Array(payload.utf8)) + ".c2ln"
    }

    private func revokeEndpoint(_ request: LoopbackRequest) -> LoopbackResponse {
        guard request.method == "POST" || request.method == "GET" else {
            return oauthError("invalid_request", "Method not allowed", status: 405)
        }
        let token = Self.form(request)["token"] ?? ""
        guard !token.isEmpty else { return oauthError("invalid_request", "Bad Request") }
        return locked {
            if revoked.contains(token) || revokedRefresh.contains(token) { return oauthError("invalid_token", "Token expired or revoked") }
            if token.hasPrefix("fake-refresh-") || accessByRefresh[token] != nil {
                revokedRefresh.insert(token)
                revoked.formUnion(accessByRefresh[token] ?? [])
            } else {
                revoked.insert(token)
                issuedAccess.removeValue(forKey: token)
            }
            return .json("{}")
        }
    }

    private func authorizeEndpoint(_ request: LoopbackRequest) -> LoopbackResponse {
        guard let redirect = request.query("redirect_uri"), !redirect.isEmpty else {
            return .html("<h1>Error 400: invalid_request</h1><p>Missing required parameter: redirect_uri</p>", status: 400)
        }
        guard request.query("response_type") == "code", let clientID = request.query("client_id"), !clientID.isEmpty else {
            return .html("<h1>Error 400: invalid_request</h1><p>response_type=code and client_id are required</p>", status: 400)
        }
        if let client = oauthClient, client.id != clientID {
            return .html("<h1>Error 401: invalid_client</h1><p>The OAuth client was not found.</p>", status: 401)
        }
        var items: [(String, String)] = []
        let denied = consentDenied
        if denied {
            items.append(("error", "access_denied"))
        } else {
            let code: String = locked {
                tokenCounter += 1
                let code = "fake-code-\(tokenCounter)"
                codes[code] = (redirect, request.query("code_challenge"), request.query("code_challenge_method") ?? "plain",
                               request.query("scope"))
                return code
            }
            items.append(("code", code))
            if let scope = request.query("scope") { items.append(("scope", scope)) }
        }
        if let state = request.query("state") { items.append(("state", state)) }
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let query = items.map { "\($0)=\($1.addingPercentEncoding(withAllowedCharacters: allowed) ?? $1)" }.joined(separator: "&")
        let location = redirect + (redirect.contains("?") ? "&" : "?") + query
        return LoopbackResponse(status: 302, headers: [("Location", location), ("Content-Type", "text/html; charset=utf-8")],
                                body: Array("<a href=\"\(location)\">continue</a>".utf8))
    }
}
