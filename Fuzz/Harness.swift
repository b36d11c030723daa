// The work one fuzz input goes through: the same stages `calport convert` and `calport verify`
// run, called on bytes in memory. Compiled into each fuzz target (see run.sh); a crash, a
// trap, a sanitizer report, a timeout or the memory limit is a finding, everything else
// (diagnostics included) is the expected outcome for malformed input.
import CLibical
import CalendarModel
import Foundation
import GoogleCalendar
import ICalendar

enum FuzzHarness {
    /// The window and per-series cap `calport verify` uses by default.
    static let window = (
        start: LocalDateTime(year: 1900, month: 1, day: 1).secondsSinceEpoch,
        end: LocalDateTime(year: 2100, month: 1, day: 1).secondsSinceEpoch
    )
    static let limitPerSeries = 2000
    static let timestamp = LocalDateTime(year: 2024, month: 1, day: 1)

    /// .ics bytes → model (streaming reader) → Google JSON, plus recurrence expansion and the
    /// .ics writer on every event read.
    static func icsToGoogle(_ bytes: [UInt8]) {
        let diagnostics = DiagnosticCollector()
        let reader = ICalendarReader(bytes: bytes, name: "fuzz.ics", diagnostics: diagnostics)
        var mapper = GoogleEventMapper()
        mapper.zoneEquivalent = { [reader = UncheckedBox(reader)] tzid, year in
            reader.value.ianaEquivalent(ofInputZone: tzid, around: year)
        }
        var written = 0
        let writer = ICalendarWriter(fallbackTimestamp: timestamp, diagnostics: diagnostics) { written += $0.utf8.count }
        let offset: (String, LocalDateTime) -> Int? = { z, l in
            reader.utcOffset(tzid: z, at: l) ?? TimeZoneNames.utcOffset(tzid: z, at: l)
        }
        do {
            while let item = try reader.next() {
                switch item {
                case .calendar(let info):
                    mapper.calendarTimeZone = info.timeZone
                    try writer.begin(info)
                case .timeZone(let def):
                    writer.addDefinition(def)
                case .event(let e, _):
                    let g = mapper.googleEvent(from: e) { diagnostics.emit($0) }
                    checkJSON(FastJSON.compact(g))
                    _ = FastJSON.pretty(g, depth: 2)
                    _ = RecurrenceExpander.expand(e, windowStart: window.start, windowEnd: window.end,
                                                  limit: limitPerSeries, utcOffset: offset)
                    try writer.write(e)
                case .skipped:
                    break
                }
            }
            try writer.end()
        } catch is ICalendarReadError {
            // A read error is a diagnostic the CLI prints; nothing more to check.
        } catch {
            fatalError("unexpected error from the .ics path: \(error)")
        }
    }

    /// Google JSON bytes → model (as GoogleJSONSource decodes them) → .ics text, then that text
    /// read back by the .ics reader, plus recurrence expansion of each event.
    static func googleToICS(_ bytes: [UInt8]) {
        let diagnostics = DiagnosticCollector()
        let data = Data(bytes)
        let decoder = JSONDecoder()
        // calport's own reader of one event: what it reads, JSONDecoder must read the same.
        if let fast = FastJSONReader.event(bytes) {
            guard let slow = try? decoder.decode(GoogleEvent.self, from: data) else {
                fatalError("FastJSONReader read an event that JSONDecoder refuses")
            }
            guard slow == fast else { fatalError("FastJSONReader and JSONDecoder read different events") }
        }
        var items: [GoogleEvent]
        var info = CalendarInfo()
        do {
            if bytes.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) == UInt8(ascii: "[") {
                items = try decoder.decode([GoogleEvent].self, from: data)
            } else {
                let envelope = try decoder.decode(GoogleEvents.self, from: data)
                if let list = envelope.items {
                    items = list
                    info.name = envelope.summary
                    info.description = envelope.description
                    info.timeZone = envelope.timeZone
                } else if envelope.kind == "calendar#events" {
                    items = []
                } else {
                    items = [try decoder.decode(GoogleEvent.self, from: data)]
                }
            }
        } catch {
            return  // "not Google Calendar JSON": a diagnostic in the CLI.
        }
        let mapper = GoogleEventMapper(calendarTimeZone: info.timeZone)
        items = mapper.foldingCancelledOccurrences(items) { diagnostics.emit($0) }
        var text = ""
        let writer = ICalendarWriter(fallbackTimestamp: timestamp, diagnostics: diagnostics) { text += $0 }
        do {
            try writer.begin(info)
            for g in items {
                let e = mapper.event(from: g) { diagnostics.emit($0) }
                _ = RecurrenceExpander.expand(e, windowStart: window.start, windowEnd: window.end,
                                              limit: limitPerSeries, utcOffset: TimeZoneNames.utcOffset)
                try writer.write(e)
            }
            try writer.end()
        } catch {
            fatalError("unexpected error from the .ics writer: \(error)")
        }
        // What calport writes, calport must read back without a read error.
        do {
            _ = try ICalendarReader.readDocument(bytes: Array(text.utf8), name: "written.ics", diagnostics: diagnostics)
        } catch {
            fatalError("calport's own .ics output could not be read back: \(error)")
        }
    }

    /// Fuzz bytes cut at 0xFF into strings (as UTF-8, invalid sequences replaced); string `k`
    /// fills the `k`-th string field, cycling when there are fewer strings than fields.
    static func writerHoldsAnyText(_ bytes: [UInt8]) {
        let pieces = bytes.split(separator: 0xFF, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        let hostile = writeEventText(pieces)
        let plain = writeEventText(pieces.map { s in
            String(s.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F || (0x80..<0xA0).contains($0.value) ? "x" : Character($0) })
        })
        let (a, b) = (icsShape(hostile), icsShape(plain))
        guard a == b, a.filter({ $0.hasPrefix("VEVENT") }).count == 1 else {
            fatalError("text in a field changed the .ics structure: \(a) vs \(b)\n\(hostile)")
        }
    }

    /// One event (and its calendar) with `strings` in every string field, written as .ics.
    static func writeEventText(_ strings: [String]) -> String {
        var k = 0
        func next() -> String {
            defer { k += 1 }
            return strings.isEmpty ? "" : strings[k % strings.count]
        }
        var g = GoogleEvent()
        g.iCalUID = "uid-" + next()
        g.summary = next()
        g.description = next()
        g.location = next()
        g.colorId = next()
        g.start = EventDateTime(dateTime: "2025-03-01T10:00:00+01:00", timeZone: "Europe/Berlin")
        g.end = EventDateTime(dateTime: "2025-03-01T11:00:00+01:00", timeZone: "Europe/Berlin")
        g.organizer = GoogleEvent.Person(email: "o-" + next() + "@example.com", displayName: next())
        var attendee = GoogleEvent.Attendee()
        attendee.email = "a-" + next() + "@example.com"
        attendee.displayName = next()
        attendee.comment = next()
        g.attendees = [attendee]
        var properties = GoogleEvent.ExtendedProperties()
        properties.private = ["k" + next(): next()]
        properties.shared = ["s" + next(): next()]
        g.extendedProperties = properties
        var source = GoogleEvent.Source()
        source.url = "https://example.com/" + next()
        source.title = next()
        g.source = source
        var attachment = GoogleEvent.EventAttachment()
        attachment.fileUrl = "https://example.com/f/" + next()
        attachment.title = next()
        attachment.mimeType = "text/" + next()
        g.attachments = [attachment]
        let diagnostics = DiagnosticCollector()
        let mapper = GoogleEventMapper(calendarTimeZone: "Europe/Berlin")
        var info = CalendarInfo()
        info.name = next()
        info.description = next()
        var text = ""
        let writer = ICalendarWriter(fallbackTimestamp: timestamp, diagnostics: diagnostics) { text += $0 }
        do {
            try writer.begin(info)
            try writer.write(mapper.event(from: g) { diagnostics.emit($0) })
            try writer.end()
        } catch {
            fatalError("unexpected error from the .ics writer: \(error)")
        }
        return text
    }

    /// What libical reads: each component's name and number of properties, in document order.
    static func icsShape(_ text: String) -> [String] {
        guard let root = text.withCString({ icalparser_parse_string($0) }) else { return [] }
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

    /// FastJSON writes Google JSON by hand: what it writes must be valid JSON for the same resource.
    static func checkJSON(_ json: String) {
        do {
            _ = try JSONDecoder().decode(GoogleEvent.self, from: Data(json.utf8))
        } catch {
            fatalError("FastJSON wrote JSON that does not decode: \(error)\n\(json)")
        }
    }
}

/// The reader is used from this thread only; the mapper's hook type asks for Sendable.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
