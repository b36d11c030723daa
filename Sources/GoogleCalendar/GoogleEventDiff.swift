import CalendarModel
import Foundation

/// Whether an event in Google holds what calport wants it to hold: the one comparison push
/// (plan, and a 409 on a create) and the API client (a 409 after a lost answer) share.
///
/// Each `EventField` has one rule in `same(_:_:_:)`, an exhaustive `switch`: a field added to
/// `EventField` does not compile until it says whether and how it is compared. Compared fields
/// are normalised first: a missing value is Google's server default (calendar.v3.json, cited at
/// each rule), times are compared as instants or dates, and lists whose order Google does not
/// keep are compared as sets. Fields Google owns (ids, etags, stamps, links), read-only after
/// creation, or rewritten by Google are not compared.
///
/// The attendees' own answers (response status, comment, additional guests) are Google's side
/// of the story and are not compared: a guest who accepted in Google does not make the event
/// differ from the .ics.
public struct GoogleEventDiff: Sendable {
    /// Whether reminders are compared: push compares them only when the source decides them
    /// (`PushOptions.sourceDecidesReminders`); otherwise they are the user's, in Google.
    public var comparesReminders: Bool

    public init(comparesReminders: Bool = true) {
        self.comparesReminders = comparesReminders
    }

    /// The compared fields in which `existing` differs from `wanted`, in `EventField` order;
    /// empty when the event is as wanted.
    public func differences(wanted: GoogleEvent, existing: GoogleEvent) -> [EventField] {
        Self.comparedFields.filter { field in
            if field == .reminders && !comparesReminders { return false }
            return Self.same(field, wanted, existing) == false
        }
    }

    /// Whether `existing` holds what `wanted` asks for.
    public func same(_ wanted: GoogleEvent, _ existing: GoogleEvent) -> Bool {
        differences(wanted: wanted, existing: existing).isEmpty
    }

    /// The fields compared (reminders included); an events.list of events to compare must
    /// request at least these.
    public static let comparedFields: [EventField] = EventField.allCases.filter { same($0, GoogleEvent(), GoogleEvent()) != nil }

    /// Whether `w` and `e` agree in `field`, or nil when the field is not compared.
    static func same(_ field: EventField, _ w: GoogleEvent, _ e: GoogleEvent) -> Bool? {
        switch field {
        // Google's own: set by the server on every write, never by calport.
        case .kind, .etag, .id, .htmlLink, .created, .updated, .hangoutLink:
            return nil
        // Read-only after creation (creator, organizer, privateCopy's propagation aside), or
        // bumped by Google itself (sequence), or the series' id Google chose (recurringEventId).
        case .creator, .organizer, .sequence, .recurringEventId, .locked, .eventType:
            return nil
        // How Google represented the event, not what it holds: "attendees may have been omitted".
        case .attendeesOmitted:
            return nil
        // Rewritten by Google (conference ids and entry points), deprecated (gadget), or
        // properties of event types calport does not make.
        case .conferenceData, .gadget, .workingLocationProperties, .outOfOfficeProperties, .focusTimeProperties,
             .birthdayProperties, .eventLabelId:
            return nil

        // Google makes an iCalUID (`<id>@google.com`) when none is sent: compared only when both have one.
        case .iCalUID:
            return w.iCalUID == nil || e.iCalUID == nil || w.iCalUID == e.iCalUID
        // The occurrence an exception replaces, as an instant (Google writes it in UTC).
        case .originalStartTime:
            return sameInstant(w.originalStartTime, e.originalStartTime)
        case .summary: return (w.summary ?? "") == (e.summary ?? "")
        case .description: return (w.description ?? "") == (e.description ?? "")
        case .location: return (w.location ?? "") == (e.location ?? "")
        case .start: return sameTime(w.start, e.start)
        case .end: return sameTime(w.end, e.end)
        // RRULE, EXRULE, RDATE and EXDATE lines are a set in RFC 5545; Google may return them in
        // another order than they were sent.
        case .recurrence: return Set(w.recurrence ?? []) == Set(e.recurrence ?? [])
        // status: "confirmed - The event is confirmed. This is the default status."
        case .status: return (w.status ?? "confirmed") == (e.status ?? "confirmed")
        // transparency: "default": "opaque".
        case .transparency: return (w.transparency ?? "opaque") == (e.transparency ?? "opaque")
        // visibility: "default": "default" ("Uses the default visibility for events on the calendar").
        case .visibility: return (w.visibility ?? "default") == (e.visibility ?? "default")
        // colorId has no default: none means the calendar's colour, which differs from every
        // colour id, so a missing colour matches only a missing one.
        case .colorId: return w.colorId == e.colorId
        case .attendees: return attendees(w.attendees) == attendees(e.attendees)
        case .reminders: return reminders(w.reminders) == reminders(e.reminders)
        case .extendedProperties:
            return (w.extendedProperties?.private ?? [:]) == (e.extendedProperties?.private ?? [:])
                && (w.extendedProperties?.shared ?? [:]) == (e.extendedProperties?.shared ?? [:])
        case .source: return w.source?.url == e.source?.url && w.source?.title == e.source?.title
        case .attachments: return attachments(w.attachments) == attachments(e.attachments)
        // The discovery document's "default" of each flag.
        case .guestsCanInviteOthers: return (w.guestsCanInviteOthers ?? true) == (e.guestsCanInviteOthers ?? true)
        case .guestsCanModify: return (w.guestsCanModify ?? false) == (e.guestsCanModify ?? false)
        case .guestsCanSeeOtherGuests: return (w.guestsCanSeeOtherGuests ?? true) == (e.guestsCanSeeOtherGuests ?? true)
        case .anyoneCanAddSelf: return (w.anyoneCanAddSelf ?? false) == (e.anyoneCanAddSelf ?? false)
        case .privateCopy: return (w.privateCopy ?? false) == (e.privateCopy ?? false)
        case .endTimeUnspecified: return (w.endTimeUnspecified ?? false) == (e.endTimeUnspecified ?? false)
        }
    }

    /// The same date, or the same instant in the same zone: the zone decides how a series
    /// repeats across daylight-saving changes. Google may write the instant in another offset.
    static func sameTime(_ a: EventDateTime?, _ b: EventDateTime?) -> Bool {
        guard sameInstant(a, b) else { return false }
        guard let x = a, x.date == nil else { return true }
        return x.timeZone == nil || x.timeZone == b?.timeZone
    }

    /// Whether two EventDateTimes name the same date or instant (both missing included).
    public static func sameInstant(_ a: EventDateTime?, _ b: EventDateTime?) -> Bool {
        switch (a, b) {
        case (nil, nil): return true
        case (let x?, let y?):
            if x.date != nil || y.date != nil { return x.date == y.date }
            guard let s = x.dateTime, let t = y.dateTime else { return false }
            if s == t { return true }
            guard let i = x.instant else { return false }
            return i == y.instant
        default: return false
        }
    }

    /// What the source says about an attendee: who, and how invited. Not the answer.
    struct AttendeeValue: Hashable {
        var email: String, name: String, optional: Bool, resource: Bool
    }

    static func attendees(_ list: [GoogleEvent.Attendee]?) -> Set<AttendeeValue> {
        Set((list ?? []).map {
            AttendeeValue(email: ($0.email ?? "").lowercased(), name: $0.displayName ?? "", optional: $0.optional ?? false,
                          resource: $0.resource ?? false)
        })
    }

    struct RemindersValue: Hashable {
        var useDefault: Bool
        var overrides: [String]
    }

    static func reminders(_ r: GoogleEvent.Reminders?) -> RemindersValue {
        // No reminders object: the calendar's default reminders apply (reminders.useDefault,
        // "Whether the default reminders of the calendar apply to the event").
        guard let r else { return RemindersValue(useDefault: true, overrides: []) }
        return RemindersValue(useDefault: r.useDefault ?? false,
                              overrides: (r.overrides ?? []).map { "\($0.method ?? "popup")/\($0.minutes ?? 0)" }.sorted())
    }

    static func attachments(_ list: [GoogleEvent.EventAttachment]?) -> [String] {
        (list ?? []).map { "\($0.fileUrl ?? "")\u{0}\($0.title ?? "")\u{0}\($0.mimeType ?? "")" }
    }
}

extension EventDateTime {
    /// Seconds since the epoch of `dateTime`; one without an offset is a wall time in
    /// `timeZone` (UTC when there is none). Nil for a date or an unreadable value.
    public var instant: Int? {
        guard let s = dateTime, let (local, offset) = RFC3339.dateTime(s) else { return nil }
        if let offset { return local.secondsSinceEpoch - offset }
        let tz = timeZone.flatMap(GoogleTime.zone) ?? TimeZone(identifier: "UTC")!
        let guess = Date(timeIntervalSince1970: TimeInterval(local.secondsSinceEpoch))
        var seconds = local.secondsSinceEpoch - tz.secondsFromGMT(for: guess)
        // Near a change of offset the guess may sit on the other side of it: once more.
        seconds = local.secondsSinceEpoch - tz.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(seconds)))
        return seconds
    }
}
