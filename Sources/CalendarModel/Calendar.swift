/// Calendar-level information: what VCALENDAR properties and a Google `calendar#events`
/// envelope have in common, plus everything else verbatim.
public struct CalendarInfo: Hashable, Sendable, Codable {
    /// X-WR-CALNAME / Google `summary`.
    public var name: String?
    /// X-WR-CALDESC / Google `description`.
    public var description: String?
    /// X-WR-TIMEZONE / Google `timeZone`: the zone for floating times.
    public var timeZone: String?
    public var productID: String?
    public var method: String?
    /// Other calendar properties verbatim (VERSION and CALSCALE are implied and not kept).
    public var properties: [Property] = []

    public init() {}
}

/// A VTIMEZONE as read from a file, kept whole so it can be written back.
public struct TimeZoneDefinition: Hashable, Sendable, Codable {
    public var tzid: String
    /// The component's content lines, unfolded, from BEGIN:VTIMEZONE to END:VTIMEZONE.
    public var lines: [String]

    public init(tzid: String, lines: [String]) {
        self.tzid = tzid
        self.lines = lines
    }
}

/// A whole calendar in memory. The converters stream and never need this; it is for
/// library users and tests.
public struct CalendarDocument: Hashable, Sendable, Codable {
    public var info: CalendarInfo
    public var timeZones: [TimeZoneDefinition]
    public var events: [Event]

    public init(info: CalendarInfo = CalendarInfo(), timeZones: [TimeZoneDefinition] = [], events: [Event] = []) {
        self.info = info
        self.timeZones = timeZones
        self.events = events
    }
}
