import GoogleCalendar

/// An error as Google's JSON APIs write it:
/// `{"error":{"code":N,"message":"...","errors":[{"domain":"global","reason":"...","message":"..."}],"status":"..."}}`.
struct APIError: Error {
    var code: Int
    var reason: String
    var message: String
    var domain = "global"
    var location: String?
    var locationType: String?
    var extraHeaders: [(String, String)] = []

    var status: String {
        switch code {
        case 400: "INVALID_ARGUMENT"
        case 401: "UNAUTHENTICATED"
        case 403: "PERMISSION_DENIED"
        case 404: "NOT_FOUND"
        case 409: "ALREADY_EXISTS"
        case 410: "FAILED_PRECONDITION"
        case 412: "FAILED_PRECONDITION"
        case 429: "RESOURCE_EXHAUSTED"
        case 501: "UNIMPLEMENTED"
        case 503: "UNAVAILABLE"
        default: code >= 500 ? "INTERNAL" : "UNKNOWN"
        }
    }

    var json: JSONValue {
        var item: [String: JSONValue] = ["domain": .string(domain), "reason": .string(reason), "message": .string(message)]
        if let location { item["location"] = .string(location) }
        if let locationType { item["locationType"] = .string(locationType) }
        return .object(["error": .object([
            "code": .number(Double(code)),
            "message": .string(message),
            "errors": .array([.object(item)]),
            "status": .string(status),
        ])])
    }

    // MARK: - The errors the fake gives

    static func invalid(_ message: String, location: String? = nil) -> APIError {
        APIError(code: 400, reason: "invalid", message: message, location: location, locationType: location.map { _ in "parameter" })
    }

    static func required(_ message: String) -> APIError { APIError(code: 400, reason: "required", message: message) }
    static func parseError(_ message: String = "Parse Error") -> APIError { APIError(code: 400, reason: "parseError", message: message) }
    static let notFound = APIError(code: 404, reason: "notFound", message: "Not Found")
    static let duplicate = APIError(code: 409, reason: "duplicate", message: "The requested identifier already exists.")
    static let deleted = APIError(code: 410, reason: "deleted", message: "Resource has been deleted")
    static let conditionNotMet = APIError(
        code: 412, reason: "conditionNotMet", message: "Precondition Failed", location: "If-Match", locationType: "header")
    static let fullSyncRequired = APIError(
        code: 410, reason: "fullSyncRequired", message: "Sync token is no longer valid, a full sync is required.",
        domain: "calendar", location: "syncToken", locationType: "parameter")
    static let timeRangeEmpty = APIError(code: 400, reason: "timeRangeEmpty", message: "The specified time range is empty.")

    static let unauthenticated = APIError(
        code: 401, reason: "authError",
        message: "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
        location: "Authorization", locationType: "header",
        extraHeaders: [("WWW-Authenticate", "Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\"")])

    static let rateLimitExceeded = APIError(code: 403, reason: "rateLimitExceeded", message: "Rate Limit Exceeded", domain: "usageLimits")
    static let userRateLimitExceeded = APIError(
        code: 403, reason: "userRateLimitExceeded", message: "User Rate Limit Exceeded", domain: "usageLimits")
    static let quotaExceeded = APIError(code: 403, reason: "quotaExceeded", message: "Calendar usage limits exceeded.", domain: "usageLimits")
    static let tooManyRequests = APIError(
        code: 429, reason: "rateLimitExceeded", message: "Rate Limit Exceeded", domain: "usageLimits",
        extraHeaders: [("Retry-After", "1")])
    /// 429 for a call beyond the per-user quota: Google documents no Retry-After for it.
    static let quotaTooManyRequests = APIError(code: 429, reason: "rateLimitExceeded", message: "Rate Limit Exceeded", domain: "usageLimits")
    static let backendError = APIError(code: 503, reason: "backendError", message: "Backend Error")
    static let writerAccessRequired = APIError(code: 403, reason: "forbidden", message: "You need to have writer access to this calendar.")
    static let internalError = APIError(code: 500, reason: "backendError", message: "Backend Error")

    static func notSupported(_ what: String) -> APIError {
        APIError(code: 400, reason: "invalid", message: "\(what) is not supported by the fake Google Calendar API")
    }

    static func notImplemented(_ method: String) -> APIError {
        APIError(code: 501, reason: "notImplemented", message: "\(method) is not implemented by the fake Google Calendar API")
    }
}
