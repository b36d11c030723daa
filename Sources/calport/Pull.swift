import ArgumentParser
import CalPort
import Foundation
import GoogleCalendar
import HTTP

struct Pull: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export Google calendars to .ics, Google JSON or NDJSON.",
        discussion: """
            A full export: every event of each calendar, 2,500 a page, asking Google only for the \
            fields calport maps. The .ics has X-WR-CALNAME and X-WR-TIMEZONE from the calendar, a \
            VTIMEZONE for every zone used, each series with its overrides (RECURRENCE-ID) and its \
            cancelled occurrences as EXDATE, and Google-only fields as X-GOOGLE-* properties. \
            json is a calendar#events object and ndjson one Event resource a line, both exactly as \
            Google sent them. Events come in a stable order, so two pulls of an unchanged calendar \
            give the same bytes.

            One calendar goes to -o FILE or standard output. Several calendars (or \
            --all-calendars) need -o DIR: each is written to DIR/<calendar-id>.<format>, with \
            primary resolved to the account's address, so both name the same file.

            Exit codes: 0 done; 3 some calendars failed (the others were written); 1 failure; \
            64 usage; 65 some events could not be mapped; 69 Google unavailable or quota \
            exhausted; 77 not signed in or no access.

            Examples:
              calport pull --calendar primary -o calendar.ics
              calport pull --calendar team@group.calendar.google.com --format ndjson | jq -c .summary
              calport pull --all-calendars -o backup/ --time-min 2025-01-01
            """ + "\n\n" + EnvironmentVariable.helpText(for: "pull")
    )

    @Option(name: .customLong("calendar"), help: "A calendar id (see `calport calendars`; primary is the account's own). Repeatable.")
    var calendars: [String] = []

    @Flag(help: "Every calendar of the account's calendar list.")
    var allCalendars = false

    @Option(name: .shortAndLong, help: "Write here (atomically): a file, - for standard output, or a directory for several calendars.")
    var output: String?

    @Option(help: "The output format (ics, json, ndjson).")
    var format: Format = .ics

    @Option(help: "Only events ending after this (a date or an RFC 3339 date-time with offset).")
    var timeMin: String?

    @Option(help: "Only events starting before this (a date or an RFC 3339 date-time with offset).")
    var timeMax: String?

    @Flag(help: "Also export deleted events (Google's showDeleted). An .ics holds those Google still gives a start.")
    var includeCancelled = false

    @Option(help: "Write a JSON report of the run to this file.")
    var report: String?

    @Flag(name: .shortAndLong, help: "No progress and no summary on standard error, unless something failed.")
    var quiet = false

    @OptionGroup var google: GoogleOptions

    var several: Bool { allCalendars || Set(calendars).count > 1 }

    func validate() throws {
        try checkOutputPaths([("--report", report)] + (several ? [] : [("-o", output)]))
        if calendars.isEmpty && !allCalendars { throw ValidationError("give --calendar ID (repeatable) or --all-calendars") }
        if let t = timeMin, PullOptions.rfc3339Bound(t) == nil {
            throw ValidationError("--time-min \(t) is not a date (2025-01-01) or an RFC 3339 date-time with offset (2025-01-01T00:00:00Z)")
        }
        if let t = timeMax, PullOptions.rfc3339Bound(t) == nil {
            throw ValidationError("--time-max \(t) is not a date (2025-01-01) or an RFC 3339 date-time with offset (2025-01-01T00:00:00Z)")
        }
        if several {
            guard let o = output, o != "-" else {
                throw ValidationError("several calendars need -o DIR (each is written to DIR/<calendar-id>.\(format.rawValue)): one .ics file holds one calendar")
            }
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: o, isDirectory: &isDir) {
                if !isDir.boolValue { throw ValidationError("-o \(o) is a file; several calendars need a directory") }
            } else if Self.looksLikeAFile(o) {
                // `-o backup.ics` with two calendars would quietly become a directory of that name.
                throw ValidationError("-o \(o) names a file, but several calendars need a directory (each is written to DIR/<calendar-id>.\(format.rawValue)): give -o \((o as NSString).deletingPathExtension)/ or another directory")
            }
        }
    }

    func run() async throws {
        var ids: [String] = []
        for c in calendars where !ids.contains(c) { ids.append(c) }
        if several, let dir = output {
            do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
                StandardError.write("calport: -o \(dir): cannot create the directory: \(error.localizedDescription)\n")
                throw Exit.failure
            }
        }
        let (session, counting) = try google.countingSession()

        let options = PullOptions(
            calendars: ids, allCalendars: allCalendars, output: output, outputIsDirectory: several, format: format,
            timeMin: timeMin.flatMap(PullOptions.rfc3339Bound), timeMax: timeMax.flatMap(PullOptions.rfc3339Bound),
            includeCancelled: includeCancelled)
        let puller = Puller(api: session.api, options: options)
        do { ids = try await puller.calendarIds() } catch { throw Exit.report(error) }
        if ids.isEmpty {
            StandardError.write("calport: the calendar list is empty: nothing to pull\n")
            throw Exit.failure
        }
        let printer = DiagnosticPrinter()
        let progress = ProgressReporter(label: "events", quiet: quiet)
        var (result, outcome) = await puller.run(ids: ids, diagnostics: printer, progress: progress)
        printer.finish()
        result.responseBytes = counting.statistics.responseBytes
        if let report {
            do { try Pull.writeReport(result, to: report) } catch {
                StandardError.write("calport: --report \(report): \(error)\n")
                if outcome == .success { outcome = .failure }
            }
        }
        if !quiet || outcome != .success {
            for c in result.calendars where c.failure == nil {
                var line = "calport: pulled \(c.written.events) events of \(c.calendarId)"
                if let n = c.name, n != c.calendarId { line += " (\(n))" }
                line += " to \(c.output ?? "?")"
                if c.written.foldedCancellations > 0 { line += "; \(c.written.foldedCancellations) cancelled occurrences as EXDATE" }
                if c.warnings + c.errors > 0 { line += "; \(c.warnings) warnings, \(c.errors) errors" }
                StandardError.write(line + "\n")
            }
            let failed = result.calendars.filter { $0.failure != nil }.count
            StandardError.write("calport: \(result.calendars.count - failed) of \(result.calendars.count) calendars pulled; \(result.requests) requests, \(result.responseBytes) bytes received in \(String(format: "%.1f", result.seconds))s\n")
        }
        if outcome != .success { throw Exit.code(outcome) }
    }
}

extension Pull {
    /// A path that does not exist yet and ends like a calendar file (`x.ics`, `x.json`): not
    /// meant as a directory. A trailing slash always means one.
    static func looksLikeAFile(_ path: String) -> Bool {
        guard !path.hasSuffix("/") else { return false }
        let ext = (path as NSString).pathExtension.lowercased()
        return ["ics", "ical", "ifb", "icalendar", "vcs", "json", "ndjson", "jsonl"].contains(ext)
    }

    /// `--report FILE`: a JSON document written atomically.
    static func writeReport<T: Encodable>(_ value: T, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let out = try Output(path: path)
        try out.write(String(decoding: try encoder.encode(value), as: UTF8.self) + "\n")
        try out.commit()
    }
}
