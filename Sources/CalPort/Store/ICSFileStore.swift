import CalendarModel
import GoogleCalendar
import ICalendar
import SystemSupport

/// One .ics file as a store: read once when listed, changed in memory by `apply`, written
/// once, atomically, by `commit()`. An entry's id is its UID (series and overrides together);
/// its version the SHA-256 of that UID's VEVENTs as they stand in the file, so it stays the
/// same across runs while their text does.
///
/// The file is rewritten around what calport manages: the bytes before the first component
/// (calendar properties such as X-WR-CALNAME), VTIMEZONEs, VTODOs, VJOURNALs and every other
/// component, and VEVENTs it could not read, are written back exactly as they were; an
/// unchanged UID keeps its text; a changed UID is written where its first VEVENT was; new UIDs
/// go before END:VCALENDAR. A UID with a VEVENT that cannot be read is listed as unreadable
/// and kept whole.
///
/// `commit()` writes only when something changed, and only when the file is still what was
/// listed (same identity and digest); otherwise it throws `StoreError.changedSinceListing`
/// and writes nothing. A missing file lists as empty; `commit()` then creates it.
public final class ICSFileStore: CalendarStore, @unchecked Sendable {
    public typealias Item = CalendarObject

    public let path: String
    public var location: String { path }
    private let naming: ZoneNaming
    private let diagnostics: DiagnosticSink?
    private let lock = Lock()
    private var state: Loaded?
    private var added: [String: TimeZoneDefinition] = [:]

    private struct Loaded {
        /// Nil when there was no file.
        var identity: FileIdentity?
        var digest: String?
        var layout: ICalendarLayout?
        var info = CalendarInfo()
        /// The readable UIDs as read, in file order, and their versions.
        var order: [String] = []
        var read: [String: StoreEntry<CalendarObject>] = [:]
        var unreadable: [UnreadableEntry] = []
        var unreadableUIDs: Set<String> = []
        var zonesPresent: Set<String> = []
        var definitions: [String: TimeZoneDefinition] = [:]
        /// What `apply` changed: the new object (nil: deleted) and its version, by UID.
        var changes: [String: (object: CalendarObject?, version: String)] = [:]
        var created: [String] = []

        func current(_ uid: String) -> StoreEntry<CalendarObject>? {
            if let c = changes[uid] { return c.object.map { StoreEntry(id: uid, version: c.version, item: $0) } }
            return read[uid]
        }
    }

    public init(path: String, mapping: MappingOptions = MappingOptions(), diagnostics: DiagnosticSink? = nil) {
        self.path = path
        naming = .calport(mapping)
        self.diagnostics = diagnostics
    }

    /// VTIMEZONEs to write with new events whose TZIDs neither the file nor the tz database
    /// defines.
    public func addZoneDefinitions(_ zones: [TimeZoneDefinition]) {
        lock.withLock { for z in zones where added[z.tzid] == nil { added[z.tzid] = z } }
    }

    /// Reads the file (again) and lists it; changes applied and not committed are dropped.
    /// The VTIMEZONEs the file defines (and those added).
    public var zoneDefinitions: [TimeZoneDefinition] {
        lock.withLock {
            var all = added
            for (k, v) in state?.definitions ?? [:] { all[k] = v }
            return all.values.sorted { $0.tzid < $1.tzid }
        }
    }

    public func list(since token: String?) async throws -> StoreListing<CalendarObject> {
        try lock.withLock {
            let loaded = try load()
            state = loaded
            return listing(loaded)
        }
    }

    private func listing(_ s: Loaded) -> StoreListing<CalendarObject> {
        let entries = (s.order + s.created).compactMap { s.current($0) }
        return StoreListing(entries: entries, isComplete: true, nextToken: nil, info: s.info, unreadable: s.unreadable)
    }

    private func load() throws -> Loaded {
        var s = Loaded()
        guard let file = try LocalCalendarFiles.read(path) else { return s }
        s.identity = file.identity
        s.digest = LocalCalendarFiles.digest(file.bytes)
        if file.bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == 0x0A }) { return s }
        let layout = try ICalendarLayout(bytes: file.bytes)
        guard layout.hasCalendar else { throw LocalStoreError("\(path): not an iCalendar file (no BEGIN:VCALENDAR)") }
        s.layout = layout
        let parsed = LocalCalendarFiles.parse(file.bytes, name: path, naming: naming, diagnostics: diagnostics)
        s.info = parsed.info
        for z in parsed.zones {
            s.zonesPresent.insert(z.tzid)
            s.definitions[z.tzid] = z
        }
        let events = Dictionary(parsed.events.map { ($0.line, $0.event) }, uniquingKeysWith: { a, _ in a })
        var byUID: [String: (events: [Event], bytes: [UInt8])] = [:]
        var problems: [String: String] = [:]
        for (n, piece) in layout.pieces.enumerated() where piece.kind == .component("VEVENT") {
            let end = n + 1 < layout.pieces.count ? layout.pieces[n + 1].startLine : Int.max
            guard let uid = piece.uid else {
                s.unreadable.append(UnreadableEntry(id: "line \(piece.startLine)",
                                                    message: "\(path):\(piece.startLine): a VEVENT without UID; calport cannot follow it and leaves it as it is"))
                continue
            }
            if byUID[uid] == nil { s.order.append(uid) }
            byUID[uid, default: ([], [])].bytes += piece.bytes
            if let error = parsed.errors.first(where: { ($0.line ?? 0) >= piece.startLine && ($0.line ?? 0) < end }) {
                if problems[uid] == nil { problems[uid] = error.description }
            } else if let e = events[piece.startLine], e.rejection == nil {
                byUID[uid]!.events.append(e)
            } else {
                if problems[uid] == nil {
                    problems[uid] = "\(path):\(piece.startLine): " + (events[piece.startLine]?.rejection ?? "this VEVENT cannot be read")
                }
            }
        }
        // Errors outside the VEVENTs (a VTIMEZONE that is not usable) make no entry unreadable:
        // they are told as the reader tells them.
        let eventLines = layout.pieces.indices.filter { layout.pieces[$0].kind == .component("VEVENT") }.map { n in
            layout.pieces[n].startLine..<(n + 1 < layout.pieces.count ? layout.pieces[n + 1].startLine : Int.max)
        }
        for e in parsed.errors where !eventLines.contains(where: { $0.contains(e.line ?? 0) }) { diagnostics?.emit(e) }
        for uid in s.order {
            let found = byUID[uid]!
            if problems[uid] == nil, case .failure(let e) = LocalCalendarFiles.object(uid: uid, events: found.events) {
                problems[uid] = "\(path): \(e.message)"
            }
            if let p = problems[uid] {
                s.unreadable.append(UnreadableEntry(id: uid, message: p))
                s.unreadableUIDs.insert(uid)
                continue
            }
            let object = try LocalCalendarFiles.object(uid: uid, events: found.events).get()
            s.read[uid] = StoreEntry(id: uid, version: LocalCalendarFiles.digest(found.bytes), item: object)
        }
        s.order.removeAll { s.unreadableUIDs.contains($0) }
        return s
    }

    public func apply(_ changes: [StoreChange<CalendarObject>],
                      progress: (@Sendable (Int, StoreOutcome<CalendarObject>) -> Void)?) async -> [StoreOutcome<CalendarObject>] {
        applyOneByOne(changes, progress: progress) { change in lock.withLock { applyLocked(change) } }
    }

    private func applyLocked(_ change: StoreChange<CalendarObject>) -> StoreOutcome<CalendarObject> {
        if state == nil {
            do { state = try load() } catch { return .failed(message: "\(error)", transient: false) }
        }
        switch change {
        case .create(let object, let id):
            if let id, id != object.uid { return .failed(message: "the id of an entry of \(path) is its UID, not \(id)", transient: false) }
            if state!.unreadableUIDs.contains(object.uid) || state!.current(object.uid) != nil { return .alreadyExists }
            if state!.read[object.uid] == nil && !state!.created.contains(object.uid) { state!.created.append(object.uid) }
            return set(object.uid, object)
        case .update(let uid, let object, let ifMatch):
            if state!.unreadableUIDs.contains(uid) { return .failed(message: "\(path): UID \(uid) cannot be read; it is left as it is", transient: false) }
            guard let current = state!.current(uid) else { return .notFound }
            if let ifMatch, ifMatch != current.version { return .preconditionFailed }
            return set(uid, CalendarObject(uid: uid, events: object.events))
        case .delete(let uid, let ifMatch):
            if state!.unreadableUIDs.contains(uid) { return .failed(message: "\(path): UID \(uid) cannot be read; it is left as it is", transient: false) }
            guard let current = state!.current(uid) else { return .notFound }
            if let ifMatch, ifMatch != current.version { return .preconditionFailed }
            if state!.read[uid] == nil {
                state!.changes[uid] = nil
                state!.created.removeAll { $0 == uid }
            } else {
                state!.changes[uid] = (nil, current.version)
            }
            return .done(StoreEntry(id: uid, version: current.version, item: nil))
        }
    }

    private func set(_ uid: String, _ object: CalendarObject) -> StoreOutcome<CalendarObject> {
        let ordered = CalendarObject(uid: uid, events: LocalCalendarFiles.ordered(LocalCalendarFiles.stamped(object.events)))
        let bytes: [UInt8]
        do {
            // The version is that of the VEVENTs' text alone, as a later listing computes it.
            bytes = try LocalCalendarFiles.render([ordered], calendar: false, zonesPresent: LocalCalendarFiles.zonesUsed(by: [ordered]),
                                                  definitions: [:], diagnostics: nil)
        } catch {
            return .failed(message: "\(error)", transient: false)
        }
        let version = LocalCalendarFiles.digest(bytes)
        if let read = state!.read[uid], read.version == version {
            state!.changes[uid] = nil  // back to what the file holds
        } else {
            state!.changes[uid] = (ordered, version)
        }
        return .done(StoreEntry(id: uid, version: version, item: ordered))
    }

    /// Writes the file when `apply` changed something, if it is still what was listed.
    public func commit() async throws {
        try lock.withLock {
            guard let s = state, !s.changes.isEmpty else { return }
            let now = try LocalCalendarFiles.read(path)
            guard now?.identity == s.identity, now.map({ LocalCalendarFiles.digest($0.bytes) }) == s.digest else {
                throw StoreError.changedSinceListing(path: path)
            }
            let bytes = try text(of: s)
            do throws(FileError) { try AtomicFile.write(bytes, to: path) } catch { throw LocalStoreError(error.description) }
            state = nil  // the next listing reads what was written
        }
    }

    private func text(of s: Loaded) throws -> [UInt8] {
        var definitions = added
        for (k, v) in s.definitions { definitions[k] = v }
        let created = s.created.compactMap { s.changes[$0]?.object }
        guard let layout = s.layout else {
            return try LocalCalendarFiles.render(created, calendar: true, definitions: definitions, diagnostics: diagnostics)
        }
        // One writer for every changed UID, so each VTIMEZONE the file lacks is written once.
        var text = ""
        let sink: DiagnosticSink = diagnostics ?? DiagnosticCollector()
        let writer = ICalendarWriter(fallbackTimestamp: LocalCalendarFiles.now, diagnostics: sink) { text += $0 }
        for d in definitions.values { writer.addDefinition(d) }
        writer.beginFragment(zonesPresent: s.zonesPresent)
        // A file written with bare LF line ends (by khal, an editor) keeps them.
        let bareLF = layout.pieces.first.map { p in
            p.bytes.indices.contains { p.bytes[$0] == 0x0A && ($0 == 0 || p.bytes[$0 - 1] != 0x0D) }
        } ?? false
        func rendered(_ objects: [CalendarObject]) throws -> [UInt8] {
            for o in objects { for e in o.events { try writer.write(e) } }
            try writer.finish()
            defer { text = "" }
            return bareLF ? Array(text.replacingOccurrences(of: "\r\n", with: "\n").utf8) : Array(text.utf8)
        }
        var out: [UInt8] = []
        var done: Set<String> = []
        var wroteNew = false
        for piece in layout.pieces {
            switch piece.kind {
            case .component("VEVENT"):
                guard let uid = piece.uid, !s.unreadableUIDs.contains(uid), let change = s.changes[uid] else {
                    out += piece.bytes
                    continue
                }
                if done.insert(uid).inserted, let object = change.object { out += try rendered([object]) }
            case .tail:
                out += try rendered(created)
                wroteNew = true
                out += piece.bytes
            default:
                out += piece.bytes
            }
        }
        if !wroteNew {
            // The file ends without END:VCALENDAR: close it after the new events.
            if let last = out.last, last != 0x0A && last != 0x0D { out += [0x0D, 0x0A] }
            out += try rendered(created)
            out += Array((bareLF ? "END:VCALENDAR\n" : "END:VCALENDAR\r\n").utf8)
        }
        return out
    }
}
