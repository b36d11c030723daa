/// Google Calendar API v3 resources, named and typed as in the discovery document
/// (calendar.v3.json). Every field is optional: Google omits what is unset.

/// An Event resource.
public struct GoogleEvent: Hashable, Sendable, Codable {
    public var kind: String?
    public var etag: String?
    public var id: String?
    public var status: String?
    public var htmlLink: String?
    public var created: String?
    public var updated: String?
    public var summary: String?
    public var description: String?
    public var location: String?
    public var colorId: String?
    public var creator: Person?
    public var organizer: Person?
    public var start: EventDateTime?
    public var end: EventDateTime?
    public var endTimeUnspecified: Bool?
    public var recurrence: [String]?
    public var recurringEventId: String?
    public var originalStartTime: EventDateTime?
    public var transparency: String?
    public var visibility: String?
    public var iCalUID: String?
    public var sequence: Int?
    public var attendees: [Attendee]?
    public var attendeesOmitted: Bool?
    public var extendedProperties: ExtendedProperties?
    public var hangoutLink: String?
    public var conferenceData: JSONValue?
    public var gadget: JSONValue?
    public var anyoneCanAddSelf: Bool?
    public var guestsCanInviteOthers: Bool?
    public var guestsCanModify: Bool?
    public var guestsCanSeeOtherGuests: Bool?
    public var privateCopy: Bool?
    public var locked: Bool?
    public var reminders: Reminders?
    public var source: Source?
    public var workingLocationProperties: JSONValue?
    public var outOfOfficeProperties: JSONValue?
    public var focusTimeProperties: JSONValue?
    public var birthdayProperties: JSONValue?
    public var attachments: [EventAttachment]?
    public var eventType: String?
    public var eventLabelId: String?

    public init() {}

    /// Codable's keys are the fields: a case of `EventField` without a property here does not
    /// compile (a property without a case is caught by `EventFieldCoverageTests`).
    typealias CodingKeys = EventField

    public struct Person: Hashable, Sendable, Codable {
        public var id: String?
        public var email: String?
        public var displayName: String?
        public var `self`: Bool?
        public init(email: String? = nil, displayName: String? = nil) {
            self.email = email
            self.displayName = displayName
        }
    }

    public struct Attendee: Hashable, Sendable, Codable {
        public var id: String?
        public var email: String?
        public var displayName: String?
        public var organizer: Bool?
        public var `self`: Bool?
        public var resource: Bool?
        public var optional: Bool?
        public var responseStatus: String?
        public var comment: String?
        public var additionalGuests: Int?
        public init() {}
    }

    public struct ExtendedProperties: Hashable, Sendable, Codable {
        public var `private`: [String: String]?
        public var shared: [String: String]?
        public init() {}
    }

    public struct Reminders: Hashable, Sendable, Codable {
        public var useDefault: Bool?
        public var overrides: [Reminder]?
        public init() {}
    }

    public struct Reminder: Hashable, Sendable, Codable {
        public var method: String?
        public var minutes: Int?
        public init(method: String?, minutes: Int?) {
            self.method = method
            self.minutes = minutes
        }
    }

    public struct Source: Hashable, Sendable, Codable {
        public var url: String?
        public var title: String?
        public init() {}
    }

    public struct EventAttachment: Hashable, Sendable, Codable {
        public var fileUrl: String?
        public var title: String?
        public var mimeType: String?
        public var iconLink: String?
        public var fileId: String?
        public init() {}
    }
}

/// EventDateTime: `date` for all-day, else `dateTime` (RFC 3339) and an optional IANA zone.
public struct EventDateTime: Hashable, Sendable, Codable {
    public var date: String?
    public var dateTime: String?
    public var timeZone: String?

    public init(date: String? = nil, dateTime: String? = nil, timeZone: String? = nil) {
        self.date = date
        self.dateTime = dateTime
        self.timeZone = timeZone
    }
}

/// The `calendar#events` envelope of events.list.
public struct GoogleEvents: Hashable, Sendable, Codable {
    public var kind: String?
    public var etag: String?
    public var summary: String?
    public var description: String?
    public var updated: String?
    public var timeZone: String?
    public var accessRole: String?
    public var defaultReminders: [GoogleEvent.Reminder]?
    public var nextPageToken: String?
    public var nextSyncToken: String?
    public var items: [GoogleEvent]?

    public init() {}
}
