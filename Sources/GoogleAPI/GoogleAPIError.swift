import Foundation
import GoogleCalendar
import HTTP

/// A failed Google Calendar API call: an error status from Google, a network failure that outlasted
/// the retries, or an answer that could not be read.
///
/// `description` is one line saying what happened and what to do. It never contains access
/// tokens, request headers or query strings: messages taken from Google's answer have the token
/// in use scrubbed out.
public struct GoogleAPIError: Error, CustomStringConvertible, CustomDebugStringConvertible, Sendable, Equatable {
    /// The HTTP status, or 0 when no answer arrived (`kind == .transport`).
    public var status: Int
    /// The first `errors[].reason` (`rateLimitExceeded`, `quotaExceeded`, `duplicate`, ...), else
    /// the first `details[].reason` (`SERVICE_DISABLED`, ...), else nil.
    public var reason: String?
    /// Google's message (or the transport's), scrubbed of credentials.
    public var message: String
    /// Google's status name (`PERMISSION_DENIED`, `RESOURCE_EXHAUSTED`, ...).
    public var statusName: String?
    /// Every `errors[].reason` and `details[].reason` of the body.
    public var reasons: [String]
    /// The method that failed: `events.insert`, `events.list`, `batch`, ...
    public var operation: String
    /// How many times the request was sent (retries included).
    public var attempts: Int
    /// The server's `Retry-After`, when it sent one.
    public var retryAfter: Duration?
    /// The transport failure, for `.transport`.
    public var transportError: HTTPError?
    /// For create calls that failed without an answer: the event may exist on the server.
    public var outcomeUnknown: Bool
    /// Set when calport itself found the fault in what the server did (a listing that never
    /// ends), rather than reading it from a status; `kind` is then this.
    public var localKind: Kind?
    /// Set when calport stopped retrying because no call had made progress for this long
    /// (`RetryPolicy.maxWait`, `calport push --max-wait`).
    public var gaveUpAfter: Duration?

    public enum Kind: String, Sendable, Equatable, CaseIterable {
        /// 400: the request is invalid (not retried).
        case badRequest
        /// 401: the token was rejected (after one refresh).
        case unauthorized
        /// 403 rateLimitExceeded / userRateLimitExceeded, 429: retried with backoff.
        case rateLimited
        /// 403 quotaExceeded, "Calendar usage limits exceeded": the calendar may be read-only for
        /// hours. Never retried.
        case quotaExceeded
        /// 403 accessNotConfigured / SERVICE_DISABLED: the Calendar API is off for the Cloud project.
        case apiNotEnabled
        /// 403 insufficientPermissions / ACCESS_TOKEN_SCOPE_INSUFFICIENT: the token lacks the scope.
        case insufficientScope
        /// 403 forbiddenForNonOrganizer: only the organizer may change this.
        case forbiddenForNonOrganizer
        /// Any other 403.
        case forbidden
        /// 404.
        case notFound
        /// 409: an event with this id or iCalUID exists.
        case conflict
        /// 410: the sync token expired (`fullSyncRequired`) or the resource was deleted.
        case gone
        /// 412: the If-Match etag no longer matches.
        case preconditionFailed
        /// 5xx.
        case serverError
        /// No answer: DNS, connection, TLS, timeout.
        case transport
        /// An answer larger than the HTTP client accepts (`HTTPError.responseTooLarge`).
        case responseTooLarge
        /// An answer that could not be decoded.
        case invalidResponse
        /// Any other status.
        case other
        /// The server kept a listing going: a page token it had sent before, or more pages or
        /// items than `ListingLimits` allows. Found by calport; not retried.
        case endlessListing
        /// The API root breaks `CredentialPolicy` (plain http to a host that is not loopback):
        /// nothing was sent, above all no access token.
        case insecureRoot
    }

    public init(
        status: Int, reason: String? = nil, message: String, statusName: String? = nil, reasons: [String]? = nil,
        operation: String = "request", attempts: Int = 1, retryAfter: Duration? = nil,
        transportError: HTTPError? = nil, outcomeUnknown: Bool = false, localKind: Kind? = nil
    ) {
        self.status = status
        self.reason = reason
        self.message = message
        self.statusName = statusName
        self.reasons = reasons ?? reason.map { [$0] } ?? []
        self.operation = operation
        self.attempts = attempts
        self.retryAfter = retryAfter
        self.transportError = transportError
        self.outcomeUnknown = outcomeUnknown
        self.localKind = localKind
        self.gaveUpAfter = nil
    }

    // MARK: Classification

    private func has(_ r: String) -> Bool { reasons.contains { $0.caseInsensitiveCompare(r) == .orderedSame } }

    public var kind: Kind {
        if let localKind { return localKind }
        if case .responseTooLarge? = transportError { return .responseTooLarge }
        if status == 0 { return transportError != nil ? .transport : .invalidResponse }
        if isQuotaExceeded { return .quotaExceeded }
        if isRateLimited { return .rateLimited }
        switch status {
        case 400: return fullSyncRequired ? .gone : .badRequest
        case 401: return .unauthorized
        case 403:
            if isAPINotEnabled { return .apiNotEnabled }
            if isInsufficientScope { return .insufficientScope }
            if isForbiddenForNonOrganizer { return .forbiddenForNonOrganizer }
            return .forbidden
        case 404: return .notFound
        case 409: return .conflict
        case 410: return .gone
        case 412: return .preconditionFailed
        case 500...599: return .serverError
        case 200...299: return .invalidResponse
        default: return .other
        }
    }

    /// 403 usageLimits "Calendar usage limits exceeded" (reason quotaExceeded, or the message):
    /// Google may keep the calendar read-only for hours. Never retried.
    public var isQuotaExceeded: Bool {
        if status == 403, has("quotaExceeded") || has("dailyLimitExceeded") { return true }
        return (status == 403 || status == 429) && message.lowercased().contains("usage limits exceeded")
    }

    /// 403 rateLimitExceeded / userRateLimitExceeded, or 429 (not a quota exhaustion).
    public var isRateLimited: Bool {
        if isQuotaExceeded { return false }
        if status == 429 { return true }
        return status == 403 && (has("rateLimitExceeded") || has("userRateLimitExceeded") || has("RATE_LIMIT_EXCEEDED"))
    }

    public var isConflict: Bool { status == 409 }
    /// 410 Gone.
    public var isGone: Bool { status == 410 }
    /// The sync token is no longer valid: 410 (reason `fullSyncRequired`), or 400 "Invalid sync
    /// token value." Wipe the local copy and list again without a sync token.
    public var fullSyncRequired: Bool {
        if status == 410 { return true }
        return status == 400 && (has("fullSyncRequired") || message.lowercased().contains("sync token"))
    }
    public var isPreconditionFailed: Bool { status == 412 }
    public var isNotFound: Bool { status == 404 }
    /// 401: the token is invalid, expired or revoked.
    public var isAuth: Bool { status == 401 }
    /// 403 that is not about rates or quotas: see `isAPINotEnabled`, `isInsufficientScope`,
    /// `isForbiddenForNonOrganizer`.
    public var isForbidden: Bool { status == 403 && !isRateLimited && !isQuotaExceeded }
    public var isAPINotEnabled: Bool {
        status == 403 && (has("accessNotConfigured") || has("SERVICE_DISABLED")
            || message.contains("has not been used in project") || message.contains("it is disabled"))
    }
    public var isInsufficientScope: Bool {
        (status == 403 || status == 401) && (has("insufficientPermissions") || has("ACCESS_TOKEN_SCOPE_INSUFFICIENT")
            || has("insufficient_scope") || message.lowercased().contains("insufficient authentication scopes"))
    }
    public var isForbiddenForNonOrganizer: Bool { status == 403 && has("forbiddenForNonOrganizer") }
    public var isServerError: Bool { (500...599).contains(status) }
    public var isTransport: Bool { status == 0 && transportError != nil }

    /// Whether sending the same request again later may succeed: rate limits, 5xx, network.
    public var isRetryable: Bool {
        if isQuotaExceeded { return false }
        if isRateLimited { return true }
        if isTransport { return transportError?.isRetryable ?? false }
        return [500, 502, 503, 504].contains(status)
    }

    // MARK: Description

    /// What to do about it, in a sentence.
    public var advice: String {
        switch kind {
        case .badRequest:
            "Google rejected the request as invalid; the message names the field or value at fault."
        case .unauthorized:
            "The access token was rejected (expired or revoked); run `calport auth login --client-secret FILE` to sign in again (or renew CALPORT_ACCESS_TOKEN if it is set)."
        case .rateLimited where gaveUpAfter != nil:
            "Google went on refusing calls for rate: run the same command again later (it resumes), or allow a longer --max-wait."
        case .rateLimited:
            attempts > 1
                ? "Google is limiting the request rate; calport backed off and retried \(attempts - 1) times. Try again in a few minutes, or lower the concurrency or batch size."
                : "Google is limiting the request rate\(retryAfter.map { " and asked calport to wait \(Self.describe($0)) first" } ?? ""); "
                    + "nothing was retried. Try again later."
        case .quotaExceeded:
            "Google's calendar usage limits were exceeded: the calendar may be read-only for hours. Do not retry now; resume in a few hours (retrying early prolongs the block)."
        case .apiNotEnabled:
            "The Google Calendar API is not enabled for this Google Cloud project: enable it in the Cloud console (APIs & Services > Library > Google Calendar API), wait a few minutes, then retry."
        case .insufficientScope:
            "The access token lacks the Google Calendar scope this needs: run `calport auth login --client-secret FILE` again and grant access to Google Calendar (without --read-only to write)."
        case .forbiddenForNonOrganizer:
            "Only the event's organizer may change this: leave out organizer-only fields (attendees, guest permissions) or make the change as the organizer."
        case .forbidden:
            "The account may not do this: check that the calendar is shared with it with permission to make changes to events."
        case .notFound:
            "The calendar or event does not exist or is not visible to this account: check the calendar id (`calport calendars` lists the ids this account can see)."
        case .conflict:
            "An event with this id or iCalUID already exists in the calendar (deleted events keep theirs): update that event instead, or use a new id."
        case .gone:
            fullSyncRequired
                ? "The sync token is no longer valid: do a full sync (list without a sync token) and replace the local copy."
                : "The resource was deleted."
        case .preconditionFailed:
            "The event changed on the server since it was read (etag mismatch): fetch it again and re-apply the change."
        case .serverError:
            "Google had a server error\(attempts > 1 ? " on all \(attempts) attempts" : ""); try again later."
        case .transport:
            outcomeUnknown
                ? "Google could not be reached and the request may or may not have been applied: list the calendar before creating the event again."
                : "Google could not be reached\(attempts > 1 ? " in \(attempts) attempts" : ""): check the network connection or proxy, then retry."
        case .responseTooLarge:
            "calport does not read an answer that large. If CALPORT_GOOGLE_API_ROOT or a proxy points elsewhere, check it; "
                + "else report it."
        case .invalidResponse:
            "Google's answer could not be read; retry, and report it if it persists."
        case .other:
            "Unexpected answer from Google."
        case .insecureRoot:
            "calport sends the access token only over \(CredentialPolicy.rule): correct \(GoogleCalendarAPI.rootEnvironmentVariable) "
                + "(unset, calport uses \(GoogleCalendarAPI.defaultRoot))."
        case .endlessListing:
            "calport stopped listing rather than go on forever: this is not how Google answers. If CALPORT_GOOGLE_API_ROOT "
                + "or a proxy points elsewhere, check it; else try again later, and report it if it persists."
        }
    }

    public var description: String {
        var head = "\(operation) failed: "
        if let gaveUpAfter {
            head = "\(operation) failed: no call to Google succeeded for \(Self.describe(gaveUpAfter)) (the --max-wait limit), so calport gave up; the last answer: "
        }
        if status == 0 {
            head += message
        } else {
            head += "HTTP \(status)"
            if let reason { head += " \(reason)" }
            if !message.isEmpty { head += ": \(message)" }
        }
        if !head.hasSuffix(".") { head += "." }
        var line = "\(head) \(advice)"
        if outcomeUnknown && kind != .transport {
            line += " The request may have been applied: list the calendar before creating the event again."
        }
        return String(line.map { $0 == "\n" || $0 == "\r" ? " " : $0 })
    }

    public var debugDescription: String { "GoogleAPIError(\(kind.rawValue), \(description))" }
}

extension GoogleAPIError {
    /// Builds the error for a non-2xx answer. `secrets` (the access token in use) are scrubbed
    /// from every text taken from the answer.
    static func from(
        _ response: HTTPResponse, operation: String, attempts: Int, secrets: [String]
    ) -> GoogleAPIError {
        from(status: response.status, headers: response.headers, body: response.body,
             operation: operation, attempts: attempts, secrets: secrets)
    }

    static func from(
        status: Int, headers: [String: String], body: [UInt8], operation: String, attempts: Int, secrets: [String]
    ) -> GoogleAPIError {
        var reasons: [String] = []
        var message = ""
        var statusName: String?
        if let decoded = try? APIJSON.decoder().decode(GoogleErrorBody.self, from: APIJSON.data(body)) {
            let p = decoded.error
            reasons = (p.errors ?? []).compactMap(\.reason) + (p.details ?? []).compactMap(\.reason)
            message = p.message ?? p.errors?.first?.message ?? ""
            statusName = p.status
        } else if !body.isEmpty {
            let text = String(decoding: body.prefix(160), as: UTF8.self)
            let isText = (headers["content-type"] ?? "").contains("text/plain")
            message = isText ? text : "non-JSON answer (\(headers["content-type"] ?? "no content type"), \(body.count) bytes)"
        }
        if let auth = headers["www-authenticate"], auth.contains("insufficient_scope") { reasons.append("insufficient_scope") }
        if message.isEmpty { message = defaultMessage(status) }
        return GoogleAPIError(
            status: status, reason: reasons.first, message: scrub(message, secrets: secrets), statusName: statusName,
            reasons: reasons, operation: operation, attempts: attempts,
            retryAfter: headers["retry-after"].flatMap(parseRetryAfter))
    }

    static func transport(_ e: HTTPError, operation: String, attempts: Int, outcomeUnknown: Bool, secrets: [String]) -> GoogleAPIError {
        GoogleAPIError(status: 0, message: scrub(e.description, secrets: secrets), operation: operation, attempts: attempts,
                       transportError: e, outcomeUnknown: outcomeUnknown)
    }

    static func invalidResponse(status: Int, operation: String, detail: String) -> GoogleAPIError {
        GoogleAPIError(status: status == 0 || !(200...299).contains(status) ? 0 : status,
                       message: "unreadable answer: \(detail)", operation: operation)
    }

    static func defaultMessage(_ status: Int) -> String {
        switch status {
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 409: "Conflict"
        case 410: "Gone"
        case 412: "Precondition Failed"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: "HTTP status \(status)"
        }
    }

    /// What a longer `Retry-After` reads as: a year, far beyond any `RetryPolicy.maxRetryAfter`.
    static let longestRetryAfter: Duration = .seconds(365 * 86_400)

    /// `Retry-After` in seconds: digits, a decimal fraction or an exponent ("1e16"). A value
    /// longer than `longestRetryAfter` reads as that (converting 1e16 seconds to milliseconds
    /// overflowed Int64 and trapped); a negative or malformed one (hex, "nan", "inf") is
    /// ignored, as is an HTTP date, which Google does not send.
    static func parseRetryAfter(_ value: String) -> Duration? {
        let v = value.trimmingCharacters(in: .whitespaces)
        guard !v.isEmpty, v.unicodeScalars.allSatisfy({ "0123456789.eE+-".unicodeScalars.contains($0) }),
              let seconds = Double(v), seconds >= 0 else { return nil }
        // Compared as a Double, before any conversion; +infinity ("1e999") is longest too.
        guard seconds < Double(longestRetryAfter.components.seconds) else { return longestRetryAfter }
        return .milliseconds(Int64((seconds * 1000).rounded(.up)))
    }

    /// A wait for a message: "90 s", "2 h", or "a year or more".
    static func describe(_ wait: Duration) -> String {
        let seconds = wait.components.seconds
        if wait >= longestRetryAfter { return "a year or more" }
        if seconds >= 2 * 3600 { return "\(seconds / 3600) h" }
        return "\(seconds) s"
    }

    /// Replaces every secret, and anything shaped like a bearer token, with `<redacted>`.
    static func scrub(_ text: String, secrets: [String]) -> String {
        var t = text
        for s in secrets where s.count >= 4 { t = t.replacingOccurrences(of: s, with: "<redacted>") }
        // Google OAuth access tokens start with "ya29."; "Bearer xyz" may be echoed by proxies.
        for marker in ["ya29.", "Bearer ", "bearer "] {
            var searchStart = t.startIndex
            while let r = t.range(of: marker, range: searchStart..<t.endIndex) {
                var end = r.upperBound
                while end < t.endIndex, !t[end].isWhitespace, t[end] != "\"", t[end] != "'", t[end] != "," { end = t.index(after: end) }
                let replacement = marker.hasPrefix("ya29") ? "<redacted>" : marker + "<redacted>"
                if end == r.upperBound { searchStart = r.upperBound; continue }
                t.replaceSubrange(r.lowerBound..<end, with: replacement)
                searchStart = t.index(r.lowerBound, offsetBy: replacement.count)
            }
        }
        return t
    }
}
