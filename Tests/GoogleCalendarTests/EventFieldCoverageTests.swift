import Foundation
@testable import GoogleCalendar
import Testing

/// `EventField` is the one list of Google's Event fields: every stored property of
/// `GoogleEvent` has a case, and every property, set, survives the fast JSON writer and reader
/// and Codable. A property added to `GoogleEvent` without a field fails here.
@Suite struct EventFieldCoverageTests {
    /// Every property set, nested resources included (`unsetPaths` holds the test to that).
    static func fullyPopulated() -> GoogleEvent {
        var person = GoogleEvent.Person(email: "ana@example.com", displayName: "Ana")
        person.id = "ana-id"
        person.`self` = true
        var attendee = GoogleEvent.Attendee()
        attendee.id = "bo-id"
        attendee.email = "bo@example.com"
        attendee.displayName = "Bo \"the\" guest"
        attendee.organizer = false
        attendee.`self` = false
        attendee.resource = false
        attendee.optional = true
        attendee.responseStatus = "tentative"
        attendee.comment = "late\nby ten minutes"
        attendee.additionalGuests = 2
        var properties = GoogleEvent.ExtendedProperties()
        properties.private = ["calport": "1", "X-ALT-DESC": "<b>hi</b>"]
        properties.shared = ["room": "2/14"]
        var reminders = GoogleEvent.Reminders()
        reminders.useDefault = false
        reminders.overrides = [GoogleEvent.Reminder(method: "popup", minutes: 15), GoogleEvent.Reminder(method: "email", minutes: 1440)]
        var source = GoogleEvent.Source()
        source.url = "https://example.com/e/1"
        source.title = "Example"
        var attachment = GoogleEvent.EventAttachment()
        attachment.fileUrl = "https://drive.google.com/file/d/1"
        attachment.title = "Agenda"
        attachment.mimeType = "application/pdf"
        attachment.iconLink = "https://example.com/pdf.png"
        attachment.fileId = "1"
        let json: JSONValue = .object(["a": .array([.number(1), .number(2.5), .bool(true), .null]), "b": .string("x")])

        var e = GoogleEvent()
        for field in EventField.allCases {
            switch field {
            case .kind: e.kind = "calendar#event"
            case .etag: e.etag = "\"3181161784712000\""
            case .id: e.id = "abcdef12345"
            case .status: e.status = "tentative"
            case .htmlLink: e.htmlLink = "https://www.google.com/calendar/event?eid=YWJj"
            case .created: e.created = "2025-01-01T10:00:00.000Z"
            case .updated: e.updated = "2025-01-02T10:00:00.000Z"
            case .summary: e.summary = "Planning"
            case .description: e.description = "Line one\nLine two, with \\ and \u{1}"
            case .location: e.location = "Room 2"
            case .colorId: e.colorId = "5"
            case .creator: e.creator = person
            case .organizer: e.organizer = person
            case .start: e.start = EventDateTime(date: "2025-01-06", dateTime: "2025-01-06T09:30:00+01:00", timeZone: "Europe/Berlin")
            case .end: e.end = EventDateTime(date: "2025-01-07", dateTime: "2025-01-06T10:30:00+01:00", timeZone: "Europe/Berlin")
            case .endTimeUnspecified: e.endTimeUnspecified = false
            case .recurrence: e.recurrence = ["RRULE:FREQ=WEEKLY;COUNT=3", "EXDATE:20250113T083000Z"]
            case .recurringEventId: e.recurringEventId = "series"
            case .originalStartTime: e.originalStartTime = EventDateTime(date: "2025-01-06", dateTime: "2025-01-06T08:30:00Z", timeZone: "UTC")
            case .transparency: e.transparency = "transparent"
            case .visibility: e.visibility = "private"
            case .iCalUID: e.iCalUID = "planning@example.com"
            case .sequence: e.sequence = 3
            case .attendees: e.attendees = [attendee]
            case .attendeesOmitted: e.attendeesOmitted = true
            case .extendedProperties: e.extendedProperties = properties
            case .hangoutLink: e.hangoutLink = "https://meet.google.com/abc-defg-hij"
            case .conferenceData: e.conferenceData = json
            case .gadget: e.gadget = json
            case .anyoneCanAddSelf: e.anyoneCanAddSelf = true
            case .guestsCanInviteOthers: e.guestsCanInviteOthers = false
            case .guestsCanModify: e.guestsCanModify = true
            case .guestsCanSeeOtherGuests: e.guestsCanSeeOtherGuests = false
            case .privateCopy: e.privateCopy = true
            case .locked: e.locked = true
            case .reminders: e.reminders = reminders
            case .source: e.source = source
            case .workingLocationProperties: e.workingLocationProperties = json
            case .outOfOfficeProperties: e.outOfOfficeProperties = json
            case .focusTimeProperties: e.focusTimeProperties = json
            case .birthdayProperties: e.birthdayProperties = json
            case .attachments: e.attachments = [attachment]
            case .eventType: e.eventType = "default"
            case .eventLabelId: e.eventLabelId = "label"
            }
        }
        return e
    }

    /// The paths of the optional properties left nil in `value`, nested resources included.
    static func unsetPaths(_ value: Any, _ path: String = "") -> [String] {
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .optional {
            guard let wrapped = mirror.children.first?.value else { return [path] }
            return unsetPaths(wrapped, path)
        }
        switch mirror.displayStyle {
        case .struct?: return mirror.children.flatMap { unsetPaths($0.value, path + "." + ($0.label ?? "?")) }
        case .collection?: return mirror.children.enumerated().flatMap { unsetPaths($1.value, path + "[\($0)]") }
        default: return []
        }
    }

    static func properties(_ e: GoogleEvent) -> [(name: String, value: AnyHashable?)] {
        Mirror(reflecting: e).children.map { ($0.label ?? "?", $0.value as? AnyHashable) }
    }

    @Test func everyPropertyOfGoogleEventIsAnEventField() {
        let names = Self.properties(GoogleEvent()).map(\.name)
        #expect(names.count == Set(names).count)
        #expect(Set(names).subtracting(EventField.allCases.map(\.rawValue)).isEmpty, "properties without an EventField")
        #expect(Set(EventField.allCases.map(\.rawValue)).subtracting(names).isEmpty, "EventFields without a property")
    }

    @Test func everyPropertySurvivesTheFastJSONWriterAndReaderAndCodable() throws {
        let e = Self.fullyPopulated()
        #expect(Self.unsetPaths(e).isEmpty, "the test event leaves these unset: \(Self.unsetPaths(e))")

        let compact = FastJSON.compact(e)
        let pretty = FastJSON.pretty(e)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let encoded = try encoder.encode(e)
        #expect(compact == String(decoding: encoded, as: UTF8.self), "the fast writer spells what JSONEncoder does")
        let keys = try #require(JSONSerialization.jsonObject(with: Data(compact.utf8)) as? [String: Any]).keys
        #expect(Set(keys) == Set(EventField.allCases.map(\.rawValue)))

        let copies: [(String, GoogleEvent?)] = [
            ("fast writer, fast reader", FastJSONReader.event(Array(compact.utf8))),
            ("fast writer (pretty), fast reader", FastJSONReader.event(Array(pretty.utf8))),
            ("fast writer, JSONDecoder", try JSONDecoder().decode(GoogleEvent.self, from: Data(compact.utf8))),
            ("JSONEncoder, JSONDecoder", try JSONDecoder().decode(GoogleEvent.self, from: encoded)),
        ]
        let want = Self.properties(e)
        for (path, copy) in copies {
            let copy = try #require(copy, "\(path): not read")
            for (had, got) in zip(want, Self.properties(copy)) {
                #expect(had.value != nil && had.value == got.value, "\(path): \(had.name)")
            }
            #expect(copy == e, "\(path)")
        }
    }

    @Test func fieldsAreWrittenInJSONEncodersKeyOrder() {
        let sorted = EventField.allCases.map(\.rawValue).sorted()
        #expect(EventField.sortedByKey.map(\.rawValue) == sorted)
        #expect(EventField.sortedByKey.count == EventField.allCases.count)
    }
}
