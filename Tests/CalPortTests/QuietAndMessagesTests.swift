import CalPort
import Foundation
import Testing

/// What push and pull print on standard error: `-q` keeps a successful run silent, a failure
/// is always told, and a dry run says plainly when nobody would be emailed.
@Suite struct QuietAndMessagesTests {
    static let twoEvents = """
        BEGIN:VCALENDAR\r
        VERSION:2.0\r
        PRODID:-//calport tests//EN\r
        BEGIN:VEVENT\r
        UID:quiet-1@calport.test\r
        DTSTAMP:20250101T000000Z\r
        DTSTART:20250301T090000Z\r
        DTEND:20250301T100000Z\r
        SUMMARY:No guests\r
        END:VEVENT\r
        BEGIN:VEVENT\r
        UID:quiet-2@calport.test\r
        DTSTAMP:20250101T000000Z\r
        DTSTART:20250302T090000Z\r
        DTEND:20250302T100000Z\r
        SUMMARY:Also no guests\r
        END:VEVENT\r
        END:VCALENDAR\r

        """

    @Test func insertDryRunWithoutGuestsSaysNoEmailWouldBeSent() throws {
        let h = try PushHarness()
        let input = try h.write("no-guests.ics", Self.twoEvents)
        for updates in ["all", "external"] {
            let r = try h.push(input, ["--mode", "insert", "--send-updates", updates, "--dry-run"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stderr.contains("no email would be sent"), "\(r.stderr)")
            #expect(!r.stderr.contains("0 emails to 0 addresses"), "\(r.stderr)")
        }
    }

    @Test func quietPushAndPullSayNothingWhenAllWent() throws {
        let h = try PushHarness()
        let input = try h.write("two.ics", Self.twoEvents)
        let push = try h.push(input, ["-q"])
        #expect(push.status == 0)
        #expect(push.stderr.isEmpty, "\(push.stderr)")
        let pull = try calport(["pull", "--calendar", h.calendarId, "-o", h.path("back.ics"), "-q"], environment: h.environment)
        #expect(pull.status == 0)
        #expect(pull.stderr.isEmpty, "\(pull.stderr)")
        // Without -q both say what they did.
        let again = try h.push(input)
        #expect(again.stderr.contains("unchanged"), "\(again.stderr)")
    }

    @Test func quietStillTellsAFailure() throws {
        let h = try PushHarness()
        let pull = try calport(["pull", "--calendar", h.calendarId, "--calendar", "nobody@group.calendar.google.com",
                                "-o", h.path("out/"), "-q"], environment: h.environment)
        #expect(pull.status == Outcome.partial.rawValue, "\(pull.stderr)")
        #expect(pull.stderr.contains("nobody@group.calendar.google.com"), "\(pull.stderr)")
        #expect(pull.stderr.contains("1 of 2 calendars pulled"), "the summary comes with a failure: \(pull.stderr)")
    }
}
