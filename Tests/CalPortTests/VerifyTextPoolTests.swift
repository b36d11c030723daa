import CalPort
import CalendarModel
import Foundation
import GoogleCalendar
import Testing

/// `verify` loads both calendars through one `Verifier.TextPool`, so that equal texts of A and
/// B share one storage. The pool must never stand one text in for another: texts that differ
/// (by one character, or only in their bytes) stay what they were read as.
@Suite struct VerifyTextPoolTests {
    let dir: URL
    init() throws { dir = try Paths.temporaryDirectory() }

    static let long = "Quarterly planning review with the whole team in room 4.12 to bring the figures"

    func calendar(_ name: String, _ events: [(uid: String, summary: String, description: String)]) throws -> String {
        var lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//calport//tests//EN"]
        for e in events {
            lines += ["BEGIN:VEVENT", "UID:\(e.uid)", "DTSTAMP:20250101T000000Z", "DTSTART:20250301T090000Z",
                      "DTEND:20250301T100000Z", "SUMMARY:\(e.summary)", "DESCRIPTION:\(e.description)",
                      "ATTENDEE;PARTSTAT=ACCEPTED:mailto:someone.with.a.long.name@example.com", "END:VEVENT"]
        }
        lines.append("END:VCALENDAR")
        let url = dir.appendingPathComponent(name)
        try Data((lines.joined(separator: "\r\n") + "\r\n").utf8).write(to: url)
        return url.path
    }

    func compare(_ a: String, _ b: String, pool: Verifier.TextPool?) throws -> Verifier.Report {
        let sink = DiagnosticCollector()
        let mapping = MappingOptions(defaultTimeZone: "UTC")
        let x = try CalendarLoader.load(path: a, mapping: mapping, diagnostics: sink, comparedOnly: true, texts: pool)
        let y = try CalendarLoader.load(path: b, mapping: mapping, diagnostics: sink, comparedOnly: true, texts: pool)
        return Verifier().compare(x, y, floatingZoneA: "UTC", floatingZoneB: "UTC")
    }

    /// Long texts that differ in their last character are still reported as different, each as
    /// its own side read it; equal long texts still compare equal; either way the report is
    /// the one made without a pool.
    @Test func pooledTextsCompareAsTheirOwnValues() throws {
        let a = try calendar("a.ics", [("event-one-with-a-long-uid@example.com", "Planning review all hands", Self.long + "."),
                                       ("event-two-with-a-long-uid@example.com", "Same long summary on both sides", Self.long)])
        let b = try calendar("b.ics", [("event-one-with-a-long-uid@example.com", "Planning review all hands", Self.long + "!"),
                                       ("event-two-with-a-long-uid@example.com", "Same long summary on both sides", Self.long)])
        let pool = Verifier.TextPool()
        let pooled = try compare(a, b, pool: pool)
        #expect(pooled.differences.map(\.description)
                == ["changed: event-one-with-a-long-uid@example.com at 2025-03-01T09:00:00Z: description: \(Self.long). -> \(Self.long)!"])
        let unpooled = try compare(a, b, pool: nil)
        #expect(pooled.differences.map(\.description) == unpooled.differences.map(\.description))
        // A held 2 UIDs, 2 summaries, 2 descriptions and the attendees field (the same for
        // both events); B added only its one different description.
        #expect(pool.count == 8)
        // Equal texts do share: a calendar against itself is equivalent, and adds nothing.
        #expect(try compare(a, a, pool: pool).equivalent)
        #expect(pool.count == 8)
    }

    /// Texts that are `==` as Swift strings (canonically equivalent) but differ in their bytes
    /// are not pooled together: B's text is printed as B has it.
    @Test func canonicallyEquivalentTextsKeepTheirBytes() throws {
        let composed = "R\u{E9}union trimestrielle de l'\u{E9}quipe", decomposed = "Re\u{301}union trimestrielle de l'e\u{301}quipe"
        #expect(composed == decomposed && !composed.utf8.elementsEqual(decomposed.utf8))
        let a = try calendar("a.ics", [("only-in-a-with-a-long-uid@example.com", composed, Self.long)])
        let b = try calendar("b.ics", [("only-in-b-with-a-long-uid@example.com", decomposed, Self.long)])
        let report = try compare(a, b, pool: Verifier.TextPool())
        #expect(report.differences.count == 2)
        #expect(report.differences.first { $0.kind == .missing }?.a.map { Array($0.utf8) } == Array(composed.utf8))
        #expect(report.differences.first { $0.kind == .extra }?.b.map { Array($0.utf8) } == Array(decomposed.utf8))

        let pool = Verifier.TextPool()
        #expect(Array(pool.intern(composed).utf8) == Array(composed.utf8))
        #expect(Array(pool.intern(decomposed).utf8) == Array(decomposed.utf8))
        #expect(pool.intern(Self.long + "a") != pool.intern(Self.long + "b"))
        #expect(pool.count == 4)
    }
}
