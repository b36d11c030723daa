@testable import CalPort
import CalendarModel
import Foundation
import GoogleCalendar
import Testing

/// The pieces of a push that need no server.
struct PushUnitTests {
    @Test func eventIdsAreStableValidAndDistinct() {
        let a = StableEventID.make(calendarId: "primary", key: EventKey(uid: "x@example.com"))
        #expect(a == StableEventID.make(calendarId: "primary", key: EventKey(uid: "x@example.com")))
        #expect(a != StableEventID.make(calendarId: "primary", key: EventKey(uid: "x@example.com", instance: "20250101T100000Z")))
        #expect(a != StableEventID.make(calendarId: "other", key: EventKey(uid: "x@example.com")))
        #expect(a.count == 52)
        #expect(a.allSatisfy { ("0"..."9").contains($0) || ("a"..."v").contains($0) })
        // Known answers (Python: base32hexencode(sha256(b"calport-push\0primary\0lunch@example.com\0"))
        // lower-cased, without padding): a change here would give every inserted event a new id,
        // and the next push would duplicate them all.
        #expect(StableEventID.make(calendarId: "primary", key: EventKey(uid: "lunch@example.com"))
            == "jj7ec8ic02dpuo79catc344l5kflrqc73rccg8di7eia0n1sssrg")
        #expect(StableEventID.make(calendarId: "primary", key: EventKey(uid: "standup@example.com", instance: "20250113T080000Z"))
            == "ukk5lgk00ikvd4fp52j0dr5ell4124p3ao9h836oh83uv0hnu2pg")
    }

    @Test func occurrenceKeysCompareInstantsNotOffsets() {
        let berlin = EventDateTime(dateTime: "2025-01-13T09:30:00+01:00", timeZone: "Europe/Berlin")
        let utc = EventDateTime(dateTime: "2025-01-13T08:30:00Z")
        #expect(EventKey.stamp(berlin) == "20250113T083000Z")
        #expect(EventKey.stamp(berlin) == EventKey.stamp(utc))
        #expect(EventKey.stamp(EventDateTime(date: "2025-05-01")) == "20250501")
    }

    @Test func contentComparisonIgnoresWhatGoogleRewrites() {
        var wanted = GoogleEvent()
        wanted.summary = "Review"
        wanted.start = EventDateTime(dateTime: "2025-01-13T09:30:00+01:00", timeZone: "Europe/Berlin")
        wanted.end = EventDateTime(dateTime: "2025-01-13T10:30:00+01:00", timeZone: "Europe/Berlin")
        wanted.iCalUID = "r@example.com"
        wanted.sequence = 4
        var existing = wanted
        // Google's copy: times in another offset, its own ids and stamps, defaults filled in.
        existing.start = EventDateTime(dateTime: "2025-01-13T08:30:00Z", timeZone: "Europe/Berlin")
        existing.end = EventDateTime(dateTime: "2025-01-13T03:30:00-06:00", timeZone: "Europe/Berlin")
        existing.id = "abcdef12345"
        existing.etag = "\"1\""
        existing.updated = "2025-02-01T00:00:00.000Z"
        existing.sequence = 7
        existing.status = "confirmed"
        var defaults = GoogleEvent.Reminders()
        defaults.useDefault = true
        existing.reminders = defaults
        #expect(GoogleEventDiff().differences(wanted: wanted, existing: existing).isEmpty)

        existing.start = EventDateTime(dateTime: "2025-01-13T09:00:00Z", timeZone: "Europe/Berlin")
        existing.location = "Room 2"
        #expect(GoogleEventDiff().differences(wanted: wanted, existing: existing) == [.location, .start])
    }

    @Test func cancelledOccurrenceOfACancelledSeriesBecomesAnExdate() throws {
        let ics = """
            BEGIN:VCALENDAR
            VERSION:2.0
            PRODID:-//test//push//EN
            BEGIN:VEVENT
            UID:gone@example.com
            DTSTAMP:20250101T000000Z
            DTSTART:20250106T090000Z
            DTEND:20250106T100000Z
            RRULE:FREQ=DAILY;COUNT=5
            STATUS:CANCELLED
            SUMMARY:Old series
            END:VEVENT
            BEGIN:VEVENT
            UID:gone@example.com
            DTSTAMP:20250101T000000Z
            RECURRENCE-ID:20250107T090000Z
            DTSTART:20250107T090000Z
            DTEND:20250107T100000Z
            STATUS:CANCELLED
            SUMMARY:Old series
            END:VEVENT
            END:VCALENDAR

            """
        let dir = try Paths.temporaryDirectory()
        let file = dir.appendingPathComponent("gone.ics")
        try Data(ics.utf8).write(to: file)
        let input = try PushInput.load(path: file.path, mapping: MappingOptions(), diagnostics: DiagnosticCollector())
        #expect(input.items.count == 1)
        #expect(input.items[0].google.recurrence?.contains { $0.hasPrefix("EXDATE") && $0.contains("20250107T090000Z") } == true)
    }
}
