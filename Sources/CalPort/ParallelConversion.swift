import CalendarModel
import Foundation
import GoogleCalendar
import ICalendar

/// iCalendar to Google JSON on several threads, with the output and the diagnostics of a
/// conversion on one thread, byte for byte:
///
/// - this thread reads the input (lines, components, VTIMEZONEs) and cuts it into batches
///   of undecoded events, each with the zones it resolves against;
/// - workers decode, map and serialise the events of a batch;
/// - this thread takes the batches back in input order and writes them, emitting each
///   diagnostic where a one-thread conversion would.
///
/// At most `maximumInFlight` batches are between reading and writing, so memory does not
/// grow with the input.
struct ICalendarToGooglePipeline {
    var workers: Int
    var eventsPerBatch = 32
    var maximumInFlight: Int { workers * 4 }

    /// What the reader yielded, in input order; events become `.rendered` on a worker.
    enum Unit: Sendable {
        case diagnostics([Diagnostic])
        case calendar(CalendarInfo)
        case timeZone(TimeZoneDefinition)
        case skipped(String)
        case pending(PendingEvent, GoogleEventMapper)
        case rendered(RenderedEvent, [PendingEvent.Report])
    }

    struct Result {
        var events = 0
        var skipped: [String: Int] = [:]
        var began = false
    }

    /// Reads everything from `reader` (whose diagnostics go to `readerDiagnostics`) into
    /// `sink`; diagnostics are emitted to `diagnostics` in input order. The caller ends the sink.
    func run(reader: ICalendarReader, readerDiagnostics: CapturingDiagnostics, sink: GoogleJSONSink, ndjson: Bool,
             sourceName: String, diagnostics: DiagnosticSink) throws -> Result {
        let pool = OrderedWorkPool<[Unit], [Unit]>(threads: workers) { batch in
            batch.map { unit in
                guard case .pending(let p, var mapper) = unit else { return unit }
                let (event, reports) = p.decode()
                mapper.zoneEquivalent = { tzid, year in p.ianaEquivalent(ofInputZone: tzid, around: year) }
                let r: RenderedEvent = GoogleJSONSink.render(event, location: p.line, mapper: mapper, ndjson: ndjson, sourceName: sourceName)
                return .rendered(r, reports)
            }
        }
        defer { pool.close() }

        var result = Result()
        func write(_ batch: [Unit]) throws {
            for unit in batch {
                switch unit {
                case .diagnostics(let list): for d in list { diagnostics.emit(d) }
                case .calendar(let info):
                    if !result.began { try sink.begin(info); result.began = true }
                case .timeZone(let def): try sink.timeZone(def)
                case .skipped(let name): result.skipped[name, default: 0] += 1
                case .rendered(let r, let reports):
                    if !result.began { try sink.begin(CalendarInfo()); result.began = true }
                    reader.emit(reports, to: diagnostics)
                    try sink.event(r)
                    result.events += 1
                case .pending: preconditionFailure("an event left the pipeline undecoded")
                }
            }
        }

        // The mapper the sink will have when these events are written (it begins once).
        var mapper: GoogleEventMapper?
        var batch: [Unit] = []
        var events = 0
        func submit() throws {
            guard !batch.isEmpty else { return }
            pool.submit(batch)
            batch = []
            events = 0
            while pool.inFlight >= maximumInFlight { try write(pool.takeNext()) }
        }
        func takeReaderDiagnostics() {
            let list = readerDiagnostics.take()
            if !list.isEmpty { batch.append(.diagnostics(list)) }
        }

        while let item = try reader.nextPending() {
            takeReaderDiagnostics()
            switch item {
            case .calendar(let info):
                if mapper == nil { mapper = sink.mapper(beganWith: info) }
                batch.append(.calendar(info))
            case .timeZone(let def): batch.append(.timeZone(def))
            case .skipped(let name, _): batch.append(.skipped(name))
            case .event(let p):
                if mapper == nil { mapper = sink.mapper(beganWith: CalendarInfo()) }
                batch.append(.pending(p, mapper!))
                events += 1
                if events >= eventsPerBatch { try submit() }
            }
        }
        takeReaderDiagnostics()
        try submit()
        while pool.inFlight > 0 { try write(pool.takeNext()) }
        return result
    }
}

/// Keeps diagnostics until they are taken (by the thread that emitted them).
final class CapturingDiagnostics: DiagnosticSink, @unchecked Sendable {
    private let lock = Lock()
    private var list: [Diagnostic] = []

    func emit(_ d: Diagnostic) { lock.withLock { list.append(d) } }

    func take() -> [Diagnostic] {
        lock.withLock {
            defer { list = [] }
            return list
        }
    }
}

/// Runs `work` on each submitted input on `threads` threads; results are taken in the
/// order the inputs were submitted. Used from one thread (the submitter and taker).
final class OrderedWorkPool<In: Sendable, Out: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [(Int, In)] = []
    private var results: [Int: Out] = [:]
    private var submitted = 0
    private var taken = 0
    private var closed = false
    private let work: @Sendable (In) -> Out

    init(threads: Int, work: @escaping @Sendable (In) -> Out) {
        self.work = work
        for i in 0..<max(1, threads) {
            let t = Thread { [self] in self.serve() }
            t.name = "calport-worker-\(i)"
            t.stackSize = 8 << 20
            t.start()
        }
    }

    /// Submitted and not yet taken.
    var inFlight: Int { submitted - taken }

    func submit(_ input: In) {
        condition.lock()
        queue.append((submitted, input))
        submitted += 1
        condition.signal()
        condition.unlock()
    }

    /// The result of the oldest input not yet taken; waits for it.
    func takeNext() -> Out {
        condition.lock()
        defer { condition.unlock() }
        precondition(taken < submitted, "nothing submitted")
        while results[taken] == nil { condition.wait() }
        let out = results.removeValue(forKey: taken)!
        taken += 1
        return out
    }

    /// Lets the threads end once the queue is empty; results not taken are dropped.
    func close() {
        condition.lock()
        closed = true
        queue = []
        condition.broadcast()
        condition.unlock()
    }

    private func serve() {
        while true {
            condition.lock()
            while queue.isEmpty && !closed { condition.wait() }
            if queue.isEmpty {
                condition.unlock()
                return
            }
            // At most `inFlight` entries: removing the first is cheap, and a batch taken is
            // no longer held by the queue.
            let (index, input) = queue.removeFirst()
            condition.unlock()
            let out = work(input)
            condition.lock()
            if !closed { results[index] = out }
            condition.broadcast()
            condition.unlock()
        }
    }
}
