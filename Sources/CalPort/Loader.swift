import CalendarModel
import GoogleCalendar
import ICalendar

/// A whole calendar read into memory, with the zone resolution its source used.
public struct LoadedCalendar {
    public var document: CalendarDocument
    /// The line (iCalendar) or item index (JSON) of each event, for messages.
    public var locations: [Int?]
    public var format: Format
    /// Resolves TZIDs: the input's VTIMEZONEs first (for .ics), then the tz database.
    public var utcOffset: (String, LocalDateTime) -> Int?
    /// The events as `Verifier` compares them, when loaded for that alone (`document.events`
    /// is then empty).
    public internal(set) var entries: [Verifier.Entry]?
    /// How many events were read.
    public var eventCount: Int { entries?.count ?? document.events.count }

    public init(document: CalendarDocument, locations: [Int?], format: Format,
                utcOffset: @escaping (String, LocalDateTime) -> Int?) {
        self.document = document
        self.locations = locations
        self.format = format
        self.utcOffset = utcOffset
    }
}

public enum CalendarLoader {
    /// Reads any supported input fully (for `verify`; conversions stream instead).
    /// `comparedOnly` keeps of each event only what `Verifier` compares (`Verifier.Entry`,
    /// made as each event is read), not the events themselves; their texts go through `texts`
    /// when given (one pool for both calendars of a `verify`, so that they share equal texts).
    public static func load(path: String, name: String? = nil, from: Format? = nil, mapping: MappingOptions,
                            diagnostics: DiagnosticSink, comparedOnly: Bool = false,
                            texts: Verifier.TextPool? = nil) throws -> LoadedCalendar {
        let input: Input
        do { input = try Input(path: path, name: name) } catch let e as InputError { throw ConvertError.failed(e.description) }
        guard let format = from ?? Format.detect(prefix: input.prefix) ?? Format(pathExtensionOf: path) else {
            throw ConvertError.badInput("\(input.name): not iCalendar (no BEGIN:VCALENDAR) and not JSON; give --from if it is")
        }
        let source: EventSource
        var reader: ICalendarReader?
        do {
            switch format {
            case .ics:
                let s = ICalendarSource(input, mapping: mapping, diagnostics: diagnostics)
                reader = s.reader
                source = s
            case .json: source = try GoogleJSONSource(input, options: mapping, diagnostics: diagnostics)
            case .ndjson: source = NDJSONSource(input, options: mapping, diagnostics: diagnostics)
            }
        } catch let e as InputError {
            throw e.isDataError ? ConvertError.badInput(e.description) : ConvertError.failed(e.description)
        }
        var doc = CalendarDocument()
        var locations: [Int?] = []
        var entries: [Verifier.Entry] = []
        do {
            while let item = try source.next() {
                switch item {
                case .calendar(let info): if doc.info == CalendarInfo() { doc.info = info }
                case .timeZone(let def): doc.timeZones.append(def)
                case .event(let e, let at):
                    // An event the reader refused (reported as an error, so verify exits 65)
                    // is left out, as convert and push leave it out: the rest is compared.
                    if e.rejection != nil { continue }
                    if comparedOnly { entries.append(Verifier.Entry(e, texts: texts)) } else { doc.events.append(e) }
                    locations.append(at)
                case .encoded: preconditionFailure("events come encoded only from a source asked for them")
                }
            }
        } catch let e as ICalendarReadError {
            throw ConvertError.failed(e.description)
        }
        if format == .ics {
            // What the .ics means where an export says it oddly (an override of an excluded
            // occurrence, a date-time RECURRENCE-ID of an all-day series): as push writes it.
            let report = { (d: Diagnostic) in
                var d = d
                d.file = input.name
                diagnostics.emit(d)
            }
            if comparedOnly { Verifier.repairShapes(&entries, report: report) } else {
                SeriesShapes.repair(&doc.events, makingSeries: false, report: report)
            }
        }
        let r = reader
        var loaded = LoadedCalendar(document: doc, locations: locations, format: format) { tzid, local in
            r?.utcOffset(tzid: tzid, at: local) ?? TimeZoneNames.utcOffset(tzid: tzid, at: local)
        }
        if comparedOnly { loaded.entries = entries }
        return loaded
    }
}
