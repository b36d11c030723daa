import CalendarModel
import Foundation
@testable import GoogleCalendar
import Testing

/// Attendees, alarms and attachments read the same on the Google side as on the iCalendar
/// side: each case here was read differently by the two before they shared one reading.
@Suite struct ICalendarSyntaxTests {
    private func roundTrip(_ e: Event) -> (GoogleEvent, Event) {
        let m = GoogleEventMapper(options: MappingOptions(), calendarTimeZone: nil)
        let g = m.googleEvent(from: e) { _ in }
        return (g, m.event(from: g) { _ in })
    }

    private func event(carrying carried: [String: String], reminders: GoogleEvent.Reminders? = nil) -> Event {
        var g = GoogleEvent()
        g.iCalUID = "carried@example.com"
        g.start = EventDateTime(dateTime: "2030-01-01T09:00:00Z", timeZone: "UTC")
        g.end = EventDateTime(dateTime: "2030-01-01T10:00:00Z", timeZone: "UTC")
        g.reminders = reminders
        var x = GoogleEvent.ExtendedProperties()
        x.private = carried
        g.extendedProperties = x
        return GoogleEventMapper().event(from: g) { _ in }
    }

    /// RFC 5545 makes PARTSTAT, ROLE and CUTYPE case-insensitive; Google's fields say what
    /// the lower-case spelling says.
    @Test func lowerCaseParticipationReachesGoogleFields() {
        var e = Event()
        e.uid = "people"
        e.start = .utc(LocalDateTime(year: 2030, month: 1, day: 1, hour: 9))
        var a = CalendarUser(address: "mailto:a@example.com")
        a.participationStatus = "accepted"
        a.role = "opt-participant"
        var room = CalendarUser(address: "mailto:room@example.com")
        room.userType = "room"
        room.participationStatus = "Declined"
        e.attendees = [a, room]
        let (g, back) = roundTrip(e)
        #expect(g.attendees?.map(\.responseStatus) == ["accepted", "declined"])
        #expect(g.attendees?.first?.optional == true)
        #expect(g.attendees?.last?.resource == true)
        #expect(back.attendees.map(\.participationStatus) == ["ACCEPTED", "DECLINED"])
    }

    /// A VALARM's DESCRIPTION with a LANGUAGE, and a second DESCRIPTION, are kept as the .ics
    /// had them, not folded into the one typed description.
    @Test func alarmDescriptionsComeBackAsWritten() {
        var e = Event()
        e.uid = "alarms"
        e.start = .utc(LocalDateTime(year: 2030, month: 1, day: 1, hour: 9))
        var german = Alarm(action: "DISPLAY", trigger: .relative(ICalDuration(isNegative: true, minutes: 10), relatedToEnd: false))
        german.properties = [Property(name: "DESCRIPTION", parameters: [Parameter("LANGUAGE", "de")], value: "Erinnerung")]
        var twice = Alarm(action: "DISPLAY", trigger: .relative(ICalDuration(isNegative: true, minutes: 30), relatedToEnd: false))
        twice.description = "first"
        twice.properties = [Property(name: "DESCRIPTION", value: "second")]
        e.alarms = [german, twice]
        let (_, back) = roundTrip(e)
        #expect(back.alarms == e.alarms)
    }

    /// An inline attachment carried with ENCODING=BASE64 alone (the iCalendar reader's test
    /// for inline content) comes back as content, not dropped as a link Google lacks.
    @Test func base64AttachmentWithoutValueBinaryStaysInline() {
        let e = event(carrying: ["ATTACH": ";FMTTYPE=text/plain;ENCODING=BASE64:SGVsbG8="])
        #expect(e.attachments == [Attachment(inlineBase64: "SGVsbG8=", formatType: "text/plain")])
    }

    /// A carried alarm whose ACTION is in lower case is matched to its Google reminder, not
    /// written a second time beside the reminder's own alarm.
    @Test func lowerCaseAlarmActionMatchesItsReminder() {
        var r = GoogleEvent.Reminders()
        r.useDefault = false
        r.overrides = [GoogleEvent.Reminder(method: "popup", minutes: 15)]
        let e = event(carrying: ["VALARM": "VALARM:ACTION:display\nTRIGGER:-PT15M\nDESCRIPTION:Mine"], reminders: r)
        #expect(e.alarms.count == 1)
        #expect(e.alarms.first?.description == "Mine")
    }

    /// A TRIGGER date-time without VALUE=DATE-TIME, which libical reads on the iCalendar side,
    /// is read in a carried alarm too.
    @Test func absoluteTriggerWithoutValueParameterIsRead() {
        let e = event(carrying: ["VALARM": "VALARM:ACTION:EMAIL\nTRIGGER:20291231T080000Z"])
        #expect(e.alarms.map(\.trigger) == [.absolute(LocalDateTime(year: 2029, month: 12, day: 31, hour: 8))])
    }
}
