/// Google Calendar API v3 resources the API client needs besides events, named and typed as in
/// the discovery document (calendar.v3.json). Every field is optional: Google omits what is unset.

/// One calendar in the user's calendar list (`calendar#calendarListEntry`).
public struct CalendarListEntry: Hashable, Sendable, Codable {
    public var kind: String?
    public var etag: String?
    public var id: String?
    public var summary: String?
    /// The user's own name for the calendar, shown instead of `summary` when set.
    public var summaryOverride: String?
    public var description: String?
    public var location: String?
    public var timeZone: String?
    /// `freeBusyReader`, `reader`, `writer` or `owner`.
    public var accessRole: String?
    public var primary: Bool?
    public var backgroundColor: String?
    public var foregroundColor: String?
    public var colorId: String?
    public var selected: Bool?
    public var hidden: Bool?
    public var deleted: Bool?
    public var defaultReminders: [GoogleEvent.Reminder]?

    public init(id: String? = nil, summary: String? = nil) {
        self.id = id
        self.summary = summary
    }

    /// The name the user sees: `summaryOverride`, else `summary`, else the id.
    public var displayName: String { summaryOverride ?? summary ?? id ?? "" }

    /// Whether events can be written (the `writer` and `owner` roles).
    public var canWrite: Bool { accessRole == "writer" || accessRole == "owner" }
}

/// The `calendar#calendarList` envelope of calendarList.list.
public struct CalendarList: Hashable, Sendable, Codable {
    public var kind: String?
    public var etag: String?
    public var items: [CalendarListEntry]?
    public var nextPageToken: String?
    public var nextSyncToken: String?

    public init(items: [CalendarListEntry]? = nil, nextPageToken: String? = nil, nextSyncToken: String? = nil) {
        self.items = items
        self.nextPageToken = nextPageToken
        self.nextSyncToken = nextSyncToken
    }
}

/// A Calendar resource (`calendar#calendar`): calendars.get and calendars.insert.
public struct CalendarResource: Hashable, Sendable, Codable {
    public var kind: String?
    public var etag: String?
    public var id: String?
    public var summary: String?
    public var description: String?
    public var location: String?
    public var timeZone: String?

    public init(id: String? = nil, summary: String? = nil, description: String? = nil, location: String? = nil, timeZone: String? = nil) {
        self.id = id
        self.summary = summary
        self.description = description
        self.location = location
        self.timeZone = timeZone
    }
}

/// The body of a Google API error response:
/// `{"error": {"code": 403, "message": "...", "status": "PERMISSION_DENIED", "errors": [...], "details": [...]}}`.
public struct GoogleErrorBody: Hashable, Sendable, Codable {
    public var error: Payload

    public init(error: Payload) { self.error = error }

    public struct Payload: Hashable, Sendable, Codable {
        public var code: Int?
        public var message: String?
        /// The gRPC-style status name: `PERMISSION_DENIED`, `RESOURCE_EXHAUSTED`, ...
        public var status: String?
        public var errors: [ErrorItem]?
        /// `google.rpc` details; `ErrorInfo` entries carry reasons such as `SERVICE_DISABLED`
        /// or `ACCESS_TOKEN_SCOPE_INSUFFICIENT`.
        public var details: [Detail]?

        public init(code: Int? = nil, message: String? = nil, status: String? = nil, errors: [ErrorItem]? = nil, details: [Detail]? = nil) {
            self.code = code
            self.message = message
            self.status = status
            self.errors = errors
            self.details = details
        }
    }

    /// One entry of `error.errors`.
    public struct ErrorItem: Hashable, Sendable, Codable {
        public var domain: String?
        public var reason: String?
        public var message: String?
        public var location: String?
        public var locationType: String?

        public init(domain: String? = nil, reason: String? = nil, message: String? = nil, location: String? = nil, locationType: String? = nil) {
            self.domain = domain
            self.reason = reason
            self.message = message
            self.location = location
            self.locationType = locationType
        }
    }

    /// One entry of `error.details` (only the parts calport looks at).
    public struct Detail: Hashable, Sendable, Codable {
        public var type: String?
        public var reason: String?
        public var domain: String?
        public var metadata: [String: String]?

        enum CodingKeys: String, CodingKey {
            case type = "@type", reason, domain, metadata
        }

        public init(type: String? = nil, reason: String? = nil, domain: String? = nil, metadata: [String: String]? = nil) {
            self.type = type
            self.reason = reason
            self.domain = domain
            self.metadata = metadata
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            type = try? c.decodeIfPresent(String.self, forKey: .type)
            reason = try? c.decodeIfPresent(String.self, forKey: .reason)
            domain = try? c.decodeIfPresent(String.self, forKey: .domain)
            metadata = try? c.decodeIfPresent([String: String].self, forKey: .metadata)
        }
    }

    enum CodingKeys: String, CodingKey { case error }

    /// Also accepts the OAuth shape `{"error": "invalid_grant", "error_description": "..."}`.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let payload = try? c.decode(Payload.self, forKey: .error) {
            error = payload
        } else {
            let text = try c.decode(String.self, forKey: .error)
            let extra = try? decoder.container(keyedBy: OAuthKeys.self).decodeIfPresent(String.self, forKey: .errorDescription)
            error = Payload(message: extra ?? text, errors: [ErrorItem(reason: text, message: extra)])
        }
    }

    private enum OAuthKeys: String, CodingKey { case errorDescription = "error_description" }
}
