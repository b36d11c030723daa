import Foundation
import Testing

/// `convert` .ics -> Google JSON -> .ics keeps the iCalendar syntax of attendees and alarms
/// that Google's fields cannot hold, as the .ics wrote it.
@Suite struct ConvertSyntaxTests {
    static let calendar = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN",
        "BEGIN:VEVENT", "UID:syntax@example.com", "DTSTAMP:20250101T000000Z",
        "DTSTART:20300101T090000Z", "DTEND:20300101T100000Z", "SUMMARY:Syntax",
        "ATTENDEE;PARTSTAT=accepted;ROLE=opt-participant:mailto:a@example.com",
        "BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT10M", "DESCRIPTION;LANGUAGE=de:Erinnerung", "END:VALARM",
        "BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT30M", "DESCRIPTION:first", "DESCRIPTION:second", "END:VALARM",
        "END:VEVENT", "END:VCALENDAR", "",
    ].joined(separator: "\r\n")

    @Test func alarmAndAttendeeSyntaxSurvivesGoogleJSON() throws {
        let json = try calport(["convert", "-", "--to", "json"], stdin: Data(Self.calendar.utf8))
        #expect(json.status == 0, "\(json.stderr)")
        #expect(json.stdoutText.contains(#""responseStatus" : "accepted""#) || json.stdoutText.contains(#""responseStatus":"accepted""#),
                "\(json.stdoutText)")
        let ics = try calport(["convert", "-", "--to", "ics"], stdin: json.stdout)
        #expect(ics.status == 0, "\(ics.stderr)")
        let lines = ics.stdoutText.components(separatedBy: "\r\n")
        #expect(lines.contains("DESCRIPTION;LANGUAGE=de:Erinnerung"), "\(ics.stdoutText)")
        #expect(lines.contains("DESCRIPTION:first") && lines.contains("DESCRIPTION:second"), "\(ics.stdoutText)")
        #expect(lines.contains { $0.hasPrefix("ATTENDEE;") && $0.contains("PARTSTAT=ACCEPTED") && $0.contains("ROLE=OPT-PARTICIPANT") },
                "\(ics.stdoutText)")
    }
}
