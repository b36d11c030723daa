import Foundation
@testable import GoogleCalendar
import Testing

/// The one comparison push and the API client's conflict recovery share: which fields count,
/// and Google's server defaults for what is left out.
@Suite struct GoogleEventDiffTests {
    static func event() -> GoogleEvent {
        var e = GoogleEvent()
        e.iCalUID = "standup@example.com"
        e.summary = "Standup"
        e.start = EventDateTime(dateTime: "2025-01-06T09:30:00+01:00", timeZone: "Europe/Berlin")
        e.end = EventDateTime(dateTime: "2025-01-06T09:45:00+01:00", timeZone: "Europe/Berlin")
        e.recurrence = ["RRULE:FREQ=WEEKLY;BYDAY=MO", "EXDATE;TZID=Europe/Berlin:20250113T093000", "RDATE;TZID=Europe/Berlin:20250115T093000"]
        return e
    }

    /// Before: the API client's conflict recovery compared recurrence as a list, so a 409 on an
    /// event Google holds with its lines in another order was an error.
    @Test func recurrenceLinesAreComparedAsASet() {
        let wanted = Self.event()
        var existing = wanted
        existing.recurrence?.reverse()
        #expect(GoogleEventDiff().differences(wanted: wanted, existing: existing).isEmpty)
        existing.recurrence?[0] = "RRULE:FREQ=WEEKLY;BYDAY=TU"
        #expect(GoogleEventDiff().differences(wanted: wanted, existing: existing) == [.recurrence])
    }

    /// Before: the conflict recovery took an event without a colour to match any colour.
    @Test func aMissingColourMatchesOnlyAMissingColour() {
        let wanted = Self.event()
        var existing = wanted
        existing.colorId = "5"
        #expect(GoogleEventDiff().differences(wanted: wanted, existing: existing) == [.colorId])
        #expect(GoogleEventDiff().differences(wanted: existing, existing: wanted) == [.colorId])
        existing.colorId = nil
        #expect(GoogleEventDiff().same(wanted, existing))
    }

    /// A field left out is Google's default (calendar.v3.json), so Google's copy, which spells the
    /// default out, holds what was sent; a value other than the default differs.
    @Test func aMissingFieldIsGooglesDefault() {
        typealias Edit = (inout GoogleEvent) -> Void
        let cases: [(EventField, spellDefault: Edit, setOther: Edit)] = [
            (.status, { $0.status = "confirmed" }, { $0.status = "tentative" }),
            (.transparency, { $0.transparency = "opaque" }, { $0.transparency = "transparent" }),
            (.visibility, { $0.visibility = "default" }, { $0.visibility = "private" }),
            (.reminders, { $0.reminders = Self.reminders(useDefault: true) }, { $0.reminders = Self.reminders(useDefault: false) }),
            (.guestsCanInviteOthers, { $0.guestsCanInviteOthers = true }, { $0.guestsCanInviteOthers = false }),
            (.guestsCanModify, { $0.guestsCanModify = false }, { $0.guestsCanModify = true }),
            (.guestsCanSeeOtherGuests, { $0.guestsCanSeeOtherGuests = true }, { $0.guestsCanSeeOtherGuests = false }),
            (.anyoneCanAddSelf, { $0.anyoneCanAddSelf = false }, { $0.anyoneCanAddSelf = true }),
            (.privateCopy, { $0.privateCopy = false }, { $0.privateCopy = true }),
            (.endTimeUnspecified, { $0.endTimeUnspecified = false }, { $0.endTimeUnspecified = true }),
        ]
        for (field, spellDefault, setOther) in cases {
            let wanted = Self.event()
            var existing = wanted
            spellDefault(&existing)
            #expect(GoogleEventDiff().same(wanted, existing), "\(field) spelled as its default")
            setOther(&existing)
            #expect(GoogleEventDiff().differences(wanted: wanted, existing: existing) == [field])
        }
    }

    static func reminders(useDefault: Bool) -> GoogleEvent.Reminders {
        var r = GoogleEvent.Reminders()
        r.useDefault = useDefault
        return r
    }

    /// What Google sets itself, or keeps as its own after creation, does not make an event differ.
    @Test func fieldsGoogleOwnsAreNotCompared() {
        let wanted = Self.event()
        var existing = wanted
        existing.kind = "calendar#event"
        existing.etag = "\"3181161784712000\""
        existing.id = "abcdef12345"
        existing.htmlLink = "https://www.google.com/calendar/event?eid=YWJj"
        existing.created = "2025-01-01T10:00:00.000Z"
        existing.updated = "2025-02-01T10:00:00.000Z"
        existing.sequence = 3
        existing.creator = GoogleEvent.Person(email: "me@example.com")
        existing.organizer = GoogleEvent.Person(email: "me@example.com")
        existing.hangoutLink = "https://meet.google.com/abc-defg-hij"
        existing.conferenceData = .object(["conferenceId": .string("abc-defg-hij")])
        existing.locked = false
        existing.eventType = "default"
        existing.attendeesOmitted = false
        #expect(GoogleEventDiff().differences(wanted: wanted, existing: existing).isEmpty)
        for field in [EventField.kind, .etag, .id, .htmlLink, .created, .updated, .sequence, .creator, .organizer] {
            #expect(!GoogleEventDiff.comparedFields.contains(field), "\(field)")
        }
    }

    @Test func timesAreComparedAsInstantsInTheSameZone() {
        let wanted = Self.event()
        var existing = wanted
        existing.start = EventDateTime(dateTime: "2025-01-06T08:30:00Z", timeZone: "Europe/Berlin")
        existing.end = EventDateTime(dateTime: "2025-01-06T09:45:00", timeZone: "Europe/Berlin")
        #expect(GoogleEventDiff().same(wanted, existing))
        // The zone decides how the series repeats across daylight-saving changes.
        existing.start?.timeZone = "Africa/Lagos"
        #expect(GoogleEventDiff().differences(wanted: wanted, existing: existing) == [.start])
    }

    @Test func guestsAnswersAreGooglesAndRemindersCanBeLeftOut() {
        var wanted = Self.event()
        var ana = GoogleEvent.Attendee()
        ana.email = "ana@example.com"
        ana.responseStatus = "needsAction"
        wanted.attendees = [ana]
        var existing = wanted
        existing.attendees?[0].email = "Ana@Example.com"
        existing.attendees?[0].responseStatus = "accepted"
        existing.attendees?[0].comment = "see you"
        existing.reminders = Self.reminders(useDefault: false)
        #expect(GoogleEventDiff().differences(wanted: wanted, existing: existing) == [.reminders])
        #expect(GoogleEventDiff(comparesReminders: false).same(wanted, existing))
    }
}
