import CalendarModel
import Foundation
import GoogleAPI
import GoogleCalendar

/// What `calport pull` is asked to do.
public struct PullOptions: Sendable {
    public var calendars: [String]
    /// Every calendar of the account's calendar list (added to `calendars`).
    public var allCalendars: Bool
    /// A file, `-`/nil for standard output, or (`outputIsDirectory`) a directory.
    public var output: String?
    /// Each calendar goes to `<output>/<calendar-id>.<format>` (several calendars).
    public var outputIsDirectory: Bool
    public var format: Format
    /// RFC 3339 bounds as Google takes them (see `PullOptions.rfc3339Bound`).
    public var timeMin: String?
    public var timeMax: String?
    public var includeCancelled: Bool
    public var mapping: MappingOptions
    public var fallbackTimestamp: LocalDateTime

    public init(calendars: [String], allCalendars: Bool = false, output: String? = nil, outputIsDirectory: Bool = false, format: Format = .ics,
                timeMin: String? = nil, timeMax: String? = nil, includeCancelled: Bool = false,
                mapping: MappingOptions = MappingOptions(), fallbackTimestamp: LocalDateTime? = nil) {
        self.calendars = calendars
        self.allCalendars = allCalendars
        self.output = output
        self.outputIsDirectory = outputIsDirectory
        self.format = format
        self.timeMin = timeMin
        self.timeMax = timeMax
        self.includeCancelled = includeCancelled
        self.mapping = mapping
        self.fallbackTimestamp = fallbackTimestamp ?? ConvertOptions.defaultTimestamp()
    }

    /// A `--time-min`/`--time-max` value as Google wants it: a date (`2025-01-01`, midnight UTC)
    /// or an RFC 3339 date-time with `Z` or an offset. Nil when it is neither.
    public static func rfc3339Bound(_ s: String) -> String? {
        let t = s.trimmingCharacters(in: .whitespaces).uppercased()
        if RFC3339.date(t) != nil { return t + "T00:00:00Z" }
        guard let (_, offset) = RFC3339.dateTime(t), offset != nil else { return nil }
        return t
    }
}

/// One calendar's part of a pull.
public struct PullCalendarReport: Sendable, Codable {
    public var calendarId: String
    public var name: String?
    public var timeZone: String?
    /// Where it was written ("<stdout>" for standard output).
    public var output: String?
    /// Entries events.list returned, and in how many pages.
    public var received = 0
    public var pages = 0
    public var written = RenderSummary()
    public var warnings = 0
    public var errors = 0
    /// Why this calendar failed; nil when it was written.
    public var failure: String?
    public var advice: String?
}

/// What `calport pull` did, for the summary line and `--report`.
public struct PullReport: Sendable, Codable {
    public var command = "pull"
    public var format: String
    public var calendars: [PullCalendarReport] = []
    /// HTTP requests sent (retries included), requests sent again, and response bytes received.
    public var requests = 0
    public var retries = 0
    public var responseBytes = 0
    public var seconds = 0.0
    /// The exit code (see `Outcome`).
    public var exitCode: Int32 = 0
}

/// `calport pull`: full exports of Google calendars to .ics, JSON or NDJSON.
public struct Puller: Sendable {
    public let api: GoogleCalendarAPI
    public let options: PullOptions

    public init(api: GoogleCalendarAPI, options: PullOptions) {
        self.api = api
        self.options = options
    }

    /// The calendars to pull: those named, then (with `allCalendars`) the rest of the list.
    public func calendarIds() async throws -> [String] {
        var ids: [String] = []
        for id in options.calendars {
            // In a directory each file is named after its calendar: `primary` becomes the
            // account's address, so both name one file and the calendar is pulled once.
            let resolved = options.outputIsDirectory && id == "primary" ? try await api.calendar(id: id).id ?? id : id
            if !ids.contains(resolved) { ids.append(resolved) }
        }
        if options.allCalendars {
            for entry in try await api.allCalendars() {
                if let id = entry.id, !ids.contains(id) { ids.append(id) }
            }
        }
        return ids
    }

    /// Where a calendar is written: the output itself for one calendar, else
    /// `<dir>/<calendar-id>.<format>`.
    public static func destination(for calendarId: String, output: String?, format: Format, several: Bool) -> String? {
        guard several, let dir = output else { return output }
        let base = dir.hasSuffix("/") ? String(dir.dropLast()) : dir
        return base + "/" + CalendarRenderer.fileName(forCalendarId: calendarId) + "." + format.rawValue
    }

    /// Pulls every calendar; one that fails does not stop the others. `outcome` is success,
    /// partial (some calendars failed) or the first failure's code (all failed).
    public func run(ids: [String], diagnostics: DiagnosticSink, progress: ProgressReporter?) async -> (PullReport, Outcome) {
        var report = PullReport(format: options.format.rawValue)
        let started = Date()
        let several = options.outputIsDirectory
        var outcomes: [Outcome] = []
        for id in ids {
            var r = PullCalendarReport(calendarId: id)
            let counter = DiagnosticCounter(forwardingTo: diagnostics)
            do {
                // Google's resources as listed, tombstones included: the JSON formats keep them.
                let store = GoogleCalendarStore(
                    api: api, calendarId: id,
                    options: .init(timeMin: options.timeMin, timeMax: options.timeMax, includeDeleted: options.includeCancelled),
                    progress: progress)
                let fetched = try await store.listing(since: nil)
                r.name = fetched.info.name
                r.timeZone = fetched.info.timeZone
                r.received = fetched.events.count
                r.pages = fetched.pages
                let out = try Output(path: Self.destination(for: id, output: options.output, format: options.format, several: several))
                r.output = out.name
                do {
                    switch options.format {
                    case .ics:
                        r.written = try CalendarRenderer.writeICalendar(
                            fetched.events, info: fetched.info, mapping: options.mapping,
                            fallbackTimestamp: options.fallbackTimestamp, diagnostics: counter) { try out.write($0) }
                    case .json:
                        r.written = try CalendarRenderer.writeJSON(fetched.events, info: fetched.info) { try out.write($0) }
                    case .ndjson:
                        r.written = try CalendarRenderer.writeNDJSON(fetched.events) { try out.write($0) }
                    }
                    try out.commit()
                } catch {
                    out.discard()
                    throw error
                }
                if r.written.skippedTombstones > 0 {
                    progress?.note("\(id): \(r.written.skippedTombstones) cancelled entries without a start left out of the .ics (use --format json or ndjson to keep them)")
                }
                r.warnings = counter.warnings
                r.errors = counter.errors
                outcomes.append(r.errors > 0 ? .dataError : .success)
            } catch {
                let f = Failure(error)
                r.failure = f.message
                r.advice = f.advice
                r.warnings = counter.warnings
                r.errors = counter.errors
                outcomes.append(f.outcome)
                progress?.problem("\(id): \(f)")
            }
            report.calendars.append(r)
        }
        progress?.finish()
        report.seconds = (Date().timeIntervalSince(started) * 1000).rounded() / 1000
        let stats = api.stats
        report.requests = stats.requests
        report.retries = stats.retries
        let outcome = Self.combined(outcomes)
        report.exitCode = outcome.rawValue
        return (report, outcome)
    }

    /// One exit code for several calendars: all alike → that one; some succeeded → partial.
    public static func combined(_ outcomes: [Outcome]) -> Outcome {
        guard let first = outcomes.first else { return .success }
        if outcomes.allSatisfy({ $0 == first }) { return first }
        if outcomes.contains(.success) { return .partial }
        return outcomes.first { $0 != .success && $0 != .dataError } ?? first
    }
}
