import CalendarModel
import Foundation
import GoogleAPI
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
        writer = ICalendarWriter(fallbackTimestamp: fallbackTimestamp, diagnostics: diagnostics, bytes: { try output.write(bytes: $0) })
    }

    func begin(_ info: CalendarInfo) throws { try writer.begin(info) }
    func timeZone(_ def: TimeZoneDefinition) throws { writer.addDefinition(def) }
    func event(_ e: Event, location: Int?) throws { try writer.write(e) }
    /// An event a source's worker already wrote (`StreamItem.encoded`).
    func write(_ encoded: ICalendarWriter.EncodedEvent) throws { try writer.write(encoded) }
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

    /// Series the reader rejected: their overrides are left out too (Google takes no exception
    /// of a series it does not have).
    private var rejectedSeries: Set<String> = []
    static let seriesRejected = "the series of this occurrence was rejected, so the occurrence is left out too"

    private static func isRejected(_ item: Held) -> Bool {
        switch item {
        case .event(let e, _): return e.rejection != nil
        case .rendered(let r): return r.text.isEmpty
        }
    }

    private func leaveOut(_ override: Held, uid: String) {
        sink.emit(Diagnostic(.error, GoogleJSONSink.seriesRejected, file: sourceName, line: override.location, uid: uid))
    }

    private func place(uid: String, isOverride: Bool, _ item: Held) throws {
        if !began { try begin(CalendarInfo()) }
        if !isOverride && Self.isRejected(item) {
            // A file may repeat a series (iTIP messages one after another): a valid copy keeps
            // its overrides.
            if seriesSeen.contains(uid) { return }
            rejectedSeries.insert(uid)
            let overrides = waiting.removeValue(forKey: uid) ?? []
            waitingCount -= overrides.count
            for o in overrides where !Self.isRejected(o) { leaveOut(o, uid: uid) }
            return
        }
        if isOverride && rejectedSeries.contains(uid) {
            if !Self.isRejected(item) { leaveOut(item, uid: uid) }
            return
        }
        if !isOverride {
            try flushHeld()
            seriesSeen.insert(uid)
            rejectedSeries.remove(uid)
            let overrides = waiting.removeValue(forKey: uid) ?? []
            waitingCount -= overrides.count
            // A series whose overrides may change it (an all-day series, one with EXDATEs) is
            // held until the input moves on to another UID: exports write the overrides next.
            if let e = Self.model(item), e.isRecurring, e.start?.isDate == true || !e.exceptionDates.isEmpty {
                held = HeldSeries(uid: uid, series: item, overrides: [])
                for o in overrides { hold(o) }
                return
            }
            try write(item)
            for o in overrides { try write(o) }
            return
        }
        if held?.uid == uid { return hold(item) }
        if seriesSeen.contains(uid) { return try write(item) }
        waiting[uid, default: []].append(item)
        waitingCount += 1
        if waitingCount > GoogleJSONSink.maximumWaiting { try flushOrphans() }
    }

    /// The last series, held with its overrides while they may still change it.
    private struct HeldSeries {
        var uid: String
        var series: Held
        var overrides: [Held]
        var changed = false
    }
    private var held: HeldSeries?

    /// The model behind a held item, when it was kept (overrides, and series that may change).
    private static func model(_ item: Held) -> Event? {
        switch item {
        case .event(let e, _): return e
        case .rendered(let r): return r.event
        }
    }

    /// An override of the held series: the shapes `SeriesShapes.repair` mends are mended here.
    private func hold(_ item: Held) {
        guard var h = held, let series = Self.model(h.series), let override = Self.model(item) else {
            held?.overrides.append(item)
            return
        }
        var pair = [series, override]
        SeriesShapes.repair(&pair) { d in
            var d = d
            d.file = sourceName
            d.line = item.location
            sink.emit(d)
        }
        if pair[0] != series {
            h.series = .event(pair[0], location: h.series.location)
            h.changed = true
        }
        h.overrides.append(pair[1] != override ? .event(pair[1], location: item.location) : item)
        held = h
    }

    private func flushHeld() throws {
        guard let h = held else { return }
        held = nil
        try write(h.series)
        for o in h.overrides { try write(o) }
    }

    /// Writes the overrides whose series never came, each UID's after a series made for them
    /// (`SeriesShapes.repair`): Google holds one event per iCalUID, so several singles would collide.
    private func flushOrphans() throws {
        for (uid, all) in waiting.sorted(by: { ($0.value.first?.location ?? 0) < ($1.value.first?.location ?? 0) }) {
            let list = all.filter { !Self.isRejected($0) }
            if list.isEmpty { continue }
            var events = list.map { held -> Event in
                switch held {
                case .event(let e, _): return e
                case .rendered(let r): return r.event ?? Event()
                }
            }
            let at = list.first?.location
            SeriesShapes.repair(&events) { d in
                var d = d
                d.file = sourceName
                d.line = at
                sink.emit(d)
            }
            if let series = events.first(where: SeriesShapes.isSyntheticSeries) {
                try write(.event(series, location: at))
            } else {
                sink.emit(Diagnostic(.warning, "overrides without their series could not be given one", file: sourceName, line: at, uid: uid))
            }
            for held in list { try write(held) }
        }
        waiting = [:]
        waitingCount = 0
    }

    /// Maps and serialises one event: the text `write` appends (an NDJSON line, or the
    /// pretty-printed item without its separator) and the mapping's diagnostics.
    /// An event the reader rejected (`Event.rejection`, reported there) renders as no text:
    /// `write` leaves it out and the rest of the calendar is written.
    static func render(_ e: Event, location: Int?, mapper: GoogleEventMapper, ndjson: Bool, sourceName: String) -> (text: [UInt8], diagnostics: [Diagnostic]) {
        if e.rejection != nil { return ([], []) }
        var diagnostics: [Diagnostic] = []
        let g = mapper.googleEvent(from: e) { d in
            var d = d
            d.file = sourceName
            d.line = location
            diagnostics.append(d)
        }
        var text: [UInt8] = []
        // Most events are 1 to 4 kB of JSON: one allocation instead of growing through them.
        text.reserveCapacity(4096)
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
        // Kept for overrides (one whose series never comes is written again) and for series that
        // their overrides may change (see `place`).
        let keep = isOverride || (e.isRecurring && (e.start?.isDate == true || !e.exceptionDates.isEmpty))
        return RenderedEvent(uid: e.uid ?? "", isOverride: isOverride, text: text, diagnostics: diagnostics,
                             location: location, event: keep ? e : nil, mapper: keep ? mapper : nil)
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
        if text.isEmpty { return }  // rejected
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
        try flushHeld()
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
