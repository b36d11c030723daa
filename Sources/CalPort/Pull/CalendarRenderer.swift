import CalendarModel
import Foundation
import GoogleAPI
import GoogleCalendar
import ICalendar

/// What rendering a calendar produced.
public struct RenderSummary: Sendable, Codable, Equatable {
    /// Events written (a series with its overrides counts each VEVENT).
    public var events = 0
    /// Cancelled occurrences folded into their series as EXDATE.
    public var foldedCancellations = 0
    /// Cancelled entries that carry no start (Google tombstones whose series is not in the
    /// listing, deleted events): an iCalendar VEVENT needs a DTSTART, so they are left out.
    public var skippedTombstones = 0
    public init() {}
}

/// Turns Google Event resources into a calendar file. The iCalendar path is the one
/// `calport convert events.json --to ics` takes (cancelled occurrences folded into their series,
/// `GoogleEventMapper`, `ICalendarWriter` with its VTIMEZONEs from tzdata); the items are first
/// put in a stable order (iCalUID, the series before its overrides, overrides by original
/// start), so the same events always give the same bytes.
public enum CalendarRenderer {
    /// The order events are written in.
    public static func sorted(_ items: [GoogleEvent]) -> [GoogleEvent] {
        items.sorted { a, b in key(a) < key(b) }
    }

    private static func key(_ g: GoogleEvent) -> (String, Int, String, String) {
        let o = g.originalStartTime
        return (g.iCalUID ?? ((g.id ?? "") + "@google.com"), o == nil ? 0 : 1, o?.dateTime ?? o?.date ?? "", g.id ?? "")
    }

    /// The neutral events of a listing, in writing order.
    public static func events(_ items: [GoogleEvent], info: CalendarInfo, mapping: MappingOptions,
                              diagnostics: DiagnosticSink, summary: inout RenderSummary) -> [Event] {
        let mapper = GoogleEventMapper(options: mapping, calendarTimeZone: info.timeZone)
        let ordered = sorted(items)
        let folded = mapper.foldingCancelledOccurrences(ordered) { diagnostics.emit($0) }
        summary.foldedCancellations += ordered.count - folded.count
        var out: [Event] = []
        out.reserveCapacity(folded.count)
        for g in folded {
            if g.status == "cancelled" && g.start == nil {
                summary.skippedTombstones += 1
                continue
            }
            let e = mapper.event(from: g) { diagnostics.emit($0) }
            // A series calport made for overrides pushed without one: the .ics has the overrides.
            if !SeriesShapes.isSyntheticSeries(e) { out.append(e) }
        }
        return out
    }

    /// Writes an iCalendar VCALENDAR: X-WR-CALNAME, X-WR-TIMEZONE (and X-WR-CALDESC) from the
    /// calendar, a VTIMEZONE for every zone used, each series followed by its overrides.
    public static func writeICalendar(_ items: [GoogleEvent], info: CalendarInfo, mapping: MappingOptions,
                                      fallbackTimestamp: LocalDateTime, diagnostics: DiagnosticSink,
                                      to output: @escaping (String) throws -> Void) throws -> RenderSummary {
        var summary = RenderSummary()
        let list = events(items, info: info, mapping: mapping, diagnostics: diagnostics, summary: &summary)
        let writer = ICalendarWriter(fallbackTimestamp: fallbackTimestamp, diagnostics: diagnostics, output: output)
        try writer.begin(info)
        for e in list { try writer.write(e) }
        try writer.end()
        summary.events = list.count
        return summary
    }

    /// Writes a Google `calendar#events` object (summary, description, timeZone, items), the
    /// items exactly as Google sent them, in the stable order.
    public static func writeJSON(_ items: [GoogleEvent], info: CalendarInfo, to output: (String) throws -> Void) throws -> RenderSummary {
        var head = GoogleEvents()
        head.kind = "calendar#events"
        head.summary = info.name
        head.description = info.description
        head.timeZone = info.timeZone
        var text = String(decoding: try JSONCodec.prettyEncoder().encode(head), as: UTF8.self)
        text.removeLast()  // the closing brace: "items" is appended
        while text.last == "\n" || text.last == " " { text.removeLast() }
        var buffer = text + ",\n  \"items\" : ["
        let ordered = sorted(items)
        for (i, g) in ordered.enumerated() {
            buffer += i == 0 ? "\n    " : ",\n    "
            buffer += FastJSON.pretty(g, depth: 2)
            if buffer.utf8.count >= 64 << 10 {
                try output(buffer)
                buffer = ""
            }
        }
        buffer += ordered.isEmpty ? "]\n}\n" : "\n  ]\n}\n"
        try output(buffer)
        var summary = RenderSummary()
        summary.events = ordered.count
        return summary
    }

    /// Writes one Google Event resource per line, exactly as Google sent it, in the stable order.
    public static func writeNDJSON(_ items: [GoogleEvent], to output: (String) throws -> Void) throws -> RenderSummary {
        var buffer = ""
        let ordered = sorted(items)
        for g in ordered {
            buffer += FastJSON.compact(g)
            buffer += "\n"
            if buffer.utf8.count >= 64 << 10 {
                try output(buffer)
                buffer = ""
            }
        }
        try output(buffer)
        var summary = RenderSummary()
        summary.events = ordered.count
        return summary
    }

    /// The calendar as `calport verify` compares it (only what it compares of each event:
    /// `Verifier.Entry`, its texts through `texts` when given).
    public static func loaded(_ items: [GoogleEvent], info: CalendarInfo, mapping: MappingOptions,
                              diagnostics: DiagnosticSink, texts: Verifier.TextPool? = nil) -> LoadedCalendar {
        var summary = RenderSummary()
        let list = events(items, info: info, mapping: mapping, diagnostics: diagnostics, summary: &summary)
        var loaded = LoadedCalendar(document: CalendarDocument(info: info), locations: list.map { _ in nil },
                                    format: .json) { TimeZoneNames.utcOffset(tzid: $0, at: $1) }
        loaded.entries = list.map { Verifier.Entry($0, texts: texts) }
        return loaded
    }

    /// A file name for a calendar id: `/` and a leading dot, which a file name cannot hold or
    /// would hide, are percent-encoded, as is `%` itself.
    public static func fileName(forCalendarId id: String) -> String {
        var out = ""
        for (i, c) in id.enumerated() {
            switch c {
            case "/": out += "%2F"
            case "%": out += "%25"
            case "." where i == 0: out += "%2E"
            case "\0": out += "%00"
            default: out.append(c)
            }
        }
        return out.isEmpty ? "%" : out
    }
}
