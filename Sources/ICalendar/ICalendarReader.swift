#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CalendarModel

/// What the streaming reader yields, in input order.
public enum ICalendarItem: Sendable {
    /// The calendar's properties, yielded before its first component.
    case calendar(CalendarInfo)
    /// A VTIMEZONE from the input.
    case timeZone(TimeZoneDefinition)
    /// A VEVENT and the line it starts on.
    case event(Event, line: Int)
    /// A component calport does not convert (VTODO, VJOURNAL, VFREEBUSY, …).
    case skipped(component: String, line: Int)
}

/// What `ICalendarReader.nextPending()` yields, in input order.
public enum ICalendarPendingItem: Sendable {
    case calendar(CalendarInfo)
    case timeZone(TimeZoneDefinition)
    /// A VEVENT not yet decoded.
    case event(PendingEvent)
    case skipped(component: String, line: Int)
}

/// A VEVENT as read, with the zones its TZIDs resolve against (the input's VTIMEZONEs up
/// to where it was read, then the tz database). Decoding does not touch the reader.
public struct PendingEvent: @unchecked Sendable {
    let raw: RawComponentText
    let zones: ZoneSnapshot
    let file: String

    /// The line the VEVENT starts on.
    public var line: Int { raw.startLine }

    /// A diagnostic of decoding; `onceKey` marks one reported once per input (see
    /// `ICalendarReader.emit(_:to:)`).
    public struct Report: Sendable {
        public var diagnostic: Diagnostic
        public var onceKey: String?
    }

    /// The event and its diagnostics, in the order they arose.
    public func decode() -> (event: Event, diagnostics: [Report]) {
        var reports: [Report] = []
        let e = EventDecoder(zones: zones, file: file) { d, key in reports.append(Report(diagnostic: d, onceKey: key)) }.decode(raw)
        return (e, reports)
    }

    func decode(reportingTo reader: ICalendarReader) -> Event {
        EventDecoder(zones: zones, file: file) { d, key in
            if key.map(reader.registry.firstReportOfUnknown) ?? true { reader.sink.emit(d) }
        }.decode(raw)
    }

    /// For a VTIMEZONE of the input whose TZID is not an IANA name, the IANA zone with the
    /// same offsets and transitions in the years around `year` (as the reader's
    /// `ianaEquivalent(ofInputZone:around:)`, against this event's zones).
    public func ianaEquivalent(ofInputZone tzid: String, around year: Int) -> String? {
        zones.ianaEquivalent(of: tzid, around: year)
    }
}

public struct ICalendarReadError: Error, CustomStringConvertible {
    public var description: String
}

/// Reads an iCalendar stream one component at a time: memory is bounded by the largest
/// component, not by the number of events.
public final class ICalendarReader {
    public let name: String
    private var scanner: ComponentScanner
    private let lineReader: LineReader
    fileprivate let registry: TimeZoneRegistry
    fileprivate let sink: DiagnosticSink
    private var info: CalendarInfo?
    private var infoYielded = false
    private var sawCalendar = false
    private var strayLines = 0
    private var fd: Int32 = -1
    private var reportedOverlong = 0
    private var reportedUnterminated = false
    public private(set) var skippedCounts: [String: Int] = [:]

    /// Reads a file; `-` reads standard input. `naming` resolves TZIDs the input does not define.
    public init(path: String, naming: ZoneNaming = ZoneNaming(), diagnostics: DiagnosticSink) throws {
        name = path
        registry = TimeZoneRegistry(naming: naming)
        if path == "-" {
            fd = -1
            lineReader = LineReader(.fileDescriptor(0))
        } else {
            let f = open(path, O_RDONLY)
            guard f >= 0 else {
                throw ICalendarReadError(description: "\(path): cannot open: \(String(cString: strerror(errno)))")
            }
            fd = f
            lineReader = LineReader(.fileDescriptor(f))
        }
        scanner = ComponentScanner(reader: lineReader)
        sink = diagnostics
    }

    /// Reads from an open descriptor, after `prefix` (bytes already taken from it). The
    /// caller keeps ownership of the descriptor.
    public init(fileDescriptor: Int32, prefix: [UInt8], name: String, naming: ZoneNaming = ZoneNaming(),
                diagnostics: DiagnosticSink) {
        self.name = name
        registry = TimeZoneRegistry(naming: naming)
        lineReader = LineReader(.prefixed(prefix, fileDescriptor))
        scanner = ComponentScanner(reader: lineReader)
        sink = diagnostics
    }

    /// Reads bytes already in memory. `zoneCache`: VTIMEZONEs already parsed by other readers
    /// (for many small files that repeat the same ones).
    public init(bytes: [UInt8], name: String = "<input>", naming: ZoneNaming = ZoneNaming(), zoneCache: ZoneParseCache? = nil,
                diagnostics: DiagnosticSink) {
        self.name = name
        registry = TimeZoneRegistry(naming: naming)
        lineReader = LineReader(.bytes(bytes))
        scanner = ComponentScanner(reader: lineReader)
        sink = diagnostics
        self.zoneCache = zoneCache
    }

    private var zoneCache: ZoneParseCache?

    deinit { if fd >= 0 { close(fd) } }

    public var bytesRead: Int { lineReader.bytesRead }

    /// For a VTIMEZONE of the input whose TZID is not an IANA name ("Customized Time Zone"),
    /// the IANA zone with the same offsets and transitions in the years around `year`; for a
    /// TZID without one that nothing resolves, the fallback zone of `ZoneNaming`.
    public func ianaEquivalent(ofInputZone tzid: String, around year: Int) -> String? {
        registry.ianaEquivalent(of: tzid, around: year)
    }

    /// Resolves a TZID the way event times were resolved; nil when unknown.
    public func utcOffset(tzid: String, at local: LocalDateTime) -> Int? {
        registry.zone(for: tzid)?.utcOffset(at: local)
    }

    private func diag(_ sev: Diagnostic.Severity, _ msg: String, line: Int?) {
        sink.emit(Diagnostic(sev, msg, file: name, line: line))
    }

    public func next() throws -> ICalendarItem? {
        guard let item = try nextPending() else { return nil }
        switch item {
        case .calendar(let info): return .calendar(info)
        case .timeZone(let def): return .timeZone(def)
        case .skipped(let component, let line): return .skipped(component: component, line: line)
        case .event(let pending): return .event(pending.decode(reportingTo: self), line: pending.line)
        }
    }

    /// Emits diagnostics of an event decoded apart from the reader (`PendingEvent.decode()`),
    /// in the order they are given: those reported once per input are dropped after the first.
    public func emit(_ diagnostics: [PendingEvent.Report], to sink: DiagnosticSink) {
        for r in diagnostics where r.onceKey.map(registry.firstReportOfUnknown) ?? true { sink.emit(r.diagnostic) }
    }

    /// As `next()`, but events come undecoded: `PendingEvent.decode()` may run on any thread,
    /// and gives the same event and diagnostics whenever it runs. The reader's own
    /// diagnostics are emitted to its sink during this call, before the item is returned.
    public func nextPending() throws -> ICalendarPendingItem? {
        if let raw = pendingComponent {
            pendingComponent = nil
            if let out = handle(raw) { return out }
        }
        if releasing, !deferred.isEmpty {
            return decode(deferred.removeFirst())
        }
        releasing = false
        while true {
            let item: ComponentScanner.Item?
            do { item = try scanner.next() } catch let e as LineReader.ReadError {
                throw ICalendarReadError(description: "\(name): read error: \(e)")
            }
            while reportedOverlong < lineReader.overlongLines.count {
                diag(.error, "line longer than \(LineReader.maximumLineLength >> 20) MiB; cut", line: lineReader.overlongLines[reportedOverlong])
                reportedOverlong += 1
            }
            guard let item else {
                if !deferred.isEmpty {
                    // The input ended: what is still unknown is reported as each event is decoded.
                    releasing = true
                    return decode(deferred.removeFirst())
                }
                if !sawCalendar {
                    diag(.error, lineReader.bytesRead == 0 && strayLines == 0 ? "the input is empty" : "no BEGIN:VCALENDAR found: this is not an iCalendar file", line: nil)
                } else if scanner.insideCalendar && !reportedUnterminated {
                    // A cut between components leaves every component whole: say the file is cut.
                    reportedUnterminated = true
                    diag(.warning, "the input ends before END:VCALENDAR; it may have been cut short", line: nil)
                }
                if sawCalendar, let i = flushInfo() {
                    return i
                }
                return nil
            }
            switch item {
            case .calendarBegin:
                if sawCalendar { infoYielded = false }
                sawCalendar = true
                info = CalendarInfo()
            case .calendarProperty(let p):
                if infoYielded {
                    diag(.warning, "calendar property \(p.name) comes after the first component; calport reads calendar properties only before it, so it is not kept", line: p.line)
                } else {
                    apply(p)
                }
            case .calendarEnd:
                if let i = flushInfo() { return i }
            case .strayLine(let n):
                strayLines += 1
                if strayLines <= 5 { diag(.warning, "line outside any component; ignored", line: n) }
                if strayLines == 6 { diag(.warning, "more lines outside any component; no longer reported", line: n) }
            case .tooDeep(let name, let line):
                diag(.error, "\(name) nests components deeper than \(ComponentScanner.maximumDepth) levels; skipped", line: line)
            case .component(let raw):
                if raw.truncated && raw.name != "VEVENT" {  // EventDecoder reports a cut VEVENT
                    diag(.error, "\(raw.name) has no END:\(raw.name); read up to the end of the input", line: raw.startLine)
                }
                if !sawCalendar {
                    sawCalendar = true
                    info = CalendarInfo()
                    diag(.warning, "\(raw.name) is not inside a VCALENDAR; read anyway", line: raw.startLine)
                }
                if let i = flushInfo() {
                    pendingComponent = raw
                    return i
                }
                if let out = handle(raw) { return out }
            }
        }
    }

    private var pendingComponent: RawComponentText?

    private func flushInfo() -> ICalendarPendingItem? {
        guard !infoYielded, let info else { return nil }
        infoYielded = true
        return .calendar(info)
    }

    private func apply(_ p: ContentLine) {
        switch p.name {
        case "X-WR-CALNAME" where info?.name == nil: info?.name = ICalText.unescape(p.value)
        case "X-WR-CALDESC" where info?.description == nil: info?.description = ICalText.unescape(p.value)
        case "X-WR-TIMEZONE" where info?.timeZone == nil: info?.timeZone = p.value.trimmingSpaces()
        case "PRODID" where info?.productID == nil: info?.productID = p.value
        case "METHOD" where info?.method == nil: info?.method = p.value
        case "VERSION":
            if p.value.trimmingSpaces() != "2.0" { diag(.warning, "VERSION is \(p.value), not 2.0", line: p.line) }
        case "CALSCALE":
            if p.value.uppercased() != "GREGORIAN" {
                diag(.warning, "CALSCALE \(p.value) is not supported; dates are read as Gregorian", line: p.line)
                info?.properties.append(p.property)
            }
        default: info?.properties.append(p.property)
        }
    }

    // Events that name a TZID not yet defined wait (with every event after them, so the order
    // is kept) until its VTIMEZONE arrives or the input ends: some writers put VTIMEZONEs last.
    private var deferred: [RawComponentText] = []
    private var waitingFor: Set<String> = []
    private var releasing = false
    static let maximumDeferred = 10_000

    private func decode(_ raw: RawComponentText) -> ICalendarPendingItem {
        .event(PendingEvent(raw: raw, zones: ZoneSnapshot(inputZones: registry.inputZones, registry: registry), file: name))
    }

    /// TZIDs the component names that neither the input so far nor the tz database defines.
    private func unknownZones(in raw: RawComponentText) -> Set<String> {
        var out: Set<String> = []
        raw.forEachLine { bytes, number in
            // Without a quote before the first colon, the name and parameters end at that colon,
            // and a TZID parameter is in them (a long DESCRIPTION is not searched).
            let head = Self.unquotedHead(bytes)
            let searched = UnsafeRawBufferPointer(head.map { UnsafeBufferPointer(rebasing: $0) } ?? bytes)
            guard searched.count > 6, Self.hasTZIDParameter(searched) else { return }
            // A line whose name and parameters were seen with a known zone names a known zone
            // (zones are only ever added), so it need not be read again.
            if let head, knownZoneHeads[Self.hash(head)].map({ $0.elementsEqual(head) }) == true { return }
            guard let p = ContentLine(buffer: bytes, line: number), let tzid = p.parameter("TZID") else { return }
            if registry.zone(for: tzid) == nil {
                out.insert(tzid)
            } else if let head {
                knownZoneHeads[Self.hash(head)] = Array(head)
            }
        }
        return out
    }

    /// Names and parameters of lines whose TZID is known, by a hash of their bytes.
    private var knownZoneHeads: [UInt64: [UInt8]] = [:]

    /// The bytes before the first `:`, when no `"` comes before it.
    private static func unquotedHead(_ line: UnsafeBufferPointer<UInt8>) -> Slice<UnsafeBufferPointer<UInt8>>? {
        guard let base = line.baseAddress, let colon = memchr(base, Int32(UInt8(ascii: ":")), line.count) else { return nil }
        let end = UnsafeRawPointer(colon) - UnsafeRawPointer(base)
        if memchr(base, Int32(UInt8(ascii: "\"")), end) != nil { return nil }
        return line[..<end]
    }

    /// FNV-1a.
    private static func hash(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }

    /// Whether `bytes` hold `;TZID=` or `;tzid=`: one pass from `;` to `;`. (Two searches with
    /// needles held in static arrays cost, per line, a call to `swift_once` for each array and
    /// a pass for each spelling.)
    static func hasTZIDParameter(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress, bytes.count >= 6 else { return false }
        var at = base
        let end = base + (bytes.count - 5)  // a `;` from here on has no room for `TZID=`
        while at < end, let hit = memchr(at, Int32(UInt8(ascii: ";")), end - at) {
            let p = UnsafeRawPointer(hit)
            let t = p.load(fromByteOffset: 1, as: UInt8.self)
            if p.load(fromByteOffset: 5, as: UInt8.self) == UInt8(ascii: "=") {
                if t == UInt8(ascii: "T"), p.load(fromByteOffset: 2, as: UInt8.self) == UInt8(ascii: "Z"),
                   p.load(fromByteOffset: 3, as: UInt8.self) == UInt8(ascii: "I"), p.load(fromByteOffset: 4, as: UInt8.self) == UInt8(ascii: "D") {
                    return true
                }
                if t == UInt8(ascii: "t"), p.load(fromByteOffset: 2, as: UInt8.self) == UInt8(ascii: "z"),
                   p.load(fromByteOffset: 3, as: UInt8.self) == UInt8(ascii: "i"), p.load(fromByteOffset: 4, as: UInt8.self) == UInt8(ascii: "d") {
                    return true
                }
            }
            at = p + 1
        }
        return false
    }

    private func handle(_ raw: RawComponentText) -> ICalendarPendingItem? {
        switch raw.name {
        case "VEVENT":
            if !deferred.isEmpty || !(waitingFor.isEmpty && unknownZones(in: raw).isEmpty) {
                if deferred.isEmpty { waitingFor = unknownZones(in: raw) } else { waitingFor.formUnion(unknownZones(in: raw)) }
                deferred.append(raw)
                if deferred.count >= ICalendarReader.maximumDeferred {
                    releasing = true
                    waitingFor = []
                    return decode(deferred.removeFirst())
                }
                return nil
            }
            return decode(raw)
        case "VTIMEZONE":
            let item = registerTimeZone(raw)
            if case .timeZone(let def)? = item, !deferred.isEmpty {
                waitingFor.remove(def.tzid)
                if waitingFor.isEmpty { releasing = true }
            }
            return item
        default:
            skippedCounts[raw.name, default: 0] += 1
            return .skipped(component: raw.name, line: raw.startLine)
        }
    }

    private func registerTimeZone(_ raw: RawComponentText) -> ICalendarPendingItem? {
        let text = zoneCache == nil ? "" : raw.text
        if let (def, zone) = zoneCache?.zone(text: text) {
            registry.register(def, zone: zone)
            return .timeZone(def)
        }
        let tree = RawComponent(raw)
        // TZID is TEXT: `Kuala Lumpur\, Singapore` names the zone `Kuala Lumpur, Singapore`.
        guard let tzid = tree.properties.first(where: { $0.name == "TZID" }).map({ ICalText.unescape($0.value) }) else {
            diag(.warning, "VTIMEZONE has no TZID; ignored", line: raw.startLine)
            return nil
        }
        if let problem = ZoneRuleLimits.problem(in: tree) {
            diag(.error, "VTIMEZONE \"\(tzid)\" is not a usable time zone: \(problem); times in it resolve against the tz database",
                 line: raw.startLine)
            return nil
        }
        guard let parsed = LibicalComponent(parsing: raw.text) else {
            diag(.error, "VTIMEZONE \"\(tzid)\" could not be parsed; times in it resolve against the tz database", line: raw.startLine)
            return nil
        }
        for e in parsed.errors { diag(.warning, "libical: \(e) (VTIMEZONE \(tzid))", line: raw.startLine) }
        guard let zone = LibicalZone(vtimezone: parsed) else {
            diag(.error, "VTIMEZONE \"\(tzid)\" is not usable; times in it resolve against the tz database", line: raw.startLine)
            return nil
        }
        var lines: [String] = []
        raw.forEachLine { bytes, _ in lines.append(String(decoding: bytes, as: UTF8.self)) }
        let def = TimeZoneDefinition(tzid: tzid, lines: lines)
        let input = InputZone(libical: zone, declared: DeclaredZone.declared(by: tree, tzid: tzid, zone: zone))
        registry.register(def, zone: input)
        // Only zones read without a diagnostic: a reader given one from the cache reports nothing.
        if parsed.errors.isEmpty { zoneCache?.remember(text: text, def, input) }
        return .timeZone(def)
    }
}

/// VTIMEZONEs parsed once and shared by readers, by their text: a folder of .ics files holds
/// one event per file, each file with the same VTIMEZONEs, whose parsing (libical, the span
/// of their observances) would otherwise cost more than the events. Zones are immutable once
/// made (libical's are used under `Libical.lock`), so readers on any thread may share them.
public final class ZoneParseCache: @unchecked Sendable {
    private let lock = Lock()
    private var zones: [String: (TimeZoneDefinition, InputZone)] = [:]

    public init() {}

    func zone(text: String) -> (TimeZoneDefinition, InputZone)? { lock.withLock { zones[text] } }

    func remember(text: String, _ def: TimeZoneDefinition, _ zone: InputZone) { lock.withLock { zones[text] = (def, zone) } }
}

extension ICalendarReader {
    /// Reads a whole calendar into memory (for tests and small inputs).
    public static func readDocument(bytes: [UInt8], name: String = "<input>", diagnostics: DiagnosticSink) throws -> CalendarDocument {
        let r = ICalendarReader(bytes: bytes, name: name, diagnostics: diagnostics)
        var doc = CalendarDocument()
        while let item = try r.next() {
            switch item {
            case .calendar(let i): doc.info = i
            case .timeZone(let t): doc.timeZones.append(t)
            case .event(let e, _): doc.events.append(e)
            case .skipped: break
            }
        }
        return doc
    }
}
