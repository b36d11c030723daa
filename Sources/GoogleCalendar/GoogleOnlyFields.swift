import CalendarModel
import Foundation

/// Google fields with no iCalendar counterpart, carried in .ics as X-GOOGLE-* properties.
/// One row per field; both directions read this table.
enum GoogleOnlyFields {
    enum Kind: @unchecked Sendable {
        case string(WritableKeyPath<GoogleEvent, String?>)
        case bool(WritableKeyPath<GoogleEvent, Bool?>)
        /// An object kept whole as JSON text.
        case json(WritableKeyPath<GoogleEvent, JSONValue?>)
        case person(WritableKeyPath<GoogleEvent, GoogleEvent.Person?>)
    }

    static let table: [EventField: (property: String, kind: Kind)] = [
        .id: ("X-GOOGLE-ID", .string(\.id)),
        .etag: ("X-GOOGLE-ETAG", .string(\.etag)),
        .htmlLink: ("X-GOOGLE-HTML-LINK", .string(\.htmlLink)),
        .colorId: ("X-GOOGLE-COLOR-ID", .string(\.colorId)),
        .recurringEventId: ("X-GOOGLE-RECURRING-EVENT-ID", .string(\.recurringEventId)),
        // Google's own .ics export writes the Meet link under this name.
        .hangoutLink: ("X-GOOGLE-CONFERENCE", .string(\.hangoutLink)),
        .conferenceData: ("X-GOOGLE-CONFERENCE-DATA", .json(\.conferenceData)),
        .gadget: ("X-GOOGLE-GADGET", .json(\.gadget)),
        .creator: ("X-GOOGLE-CREATOR", .person(\.creator)),
        .anyoneCanAddSelf: ("X-GOOGLE-ANYONE-CAN-ADD-SELF", .bool(\.anyoneCanAddSelf)),
        .guestsCanInviteOthers: ("X-GOOGLE-GUESTS-CAN-INVITE-OTHERS", .bool(\.guestsCanInviteOthers)),
        .guestsCanModify: ("X-GOOGLE-GUESTS-CAN-MODIFY", .bool(\.guestsCanModify)),
        .guestsCanSeeOtherGuests: ("X-GOOGLE-GUESTS-CAN-SEE-OTHER-GUESTS", .bool(\.guestsCanSeeOtherGuests)),
        .privateCopy: ("X-GOOGLE-PRIVATE-COPY", .bool(\.privateCopy)),
        .locked: ("X-GOOGLE-LOCKED", .bool(\.locked)),
        .attendeesOmitted: ("X-GOOGLE-ATTENDEES-OMITTED", .bool(\.attendeesOmitted)),
        .endTimeUnspecified: ("X-GOOGLE-END-TIME-UNSPECIFIED", .bool(\.endTimeUnspecified)),
        .eventType: ("X-GOOGLE-EVENT-TYPE", .string(\.eventType)),
        .eventLabelId: ("X-GOOGLE-EVENT-LABEL-ID", .string(\.eventLabelId)),
        .workingLocationProperties: ("X-GOOGLE-WORKING-LOCATION-PROPERTIES", .json(\.workingLocationProperties)),
        .outOfOfficeProperties: ("X-GOOGLE-OUT-OF-OFFICE-PROPERTIES", .json(\.outOfOfficeProperties)),
        .focusTimeProperties: ("X-GOOGLE-FOCUS-TIME-PROPERTIES", .json(\.focusTimeProperties)),
        .birthdayProperties: ("X-GOOGLE-BIRTHDAY-PROPERTIES", .json(\.birthdayProperties)),
    ]

    /// The field each property of `table` holds.
    static let field: [String: EventField] = Dictionary(uniqueKeysWithValues: table.map { ($0.value.property, $0.key) })

    /// Further X-GOOGLE-* properties that map into parts of Google fields.
    static let sharedProperty = "X-GOOGLE-SHARED-PROPERTY"
    static let privateProperty = "X-GOOGLE-PRIVATE-PROPERTY"
    static let useDefaultReminders = "X-GOOGLE-REMINDERS-USE-DEFAULT"
    static let sourceTitle = "X-GOOGLE-SOURCE-TITLE"
    static let keyParameter = "X-KEY"

    /// What every name above starts with.
    static let prefix = Array("X-GOOGLE-".utf8)

    static let propertyNames: Set<String> = Set(table.values.map(\.property))
        .union([sharedProperty, privateProperty, useDefaultReminders, sourceTitle])

    nonisolated(unsafe) private static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    /// The property for a field of `g`, when the field is set.
    static func property(for field: EventField, of g: GoogleEvent) -> Property? {
        guard isSet(field, in: g), let (name, kind) = table[field] else { return nil }
        let text: String?
        switch kind {
        case .string(let kp): text = g[keyPath: kp].map(ICalText.escape)
        case .bool(let kp): text = g[keyPath: kp].map { $0 ? "TRUE" : "FALSE" }
        case .json(let kp): text = g[keyPath: kp].flatMap { try? encoder.encode($0) }.map { ICalText.escape(String(decoding: $0, as: UTF8.self)) }
        case .person(let kp): text = g[keyPath: kp].flatMap { try? encoder.encode($0) }.map { ICalText.escape(String(decoding: $0, as: UTF8.self)) }
        }
        return text.map { Property(name: name, value: $0) }
    }

    /// Whether `g` has a value for a field of `table`, read without the table: this runs for
    /// every such field of every event, and most are unset.
    static func isSet(_ field: EventField, in g: GoogleEvent) -> Bool {
        switch field {
        case .id: g.id != nil
        case .etag: g.etag != nil
        case .htmlLink: g.htmlLink != nil
        case .colorId: g.colorId != nil
        case .recurringEventId: g.recurringEventId != nil
        case .hangoutLink: g.hangoutLink != nil
        case .conferenceData: g.conferenceData != nil
        case .gadget: g.gadget != nil
        case .creator: g.creator != nil
        case .anyoneCanAddSelf: g.anyoneCanAddSelf != nil
        case .guestsCanInviteOthers: g.guestsCanInviteOthers != nil
        case .guestsCanModify: g.guestsCanModify != nil
        case .guestsCanSeeOtherGuests: g.guestsCanSeeOtherGuests != nil
        case .privateCopy: g.privateCopy != nil
        case .locked: g.locked != nil
        case .attendeesOmitted: g.attendeesOmitted != nil
        case .endTimeUnspecified: g.endTimeUnspecified != nil
        case .eventType: g.eventType != nil
        case .eventLabelId: g.eventLabelId != nil
        case .workingLocationProperties: g.workingLocationProperties != nil
        case .outOfOfficeProperties: g.outOfOfficeProperties != nil
        case .focusTimeProperties: g.focusTimeProperties != nil
        case .birthdayProperties: g.birthdayProperties != nil
        default: table[field] != nil  // not in the table: property(for:of:) gives nil
        }
    }

    /// Sets a field of `g` from its property; false when the value is malformed.
    static func apply(_ p: Property, for field: EventField, to g: inout GoogleEvent) -> Bool {
        guard let (_, kind) = table[field] else { return false }
        let text = ICalText.unescape(p.value)
        switch kind {
        case .string(let kp): g[keyPath: kp] = text
        case .bool(let kp):
            switch text.uppercased() {
            case "TRUE": g[keyPath: kp] = true
            case "FALSE": g[keyPath: kp] = false
            default: return false
            }
        case .json(let kp):
            guard let v = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) else { return false }
            g[keyPath: kp] = v
        case .person(let kp):
            guard let v = try? JSONDecoder().decode(GoogleEvent.Person.self, from: Data(text.utf8)) else { return false }
            g[keyPath: kp] = v
        }
        return true
    }
}
