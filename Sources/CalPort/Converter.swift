import CalendarModel
import Foundation
import GoogleCalendar
import ICalendar

public struct ConvertOptions: Sendable {
    /// The input format; detected from the content when nil.
    public var from: Format?
    public var to: Format
    public var mapping: MappingOptions
    /// Any diagnostic fails the conversion and no output is written.
    public var strict: Bool
    /// DTSTAMP for events that have no timestamp of their own. Defaults to
    /// `SOURCE_DATE_EPOCH` when set (reproducible output), else the current time.
    public var fallbackTimestamp: LocalDateTime
    /// Threads that decode, map and serialise events (iCalendar to Google JSON); 1 converts
    /// on the calling thread alone. The output and the diagnostics are the same for any
    /// number. Defaults to `CALPORT_WORKERS` when set, else the number of active cores.
    public var workers: Int

    public init(from: Format? = nil, to: Format, mapping: MappingOptions = MappingOptions(), strict: Bool = false,
                fallbackTimestamp: LocalDateTime? = nil) {
        self.from = from
        self.to = to
        self.mapping = mapping
        self.strict = strict
        self.fallbackTimestamp = fallbackTimestamp ?? ConvertOptions.defaultTimestamp()
        self.workers = ConvertOptions.defaultWorkers()
    }

    public init(from: Format? = nil, to: Format, mapping: MappingOptions = MappingOptions(), strict: Bool = false,
                fallbackTimestamp: LocalDateTime? = nil, workers: Int) {
        self.init(from: from, to: to, mapping: mapping, strict: strict, fallbackTimestamp: fallbackTimestamp)
        self.workers = max(1, workers)
    }

    static func defaultWorkers() -> Int {
        if let s = ProcessInfo.processInfo.environment["CALPORT_WORKERS"], let n = Int(s), n >= 1 { return n }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }

    static func defaultTimestamp() -> LocalDateTime {
        if let s = ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"], let n = Int(s) {
            return LocalDateTime(secondsSinceEpoch: n)
        }
        return LocalDateTime(secondsSinceEpoch: Int(Date().timeIntervalSince1970))
    }
}

/// What a conversion did.
public struct ConversionSummary: Sendable, Codable {
    public var input: String
    public var from: String
    public var to: String
    public var events: Int = 0
    /// Components that are not events (VTODO, VJOURNAL, …), by name.
    public var skipped: [String: Int] = [:]
    public var warnings: Int = 0
    public var errors: Int = 0
}

public enum ConvertError: Error, CustomStringConvertible {
    /// The input is not data calport can read (exit 65).
    case badInput(String)
    /// `--strict` and diagnostics were reported (exit 65).
    case strict(Int)
    /// Anything else: I/O, output (exit 1).
    case failed(String)

    public var description: String {
        switch self {
        case .badInput(let s), .failed(let s): return s
        case .strict(let n): return "--strict: \(n) diagnostic\(n == 1 ? "" : "s") reported; no output written"
        }
    }
}

/// Streams one input to one output: read, map, write, event by event.
public struct Converter {
    public var options: ConvertOptions

    public init(options: ConvertOptions) { self.options = options }

    public func run(input path: String, inputName: String? = nil, output: Output, diagnostics: DiagnosticSink) throws -> ConversionSummary {
        let counter = DiagnosticCounter(forwardingTo: diagnostics)
        let input: Input
        do { input = try Input(path: path, name: inputName) } catch let e as InputError { throw ConvertError.failed(e.description) }

        guard let from = options.from ?? Format.detect(prefix: input.prefix) ?? Format(pathExtensionOf: path) else {
            throw ConvertError.badInput(input.prefix.isEmpty
                ? "\(input.name): the input is empty"
                : "\(input.name): not iCalendar (no BEGIN:VCALENDAR) and not JSON; give --from if it is")
        }
        var summary = ConversionSummary(input: input.name, from: from.rawValue, to: options.to.rawValue)

        // A RANGE=THISANDFUTURE override changes its series, which a stream has already passed:
        // such inputs are converted as a whole document (see SeriesSplitter).
        let wholeDocument = options.to != .ics && input.mentions("THISANDFUTURE")
        if from == .ics && options.to != .ics && !wholeDocument && options.workers > 1 {
            return try runParallel(input: input, output: output, counter: counter, summary: summary)
        }

        let source: EventSource
        do {
            switch from {
            case .ics: source = ICalendarSource(input, mapping: options.mapping, diagnostics: counter)
            case .json: source = try GoogleJSONSource(input, options: options.mapping, diagnostics: counter, workers: options.workers)
            case .ndjson: source = NDJSONSource(input, options: options.mapping, diagnostics: counter, workers: options.workers)
            }
        } catch let e as InputError {
            throw e.isDataError ? ConvertError.badInput(e.description) : ConvertError.failed(e.description)
        }

        let sink: EventSink
        switch options.to {
        case .ics:
            sink = ICalendarSink(output: output, fallbackTimestamp: options.fallbackTimestamp, diagnostics: counter)
            // Workers that map the events also write them: this thread copies the text.
            if options.workers > 1, let s = source as? ICalendarEncodingSource { s.encodingFallbackTimestamp = options.fallbackTimestamp }
        case .json, .ndjson:
            // Custom VTIMEZONEs ("Customized Time Zone") are matched to IANA zones by the reader.
            let equivalent = (source as? ICalendarSource).map { s -> @Sendable (String, Int) -> String? in
                let reader = UncheckedSendable(s.reader)
                return { tzid, year in reader.value.ianaEquivalent(ofInputZone: tzid, around: year) }
            }
            sink = GoogleJSONSink(output: output, ndjson: options.to == .ndjson, options: options.mapping,
                                  sourceName: input.name, diagnostics: counter, zoneEquivalent: equivalent)
        }

        do {
            var began = false
            var held: [(Event, Int?)] = []
            while let item = try source.next() {
                if wholeDocument, case .event(let e, let location) = item {
                    held.append((e, location))
                    continue
                }
                switch item {
                case .calendar(let info):
                    if !began { try sink.begin(info); began = true }
                case .timeZone(let def): try sink.timeZone(def)
                case .event(let e, let location):
                    if !began { try sink.begin(CalendarInfo()); began = true }
                    try sink.event(e, location: location)
                    summary.events += 1
                case .encoded(let text, _):
                    guard let ics = sink as? ICalendarSink else { preconditionFailure("events come encoded only for an .ics output") }
                    if !began { try sink.begin(CalendarInfo()); began = true }
                    try ics.write(text)
                    summary.events += 1
                }
            }
            if !held.isEmpty {
                if !began { try sink.begin(CalendarInfo()); began = true }
                let reader = (source as? ICalendarSource)?.reader
                let offsets: (String, LocalDateTime) -> Int? = { z, l in reader?.utcOffset(tzid: z, at: l) ?? TimeZoneNames.utcOffset(tzid: z, at: l) }
                let locations = Dictionary(held.map { ($0.0.uid ?? "", $0.1) }, uniquingKeysWith: { a, _ in a })
                let split = SeriesSplitter.split(held.map(\.0), utcOffset: offsets) { d in
                    var d = d
                    d.file = input.name
                    counter.emit(d)
                }
                for e in split {
                    try sink.event(e, location: locations[e.uid ?? ""] ?? nil)
                    summary.events += 1
                }
            }
            if !began { try sink.begin(CalendarInfo()) }
            try sink.end()
        } catch let e as ICalendarReadError {
            output.discard()
            throw ConvertError.failed(e.description)
        } catch let e as InputError {
            output.discard()
            throw e.isDataError ? ConvertError.badInput(e.description) : ConvertError.failed(e.description)
        } catch let e as OutputError {
            output.discard()
            throw ConvertError.failed(e.description)
        }

        if let ics = source as? ICalendarSource { summary.skipped = ics.skipped }
        return try finish(summary, input: input, output: output, counter: counter)
    }

    /// iCalendar to Google JSON through `ICalendarToGooglePipeline`: the same output and
    /// diagnostics as the loop in `run`, on `options.workers` threads.
    private func runParallel(input: Input, output: Output, counter: DiagnosticCounter, summary: ConversionSummary) throws -> ConversionSummary {
        var summary = summary
        let captured = CapturingDiagnostics()
        let reader = ICalendarReader(fileDescriptor: input.fd, prefix: input.prefix, name: input.name,
                                    naming: .calport(options.mapping), diagnostics: captured)
        let live = UncheckedSendable(reader)
        let sink = GoogleJSONSink(output: output, ndjson: options.to == .ndjson, options: options.mapping,
                                  sourceName: input.name, diagnostics: counter,
                                  zoneEquivalent: { tzid, year in live.value.ianaEquivalent(ofInputZone: tzid, around: year) })
        do {
            let pipeline = ICalendarToGooglePipeline(workers: options.workers)
            let r = try pipeline.run(reader: reader, readerDiagnostics: captured, sink: sink, ndjson: options.to == .ndjson,
                                     sourceName: input.name, diagnostics: counter)
            if !r.began { try sink.begin(CalendarInfo()) }
            try sink.end()
            summary.events = r.events
            summary.skipped = r.skipped
        } catch let e as ICalendarReadError {
            output.discard()
            throw ConvertError.failed(e.description)
        } catch let e as OutputError {
            output.discard()
            throw ConvertError.failed(e.description)
        }
        return try finish(summary, input: input, output: output, counter: counter)
    }

    private func finish(_ summary: ConversionSummary, input: Input, output: Output, counter: DiagnosticCounter) throws -> ConversionSummary {
        var summary = summary
        for (name, n) in summary.skipped.sorted(by: { $0.key < $1.key }) {
            counter.emit(Diagnostic(.note, "\(n) \(name) component\(n == 1 ? "" : "s") skipped: calport converts events only", file: input.name))
        }
        summary.warnings = counter.warnings
        summary.errors = counter.errors
        if options.strict && counter.errors + counter.warnings > 0 {
            output.discard()
            throw ConvertError.strict(counter.errors + counter.warnings)
        }
        // A run that read nothing but errors leaves an existing output as it was.
        if summary.events == 0 && summary.errors > 0 {
            output.discard()
            throw ConvertError.badInput("\(input.name): no events could be read" + (output.isFile ? "; \(output.name) was left as it was" : ""))
        }
        do { try output.commit() } catch let e as OutputError { throw ConvertError.failed(e.description) }
        return summary
    }
}

/// Hands a value that is used from one thread at a time to an API that asks for Sendable.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
