import CalPort
import CalendarModel
import Foundation
import GoogleCalendar
import Testing

/// iCalendar to Google JSON on several threads gives the bytes and the diagnostics (in the
/// same order) of a conversion on one thread.
@Suite struct ParallelConversionTests {
    struct Outcome: Equatable {
        var output: [UInt8]
        var diagnostics: [Diagnostic]
        var summary: String
    }

    static func convert(_ path: String, to format: Format, workers: Int, in dir: URL) throws -> Outcome {
        let out = dir.appendingPathComponent("out-\(workers).\(format.rawValue)")
        try? FileManager.default.removeItem(at: out)
        let collector = DiagnosticCollector()
        let options = ConvertOptions(to: format, mapping: MappingOptions(defaultTimeZone: "UTC"),
                                     fallbackTimestamp: LocalDateTime(secondsSinceEpoch: 1_735_689_600), workers: workers)
        var summary: String
        do {
            let s = try Converter(options: options).run(input: path, output: try Output(path: out.path), diagnostics: collector)
            summary = "events=\(s.events) skipped=\(s.skipped.sorted { $0.key < $1.key }) warnings=\(s.warnings) errors=\(s.errors)"
        } catch {
            summary = "failed: \(error)"
        }
        let bytes = (try? Data(contentsOf: out)).map(Array.init) ?? []
        return Outcome(output: bytes, diagnostics: collector.diagnostics, summary: summary)
    }

    static func expectSame(_ path: String, workers: [Int] = [2, 3, 4]) throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for format in [Format.ndjson, .json] {
            let one = try convert(path, to: format, workers: 1, in: dir)
            for n in workers {
                let many = try convert(path, to: format, workers: n, in: dir)
                #expect(many.summary == one.summary, "\(path) → \(format.rawValue), \(n) workers")
                #expect(many.output == one.output, "\(path) → \(format.rawValue), \(n) workers: output differs")
                #expect(many.diagnostics == one.diagnostics, "\(path) → \(format.rawValue), \(n) workers: diagnostics differ")
            }
        }
    }

    static var fixtures: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: Paths.cases.path)) ?? []
        return names.filter { $0.hasSuffix(".ics") }.sorted().map { Paths.cases.appendingPathComponent($0).path }
            + [Paths.testdata.appendingPathComponent("sample.ics").path]
    }

    @Test(arguments: fixtures)
    func fixtureIsTheSameOnAnyNumberOfThreads(path: String) throws {
        try ParallelConversionTests.expectSame(path)
    }

    /// Thousands of events with what orders output and diagnostics: overrides before and
    /// after their series and without one, TZIDs defined late (events wait for them), an
    /// unknown TZID reported once, malformed lines, other components, a zone redefined.
    static func generatedCalendar(events: Int) -> String {
        var s = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//calport//tests//EN\r\nX-WR-TIMEZONE:Europe/Berlin\r\n"
        let zone = """
            BEGIN:VTIMEZONE\r\nTZID:Custom Zone\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nTZOFFSETFROM:+0200\r\n\
            TZOFFSETTO:+0100\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\n\
            DTSTART:19700329T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n\
            END:DAYLIGHT\r\nEND:VTIMEZONE\r\n
            """
        for i in 0..<events {
            let day = 1 + i % 28, month = 1 + (i / 28) % 12, year = 2020 + i % 6
            let date = String(format: "%04d%02d%02d", year, month, day)
            if i == events / 3 { s += zone }  // events before it that name it wait for it
            if i % 97 == 5 { s += "BEGIN:VTODO\r\nUID:todo-\(i)\r\nSUMMARY:Task\r\nEND:VTODO\r\n" }
            // Every 23rd event is an override whose series never comes.
            let uid = i % 23 == 0 ? "orphan-\(i)@calport.test" : "event-\(i / 3)@calport.test"
            s += "BEGIN:VEVENT\r\nUID:\(uid)\r\nDTSTAMP:20240101T000000Z\r\n"
            if i % 23 == 0 && i % 3 != 0 { s += "RECURRENCE-ID:\(date)T080000Z\r\n" }
            switch i % 3 {
            case 0: s += "RECURRENCE-ID;TZID=Europe/Berlin:\(date)T100000\r\n"  // an override before its series
            case 1: s += "RRULE:FREQ=WEEKLY;COUNT=5\r\n"
            default: if i % 2 == 0 { s += "RECURRENCE-ID:\(date)T090000Z\r\n" }
            }
            let tzid = i % 11 == 0 ? "Custom Zone" : i % 13 == 0 ? "Nowhere/Unknown_\(i % 2)" : "America/New_York"
            s += "DTSTART;TZID=\(tzid):\(date)T100000\r\nDURATION:PT1H\r\n"
            s += "SUMMARY:Event \(i)\\, with text\\nand lines\r\n"
            if i % 17 == 0 { s += "this is not a content line\r\n" }
            if i % 19 == 0 { s += "SUMMARY:twice\r\n" }
            s += "ATTENDEE;CN=\"Person \(i % 7)\";PARTSTAT=ACCEPTED;X-FOO=bar:mailto:p\(i % 7)@example.org\r\n"
            if i % 5 == 0 { s += "BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT15M\r\nDESCRIPTION:Soon\r\nEND:VALARM\r\n" }
            s += "END:VEVENT\r\n"
        }
        s += "END:VCALENDAR\r\n"
        return s
    }

    @Test func generatedCalendarIsTheSameOnAnyNumberOfThreads() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("generated.ics")
        try ParallelConversionTests.generatedCalendar(events: 1_500).write(to: path, atomically: true, encoding: .utf8)
        try ParallelConversionTests.expectSame(path.path, workers: [4])
        // The calendar exercises what it is meant to.
        let one = try ParallelConversionTests.convert(path.path, to: .ndjson, workers: 2, in: dir)
        let messages = one.diagnostics.map(\.message)
        #expect(messages.filter { $0.contains("Nowhere/Unknown_0") && $0.contains("reported once") }.count == 1,
                "an unknown TZID is reported once")
        #expect(messages.contains { $0.contains("of a series that is not in the input") })
        #expect(messages.contains { $0.contains("not a content line") })
        #expect(one.summary.contains("VTODO"))
        // Diagnostics come in input order (each names the line it is about).
        let lines = one.diagnostics.filter { $0.message.contains("not a content line") }.compactMap(\.line)
        #expect(lines == lines.sorted())
    }

    @Test func googleJSONAndNDJSONReadTheSameOnAnyNumberOfThreads() throws {
        // The generated calendar as Google JSON and NDJSON (more than one block of items),
        // with a broken NDJSON line and an event whose mapping reports, read back to .ics.
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ics = dir.appendingPathComponent("generated.ics")
        try ParallelConversionTests.generatedCalendar(events: 1_200).write(to: ics, atomically: true, encoding: .utf8)
        let json = try ParallelConversionTests.convert(ics.path, to: .json, workers: 1, in: dir)
        let ndjson = try ParallelConversionTests.convert(ics.path, to: .ndjson, workers: 1, in: dir)
        var lines = String(decoding: ndjson.output, as: UTF8.self).split(separator: "\n").map(String.init)
        #expect(lines.count > 600)
        lines.insert("{\"summary\": \"cut short", at: 300)
        lines.insert(#"{"iCalUID":"no-start@calport.test","summary":"No start"}"#, at: 500)
        // What the .ics writer reports (a control character it drops): with several workers
        // they write the events, and the report must still come where one thread gives it.
        lines.insert(#"{"iCalUID":"bell@calport.test","summary":"Bell\u0007 rings","start":{"dateTime":"2024-03-01T10:00:00Z"},"end":{"dateTime":"2024-03-01T11:00:00Z"}}"#, at: 700)
        let inputs = [("in.json", json.output), ("in.ndjson", Array((lines.joined(separator: "\n") + "\n").utf8))]
        for (name, bytes) in inputs {
            let path = dir.appendingPathComponent(name)
            try Data(bytes).write(to: path)
            let one = try ParallelConversionTests.convert(path.path, to: .ics, workers: 1, in: dir)
            #expect(one.summary.hasPrefix("events="), "\(name): \(one.summary)")
            #expect(!one.output.isEmpty)
            for n in [2, 4] {
                let many = try ParallelConversionTests.convert(path.path, to: .ics, workers: n, in: dir)
                #expect(many.summary == one.summary, "\(name), \(n) workers")
                #expect(many.output == one.output, "\(name), \(n) workers: output differs")
                #expect(many.diagnostics == one.diagnostics, "\(name), \(n) workers: diagnostics differ")
            }
            if name == "in.ndjson" {
                #expect(one.diagnostics.contains { $0.line == 301 && $0.message.contains("not a Google Event resource") })
                #expect(one.diagnostics.contains { $0.message.contains("control character") && $0.uid == "bell@calport.test" })
            }
        }
    }

    @Test(.enabled(if: Paths.corpusAvailable, "../shared/corpus is not present"))
    func corpusIsTheSameOnAnyNumberOfThreads() throws {
        let dir = Paths.corpus.appendingPathComponent("ics")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".ics") }.sorted()
        for f in files.prefix(12) {
            try ParallelConversionTests.expectSame(dir.appendingPathComponent(f).path, workers: [2])
        }
    }
}
