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
    public var event: Event { events.all[position] }
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
final class PushEvents: Sendable {
    let all: [Event]
    let mapper: GoogleEventMapper

    init(_ all: [Event], mapper: GoogleEventMapper) {
        self.all = all
        self.mapper = mapper
    }

    /// The event at `i` mapped as `PushInput.load` maps it, without its diagnostics (the load
    /// reported them).
    func google(at i: Int) -> GoogleEvent {
        var g = mapper.googleEvent(from: all[i]) { _ in }
        _ = Self.settleIds(&g, of: all[i])
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
        // The events and their input lines, side by side: the events are the bulk of what a push
        // holds, so they are kept in one array (not copied into tuples and back).
        var models: [Event] = []
        var lines: [Int?] = []
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
                    models.append(e)
                    lines.append(at)
                }
            }
        } catch let e as ICalendarReadError {
            throw ConvertError.failed(e.description)
        } catch let e as InputError {
            throw e.isDataError ? ConvertError.badInput(e.description) : ConvertError.failed(e.description)
        }

        let reader = (source as? ICalendarSource)?.reader
        // A RANGE=THISANDFUTURE override changes its series: split as convert does.
        if models.contains(where: \.recurrenceIDThisAndFuture) {
            let offsets: (String, LocalDateTime) -> Int? = { z, l in reader?.utcOffset(tzid: z, at: l) ?? TimeZoneNames.utcOffset(tzid: z, at: l) }
            let lineOfUID = Dictionary(zip(models, lines).map { ($0.uid ?? "", $1) }, uniquingKeysWith: { a, _ in a })
            models = SeriesSplitter.split(models, utcOffset: offsets) { d in
                var d = d
                d.file = input.name
                diagnostics.emit(d)
            }
            lines = models.map { lineOfUID[$0.uid ?? ""] ?? nil }
        }

        // A cancelled occurrence of a cancelled series: Google takes no exception on a deleted
        // series, so it becomes an EXDATE of the series (what the occurrence means).
        let cancelledSeries = Dictionary(models.enumerated().filter { $0.element.recurrenceID == nil && $0.element.status == .cancelled && $0.element.isRecurring }
            .compactMap { i, e in e.uid.map { ($0, i) } }, uniquingKeysWith: { a, _ in a })
        if !cancelledSeries.isEmpty {
            var folded: Set<Int> = []
            for i in models.indices {
                guard let r = models[i].recurrenceID, models[i].status == .cancelled, let uid = models[i].uid, let m = cancelledSeries[uid] else { continue }
                if !models[m].exceptionDates.contains(r) { models[m].exceptionDates.append(r) }
                folded.insert(i)
            }
            // In place: a filtered copy of the events held them two and a half times over, the
            // largest allocation of a push.
            var kept = 0
            for i in models.indices where !folded.contains(i) {
                if i != kept {
                    models.swapAt(i, kept)
                    lines.swapAt(i, kept)
                }
                kept += 1
            }
            models.removeLast(models.count - kept)
            lines.removeLast(lines.count - kept)
        }

        // Shapes Google cannot hold as they are (overrides of excluded occurrences, date-time
        // RECURRENCE-IDs of all-day series, overrides without their series) made into ones it can.
        let lineOf = Dictionary(zip(models, lines).compactMap { e, line in e.uid.map { ($0, line) } }, uniquingKeysWith: { a, _ in a })
        let countBefore = models.count
        SeriesShapes.repair(&models) { d in
            var d = d
            d.file = input.name
            d.line = d.uid.flatMap { lineOf[$0] ?? nil }
            diagnostics.emit(d)
        }
        if models.count != countBefore {
            // Series were inserted (each before its first override); the rest kept their order.
            let old = lines
            var k = 0
            lines = models.map { m in
                if SeriesShapes.isSyntheticSeries(m) { return lineOf[m.uid ?? ""] ?? nil }
                defer { k += 1 }
                return old[k]
            }
        }

        var mapper = GoogleEventMapper(options: mapping, calendarTimeZone: info.timeZone)
        if let reader {
            let r = UncheckedSendable(reader)
            mapper.zoneEquivalent = { tzid, year in r.value.ianaEquivalent(ofInputZone: tzid, around: year) }
        }
        let seriesUIDs = Set(models.lazy.filter { $0.recurrenceID == nil }.compactMap(\.uid))
        var result = PushInput(name: input.name, info: info, timeZones: zones, items: [], rejects: [], identity: "")
        let sendableReader = reader.map(UncheckedSendable.init)
        result.expansion = Expansion(mapper: mapper) { z, l in sendableReader?.value.utcOffset(tzid: z, at: l) ?? TimeZoneNames.utcOffset(tzid: z, at: l) }
        var seen: [EventKey: Int] = [:]
        // Series with no copy that was not rejected (a file may repeat a series). Lazily: a
        // filtered array is a copy of nearly every event.
        let rejectedSeries = Set(models.lazy.filter { $0.recurrenceID == nil && $0.rejection != nil }.compactMap(\.uid))
            .subtracting(models.lazy.filter { $0.recurrenceID == nil && $0.rejection == nil }.compactMap(\.uid))
        let shelf = PushEvents(models, mapper: mapper)
        // The identity, hashed item by item as they come; a repeated event replaces an earlier
        // one, and then the items are hashed again at the end.
        var digest = SHA256Digest.Running()
        var replaced = false
        for (position, line) in lines.enumerated() {
            let e = shelf.all[position]
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
        guard let expansion, item.event.isRecurring, item.event.recurrenceID == nil else { return [:] }
        var out: [String: GoogleEvent] = [:]
        for stamp in stamps {
            out[stamp] = SeriesOccurrence.google(of: item.event, at: stamp, mapper: expansion.mapper, utcOffset: expansion.utcOffset)
        }
        return out
    }
}
