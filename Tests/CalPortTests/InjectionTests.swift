import CLibical
import Foundation
import Testing

/// Google-side text cannot inject iCalendar lines: CR, LF and other control characters in any
/// string of an event or calendar leave the .ics with exactly the components and properties the
/// same event has with plain text.
struct InjectionTests {
    /// Strings that try to end the line and start components or properties of their own.
    static let hostile = [
        "\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:injected", "\nRRULE:FREQ=DAILY", "\rEND:VCALENDAR", "\u{1B}[31mred\u{1B}[0m",
        "a\r\n b", "\"\r\nX-INJ:1", ";X-P=\r\nX:", "\u{7F}\u{00}\u{08}", "tab\there", ":\r\n:", "\r\n\r\n",
    ]

    typealias Random = CalendarGenerator.Random

    /// A string of plain words with, when `hostile`, an attack spliced in; the plain twin has
    /// the same words and letters in place of the attack.
    static func text(_ r: inout Random, hostile: Bool, prefix: String = "") -> String {
        let attack = Self.hostile[r.below(Self.hostile.count)]
        let word = ["Team", "sync", "Café", "会議", "x"][r.below(5)]
        return prefix + word + (hostile ? attack : "plain") + "end"
    }

    /// One Google event in which every string field may carry an attack.
    static func event(_ r: inout Random, index: Int, hostile: Bool) -> [String: Any] {
        func t(_ prefix: String = "") -> String { text(&r, hostile: hostile, prefix: prefix) }
        var e: [String: Any] = [
            "id": "ev\(index)", "iCalUID": t("uid\(index)-"), "summary": t(), "description": t(), "location": t(),
            "start": ["dateTime": "2025-03-0\(1 + index % 9)T10:00:00+01:00", "timeZone": "Europe/Berlin"],
            "end": ["dateTime": "2025-03-0\(1 + index % 9)T11:00:00+01:00", "timeZone": "Europe/Berlin"],
            "colorId": t(), "transparency": "opaque",
            "organizer": ["email": t("o@example.com"), "displayName": t()],
            "attendees": [["email": t("a@example.com"), "displayName": t(), "comment": t(), "responseStatus": "accepted"]],
            "extendedProperties": ["private": [t("k"): t(), "plain": t()], "shared": [t("s"): t()]],
            "source": ["url": t("https://example.com/"), "title": t()],
            "attachments": [["fileUrl": t("https://example.com/f"), "title": t(), "mimeType": t("text/")]],
            "reminders": ["useDefault": false, "overrides": [["method": "popup", "minutes": 10]]],
        ]
        if index % 2 == 0 { e["recurrence"] = ["RRULE:FREQ=WEEKLY;COUNT=3", "EXDATE;TZID=Europe/Berlin:20250308T100000"] }
        return e
    }

    /// Per component, in document order: its name and the number of its own properties.
    static func shape(of ics: String) -> [String] {
        guard let root = ics.withCString({ icalparser_parse_string($0) }) else { return [] }
        defer { icalcomponent_free(root) }
        var out: [String] = []
        func walk(_ c: OpaquePointer) {
            var n = 0
            var p = icalcomponent_get_first_property(c, ICAL_ANY_PROPERTY)
            while p != nil { n += 1; p = icalcomponent_get_next_property(c, ICAL_ANY_PROPERTY) }
            out.append("\(String(cString: icalcomponent_kind_to_string(icalcomponent_isa(c)))):\(n)")
            var sub = icalcomponent_get_first_component(c, ICAL_ANY_COMPONENT)
            while let s = sub { walk(s); sub = icalcomponent_get_next_component(c, ICAL_ANY_COMPONENT) }
        }
        walk(root)
        return out
    }

    static func convert(_ events: [[String: Any]], hostile: Bool, seed: UInt64) throws -> RunResult {
        var r = Random(seed: seed ^ 0xFEED)
        let calendar: [String: Any] = [
            "kind": "calendar#events", "summary": text(&r, hostile: hostile), "description": text(&r, hostile: hostile),
            "timeZone": "Europe/Berlin", "items": events,
        ]
        let json = try JSONSerialization.data(withJSONObject: calendar)
        return try calport(["convert", "-", "--from", "json", "--to", "ics"], stdin: json)
    }

    @Test(arguments: 1...12)
    func controlCharactersInEveryStringInjectNothing(seed: Int) throws {
        var hostileRandom = Random(seed: UInt64(seed)), plainRandom = Random(seed: UInt64(seed))
        let hostile = (0..<6).map { Self.event(&hostileRandom, index: $0, hostile: true) }
        let plain = (0..<6).map { Self.event(&plainRandom, index: $0, hostile: false) }
        let a = try Self.convert(hostile, hostile: true, seed: UInt64(seed))
        let b = try Self.convert(plain, hostile: false, seed: UInt64(seed))
        #expect(b.status == 0, "\(b.stderr)")
        let shapeA = Self.shape(of: a.stdoutText), shapeB = Self.shape(of: b.stdoutText)
        #expect(shapeA.filter { $0.hasPrefix("VEVENT") }.count == 6)
        #expect(shapeA == shapeB, "\(a.stdoutText)")
        // Every physical line is a content line or a fold: no bare CR or LF inside one.
        for line in a.stdoutText.components(separatedBy: "\r\n") {
            #expect(!line.contains("\r") && !line.contains("\n"), "\(line)")
        }
        // And nothing reaches the terminal raw.
        #expect(!a.stderr.unicodeScalars.contains { $0.value == 0x1B || $0 == "\r" })
    }

    /// A recurrence line is parsed as iCalendar: one with a line break in it is refused or kept
    /// on its own line, never split into lines of its own.
    @Test func recurrenceLinesCannotInject() throws {
        let json = #"{"kind":"calendar#events","items":[{"iCalUID":"r1","start":{"date":"2025-01-01"},"end":{"date":"2025-01-02"},"#
            + #""recurrence":["RRULE:FREQ=WEEKLY;COUNT=3\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:injected","EXDATE;VALUE=DATE:20250108\nRRULE:FREQ=DAILY"]}]}"#
        let r = try calport(["convert", "-", "--from", "json", "--to", "ics"], stdin: Data(json.utf8))
        let shape = Self.shape(of: r.stdoutText)
        #expect(shape.filter { $0.hasPrefix("VEVENT") }.count == 1, "\(r.stdoutText)")
        #expect(!r.stdoutText.components(separatedBy: "\r\n").contains { $0.hasPrefix("UID:injected") || $0.hasPrefix("RRULE:FREQ=DAILY") })
    }

    /// The calendar's own name, description and zone, as pull and archive write them.
    @Test func calendarPropertiesCannotInjectEither() throws {
        let json = #"{"kind":"calendar#events","summary":"Cal\r\nX-INJ:1","description":"d\r\nEND:VCALENDAR","timeZone":"Europe/Berlin\r\nBEGIN:VEVENT","items":[]}"#
        let r = try calport(["convert", "-", "--from", "json", "--to", "ics"], stdin: Data(json.utf8))
        #expect(Self.shape(of: r.stdoutText) == ["VCALENDAR:6"], "\(r.stdoutText)")
        #expect(r.stderr.contains("X-WR-TIMEZONE held a line break"))
    }
}
