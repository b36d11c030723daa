import CalendarModel
import Foundation
import Testing

@testable import ICalendar

/// What the .ics side does with one input, the way the fuzz target drives it (Fuzz/Harness.swift):
/// every item read, every event written back and its recurrences expanded as `verify` does.
private struct Outcome {
    var events = 0
    var written = 0
    var diagnostics: [Diagnostic] = []
    var problems: [String] = []
    var seconds = 0.0

    static func of(_ bytes: [UInt8]) throws -> Outcome {
        var out = Outcome()
        let sink = DiagnosticCollector()
        let clock = ContinuousClock()
        let started = clock.now
        let reader = ICalendarReader(bytes: bytes, name: "fuzz.ics", diagnostics: sink)
        var text = 0
        let writer = ICalendarWriter(fallbackTimestamp: LocalDateTime(year: 2024, month: 1, day: 1), diagnostics: sink) {
            text += $0.utf8.count
        }
        let window = (LocalDateTime(year: 1900, month: 1, day: 1).secondsSinceEpoch,
                      LocalDateTime(year: 2100, month: 1, day: 1).secondsSinceEpoch)
        while let item = try reader.next() {
            switch item {
            case .calendar(let info): try writer.begin(info)
            case .timeZone(let def): writer.addDefinition(def)
            case .event(let e, _):
                out.events += 1
                let r = RecurrenceExpander.expand(e, windowStart: window.0, windowEnd: window.1, limit: 2000) { z, l in
                    reader.utcOffset(tzid: z, at: l)
                }
                out.problems += r.problems
                try writer.write(e)
            case .skipped: break
            }
        }
        try writer.end()
        out.written = text
        out.diagnostics = sink.diagnostics
        out.seconds = Double((clock.now - started).components.seconds) + Double((clock.now - started).components.attoseconds) / 1e18
        return out
    }

    func says(_ text: String) -> Bool { diagnostics.contains { $0.message.contains(text) } }
}

/// Inputs found by `make fuzz` (testdata/fuzz/, each named after its bug) and the kinds of
/// malformed input the reader must survive with a diagnostic, in bounded time.
@Suite struct FuzzRegressionTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("testdata/fuzz")

    /// Every .ics fixture, with a diagnostic it must produce.
    static let expectations: [String: String] = [
        // libical read the component text as two roots (an XROOT), so the zone took no TZID;
        // the zone's clone of the tree leaked (found by LeakSanitizer in the fuzz target).
        "vtimezone-two-roots-leak.ics": #"VTIMEZONE "Broken Zone" is not usable"#,
    ]

    /// A seconds budget for one small input in a debug build; the real bound is far lower.
    /// Generous: the suites share two cores; a hang or super-linear work still exceeds it.
    static let budget = 60.0

    @Test func everyFixtureHasAnExpectation() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: FuzzRegressionTests.fixtures.path)
            .filter { $0.hasSuffix(".ics") }
        #expect(Set(names) == Set(FuzzRegressionTests.expectations.keys))
    }

    @Test(arguments: FuzzRegressionTests.expectations.keys.sorted())
    func fixture(_ name: String) throws {
        let bytes = try [UInt8](Data(contentsOf: FuzzRegressionTests.fixtures.appendingPathComponent(name)))
        let out = try Outcome.of(bytes)
        let expected = try #require(FuzzRegressionTests.expectations[name])
        #expect(out.says(expected), "\(out.diagnostics)")
        #expect(out.seconds < FuzzRegressionTests.budget)
    }

    /// The zone that failed is still reported once per input, however often it is read.
    @Test func brokenZoneIsReportedOnEveryRead() throws {
        let bytes = try [UInt8](Data(contentsOf: FuzzRegressionTests.fixtures.appendingPathComponent("vtimezone-two-roots-leak.ics")))
        for _ in 0..<50 {
            let out = try Outcome.of(bytes)
            #expect(out.diagnostics.filter { $0.message.contains("is not usable") }.count == 1)
        }
    }

    // MARK: - Kinds of malformed input

    static let sample: [UInt8] = ics(
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:t",
        "BEGIN:VTIMEZONE", "TZID:Custom", "BEGIN:STANDARD", "DTSTART:19700101T000000",
        "TZOFFSETFROM:+0100", "TZOFFSETTO:+0100", "END:STANDARD", "END:VTIMEZONE",
        "BEGIN:VEVENT", "UID:a@t", "DTSTAMP:20240101T000000Z", "DTSTART;TZID=Custom:20240105T090000",
        "DTEND;TZID=Custom:20240105T100000", "RRULE:FREQ=WEEKLY;COUNT=10", "SUMMARY:Weekly",
        "BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT15M", "DESCRIPTION:x", "END:VALARM",
        "END:VEVENT",
        "BEGIN:VEVENT", "UID:b@t", "DTSTAMP:20240101T000000Z", "DTSTART:20240110T120000Z",
        "SUMMARY:Single", "END:VEVENT",
        "END:VCALENDAR")

    @Test func truncatedFilesAreReadWithADiagnostic() throws {
        let whole = FuzzRegressionTests.sample
        // Cut inside every line of the first event and the second event: the component is
        // unfinished, which is said, and the first event is still read when it was complete.
        let needle = Array("BEGIN:VEVENT\r\nUID:b@t".utf8)
        let secondEvent = try #require((0...(whole.count - needle.count)).first { Array(whole[$0..<($0 + needle.count)]) == needle })
        for cut in stride(from: 20, to: whole.count - 20, by: 7) {
            let out = try Outcome.of(Array(whole[..<cut]))
            #expect(out.seconds < FuzzRegressionTests.budget)
            #expect(!out.diagnostics.filter { $0.severity >= .warning }.isEmpty, "cut at \(cut): \(out.diagnostics)")
            if cut > secondEvent + 20 { #expect(out.events >= 1, "cut at \(cut)") }
        }
    }

    @Test func binaryGarbageIsNotACalendar() throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let garbage = (0..<(256 << 10)).map { _ -> UInt8 in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        let out = try Outcome.of(garbage)
        #expect(out.events == 0)
        #expect(out.diagnostics.contains { $0.severity == .error && $0.message.contains("not an iCalendar file") })
        #expect(out.seconds < FuzzRegressionTests.budget)

        // Garbage inside a value: NUL bytes and invalid UTF-8 do not stop the event.
        let dirty = ics("BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:t", "BEGIN:VEVENT", "UID:g@t",
                        "DTSTART:20240101T090000Z") + Array("SUMMARY:a\u{0}b".utf8) + [0xFF, 0xFE, 0xC3, 13, 10]
            + ics("END:VEVENT", "END:VCALENDAR")
        let d = try Outcome.of(dirty)
        #expect(d.events == 1)
        #expect(d.written > 0)
    }

    @Test func wrongEncodingsGetADiagnostic() throws {
        // UTF-16 (with and without a byte-order mark): no BEGIN:VCALENDAR in the bytes.
        let text = String(decoding: FuzzRegressionTests.sample, as: UTF8.self)
        let utf16LE: [UInt8] = [0xFF, 0xFE] + text.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        let utf16BE: [UInt8] = text.utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        for bytes in [utf16LE, utf16BE] {
            let out = try Outcome.of(bytes)
            #expect(out.events == 0)
            #expect(out.diagnostics.contains { $0.severity == .error })
        }
        // Latin-1 text in a UTF-8 calendar: the event is read; the bad byte does not end it.
        let latin1 = ics("BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:t", "BEGIN:VEVENT", "UID:l@t",
                         "DTSTART:20240101T090000Z") + Array("SUMMARY:Caf".utf8) + [0xE9, 13, 10]
            + ics("LOCATION:M\u{FC}nchen", "END:VEVENT", "END:VCALENDAR")
        let out = try Outcome.of(latin1)
        #expect(out.events == 1)
    }

    @Test func linesOfMegabytesAreCutWithADiagnostic() throws {
        let long = LineReader.maximumLineLength + (1 << 20)
        var bytes = ics("BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:t", "BEGIN:VEVENT", "UID:m@t",
                        "DTSTART:20240101T090000Z")
        bytes += Array("SUMMARY:".utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: long) + [13, 10]
        bytes += ics("END:VEVENT", "END:VCALENDAR")
        let out = try Outcome.of(bytes)
        #expect(out.events == 1)
        #expect(out.says("MiB; cut"))
        // A guard against work that grows faster than the line (which would take hours), not a
        // speed target: a debug build on two busy cores takes about a minute for these 17 MiB.
        #expect(out.seconds < 300)

        // A line without any line break at all, longer than the limit.
        let flat = Array("BEGIN:VCALENDAR".utf8) + [UInt8](repeating: UInt8(ascii: "y"), count: long)
        let f = try Outcome.of(flat)
        #expect(f.events == 0)
        #expect(f.says("MiB; cut"))
    }

    @Test(arguments: [ComponentScanner.maximumDepth + 1, 5_000, 200_000])
    func deeplyNestedComponentsAreSkippedWithADiagnostic(_ depth: Int) throws {
        var lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:t", "BEGIN:VEVENT", "UID:n@t", "DTSTART:20240101T090000Z"]
        lines += Array(repeating: "BEGIN:X-NEST", count: depth) + Array(repeating: "END:X-NEST", count: depth)
        lines += ["END:VEVENT", "BEGIN:VEVENT", "UID:after@t", "DTSTART:20240102T090000Z", "END:VEVENT", "END:VCALENDAR"]
        let out = try Outcome.of(Array((lines.joined(separator: "\r\n") + "\r\n").utf8))
        #expect(out.says("nests components deeper than \(ComponentScanner.maximumDepth) levels"))
        #expect(out.events == 1)  // the event after the deep one
        #expect(out.seconds < FuzzRegressionTests.budget)
    }

    @Test(arguments: [
        "RRULE:FREQ=SECONDLY;COUNT=2147483647",
        "RRULE:FREQ=SECONDLY;COUNT=99999999999999999999999",
        "RRULE:FREQ=MINUTELY;BYSECOND=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29",
        "RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
        "RRULE:FREQ=DAILY;UNTIL=19000101T000000Z",
        "RRULE:FREQ=HOURLY;INTERVAL=0",
    ])
    func hugeAndEmptyRulesAreBounded(_ rule: String) throws {
        let out = try Outcome.of(ics("BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:t", "BEGIN:VEVENT", "UID:r@t",
                                     "DTSTART:20240101T090000Z", rule, "END:VEVENT", "END:VCALENDAR"))
        #expect(out.events == 1)
        #expect(!out.problems.isEmpty || !out.diagnostics.isEmpty, "\(rule): neither a problem nor a diagnostic")
        #expect(out.seconds < FuzzRegressionTests.budget)
    }

    @Test func datesAtTheEdgesOfTimeAreRead() throws {
        let out = try Outcome.of(ics(
            "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:t",
            "BEGIN:VEVENT", "UID:y1@t", "DTSTART:99991231T235959Z", "DTEND:99991231T235959Z",
            "RRULE:FREQ=SECONDLY;COUNT=10", "END:VEVENT",
            "BEGIN:VEVENT", "UID:y2@t", "DTSTART;VALUE=DATE:99991231", "DURATION:P9999W", "END:VEVENT",
            "BEGIN:VEVENT", "UID:y3@t", "DTSTART:00000101T000000Z", "EXDATE:99999999T999999Z", "END:VEVENT",
            "BEGIN:VEVENT", "UID:y4@t", "DTSTART:100000101T000000Z", "END:VEVENT",
            "END:VCALENDAR"))
        #expect(out.events == 4)
        #expect(out.written > 0)
        #expect(!out.diagnostics.filter { $0.severity >= .warning }.isEmpty || !out.problems.isEmpty)
        #expect(out.seconds < FuzzRegressionTests.budget)
    }

    @Test func invalidZonesGetADiagnostic() throws {
        let out = try Outcome.of(ics(
            "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:t",
            // Offsets out of range, a rule that never ends, a DTSTART that is no date.
            "BEGIN:VTIMEZONE", "TZID:Odd", "BEGIN:STANDARD", "DTSTART:00000000T000000",
            "RRULE:FREQ=SECONDLY", "TZOFFSETFROM:+9999", "TZOFFSETTO:-9999", "END:STANDARD", "END:VTIMEZONE",
            // No observance at all.
            "BEGIN:VTIMEZONE", "TZID:Empty", "END:VTIMEZONE",
            "BEGIN:VEVENT", "UID:z1@t", "DTSTART;TZID=Odd:20240101T090000", "RRULE:FREQ=DAILY;COUNT=3", "END:VEVENT",
            "BEGIN:VEVENT", "UID:z2@t", "DTSTART;TZID=Empty:20240101T090000", "END:VEVENT",
            "BEGIN:VEVENT", "UID:z3@t", "DTSTART;TZID=Nowhere/Special:20240101T090000", "END:VEVENT",
            "END:VCALENDAR"))
        #expect(out.events == 3)
        #expect(out.diagnostics.contains { $0.message.contains("Nowhere/Special") })
        #expect(out.diagnostics.filter { $0.severity >= .warning }.count >= 2, "\(out.diagnostics)")
        #expect(out.seconds < FuzzRegressionTests.budget)
    }
}
