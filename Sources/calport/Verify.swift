import ArgumentParser
import CalPort
import CalendarModel
import Foundation
import GoogleCalendar

struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check that two calendars have the same occurrences.",
        discussion: """
            A and B are each an .ics file, a Google calendar#events JSON file, NDJSON, or a Google \
            calendar as google:CALENDAR_ID (listed through the API, as `calport pull` reads it; \
            write ./google:x for a file of that name); a file may also be an http(s) or webcal \
            URL, fetched with the limits of an API answer. Both \
            are expanded with libical's recurrence engine over the window, overrides and \
            cancelled occurrences applied, and compared occurrence by occurrence: missing, \
            extra, and changed start, end (as instants; all-day as dates), summary, location, \
            description, status, transparency, attendees and reminders.

            A Google side (JSON, NDJSON or google:) is read as Google reads it: from its own \
            fields (start, end, recurrence, status, recurringEventId, originalStartTime, …), not \
            from the iCalendar lines calport carries in extendedProperties.private, which Google \
            never reads. --with-carrier restores them first: the round-trip view, which says \
            whether the .ics comes back, not what Google shows.

            Exit codes: 0 equivalent; 1 different; 64 usage; 65 an input is not readable data \
            (also a google: calendar that cannot be listed, or a URL that answers with an error); \
            for a google: side also 69 Google unavailable and 77 not signed in or no access; 69 \
            also for a URL that cannot be reached or whose server fails.

            Examples:
              calport verify work.ics work.json
              calport convert work.ics --to json | calport verify work.ics -
              calport verify old.ics new.ics --window 2024-01-01/2025-01-01 --json
              calport verify work.ics google:primary            # check a migration against its source
            """ + "\n\n" + EnvironmentVariable.helpText(for: "verify")
    )

    @Argument(help: "The first calendar (- for standard input).")
    var a: String

    @Argument(help: "The second calendar (- for standard input).")
    var b: String

    @Option(help: "Compare occurrences starting in START/END (dates or RFC 3339 UTC date-times). Default: 1900-01-01/2100-01-01.")
    var window: String?

    @Option(help: "The most occurrences compared per recurring series.")
    var limit: Int = 2000

    @Option(name: .customLong("default-tz"), help: "IANA zone for floating times when a calendar names none, and for TZIDs nothing resolves.")
    var defaultTimeZone: String?

    @Flag(help: "Print the report as JSON.")
    var json = false

    @Flag(name: .customLong("with-carrier"), help: "Read a Google side with calport's carried iCalendar lines restored (the round-trip view).")
    var withCarrier = false

    @OptionGroup var google: GoogleOptions

    func validate() throws {
        if a == "-" && b == "-" { throw ValidationError("only one of A and B can be standard input") }
        for side in [a, b] where side.hasPrefix(GoogleCalendarSide.prefix) && GoogleCalendarSide.calendarId(side) == nil {
            throw ValidationError("\(side): give a calendar id after google: (e.g. google:primary)")
        }
        if let w = window, Verify.parseWindow(w) == nil {
            throw ValidationError("--window \(w) is not START/END, e.g. 2024-01-01/2025-01-01")
        }
        if limit < 1 { throw ValidationError("--limit must be at least 1") }
        if let z = defaultTimeZone, !TimeZoneNames.isKnown(z) {
            throw ValidationError("--default-tz \(z) is not an IANA time zone name (e.g. Europe/Berlin)")
        }
    }

    static func parseWindow(_ s: String) -> (Int, Int)? {
        let parts = s.split(separator: "/")
        guard parts.count == 2, let a = instant(String(parts[0])), let b = instant(String(parts[1])), a < b else { return nil }
        return (a, b)
    }

    /// A date (midnight UTC), or an RFC 3339 date-time (UTC when it has no offset).
    static func instant(_ s: String) -> Int? {
        if let d = RFC3339.date(s) { return d.daysSinceEpoch * 86_400 }
        guard let (local, offset) = RFC3339.dateTime(s) else { return nil }
        return local.secondsSinceEpoch - (offset ?? 0)
    }

    func run() async throws {
        let printer = DiagnosticPrinter()
        defer { printer.finish() }
        // Exit 1 says only "both were read, and they differ": a side that could not be read, in
        // whole or in part, is bad input (65), whatever the comparison of the rest found.
        let counter = DiagnosticCounter(forwardingTo: printer)
        let mapping = MappingOptions(defaultTimeZone: defaultTimeZone, readsCarrier: withCarrier)
        let left: LoadedCalendar, right: LoadedCalendar
        // One pool for both sides: the texts B shares with A are held once. It is dropped once
        // both are read (the entries keep their texts).
        var texts: Verifier.TextPool? = Verifier.TextPool()
        var session: GoogleSession?
        func load(_ side: String) async throws -> LoadedCalendar {
            guard let calendarId = GoogleCalendarSide.calendarId(side) else {
                let source: InputArgument
                do { source = try await InputArgument.resolve(side) } catch let code as ExitCode {
                    // Exit 1 means "the calendars differ": a URL that answers with an error is an
                    // input that cannot be read.
                    throw code == Exit.failure ? Exit.dataError : code
                }
                return try withExtendedLifetime(source) {
                    try CalendarLoader.load(path: source.path, name: source.name, mapping: mapping, diagnostics: counter,
                                            comparedOnly: true, texts: texts)
                }
            }
            do {
                if session == nil { session = try google.session() }
                return try await GoogleCalendarSide.load(calendarId: calendarId, api: session!.api, mapping: mapping, diagnostics: counter,
                                                         texts: texts)
            } catch let e as ExitCode { throw e } catch {
                // Exit 1 means "the calendars differ": a calendar that cannot be listed (a wrong
                // id, an unexpected answer) is an input that cannot be read.
                let code = Exit.report(error)
                throw code == Exit.failure ? Exit.dataError : code
            }
        }
        do {
            left = try await load(a)
            right = try await load(b)
            texts = nil
        } catch let e as ConvertError {
            StandardError.write("calport: \(e)\n")
            if case .failed = e { throw Exit.failure }
            throw Exit.dataError
        }
        var options = Verifier.Options(limitPerSeries: limit)
        if let w = window.flatMap(Verify.parseWindow) { (options.windowStart, options.windowEnd) = w }
        let report = Verifier(options: options).compare(
            left, right,
            floatingZoneA: left.document.info.timeZone ?? defaultTimeZone,
            floatingZoneB: right.document.info.timeZone ?? defaultTimeZone)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try printOut(String(decoding: try encoder.encode(report), as: UTF8.self) + "\n")
        } else {
            for n in report.notes { StandardError.write("calport: note: \(n)\n") }
            try printOut(report.differences.prefix(200).map { "\($0)\n" }.joined())
            if report.differences.count > 200 { try printOut("… and \(report.differences.count - 200) more differences\n") }
            try printOut((counter.errors > 0 ? "of what could be read, " : "") + (report.equivalent
                ? "equivalent: \(report.occurrencesA) occurrences of \(report.eventsA) events in A, \(report.occurrencesB) of \(report.eventsB) in B"
                : "different: \(report.differences.count) differences (\(report.occurrencesA) occurrences in A, \(report.occurrencesB) in B)") + "\n")
        }
        if counter.errors > 0 {
            printer.finish()
            StandardError.write("calport: \(counter.errors) error\(counter.errors == 1 ? "" : "s") while reading: what could not be read was not compared\n")
            throw Exit.dataError
        }
        if !report.equivalent { throw Exit.failure }
    }
}
