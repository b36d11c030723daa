import CalendarModel
import Testing

/// The iCalendar text of enumerated values, attendees, alarms and attachments.
@Suite struct ValueSyntaxTests {
    @Test func enumeratedValuesIgnoreCaseAndKeepUnknownSpelling() {
        #expect(ParticipationStatus("accepted") == .accepted)
        #expect(ParticipationStatus("accepted").text == "ACCEPTED")
        #expect(ParticipationStatus("x-Waiting").text == "x-Waiting")
        #expect(ParticipationStatus("x-Waiting") == ParticipationStatus("X-WAITING"))
        #expect(Set([ParticipationStatus("x-Waiting"), ParticipationStatus("X-WAITING")]).count == 1)
        #expect(ParticipantRole("chair").isRegistered && !ParticipantRole("X-SCRIBE").isRegistered)
        #expect(Classification("Private") == .private)
    }

    @Test func calendarUserLineRoundTrips() throws {
        let line = #"ATTENDEE;CN="Doe, J";CUTYPE=room;ROLE=x-scribe;PARTSTAT=tentative;RSVP=true;DELEGATED-FROM="mailto:b@example.com":mailto:a@example.com"#
        let u = CalendarUser(property: try #require(Property(contentLine: line)))
        #expect(u.commonName == "Doe, J" && u.userType == .room && u.role?.text == "x-scribe" && u.participationStatus == .tentative && u.rsvp == true)
        #expect(u.parameters == [Parameter("DELEGATED-FROM", "mailto:b@example.com")])
        #expect(u.property(named: "ATTENDEE").contentLine
            == #"ATTENDEE;CN="Doe, J";CUTYPE=ROOM;ROLE=x-scribe;PARTSTAT=TENTATIVE;RSVP=TRUE;DELEGATED-FROM="mailto:b@example.com":mailto:a@example.com"#)
    }

    /// `email` drops the scheme on the bytes when it can: it must give what dropping seven
    /// Characters gives, a combining mark after `mailto:` included (it is part of the `:`).
    @Test func emailDropsTheSchemeAsCharacters() {
        let addresses = ["mailto:a@example.com", "MAILTO:A@Example.COM", "MailTo:b@x", "mailto:", "mailto:\u{301}c@x",
                         "mailto:\u{301}", "mailto:é@x", "mailto:🎉@x", "mailto:\u{200D}d@x", "mailto:\r\ne@x"]
        for a in addresses {
            #expect(CalendarUser(address: a).email == String(a.dropFirst(7)), "\(a.unicodeScalars.map { $0.value })")
        }
        #expect(CalendarUser(address: "mailto:\u{301}c@x").email == "c@x")
        #expect(CalendarUser(address: "a@example.com").email == "a@example.com")
        #expect(CalendarUser(address: "urn:uuid:1").email == nil && CalendarUser(address: "mailt:a@x").email == nil)
        for (address, mailto) in [("mailto:", true), ("mAiLtO:x", true), ("MAILTO:é", true), ("mailto", false), ("mailto;a@x", false),
                                  ("", false), ("xmailto:a@x", false), ("mailtoo:a@x", false), ("ｍailto:a@x", false)] {
            #expect(CalendarUser(address: address).hasMailtoScheme == mailto, "\(address)")
        }
    }

    @Test func alarmLinesRoundTrip() throws {
        let text = ["ACTION:display", "TRIGGER;RELATED=END;X-P=1:-PT5M", "REPEAT:2", "DURATION:PT1M", "DESCRIPTION:Go",
                    "ATTENDEE:mailto:a@example.com", "DESCRIPTION;LANGUAGE=de:Los", "X-EXTRA:1"]
        let a = Alarm(contentLines: try text.map { try #require(Property(contentLine: $0)) })
        #expect(a.action == .display && a.trigger == .relative(ICalDuration(isNegative: true, minutes: 5), relatedToEnd: true))
        #expect(a.repeatCount == 2 && a.repeatInterval == ICalDuration(minutes: 1) && a.description == "Go")
        #expect(a.triggerParameters == [Parameter("X-P", "1")] && a.attendees.count == 1)
        #expect(a.properties.map(\.name) == ["DESCRIPTION", "X-EXTRA"])
        #expect(a.contentLines.map(\.contentLine) == ["ACTION:DISPLAY"] + text.dropFirst())
    }

    @Test func triggerForms() throws {
        func trigger(_ line: String) throws -> Alarm.Trigger? { Alarm.Trigger(property: try #require(Property(contentLine: line))) }
        let eight = LocalDateTime(year: 2029, month: 12, day: 31, hour: 8)
        #expect(try trigger("TRIGGER;VALUE=DATE-TIME:20291231T080000Z") == .absolute(eight))
        #expect(try trigger("TRIGGER:20291231T080000Z") == .absolute(eight))
        #expect(try trigger("TRIGGER:P1W") == .relative(ICalDuration(weeks: 1), relatedToEnd: false))
        #expect(try trigger("TRIGGER;VALUE=DATE-TIME:-PT5M") == nil)
        #expect(try trigger("TRIGGER:soon") == nil)
    }

    @Test func attachmentsInlineOrLink() throws {
        for line in ["ATTACH;ENCODING=BASE64;VALUE=BINARY:SGk=", "ATTACH;ENCODING=base64:SGk=", "ATTACH;VALUE=BINARY:SGk="] {
            let a = Attachment(property: try #require(Property(contentLine: line)))
            #expect(a.inlineBase64 == "SGk=" && a.uri == nil, "\(line)")
            #expect(a.property.contentLine == "ATTACH;ENCODING=BASE64;VALUE=BINARY:SGk=")
        }
        let link = Attachment(property: try #require(Property(contentLine: "ATTACH;FMTTYPE=application/pdf;FILENAME=a.pdf:https://example.com/a.pdf")))
        #expect(link.uri == "https://example.com/a.pdf" && link.formatType == "application/pdf" && link.parameters == [Parameter("FILENAME", "a.pdf")])
        #expect(link.property.contentLine == "ATTACH;FMTTYPE=application/pdf;FILENAME=a.pdf:https://example.com/a.pdf")
    }
}
