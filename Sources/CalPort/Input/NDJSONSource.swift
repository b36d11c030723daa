#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CalendarModel
import Foundation
import GoogleCalendar
import ICalendar

/// One Google Event resource per line.
final class NDJSONSource: ICalendarEncodingSource {
    let name: String
    /// Set: with several workers, they also write each event as iCalendar text.
    var encodingFallbackTimestamp: LocalDateTime?
    private let input: Input
    private let mapper: GoogleEventMapper
    private let sink: DiagnosticSink
    private let workers: Int
    /// The events of the block mapped last, the next one last: taken with `removeLast`, which
    /// moves nothing else, where `removeFirst` moved every event after it.
    private var buffered: [StreamItem] = []
    private var started = false
    private var done = false
    private var pool: OrderedWorkPool<[Line], [MappedLine]>?
    /// Every line has been read (with several workers, not all may be mapped yet).
    private var readAll = false

    /// `workers` > 1 decodes and maps each block of lines on that many threads; the events and
    /// diagnostics come in the same order as with one.
    init(_ input: Input, options: MappingOptions, diagnostics: DiagnosticSink, workers: Int = 1) {
        name = input.name
        self.input = input
        mapper = GoogleEventMapper(options: options)
        sink = diagnostics
        self.workers = max(1, workers)
    }

    func next() throws -> StreamItem? {
        if !started {
            started = true
            return .calendar(CalendarInfo())
        }
        if buffered.isEmpty && !done {
            // Read a block of lines at a time; the input is consumed in order.
            try fill()
        }
        guard !buffered.isEmpty else { return nil }
        let item = buffered.removeLast()
        // A series calport made for overrides that came without one goes again.
        if case .event(let e, _) = item, SeriesShapes.isSyntheticSeries(e) { return try next() }
        return item
    }

    private var reader: LineBlockReader?

    /// One line of the input, and what came of it: the event (nil: the line was skipped) and
    /// the diagnostics, emitted when the block is taken.
    typealias Line = (bytes: [UInt8], number: Int)
    struct MappedLine: Sendable {
        var number: Int
        var event: Event?
        /// The event as iCalendar text instead, when the source is asked for that.
        var encoded: ICalendarWriter.EncodedEvent?
        var diagnostics: [Diagnostic]
    }

    /// Decodes and maps a block of lines, on any thread; with `encoding` set, writes each event
    /// as iCalendar text too, with that DTSTAMP for one without (a series made for lone
    /// overrides stays an event, which `next` passes over).
    static func map(_ lines: [Line], mapper: GoogleEventMapper, name: String, encoding: LocalDateTime? = nil) -> [MappedLine] {
        let decoder = JSONDecoder()
        return lines.map { line in
            var diagnostics: [Diagnostic] = []
            do {
                let g = try JSONCodec.event(line.bytes, decoder)
                let e = mapper.event(from: g) { d in
                    var d = d
                    d.file = name
                    d.line = line.number
                    diagnostics.append(d)
                }
                if let encoding, !SeriesShapes.isSyntheticSeries(e) {
                    return MappedLine(number: line.number, encoded: ICalendarWriter.encode(e, fallbackTimestamp: encoding), diagnostics: diagnostics)
                }
                return MappedLine(number: line.number, event: e, diagnostics: diagnostics)
            } catch {
                let d = Diagnostic(.error, "not a Google Event resource: \(JSONCodec.explain(error)); line skipped", file: name, line: line.number)
                return MappedLine(number: line.number, diagnostics: [d])
            }
        }
    }

    /// The next block of up to 256 non-blank lines; empty at the end of the input.
    private func readBlock() throws -> [Line] {
        if reader == nil { reader = LineBlockReader(input: input) }
        var lines: [Line] = []
        while lines.count < 256, let (line, number) = try reader!.next() {
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            lines.append((line, number))
        }
        return lines
    }

    /// Fills `buffered` with the next block that holds an event; sets `done` at the end. With
    /// several workers, blocks are decoded ahead while the caller writes the one before.
    private func fill() throws {
        let name = name, mapper = mapper, encoding = encodingFallbackTimestamp
        while buffered.isEmpty {
            let mapped: [MappedLine]
            if workers == 1 {
                let block = try readBlock()
                if block.isEmpty {
                    done = true
                    return
                }
                mapped = Self.map(block, mapper: mapper, name: name)
            } else {
                let pool = self.pool ?? OrderedWorkPool<[Line], [MappedLine]>(threads: workers) { Self.map($0, mapper: mapper, name: name, encoding: encoding) }
                self.pool = pool
                try topUp(pool)
                if pool.inFlight == 0 {
                    done = true
                    pool.close()
                    return
                }
                mapped = pool.takeNext()
                try topUp(pool)
            }
            for line in mapped {
                for d in line.diagnostics { sink.emit(d) }
                if let e = line.event { buffered.append(.event(e, location: line.number)) }
                if let text = line.encoded { buffered.append(.encoded(text, location: line.number)) }
            }
            buffered.reverse()
        }
    }

    private func topUp(_ pool: OrderedWorkPool<[Line], [MappedLine]>) throws {
        while pool.inFlight < workers * 2 && !readAll {
            let block = try readBlock()
            if block.isEmpty { readAll = true } else { pool.submit(block) }
        }
    }

    deinit { pool?.close() }
}
