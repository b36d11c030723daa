import CalendarModel

/// Writes RFC 5545 text as a stream: calendar header, then events, each preceded by the
/// VTIMEZONEs it is the first to use. Output bytes depend only on the input.
public final class ICalendarWriter {
    private enum Destination {
        case text((String) throws -> Void)
        case bytes(([UInt8]) throws -> Void)
    }
    private let output: Destination
    private let sink: DiagnosticSink
    /// The calendar's lines not yet handed over.
    private var lines = ContentLineText()
    private var sourceDefinitions: [String: TimeZoneDefinition] = [:]
    private var writtenZones: Set<String> = []
    private var began = false
    /// Used as DTSTAMP for events that carry neither DTSTAMP, LAST-MODIFIED nor CREATED.
    private let fallbackTimestamp: LocalDateTime
    public private(set) var eventsWritten = 0

    public static let productID = "-//calport//calport//EN"

    /// `output` receives the text in pieces of about 64 KiB.
    public init(fallbackTimestamp: LocalDateTime, diagnostics: DiagnosticSink, output: @escaping (String) throws -> Void) {
        self.output = .text(output)
        self.sink = diagnostics
        self.fallbackTimestamp = fallbackTimestamp
    }

    /// `output` receives the UTF-8 text in pieces of about 64 KiB.
    public init(fallbackTimestamp: LocalDateTime, diagnostics: DiagnosticSink, bytes output: @escaping ([UInt8]) throws -> Void) {
        self.output = .bytes(output)
        self.sink = diagnostics
        self.fallbackTimestamp = fallbackTimestamp
    }

    /// A VTIMEZONE from the input; written (once) before the first event that uses its TZID.
    public func addDefinition(_ def: TimeZoneDefinition) {
        if sourceDefinitions[def.tzid] == nil { sourceDefinitions[def.tzid] = def }
    }

    public func begin(_ info: CalendarInfo) throws {
        guard !began else { return }
        began = true
        line("BEGIN:VCALENDAR")
        line("VERSION:2.0")
        line("PRODID:" + (info.productID ?? ICalendarWriter.productID))
        line("CALSCALE:GREGORIAN")
        if let m = info.method { line("METHOD:" + m) }
        if let n = info.name { line("X-WR-CALNAME:" + ICalText.escape(n)) }
        if let d = info.description { line("X-WR-CALDESC:" + ICalText.escape(d)) }
        if let z = info.timeZone { line("X-WR-TIMEZONE:" + z) }
        for p in info.properties {
            lines.property(p)
            lines.endLine()
        }
        emitDiagnostics()
        try flushIfNeeded()
    }

    public func write(_ event: Event) throws {
        if !began { try begin(CalendarInfo()) }
        writeZones(ICalendarWriter.zonesUsed(by: event), uid: event.uid)
        lines.uid = event.uid
        lines.reportedControls = false
        lines.encode(event, fallbackTimestamp: fallbackTimestamp)
        lines.uid = nil
        emitDiagnostics()
        eventsWritten += 1
        try flushIfNeeded()
    }

    /// An event written as iCalendar text by `encode`, on any thread.
    public struct EncodedEvent: Sendable {
        /// Its lines, folded, CRLF-terminated.
        public var bytes: [UInt8]
        /// What writing it reported.
        public var diagnostics: [Diagnostic]
        /// The TZIDs it names, in the order `write(_: Event)` meets them.
        public var zones: [String]
        /// The event's UID, which a diagnostic about one of its zones names.
        public var uid: String?
    }

    /// The text `write(_: Event)` would write for `event` (without the VTIMEZONEs it is the
    /// first to use, which only the writer knows), made apart from any writer so that worker
    /// threads can make it; `write(_: EncodedEvent)` puts it in the calendar.
    public static func encode(_ event: Event, fallbackTimestamp: LocalDateTime) -> EncodedEvent {
        var text = ContentLineText()
        text.uid = event.uid
        text.encode(event, fallbackTimestamp: fallbackTimestamp)
        return EncodedEvent(bytes: text.bytes, diagnostics: text.diagnostics, zones: zonesUsed(by: event), uid: event.uid)
    }

    /// Writes an event `encode` made: the same bytes and diagnostics, in the same order, as
    /// `write(_: Event)` of the event it was made from.
    public func write(_ encoded: EncodedEvent) throws {
        if !began { try begin(CalendarInfo()) }
        writeZones(encoded.zones, uid: encoded.uid)
        lines.bytes.append(contentsOf: encoded.bytes)
        for d in encoded.diagnostics { sink.emit(d) }
        eventsWritten += 1
        try flushIfNeeded()
    }

    /// Writes into a calendar whose envelope another writer keeps (a file rewritten in place,
    /// `ICalendarLayout`): no header and, with `finish()` instead of `end()`, no END:VCALENDAR.
    /// `zonesPresent`: TZIDs whose VTIMEZONE the calendar already holds, not written again.
    public func beginFragment(zonesPresent: Set<String>) {
        began = true
        writtenZones.formUnion(zonesPresent)
    }

    /// Hands over what is buffered, without END:VCALENDAR (after `beginFragment`).
    public func finish() throws {
        try flush()
    }

    public func end() throws {
        if !began { try begin(CalendarInfo()) }
        line("END:VCALENDAR")
        try flush()
    }

    // MARK: - Events

    /// The TZIDs an event names, in the order the writer meets them.
    public static func zonesUsed(by e: Event) -> [String] {
        var out: [String] = []
        func add(_ t: EventTime?) { if let z = t?.tzid, !out.contains(z) { out.append(z) } }
        add(e.start); add(e.end); add(e.recurrenceID)
        for r in e.recurrenceDates {
            switch r {
            case .time(let t): add(t)
            case .period(let s, let en): add(s); add(en)
            case .periodWithDuration(let s, _): add(s)
            }
        }
        e.exceptionDates.forEach { add($0) }
        return out
    }

    // MARK: - Zones

    /// The VTIMEZONEs of the TZIDs an event names that no event before it named.
    private func writeZones(_ tzids: [String], uid: String?) {
        for tzid in tzids where writtenZones.insert(tzid).inserted { writeZone(tzid, uid: uid) }
    }

    private func writeZone(_ tzid: String, uid: String?) {
        guard let def = sourceDefinitions[tzid] ?? Self.databaseDefinition(tzid: tzid) else {
            sink.emit(Diagnostic(.warning, "no VTIMEZONE can be written for TZID \"\(tzid)\": it is not in the tz database", uid: uid))
            return
        }
        def.lines.forEach(line)
        emitDiagnostics()
    }

    /// The VTIMEZONE the writer gives a TZID no input defines: from the tz database's own
    /// data when the TZID names a zone there, else libical's built-in zone; nil for neither.
    public static func databaseDefinition(tzid: String) -> TimeZoneDefinition? {
        let name = tzid.hasPrefix("/") ? TimeZoneRegistry.ianaSuffix(of: tzid) : tzid
        if let name, let zone = Libical.lock.withLock({ ZoneMatcher.loadTzif(named: name) }) {
            return TimeZoneDefinition(tzid: tzid, lines: VTimezoneGenerator.lines(tzid: tzid, zone: zone))
        }
        guard let text = LibicalZone(builtin: tzid)?.componentText else { return nil }
        // libical names built-in zones with a vendor prefix; write the plain TZID the events use.
        return TimeZoneDefinition(tzid: tzid, lines: unfold(text).map { $0.hasPrefix("TZID:") ? "TZID:" + tzid : $0 })
    }

    static func unfold(_ text: String) -> [String] {
        var out: [String] = []
        for raw in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            if let f = raw.first, f == " " || f == "\t", !out.isEmpty {
                out[out.count - 1] += raw.dropFirst()
            } else {
                out.append(String(raw))
            }
        }
        return out
    }

    // MARK: - Content lines

    private func line(_ s: String) {
        lines.add(s)
        lines.endLine()
    }

    /// Diagnostics of lines the writer made itself (header and VTIMEZONEs): no event's UID.
    private func emitDiagnostics() {
        guard !lines.diagnostics.isEmpty else { return }
        for d in lines.diagnostics { sink.emit(d) }
        lines.diagnostics = []
    }

    /// C0 controls other than TAB, and DEL (RFC 5545 3.1: CONTROL).
    static func hasControlCharacters(_ s: String) -> Bool {
        s.utf8.contains { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }
    }

    /// CR LF, CR and LF become `lineBreak`; other controls (TAB kept) are dropped.
    static func replacingControls(_ s: String, lineBreak: String) -> String {
        var out = ""
        var previousCR = false
        for u in s.unicodeScalars {
            defer { previousCR = u == "\r" }
            switch u.value {
            case 0x0A where previousCR: continue
            case 0x0A, 0x0D: out += lineBreak
            case 0x09: out.unicodeScalars.append(u)
            case 0..<0x20, 0x7F: continue
            default: out.unicodeScalars.append(u)
            }
        }
        return out
    }

    private func flushIfNeeded() throws {
        if lines.bytes.count >= 64 << 10 { try flush() }
    }

    private func flush() throws {
        emitDiagnostics()
        let bytes = lines.bytes
        lines.bytes.removeAll(keepingCapacity: true)
        switch output {
        case .text(let f): try f(String(decoding: bytes, as: UTF8.self))
        case .bytes(let f): try f(bytes)
        }
    }

    /// A stable short hash of an event's content, for generated UIDs.
    static func fingerprint(_ e: Event) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        let key = (e.summary ?? "") + "|" + (e.start.map { "\($0)" } ?? "") + "|" + (e.description ?? "")
        for b in key.utf8 {
            h ^= UInt64(b)
            h = h &* 0x100_0000_01b3
        }
        return String(h, radix: 16)
    }
}

