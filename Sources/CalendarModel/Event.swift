/// The neutral event model that both the iCalendar and the Google sides map to and from.

/// One VEVENT, or one Google Event resource.
public struct Event: Hashable, Sendable, Codable {
    public var uid: String?
    /// Set on an override of one occurrence of a recurring series.
    public var recurrenceID: EventTime?
    /// RANGE=THISANDFUTURE on the RECURRENCE-ID.
    public var recurrenceIDThisAndFuture: Bool = false

    public var start: EventTime?
    /// DTEND. Exclusive, as in both iCalendar and Google.
    public var end: EventTime?
    /// DURATION, when the source gave one instead of DTEND.
    public var duration: ICalDuration?

    public var summary: String?
    public var description: String?
    public var location: String?

    public var status: Status?
    public var transparency: Transparency?
    public var classification: Classification?
    public var sequence: Int?
    public var priority: Int?

    public var created: LocalDateTime?  // UTC
    public var lastModified: LocalDateTime?  // UTC
    public var timestamp: LocalDateTime?  // DTSTAMP, UTC

    public var organizer: CalendarUser?
    public var attendees: [CalendarUser] = []
    public var alarms: [Alarm] = []

    /// RRULE values as written (`FREQ=WEEKLY;BYDAY=MO`).
    public var recurrenceRules: [String] = []
    /// EXRULE values (deprecated by RFC 5545, still seen).
    public var exceptionRules: [String] = []
    public var recurrenceDates: [RecurrenceDate] = []
    public var exceptionDates: [EventTime] = []

    public var url: String?
    public var categories: [String] = []
    /// RFC 7986 COLOR: a CSS3 colour name.
    public var color: String?
    public var attachments: [Attachment] = []

    /// Every other property, verbatim and in source order: X- properties, IANA properties
    /// calport does not interpret, and parameters on typed properties that the typed fields
    /// cannot hold (kept as the whole property so it can be written back).
    public var properties: [Property] = []
    /// Parameters of typed properties that the typed fields do not express (LANGUAGE on
    /// SUMMARY, ALTREP on DESCRIPTION, …), by property name, verbatim.
    public var propertyParameters: [String: [Parameter]] = [:]

    /// Why the event must not reach Google, when the reader found data whose meaning is not
    /// certain (an invalid rule part, a time Google cannot hold). The reader reported it as an
    /// error; Google JSON output leaves the event out and push rejects it with this reason.
    public var rejection: String?

    public init() {}

    public var isRecurring: Bool { !recurrenceRules.isEmpty || !recurrenceDates.isEmpty }

    /// The end implied by DTEND, DURATION, or RFC 5545's defaults (one day for an all-day
    /// event, zero length for a timed one).
    public var effectiveEnd: EventTime? {
        if let end { return end }
        guard let start else { return nil }
        if let duration { return start.adding(duration) }
        if case .date(let d) = start { return .date(d.adding(days: 1)) }
        return start
    }
}

extension Event {
    /// A UID for an event that has none, derived from its text so that every reading of the
    /// same input (and every format converted from it) agrees.
    public static func derivedUID(fromContent text: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in text.utf8 {
            h ^= UInt64(b)
            h = h &* 0x100_0000_01b3
        }
        let hex = String(h, radix: 16)
        return "calport-" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}

extension EventTime {
    /// Adds an iCalendar duration: days are added on the wall clock, the exact part after.
    /// For a zoned time the offset is carried over unchanged; callers that need the exact
    /// offset at the result resolve it again.
    public func adding(_ d: ICalDuration) -> EventTime {
        switch self {
        case .date(let date):
            return .date(date.adding(days: d.nominalDays + d.exactSeconds / 86_400))
        case .floating(let t): return .floating(t.adding(seconds: d.nominalDays * 86_400 + d.exactSeconds))
        case .utc(let t): return .utc(t.adding(seconds: d.nominalDays * 86_400 + d.exactSeconds))
        case .zoned(let t, let z, let off):
            return .zoned(t.adding(seconds: d.nominalDays * 86_400 + d.exactSeconds), tzid: z, utcOffset: off)
        }
    }
}

public enum Status: String, Hashable, Sendable, Codable, CaseIterable {
    case tentative = "TENTATIVE", confirmed = "CONFIRMED", cancelled = "CANCELLED"
}

public enum Transparency: String, Hashable, Sendable, Codable, CaseIterable {
    case opaque = "OPAQUE", transparent = "TRANSPARENT"
}

/// An RDATE value: a date, a date-time, or a PERIOD.
public enum RecurrenceDate: Hashable, Sendable, Codable {
    case time(EventTime)
    case period(start: EventTime, end: EventTime)
    case periodWithDuration(start: EventTime, duration: ICalDuration)

    public var start: EventTime {
        switch self {
        case .time(let t), .period(let t, _), .periodWithDuration(let t, _): return t
        }
    }
}
