import CalendarModel
import Foundation
import GoogleCalendar
import ICalendar

/// One event of the input, mapped to what Google should hold.
///
/// The event itself is held once, by the input (`PushEvents`), and its Google form is mapped
/// again when read: holding both for every event made a push of 100,000 events take about a
/// gigabyte.
public struct PushItem: Sendable {
    /// Position in the input (0-based), for stable ordering and messages.
    public var index: Int
    public var key: EventKey
    /// The event as read (written back to the rejects file when it fails).
    public var event: Event { events.event(at: position) }
    /// The Google resource calport sends (without id; the planner adds what the mode needs).
    public var google: GoogleEvent { events.google(at: position) }
    /// An override (RECURRENCE-ID) whose series is not in the input: sent as an exception
    /// when Google already has the series, else as a single event (`asSingle`).
    public var orphan: Bool
    public var asSingle: GoogleEvent? {
        get { single?.value }
        set { single = newValue.map(Boxed.init) }
    }
    /// Boxed: most items have none, and a `GoogleEvent?` is as large as a `GoogleEvent` even when nil.
    private var single: Boxed<GoogleEvent>?
    /// The input line, for messages.
    public var line: Int?
    /// Where the event is in `events`.
    var position: Int
    let events: PushEvents

    init(index: Int, key: EventKey, position: Int, events: PushEvents, line: Int?) {
        self.index = index
        self.key = key
        self.position = position
        self.events = events
        self.orphan = false
        self.line = line
    }
}

/// The events of a push's input, as read (after the repairs `PushInput.load` makes), and how
/// each is mapped for Google.
///
/// Each event is held as its `EventCoding` bytes in zlib blocks and decoded when it is read:
/// the decoded events of 100,000 were about 200 MB (816 bytes inline each, and their strings),
/// the most a push held (BENCHMARKS.md, "Push at 100,000 events").
final class PushEvents: Sendable {
    private let records: SealedRecords
    /// The record of the event at each position.
    private let order: [Int32]
    let mapper: GoogleEventMapper

    init(_ records: SealedRecords, order: [Int32], mapper: GoogleEventMapper) {
        self.records = records
        self.order = order
        self.mapper = mapper
    }

    var count: Int { order.count }

    /// The event at position `i`.
    func event(at i: Int) -> Event { records.event(Int(order[i])) }

    /// The event at `i` mapped as `PushInput.load` maps it, without its diagnostics (the load
    /// reported them).
    func google(at i: Int) -> GoogleEvent {
        let e = event(at: i)
        var g = mapper.googleEvent(from: e) { _ in }
        _ = Self.settleIds(&g, of: e)
        return g
    }

    /// push chooses ids per calendar: calport's offline ids are not sent, and an id Google
    /// would refuse ("Invalid resource id value") is dropped. Returns the id dropped as invalid.
    static func settleIds(_ g: inout GoogleEvent, of e: Event) -> String? {
        guard let uid = e.uid, !uid.isEmpty else { return nil }
        var invalid: String?
        if let id = g.id, OfflineEventID.isOffline(id, uid: uid) || e.recurrenceID != nil { g.id = nil } else if let id = g.id, !OfflineEventID.isValidClientID(id) {
            invalid = id
            g.id = nil
        }
        if let series = g.recurringEventId, OfflineEventID.isOffline(series, uid: uid) { g.recurringEventId = nil }
        return invalid
    }
}

extension SealedRecords {
    /// Adds `event` as its `EventCoding` bytes; returns its record.
    mutating func append(event: Event) -> Int32 {
        Int32(append { EventCoding.encode(event, into: &$0) })
    }

    /// The event stored as record `i`.
    func event(_ i: Int) -> Event {
        withRecord(i) { bytes in
            do { return try EventCoding.decode(bytes) } catch {
                preconditionFailure("an input event calport encoded cannot be read back: \(error)")
            }
        }
    }
}

/// What `PushInput.load` keeps of one input event besides its record: what the repairs and
/// the checks before mapping ask of every event.
private struct HeldEvent {
    var record: Int32
    var line: Int?
    var uid: String?
    var isOverride: Bool
    var rejected: Bool

    init(record: Int32, line: Int?, _ e: Event) {
        self.record = record
        self.line = line
        uid = e.uid
        isOverride = e.recurrenceID != nil
        rejected = e.rejection != nil
    }
}

/// A value held by reference, for large optional values that are mostly absent.
final class Boxed<Value: Sendable>: Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// The input of a push: its events mapped for Google, and those that cannot be sent.
public struct PushInput: Sendable {
    public var name: String
    public var info: CalendarInfo
    public var timeZones: [TimeZoneDefinition]
    public var items: [PushItem]
    /// Events refused before anything is sent, with the reason.
    public var rejects: [(event: Event, line: Int?, reason: String)]
    /// SHA-256 of what is to be pushed (the mapped events in order), so that the journal can
    /// tell a re-run of the same input from a new one.
    public var identity: String

    /// The property a rejects file puts on an event to say why it failed; ignored on input.
    public static let reasonProperty = "X-CALPORT-PUSH-ERROR"

    /// How the input's series are expanded and mapped (set by `load`), for occurrences that
    /// were deleted in Google and come back (`occurrences(of:at:)`).
    var expansion: Expansion?

    struct Expansion: Sendable {
        var mapper: GoogleEventMapper
        var utcOffset: @Sendable (String, LocalDateTime) -> Int?
    }

    /// Reads `path` (`-`: standard input) in any format calport reads and maps each event as
    /// `calport convert` does. Mapping errors make an event a reject; warnings and notes go to
    /// `diagnostics` and the event is sent.
    ///
    /// `stripAttendees` (`--strip-attendees`) leaves out every event's attendees and organizer
    /// before mapping, so that nothing of them reaches Google, carried data included.
    public static func load(path: String, name: String? = nil, mapping: MappingOptions, diagnostics: DiagnosticSink,
                            stripAttendees: Bool = false) throws -> PushInput {
        let input: Input
        do { input = try Input(path: path, name: name) } catch let e as InputError { throw ConvertError.failed(e.description) }
        // The content decides: a file named .ics that is not iCalendar is bad input, not an
        // empty calendar.
        guard let format = Format.detect(prefix: input.prefix) else {
            throw ConvertError.badInput(input.prefix.isEmpty
                ? "\(input.name): the input is empty"
                : "\(input.name): not iCalendar (no BEGIN:VCALENDAR) and not JSON")
        }
        let source: EventSource
        do {
            switch format {
            case .ics: source = ICalendarSource(input, mapping: mapping, diagnostics: diagnostics)
            case .json: source = try GoogleJSONSource(input, options: mapping, diagnostics: diagnostics)
            case .ndjson: source = NDJSONSource(input, options: mapping, diagnostics: diagnostics)
            }
        } catch let e as InputError {
            throw e.isDataError ? ConvertError.badInput(e.description) : ConvertError.failed(e.description)
        }
        var info = CalendarInfo()
        var zones: [TimeZoneDefinition] = []
        // Each event is stored as it is read; what is held decoded is a few fields of each.
        var records = SealedRecords(sealing: .zlib)
        var held: [HeldEvent] = []
        do {
            while let item = try source.next() {
                switch item {
                case .calendar(let i): if info == CalendarInfo() { info = i }
                case .timeZone(let z): zones.append(z)
                case .event(var e, let at):
                    e.properties.removeAll { $0.name == reasonProperty }
                    if stripAttendees {
                        e.attendees = []
                        e.organizer = nil
                    }
                    held.append(HeldEvent(record: records.append(event: e), line: at, e))
                case .encoded: preconditionFailure("events come encoded only from a source asked for them")
                }
            }
        } catch let e as ICalendarReadError {
            throw ConvertError.failed(e.description)
        } catch let e as InputError {
            throw e.isDataError ? ConvertError.badInput(e.description) : ConvertError.failed(e.description)
        }

        let reader = (source as? ICalendarSource)?.reader
        Self.repairSeries(&held, &records, file: input.name, reader: reader, diagnostics: diagnostics)

        var mapper = GoogleEventMapper(options: mapping, calendarTimeZone: info.timeZone)
        if let reader {
            let r = UncheckedSendable(reader)
            mapper.zoneEquivalent = { tzid, year in r.value.ianaEquivalent(ofInputZone: tzid, around: year) }
        }
        let seriesUIDs = Set(held.lazy.filter { !$0.isOverride }.compactMap(\.uid))
        var result = PushInput(name: input.name, info: info, timeZones: zones, items: [], rejects: [], identity: "")
        let sendableReader = reader.map(UncheckedSendable.init)
        result.expansion = Expansion(mapper: mapper) { z, l in sendableReader?.value.utcOffset(tzid: z, at: l) ?? TimeZoneNames.utcOffset(tzid: z, at: l) }
        var seen: [EventKey: Int] = [:]
        // Series with no copy that was not rejected (a file may repeat a series). Lazily: a
        // filtered array is a copy of nearly every event.
        let rejectedSeries = Set(held.lazy.filter { !$0.isOverride && $0.rejected }.compactMap(\.uid))
            .subtracting(held.lazy.filter { !$0.isOverride && !$0.rejected }.compactMap(\.uid))
        let shelf = PushEvents(records, order: held.map(\.record), mapper: mapper)
        // The identity, hashed item by item as they come; a repeated event replaces an earlier
        // one, and then the items are hashed again at the end.
        var digest = SHA256Digest.Running()
        var replaced = false
        for (position, line) in held.lazy.map(\.line).enumerated() {
            let e = shelf.event(at: position)
            // Data whose meaning is not certain (the reader reported it, with its line).
            if let why = e.rejection {
                result.rejects.append((e, line, why))
                continue
            }
            if e.recurrenceID != nil, let uid = e.uid, rejectedSeries.contains(uid) {
                // As convert leaves it out: Google takes no exception of a series it does not have.
                diagnostics.emit(Diagnostic(.error, GoogleJSONSink.seriesRejected, file: input.name, line: line, uid: uid))
                result.rejects.append((e, line, GoogleJSONSink.seriesRejected))
                continue
            }
            var problems: [String] = []
            var g = mapper.googleEvent(from: e) { d in
                var d = d
                d.file = input.name
                d.line = line
                if d.severity == .error { problems.append(d.message) }
                diagnostics.emit(d)
            }
            guard let uid = e.uid, !uid.isEmpty else {
                result.rejects.append((e, line, "the event has no UID"))
                continue
            }
            // push chooses ids per calendar: calport's offline ids are not sent, and an id Google
            // would refuse ("Invalid resource id value") is dropped, naming the event.
            if let id = PushEvents.settleIds(&g, of: e) {
                diagnostics.emit(Diagnostic(.warning, "id \"\(id)\" is not an event id Google accepts (base32hex, 5 to 1024 characters); Google chooses one", file: input.name, line: line, uid: uid))
            }
            if g.start == nil || g.end == nil { problems.append("the event has no start (DTSTART), which Google requires") }
            var key = EventKey(uid: uid)
            if let original = g.originalStartTime {
                guard let stamp = EventKey.stamp(original) else {
                    result.rejects.append((e, line, "the RECURRENCE-ID cannot be read as a date or an instant"))
                    continue
                }
                key.instance = stamp
            }
            if !problems.isEmpty {
                result.rejects.append((e, line, problems.joined(separator: "; ")))
                continue
            }
            if let earlier = seen[key] {
                let where_ = result.items[earlier].line.map { " (line \($0))" } ?? ""
                diagnostics.emit(Diagnostic(.warning, "a second event with the same UID\(key.isInstance ? " and RECURRENCE-ID" : "") as an earlier one\(where_); the later one is pushed",
                                            file: input.name, line: line, uid: uid))
                result.items[earlier].position = position
                result.items[earlier].line = line
                replaced = true
                continue
            }
            var item = PushItem(index: result.items.count, key: key, position: position, events: shelf, line: line)
            if key.isInstance && !seriesUIDs.contains(uid) {
                item.orphan = true
                var single = e
                if let r = e.recurrenceID {
                    single.properties.append(Property(name: "RECURRENCE-ID", parameters: r.icalParameters, value: r.icalValue))
                }
                single.recurrenceID = nil
                item.asSingle = mapper.googleEvent(from: single) { _ in }
            }
            seen[key] = result.items.count
            result.items.append(item)
            if !replaced { Self.hash(key, g, into: &digest) }
        }
        if replaced {
            digest = SHA256Digest.Running()
            for item in result.items { Self.hash(item.key, item.google, into: &digest) }
        }
        result.identity = SHA256Digest.hex(digest.finish())
        if result.items.isEmpty && !result.rejects.isEmpty {
            throw ConvertError.badInput("\(input.name): no event can be pushed (\(result.rejects.count) rejected: \(result.rejects[0].reason))")
        }
        return result
    }
}

extension PushInput {
    /// What the identity hashes of one item: its key and its Google form, each ended by a 0.
    static func hash(_ key: EventKey, _ g: GoogleEvent, into digest: inout SHA256Digest.Running) {
        digest.add(key.description.utf8)
        digest.add(CollectionOfOne(0))
        digest.add(FastJSON.compact(g).utf8)
        digest.add(CollectionOfOne(0))
    }

    /// The occurrences of `item`'s series that start at `stamps` (original starts as in
    /// `EventKey.instance`), each mapped for Google as an override that changes nothing would
    /// be. Stamps that the source's series does not produce (excluded, or not on its rule) are
    /// left out.
    func occurrences(of item: PushItem, at stamps: Set<String>) -> [String: GoogleEvent] {
        let event = item.event
        guard let expansion, event.isRecurring, event.recurrenceID == nil else { return [:] }
        var out: [String: GoogleEvent] = [:]
        for stamp in stamps {
            out[stamp] = SeriesOccurrence.google(of: event, at: stamp, mapper: expansion.mapper, utcOffset: expansion.utcOffset)
        }
        return out
    }
}

extension PushInput {
    /// The repairs a push makes to its input's series, on the events of the UIDs that have
    /// overrides (only those change), decoded for the while, in input order:
    /// - RANGE=THISANDFUTURE overrides split their series, as convert does;
    /// - a cancelled occurrence of a cancelled series becomes an EXDATE of the series (Google
    ///   takes no exception on a deleted series; it is what the occurrence means);
    /// - shapes Google cannot hold as they are (overrides of excluded occurrences, date-time
    ///   RECURRENCE-IDs of all-day series, overrides without their series) are made into ones
    ///   it can (`SeriesShapes`).
    /// The result is what the same repairs on the whole input give: the events in the same
    /// order (a split's new series after all others, a made series just before its first
    /// override), the same lines, the same diagnostics in the same order.
    fileprivate static func repairSeries(_ held: inout [HeldEvent], _ records: inout SealedRecords, file: String, reader: ICalendarReader?,
                                         diagnostics: DiagnosticSink) {
        let withOverrides = Set(held.lazy.filter(\.isOverride).compactMap(\.uid))
        // Overrides without a UID too: a RANGE=THISANDFUTURE one is reported.
        let grouped = held.indices.filter { held[$0].uid.map(withOverrides.contains) ?? held[$0].isOverride }
        guard !grouped.isEmpty else { return }
        var events = grouped.map { records.event(Int(held[$0].record)) }
        var lines = grouped.map { held[$0].line }
        // Where each event was in the input; -1 for a series made here.
        var origin = grouped

        if events.contains(where: \.recurrenceIDThisAndFuture) {
            let offsets: (String, LocalDateTime) -> Int? = { z, l in reader?.utcOffset(tzid: z, at: l) ?? TimeZoneNames.utcOffset(tzid: z, at: l) }
            let parts = SeriesSplitter.splitParts(events, utcOffset: offsets) { d in
                var d = d
                d.file = file
                diagnostics.emit(d)
            }
            let kept = parts.events.indices.filter { !parts.removed.contains($0) }
            events = kept.map { parts.events[$0] } + parts.added
            origin = kept.map { origin[$0] } + Array(repeating: -1, count: parts.added.count)
            // After a split every event takes the first line of its UID, as in convert.
            let lineOfUID = Dictionary(held.map { ($0.uid ?? "", $0.line) }, uniquingKeysWith: { a, _ in a })
            lines = events.map { lineOfUID[$0.uid ?? ""] ?? nil }
            for i in held.indices { held[i].line = lineOfUID[held[i].uid ?? ""] ?? nil }
        }

        let cancelledSeries = Dictionary(events.indices.filter { events[$0].recurrenceID == nil && events[$0].status == .cancelled && events[$0].isRecurring }
            .compactMap { i in events[i].uid.map { ($0, i) } }, uniquingKeysWith: { a, _ in a })
        if !cancelledSeries.isEmpty {
            var folded: Set<Int> = []
            for i in events.indices {
                guard let r = events[i].recurrenceID, events[i].status == .cancelled, let uid = events[i].uid, let m = cancelledSeries[uid] else { continue }
                if !events[m].exceptionDates.contains(r) { events[m].exceptionDates.append(r) }
                folded.insert(i)
            }
            let kept = events.indices.filter { !folded.contains($0) }
            events = kept.map { events[$0] }
            lines = kept.map { lines[$0] }
            origin = kept.map { origin[$0] }
        }

        let lineOf = Dictionary(zip(events, lines).compactMap { e, line in e.uid.map { ($0, line) } }, uniquingKeysWith: { a, _ in a })
        let made = SeriesShapes.repair(&events) { d in
            var d = d
            d.file = file
            d.line = d.uid.flatMap { lineOf[$0] ?? nil }
            diagnostics.emit(d)
        }
        for at in made {
            origin.insert(-1, at: at)
            lines.insert(lineOf[events[at].uid ?? ""] ?? nil, at: at)
        }

        // Back into the input's order: each repaired event where its original was (a made
        // series with the override it precedes), none where the original was folded or split
        // away, the split's new series at the end.
        let place = Dictionary(uniqueKeysWithValues: origin.enumerated().filter { $0.element >= 0 }.map { ($0.element, $0.offset) })
        var out: [HeldEvent] = []
        out.reserveCapacity(held.count - grouped.count + events.count)
        var next = 0
        var g = 0
        func take(through end: Int) {
            while next <= end {
                out.append(HeldEvent(record: records.append(event: events[next]), line: lines[next], events[next]))
                next += 1
            }
        }
        for p in held.indices {
            if g < grouped.count, grouped[g] == p {
                g += 1
                if let k = place[p] { take(through: k) }
            } else {
                out.append(held[p])
            }
        }
        take(through: events.count - 1)
        held = out
    }
}
