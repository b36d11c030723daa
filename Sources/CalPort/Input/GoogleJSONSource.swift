#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CalendarModel
import Foundation
import GoogleAPI
import GoogleCalendar
import ICalendar

/// A Google `calendar#events` document, a bare array of events, or a single event.
final class GoogleJSONSource: ICalendarEncodingSource {
    let name: String
    /// Set: the workers that map a streamed file's items also write them as iCalendar text.
    var encodingFallbackTimestamp: LocalDateTime?
    private var items: [GoogleEvent] = []
    /// Where each of `items` stood in the input (items that could not be read are left out).
    private var itemIndex: [Int] = []
    private var index = 0
    private var info: CalendarInfo?
    private var mapper: GoogleEventMapper
    private let sink: DiagnosticSink
    private let itemDecoder = JSONDecoder()
    /// A `calendar#events` file read item by item (see `Streamed`); nil when read whole.
    private var streamed: Streamed?
    /// Threads that decode and map the items of a streamed file, a block at a time.
    private let workers: Int
    /// Items of a streamed file mapped ahead, from `aheadStart`: the event (or why its item
    /// could not be read) and the mapping's diagnostics, emitted when the event is returned.
    private var ahead: [MappedItem] = []
    private var aheadStart = 0
    /// The threads that map blocks of items ahead, and the first item not yet given to them.
    private var pool: OrderedWorkPool<Range<Int>, [MappedItem]>?
    private var submitted = 0
    static let blockSize = 256

    /// Where each item is in the file, and what folding cancelled occurrences changes.
    private struct Streamed {
        let fd: Int32
        /// The items that stay after folding: offset and length in the file, and index before folding.
        var kept: [(offset: Int, length: Int, index: Int)]
        var recurrence: [Int: [String]?]
        /// Series' iCalUIDs by id: an instance written with `recurringEventId` alone takes its series'.
        var uidBySeriesId: [String: String] = [:]
    }

    /// `workers` > 1 decodes and maps the items of a `calendar#events` file on that many
    /// threads; the events and diagnostics come in the same order as with one.
    init(_ input: Input, options: MappingOptions, diagnostics: DiagnosticSink, workers: Int = 1) throws {
        name = input.name
        sink = diagnostics
        self.workers = max(1, workers)
        let decoder = JSONDecoder()
        let name = input.name, sink = diagnostics
        func report(_ d: Diagnostic) {
            var d = d
            d.file = name
            sink.emit(d)
        }
        // A regular file holding a `{…, "items": […]}` object is read one item at a time, twice:
        // once to check every item and learn what folding needs, once to convert. Memory
        // then does not grow with the number of items. Anything else is read whole.
        if input.isRegularFile, input.prefix.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) == UInt8(ascii: "{") {
            var keyed: [(index: Int, key: OccurrenceKey)] = []
            var positions: [(offset: Int, length: Int)] = []
            var unreadable = false
            func take(_ index: Int, _ r: FoldResult) {
                switch r {
                case .plain: break
                case .key(let key): if let key { keyed.append((index, key)) }
                // Reported, and skipped, by the second reading, which reads each item whole.
                case .unreadable: break
                }
            }
            // With several workers, this thread only finds the items; the workers look into
            // them, a block at a time, and their results are taken in item order.
            let threads = max(1, workers)
            let pool = threads > 1
                ? OrderedWorkPool<[(Int, [UInt8])], [(Int, FoldResult)]>(threads: threads) { block in
                    let decoder = JSONDecoder()
                    return block.map { ($0.0, GoogleJSONSource.fold($0.1, decoder)) }
                }
                : nil
            defer { pool?.close() }
            var block: [(Int, [UInt8])] = []
            let envelopeBytes = JSONItemScanner.scan(fd: input.fd) { offset, bytes in
                let index = positions.count
                positions.append((offset, bytes.count))
                guard let pool else {
                    take(index, GoogleJSONSource.fold(bytes, decoder))
                    return !unreadable
                }
                block.append((index, bytes))
                if block.count >= GoogleJSONSource.blockSize {
                    pool.submit(block)
                    block = []
                    while pool.inFlight >= threads * 4 { for (i, r) in pool.takeNext() { take(i, r) } }
                }
                return !unreadable
            }
            if let pool {
                if !block.isEmpty { pool.submit(block) }
                while pool.inFlight > 0 { for (i, r) in pool.takeNext() { take(i, r) } }
            }
            if !unreadable, let envelopeBytes, let envelope = try? decoder.decode(GoogleEvents.self, from: Data(envelopeBytes)), envelope.items == nil {
                var info = CalendarInfo()
                info.name = envelope.summary
                info.description = envelope.description
                info.timeZone = envelope.timeZone
                self.info = info
                mapper = GoogleEventMapper(options: options, calendarTimeZone: info.timeZone)
                // Instances written with recurringEventId alone take their series' iCalUID, here
                // as in the whole reading, before folding reads them.
                var uidBySeriesId: [String: String] = [:]
                for (_, k) in keyed where k.recurrence?.isEmpty == false {
                    if let id = k.id, let uid = k.iCalUID { uidBySeriesId[id] = uid }
                }
                for i in keyed.indices where keyed[i].key.iCalUID == nil {
                    if let series = keyed[i].key.recurringEventId { keyed[i].key.iCalUID = uidBySeriesId[series] }
                }
                let plan = mapper.cancelledOccurrencePlan(keyed, report: report)
                keyed = []
                var kept: [(offset: Int, length: Int, index: Int)] = []
                kept.reserveCapacity(positions.count - plan.drop.count)
                for (i, p) in positions.enumerated() where !plan.drop.contains(i) { kept.append((p.offset, p.length, i)) }
                streamed = Streamed(fd: input.fd, kept: kept, recurrence: plan.recurrence, uidBySeriesId: uidBySeriesId)
                return
            }
        }
        let data = try input.readAllData()
        var info = CalendarInfo()
        var read: [GoogleEvent] = [], readIndex: [Int] = []
        /// Each item on its own: a bad one is reported and skipped, the rest are converted.
        func take(_ list: [LenientGoogleEvent], at prefix: String) {
            for (i, item) in list.enumerated() {
                switch item.result {
                case .success(let g):
                    read.append(g)
                    readIndex.append(i)
                case .failure(let error):
                    // A decoding error carries its whole path from the root; the others none.
                    let why = error is DecodingError ? JSONCodec.explain(error) : JSONCodec.explain(error, at: prefix + "[\(i)]")
                    report(Diagnostic(.error, "\(why); item skipped"))
                }
            }
        }
        if data.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) == UInt8(ascii: "[") {
            take(try GoogleJSONSource.decode([LenientGoogleEvent].self, data, decoder, name), at: "")
        } else {
            let envelope = try GoogleJSONSource.decode(LenientEnvelope.self, data, decoder, name)
            if let list = envelope.items {
                take(list, at: "items")
                info.name = envelope.summary
                info.description = envelope.description
                info.timeZone = envelope.timeZone
            } else if envelope.kind == "calendar#events" {
                info.name = envelope.summary
                info.timeZone = envelope.timeZone
            } else {
                // One Event resource, or JSON that is none of what calport reads.
                do { read = [try JSONCodec.event(Array(data), decoder)] } catch {
                    throw InputError(description: "\(name): not Google Calendar JSON: \(JSONCodec.explain(error)); "
                        + "expected an Event, a list of events, a calendar#events page, or one Event per line (NDJSON)", isDataError: true)
                }
                readIndex = [0]
            }
        }
        // An instance written as Google documents it (recurringEventId, no iCalUID) takes its series'.
        var uidBySeriesId: [String: String] = [:]
        for g in read where g.recurrence?.isEmpty == false {
            if let id = g.id, let uid = g.iCalUID { uidBySeriesId[id] = uid }
        }
        for i in read.indices where read[i].iCalUID == nil {
            if let series = read[i].recurringEventId, let uid = uidBySeriesId[series] { read[i].iCalUID = uid }
        }
        items = read
        itemIndex = readIndex
        self.info = info
        mapper = GoogleEventMapper(options: options, calendarTimeZone: info.timeZone)
        // Cancelled occurrences fold into their series' EXDATEs; each item keeps its place.
        let keyed = items.enumerated().compactMap { i, g in OccurrenceKey(g).map { (index: i, key: $0) } }
        let plan = mapper.cancelledOccurrencePlan(keyed, report: report)
        for (i, recurrence) in plan.recurrence { items[i].recurrence = recurrence }
        if !plan.drop.isEmpty {
            let kept = items.indices.filter { !plan.drop.contains($0) }
            items = kept.map { items[$0] }
            itemIndex = kept.map { itemIndex[$0] }
        }
    }

    /// The words that make an item take part in folding, looked for in one pass: the two words
    /// share their `nc`, which is rare in other text.
    static let foldWords = Bytes.Needles([("\"recurrence\"", 8), ("cancelled", 2), ("\\u", 0)])

    /// What the first reading learns from one item.
    enum FoldResult: Sendable {
        /// Neither a series nor cancelled: nothing to learn.
        case plain
        /// What folding reads (nil: the item takes no part in it).
        case key(OccurrenceKey?)
        /// Not an event: the file is read whole instead, which reports why.
        case unreadable
    }

    /// The first reading of one item (on any thread). It decodes only what folding needs,
    /// and only from items that can be a series or cancelled (the words appear, or escapes
    /// that could spell them); the second reading decodes each item whole, and reports
    /// what is not valid there.
    static func fold(_ bytes: [UInt8], _ decoder: JSONDecoder) -> FoldResult {
        guard Bytes.containsAny(bytes, foldWords) else {
            return .plain
        }
        guard let g = FastJSONReader.event(bytes).map(FoldFields.init) ?? (try? decoder.decode(FoldFields.self, from: Data(bytes))) else {
            return .unreadable
        }
        return .key(OccurrenceKey(id: g.id, iCalUID: g.iCalUID, status: g.status, recurringEventId: g.recurringEventId,
                                  recurrence: g.recurrence, originalStartTime: g.originalStartTime))
    }

    /// The fields of an item that folding cancelled occurrences reads.
    private struct FoldFields: Decodable {
        var id: String?
        var iCalUID: String?
        var status: String?
        var recurringEventId: String?
        var recurrence: [String]?
        var originalStartTime: EventDateTime?

        init(_ g: GoogleEvent) {
            (id, iCalUID, status, recurringEventId) = (g.id, g.iCalUID, g.status, g.recurringEventId)
            (recurrence, originalStartTime) = (g.recurrence, g.originalStartTime)
        }
    }

    /// Reads and maps the items of a streamed file: a value that worker threads share, with
    /// nothing in it that changes.
    private struct ItemReader: @unchecked Sendable {  // JSONDecoder decodes on any thread
        let streamed: Streamed
        let mapper: GoogleEventMapper
        let name: String
        let decoder: JSONDecoder
        /// Set: each event is written as iCalendar text, with this DTSTAMP for one without.
        let encoding: LocalDateTime?

        /// Item `at`, with what folding changed.
        func item(_ at: Int) throws -> GoogleEvent {
            let (offset, length, index) = streamed.kept[at]
            var bytes = [UInt8](repeating: 0, count: length)
            var got = 0
            while got < length {
                let n = bytes.withUnsafeMutableBytes { pread(streamed.fd, $0.baseAddress! + got, length - got, off_t(offset + got)) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 {
                    throw InputError(description: "\(name): read error: \(n < 0 ? String(cString: strerror(errno)) : "the file became shorter")", isDataError: false)
                }
                got += n
            }
            var g: GoogleEvent
            do { g = try JSONCodec.event(bytes, decoder) } catch {
                throw ItemError(index: index, why: JSONCodec.explain(error, at: "items[\(index)]"))
            }
            if let r = streamed.recurrence[index] { g.recurrence = r }
            if g.iCalUID == nil, let series = g.recurringEventId { g.iCalUID = streamed.uidBySeriesId[series] }
            return g
        }

        /// Item `at` read and mapped: the event, or why the item could not be read, and the
        /// mapping's diagnostics.
        func mapped(_ at: Int) -> MappedItem {
            var diagnostics: [Diagnostic] = []
            do {
                let g = try item(at)
                let e = mapper.event(from: g) { d in diagnostics.append(GoogleJSONSource.located(d, item: streamed.kept[at].index, file: name)) }
                // A series made for lone overrides goes as an event, which `next` passes over.
                if let encoding, !SeriesShapes.isSyntheticSeries(e) {
                    return MappedItem(event: .success(.encoded(ICalendarWriter.encode(e, fallbackTimestamp: encoding))), diagnostics: diagnostics)
                }
                return MappedItem(event: .success(.event(e)), diagnostics: diagnostics)
            } catch {
                return MappedItem(event: .failure(error), diagnostics: diagnostics)
            }
        }
    }

    /// An item that is not a readable Google Event: reported, skipped, and the rest converted.
    struct ItemError: Error {
        var index: Int
        var why: String
    }

    func skipped(_ e: ItemError) -> Diagnostic {
        Diagnostic(.error, "\(e.why); item skipped", file: name)
    }

    struct MappedItem: @unchecked Sendable {  // the error is an InputError, a value
        var event: Result<Mapped, any Error>
        var diagnostics: [Diagnostic]
    }

    /// An item's event, or its iCalendar text when the source is asked for that.
    enum Mapped {
        case event(Event)
        case encoded(ICalendarWriter.EncodedEvent)
    }

    /// A `calendar#events` page whose items are read one by one.
    struct LenientEnvelope: Decodable {
        var kind: String?
        var summary: String?
        var description: String?
        var timeZone: String?
        var items: [LenientGoogleEvent]?
    }

    static func decode<T: Decodable>(_ t: T.Type, _ data: Data, _ d: JSONDecoder, _ name: String) throws -> T {
        do { return try d.decode(t, from: data) } catch {
            if let syntax = JSONCodec.syntaxError(in: data) {
                throw InputError(description: "\(name): not JSON: \(syntax)", isDataError: true)
            }
            throw InputError(description: "\(name): not Google Calendar JSON: \(JSONCodec.explain(error))", isDataError: true)
        }
    }

    static func located(_ d: Diagnostic, item at: Int, file: String) -> Diagnostic {
        var d = d
        d.file = file
        d.message = "items[\(at)]: " + d.message
        return d
    }

    func next() throws -> StreamItem? {
        if let i = info {
            info = nil
            return .calendar(i)
        }
        while true {
            do {
                // A series calport made for overrides that came without one goes again.
                let item = try nextEvent()
                if case .event(let e, _)? = item, SeriesShapes.isSyntheticSeries(e) { continue }
                return item
            } catch let e as ItemError {
                sink.emit(skipped(e))
            }
        }
    }

    /// The next event, nil at the end; throws `ItemError` for an item that is not an event.
    private func nextEvent() throws -> StreamItem? {
        let count = streamed?.kept.count ?? items.count
        guard index < count else {
            pool?.close()
            return nil
        }
        defer { index += 1 }
        let at = index
        guard let streamed else {
            let e = mapper.event(from: items[at]) { d in sink.emit(Self.located(d, item: itemIndex[at], file: name)) }
            return .event(e, location: itemIndex[at])
        }
        let reader = ItemReader(streamed: streamed, mapper: mapper, name: name, decoder: itemDecoder, encoding: encodingFallbackTimestamp)
        // Diagnostics and locations name an item by its place in the file, before folding.
        let place = streamed.kept[at].index
        guard workers > 1 else {
            let item = try reader.item(at)
            let e = mapper.event(from: item) { d in sink.emit(Self.located(d, item: place, file: name)) }
            return .event(e, location: place)
        }
        // Workers read and map blocks of items ahead while this thread hands out (and the
        // caller writes) the block before; diagnostics are emitted as each event is returned.
        if at - aheadStart >= ahead.count {
            let pool = self.pool ?? OrderedWorkPool<Range<Int>, [MappedItem]>(threads: workers) { range in range.map(reader.mapped) }
            self.pool = pool
            func topUp() {
                while pool.inFlight < workers * 2 && submitted < count {
                    let end = min(count, submitted + Self.blockSize)
                    pool.submit(submitted..<end)
                    submitted = end
                }
            }
            topUp()
            aheadStart = at
            ahead = pool.takeNext()
            topUp()
        }
        let item = ahead[at - aheadStart]
        for d in item.diagnostics { sink.emit(d) }
        switch try item.event.get() {
        case .event(let e): return .event(e, location: place)
        case .encoded(let text): return .encoded(text, location: place)
        }
    }

    deinit { pool?.close() }
}
