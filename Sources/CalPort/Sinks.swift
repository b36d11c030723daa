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
    private var buffer: [UInt8] = []
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

    /// The mapper events are mapped with once the calendar began with `info`.
    func mapper(beganWith info: CalendarInfo) -> GoogleEventMapper {
        var m = mapper
        m.calendarTimeZone = info.timeZone
        return m
    }

    func begin(_ info: CalendarInfo) throws {
        guard !began else { return }
        began = true
        mapper = mapper(beganWith: info)
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
        buffer += Array((text + ",\n  \"items\" : [").utf8)
    }

    func timeZone(_ def: TimeZoneDefinition) throws {}

    // Overrides wait for their series (Google needs the series first, and an override whose
    // series never comes is written as a single event).
    private enum Held {
        case event(Event, location: Int?)
        case rendered(RenderedEvent)
        var location: Int? {
            switch self {
            case .event(_, let at): return at
            case .rendered(let r): return r.location
            }
        }
    }
    private var seriesSeen: Set<String> = []
    private var waiting: [String: [Held]] = [:]
    private var waitingCount = 0
    static let maximumWaiting = 10_000
    private static let firstSeparator = Array("\n    ".utf8), separator = Array(",\n    ".utf8)

    func event(_ e: Event, location: Int?) throws {
        try place(uid: e.uid ?? "", isOverride: e.recurrenceID != nil, .event(e, location: location))
    }

    /// An event mapped and serialised by `render` (on any thread), placed here in input order:
    /// the same output and diagnostics as `event(_:location:)` with the event itself.
    func event(_ r: RenderedEvent) throws {
        try place(uid: r.uid, isOverride: r.isOverride, .rendered(r))
    }

    private func place(uid: String, isOverride: Bool, _ item: Held) throws {
        if !began { try begin(CalendarInfo()) }
        if !isOverride {
            seriesSeen.insert(uid)
            try write(item)
            for o in waiting.removeValue(forKey: uid) ?? [] {
                waitingCount -= 1
                try write(o)
            }
            return
        }
        if seriesSeen.contains(uid) { return try write(item) }
        waiting[uid, default: []].append(item)
        waitingCount += 1
        if waitingCount > GoogleJSONSink.maximumWaiting { try flushOrphans() }
    }

    /// Writes the overrides whose series did not come as single events, each with a warning.
    private func flushOrphans() throws {
        for (uid, list) in waiting.sorted(by: { ($0.value.first?.location ?? 0) < ($1.value.first?.location ?? 0) }) {
            for held in list {
                let (o, at, m): (Event, Int?, GoogleEventMapper)
                switch held {
                case .event(let e, let location): (o, at, m) = (e, location, mapper)
                case .rendered(let r): (o, at, m) = (r.event ?? Event(), r.location, r.mapper ?? mapper)
                }
                sink.emit(Diagnostic(.warning, "override of \(o.recurrenceID.map { $0.icalValue } ?? "?") has no series event with this UID in the input; written as a single event (its RECURRENCE-ID is kept in extendedProperties)",
                                     file: sourceName, line: at, uid: uid))
                var single = o
                if let r = o.recurrenceID {
                    single.properties.append(Property(name: "RECURRENCE-ID", parameters: r.icalParameters, value: r.icalValue))
                }
                single.recurrenceID = nil
                try write(.event(single, location: at), mapper: m)
            }
        }
        waiting = [:]
        waitingCount = 0
    }

    /// Maps and serialises one event: the text `write` appends (an NDJSON line, or the
    /// pretty-printed item without its separator) and the mapping's diagnostics.
    static func render(_ e: Event, location: Int?, mapper: GoogleEventMapper, ndjson: Bool, sourceName: String) -> (text: [UInt8], diagnostics: [Diagnostic]) {
        var diagnostics: [Diagnostic] = []
        let g = mapper.googleEvent(from: e) { d in
            var d = d
            d.file = sourceName
            d.line = location
            diagnostics.append(d)
        }
        var text: [UInt8] = []
        if ndjson {
            FastJSON.compact(g, into: &text)
            text.append(0x0A)
        } else {
            FastJSON.pretty(g, depth: 2, into: &text)
        }
        return (text, diagnostics)
    }

    /// `render` for a worker thread, keeping what `event(_: RenderedEvent)` needs.
    static func render(_ e: Event, location: Int?, mapper: GoogleEventMapper, ndjson: Bool, sourceName: String) -> RenderedEvent {
        let (text, diagnostics) = render(e, location: location, mapper: mapper, ndjson: ndjson, sourceName: sourceName)
        let isOverride = e.recurrenceID != nil
        return RenderedEvent(uid: e.uid ?? "", isOverride: isOverride, text: text, diagnostics: diagnostics,
                             location: location, event: isOverride ? e : nil, mapper: isOverride ? mapper : nil)
    }

    private func write(_ item: Held, mapper m: GoogleEventMapper? = nil) throws {
        let text: [UInt8]
        switch item {
        case .event(let e, let location):
            let r: (text: [UInt8], diagnostics: [Diagnostic]) = GoogleJSONSink.render(e, location: location, mapper: m ?? mapper, ndjson: ndjson, sourceName: sourceName)
            for d in r.diagnostics { sink.emit(d) }
            text = r.text
        case .rendered(let r):
            for d in r.diagnostics { sink.emit(d) }
            text = r.text
        }
        if !ndjson { buffer += count == 0 ? GoogleJSONSink.firstSeparator : GoogleJSONSink.separator }
        buffer += text
        count += 1
        if buffer.count >= 64 << 10 {
            try output.write(bytes: buffer)
            buffer.removeAll(keepingCapacity: true)
        }
    }

    func end() throws {
        if !began { try begin(CalendarInfo()) }
        try flushOrphans()
        if !ndjson { buffer += Array((count == 0 ? "]\n}\n" : "\n  ]\n}\n").utf8) }
        try output.write(bytes: buffer)
        buffer = []
    }
}

/// One event mapped and serialised apart from `GoogleJSONSink` (see `GoogleJSONSink.render`).
struct RenderedEvent: Sendable {
    var uid: String
    var isOverride: Bool
    /// UTF-8: an NDJSON line, or a pretty-printed item without its separator.
    var text: [UInt8]
    /// The mapping's diagnostics, emitted when the event is written.
    var diagnostics: [Diagnostic]
    var location: Int?
    /// Overrides only: one whose series never comes is mapped again as a single event.
    var event: Event?
    var mapper: GoogleEventMapper?
}
