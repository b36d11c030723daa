import CalendarModel
import Foundation
import GoogleCalendar
import ICalendar

/// Something events are written to.
protocol EventSink: AnyObject {
    func begin(_ info: CalendarInfo) throws
    func timeZone(_ def: TimeZoneDefinition) throws
    func event(_ e: Event, location: Int?) throws
    func end() throws
}

final class ICalendarSink: EventSink {
    private let writer: ICalendarWriter

    init(output: Output, fallbackTimestamp: LocalDateTime, diagnostics: DiagnosticSink) {
        writer = ICalendarWriter(fallbackTimestamp: fallbackTimestamp, diagnostics: diagnostics) { try output.write($0) }
    }

    func begin(_ info: CalendarInfo) throws { try writer.begin(info) }
    func timeZone(_ def: TimeZoneDefinition) throws { writer.addDefinition(def) }
    func event(_ e: Event, location: Int?) throws { try writer.write(e) }
    func end() throws { try writer.end() }
}

/// Google JSON: a `calendar#events` object (pretty-printed) or NDJSON (one event a line).
final class GoogleJSONSink: EventSink {
    private let output: Output
    private let ndjson: Bool
    private let options: MappingOptions
    private let sourceName: String
    private let sink: DiagnosticSink
    private var mapper: GoogleEventMapper
    private let encoder: JSONEncoder
    private var buffer = ""
    private var count = 0
    private var began = false

    init(output: Output, ndjson: Bool, options: MappingOptions, sourceName: String, diagnostics: DiagnosticSink,
         zoneEquivalent: (@Sendable (String, Int) -> String?)? = nil) {
        self.output = output
        self.ndjson = ndjson
        self.options = options
        self.sourceName = sourceName
        sink = diagnostics
        mapper = GoogleEventMapper(options: options)
        mapper.zoneEquivalent = zoneEquivalent
        encoder = ndjson ? JSONCodec.compactEncoder() : JSONCodec.prettyEncoder()
    }

    func begin(_ info: CalendarInfo) throws {
        guard !began else { return }
        began = true
        mapper.calendarTimeZone = info.timeZone
        guard !ndjson else { return }
        // The envelope's scalar fields first, then the items array streamed one by one.
        var head = GoogleEvents()
        head.kind = "calendar#events"
        head.summary = info.name
        head.description = info.description
        head.timeZone = info.timeZone
        var text = String(decoding: try encoder.encode(head), as: UTF8.self)
        // Re-open the object to append "items".
        text.removeLast()  // "}"
        while text.last == "\n" || text.last == " " { text.removeLast() }
        buffer += text + ",\n  \"items\" : ["
    }

    func timeZone(_ def: TimeZoneDefinition) throws {}

    // Overrides wait for their series (Google needs the series first, and an override whose
    // series never comes is written as a single event).
    private var seriesSeen: Set<String> = []
    private var waiting: [String: [(Event, Int?)]] = [:]
    private var waitingCount = 0
    static let maximumWaiting = 10_000

    func event(_ e: Event, location: Int?) throws {
        if !began { try begin(CalendarInfo()) }
        let uid = e.uid ?? ""
        if e.recurrenceID == nil {
            seriesSeen.insert(uid)
            try write(e, location: location)
            for (o, at) in waiting.removeValue(forKey: uid) ?? [] {
                waitingCount -= 1
                try write(o, location: at)
            }
            return
        }
        if seriesSeen.contains(uid) { return try write(e, location: location) }
        waiting[uid, default: []].append((e, location))
        waitingCount += 1
        if waitingCount > GoogleJSONSink.maximumWaiting { try flushOrphans() }
    }

    /// Writes the overrides whose series did not come as single events, each with a warning.
    private func flushOrphans() throws {
        for (uid, list) in waiting.sorted(by: { ($0.value.first?.1 ?? 0) < ($1.value.first?.1 ?? 0) }) {
            for (o, at) in list {
                sink.emit(Diagnostic(.warning, "override of \(o.recurrenceID.map { $0.icalValue } ?? "?") has no series event with this UID in the input; written as a single event (its RECURRENCE-ID is kept in extendedProperties)",
                                     file: sourceName, line: at, uid: uid))
                var single = o
                if let r = o.recurrenceID {
                    single.properties.append(Property(name: "RECURRENCE-ID", parameters: r.icalParameters, value: r.icalValue))
                }
                single.recurrenceID = nil
                try write(single, location: at)
            }
        }
        waiting = [:]
        waitingCount = 0
    }

    private func write(_ e: Event, location: Int?) throws {
        let g = mapper.googleEvent(from: e) { d in
            var d = d
            d.file = sourceName
            d.line = location
            sink.emit(d)
        }
        if ndjson {
            buffer += FastJSON.compact(g)
            buffer += "\n"
        } else {
            buffer += count == 0 ? "\n    " : ",\n    "
            buffer += FastJSON.pretty(g, depth: 2)
        }
        count += 1
        if buffer.utf8.count >= 64 << 10 {
            try output.write(buffer)
            buffer = ""
        }
    }

    func end() throws {
        if !began { try begin(CalendarInfo()) }
        try flushOrphans()
        if !ndjson { buffer += count == 0 ? "]\n}\n" : "\n  ]\n}\n" }
        try output.write(buffer)
        buffer = ""
    }
}
