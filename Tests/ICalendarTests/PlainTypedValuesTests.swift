import CalendarModel
import Foundation
import Testing

@testable import ICalendar

/// calport reads plain typed lines itself (`PlainTypedValues`) and gives the rest to libical:
/// wherever it reads an event itself, libical must read the same values and report nothing.
@Suite struct PlainTypedValuesTests {
    /// A VEVENT's raw component from its lines.
    static func component(_ lines: [String]) -> RawComponentText {
        let all = ["BEGIN:VEVENT"] + lines + ["END:VEVENT"]
        return RawComponentText(name: "VEVENT", lines: all.enumerated().map { LogicalLine(bytes: Array($0.element.utf8), number: $0.offset + 1) },
                                startLine: 1, truncated: false)
    }

    /// calport's reading, and libical's with its errors.
    static func both(_ raw: RawComponentText) -> (plain: [TypedValue]?, libical: [TypedValue], errors: [String]) {
        let parsed = LibicalComponent(parsing: raw.typedText)!
        return (PlainTypedValues.read(RawComponent(raw), truncated: raw.truncated), parsed.typedValues(), parsed.errors)
    }

    static let plainEvents: [[String]] = [
        ["UID:a", "DTSTART;TZID=Europe/Berlin:20240105T090000", "DTEND;TZID=Europe/Berlin:20240105T100000", "DTSTAMP:20240101T120000Z"],
        ["DTSTART;VALUE=DATE:20240229", "DTEND;VALUE=DATE:20240301", "SEQUENCE:12", "PRIORITY:5"],
        ["DTSTART:20240105T090000", "DURATION:PT1H30M", "CREATED:20231231T235959Z", "LAST-MODIFIED:20240102T030405"],
        ["DTSTART:20240105T090000Z", "DURATION:-P2W", "DTSTAMP:20240101T000000"],
        ["DTSTART;TZID=\"America/New_York\":20240310T023000", "DURATION:P1DT2H3M4S", "RRULE:FREQ=WEEKLY;COUNT=5",
         "EXDATE;TZID=\"America/New_York\":20240317T023000,20240324T023000", "RDATE;TZID=America/New_York:20240401T023000"],
        ["DTSTART;VALUE=DATE:20240101", "RRULE:FREQ=YEARLY", "EXDATE;VALUE=DATE:20250101,20260101", "RDATE;VALUE=DATE:20240615"],
        ["RECURRENCE-ID;TZID=Europe/Paris;RANGE=THISANDFUTURE:20240105T090000", "DTSTART;TZID=Europe/Paris:20240105T110000",
         "DURATION:PT90M", "SEQUENCE:007"],
        ["DTSTART;VALUE=DATE-TIME:20240105T090000", "DTEND;VALUE=DATE-TIME:20240105T093000", "EXRULE:FREQ=DAILY;COUNT=2",
         "BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER;RELATED=END:-PT15M", "REPEAT:2", "DURATION:PT5M", "END:VALARM",
         "BEGIN:VALARM", "ACTION:AUDIO", "TRIGGER;VALUE=DATE-TIME:20240105T080000Z", "END:VALARM",
         "BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER;VALUE=DURATION;RELATED=START:PT0S", "END:VALARM"],
        ["DTSTART:20240105T235959", "DURATION:P0D", "X-FOO;TZID=nothing:bar", "DESCRIPTION;LANGUAGE=en:DTSTART:20240101"],
    ]

    @Test(arguments: plainEvents.indices)
    func plainLinesReadAsLibicalReadsThem(_ i: Int) {
        let r = Self.both(Self.component(Self.plainEvents[i]))
        #expect(r.errors.isEmpty)
        #expect(r.plain != nil, "calport should read event \(i) itself")
        #expect(r.plain == r.libical)
    }

    /// Lines whose reading is not certain go to libical, so its values and errors are kept.
    static let otherEvents: [[String]] = [
        ["DTSTART:20240105t090000"],  // lower-case t
        ["DTSTART:20240230T090000"],  // no such day
        ["DTSTART:99999999T090000"],
        ["DTSTART:20240105T090000", "DTEND;VALUE=DATE:20240105T100000"],  // VALUE disagrees
        ["DTSTART;TZID=Europe/Berlin:20240105T090000Z"],  // TZID on a UTC time
        ["DTSTART;X-FOO=1:20240105T090000"],  // another parameter
        ["DTSTART:20240105T090000", "RDATE;VALUE=PERIOD:20240106T090000Z/PT1H"],
        ["DTSTART:20240105T090000", "DURATION:PT1H2S3M"],  // units out of order
        ["DTSTART:20240105T090000", "DURATION:P1W2D"],
        ["DTSTART:20240105T090000", "SEQUENCE:-1"],
        ["DTSTART:20240105T090000", "DTSTAMP:20240101"],
        ["DTSTART:20240105T090000", "EXDATE:20240106T090000,"],  // an empty item
        ["DTSTART:20240105T090000", "BEGIN:VALARM", "TRIGGER;RELATED=LATER:-PT15M", "END:VALARM"],
        ["DTSTART:20240105T090000", "BEGIN:VALARM", "TRIGGER:-PT15M", "DTSTART:20240101T000000", "END:VALARM"],
        ["DTSTART:20240105T090000", "BEGIN:VTODO", "END:VTODO"],
        ["DTSTART:20240105T090000", "this is not a content line"],
        ["DTSTART:20240105T090000", "RRULE:"],  // libical reports an empty rule
    ]

    @Test(arguments: otherEvents.indices)
    func otherLinesGoToLibical(_ i: Int) {
        let raw = Self.component(Self.otherEvents[i])
        #expect(PlainTypedValues.read(RawComponent(raw), truncated: false) == nil)
    }

    @Test func aCutEventGoesToLibical() {
        let whole = Self.component(["DTSTART:20240105T090000"])
        let raw = RawComponentText(name: "VEVENT", lines: Array(whole.lines.dropLast()), startLine: 1, truncated: true)
        #expect(PlainTypedValues.read(RawComponent(raw), truncated: true) == nil)
    }

    @Test func durations() {
        #expect(PlainTypedValues.duration("PT90M") == ICalDuration(minutes: 90))
        #expect(PlainTypedValues.duration("-P1DT12H") == ICalDuration(isNegative: true, days: 1, hours: 12))
        #expect(PlainTypedValues.duration("+P3W") == ICalDuration(weeks: 3))
        for bad in ["P", "PT", "P1", "1D", "PT1H1H", "P1DT", "P1W1D", "PT1D", "P1234567890D", "pt1h"] {
            #expect(PlainTypedValues.duration(bad) == nil, "\(bad)")
        }
    }

    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/corpus/ics")

    /// Every VEVENT of the public corpus that calport reads itself: libical reads the same
    /// values and reports nothing. Most of them must be read this way, or the fast path is gone.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: corpus.path), "../shared/corpus/ics is not present"))
    func corpusEventsReadAsLibicalReadsThem() throws {
        let files = FileManager.default.enumerator(atPath: Self.corpus.path)!.compactMap { $0 as? String }.filter { $0.hasSuffix(".ics") }
        var plain = 0, total = 0
        var mismatches: [String] = []
        for file in files {
            guard let data = FileManager.default.contents(atPath: Self.corpus.appendingPathComponent(file).path) else { continue }
            var scanner = ComponentScanner(reader: LineReader(.bytes(Array(data))))
            while let item = try scanner.next() {
                guard case .component(let raw) = item, raw.name == "VEVENT" else { continue }
                total += 1
                guard let mine = PlainTypedValues.read(RawComponent(raw), truncated: raw.truncated) else { continue }
                plain += 1
                guard let parsed = LibicalComponent(parsing: raw.typedText) else {
                    mismatches.append("\(file):\(raw.startLine): libical found no component")
                    continue
                }
                if !parsed.errors.isEmpty {
                    mismatches.append("\(file):\(raw.startLine): libical reports \(parsed.errors)")
                } else if parsed.typedValues() != mine {
                    mismatches.append("\(file):\(raw.startLine): libical reads \(parsed.typedValues()), calport \(mine)")
                }
            }
        }
        print("corpus: \(total) VEVENTs, \(plain) read by calport itself, \(mismatches.count) differ from libical")
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
        #expect(plain * 10 >= total * 8, "only \(plain) of \(total) events were plain")
    }
}
