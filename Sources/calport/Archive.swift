import ArgumentParser
import CalPort
import Foundation
import HTTP

struct Archive: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Keep a nightly archive of Google calendars: .ics snapshots and a changes log.",
        discussion: """
            Made for cron. DIR holds a mirror of each calendar (DIR/mirror.sqlite). The first run \
            lists the whole calendar; later runs ask Google only for what changed since the \
            previous run (a sync token), so a quiet day costs one request. When Google has \
            expired the token (410), the whole calendar is listed again and compared with the \
            mirror, so that events deleted in the meantime are still found.

            Each run writes DIR/<calendar-id>/<YYYY-MM-DD>.ics (the run's UTC date; a second run \
            the same day replaces it): a complete snapshot in a stable order, so consecutive \
            snapshots diff cleanly. It appends the run's changes to \
            DIR/<calendar-id>/changes.ndjson, one JSON object a line (seq, run, kind \
            added/changed/deleted/cancelled, id, iCalUID, summary, and originalStart for an \
            occurrence of a series: cancelled means one occurrence was deleted).

            Files are replaced atomically and the mirror moves on only after the snapshot is on \
            disk: a run killed at any point leaves the previous snapshot and the mirror intact, \
            and the next run is correct. A lock (DIR/archive.lock) keeps two runs apart: the \
            second exits 75 at once.

            Exit codes: 0 done; 3 some calendars failed; 1 failure; 64 usage; 65 some events \
            could not be mapped; 69 Google unavailable or quota exhausted; 75 another run holds \
            the lock; 77 not signed in or no access.

            Examples:
              calport archive --calendar primary --dir ~/calendar-archive --keep 30
              15 3 * * *  calport archive --calendar primary --dir ~/calendar-archive --keep 90 --gzip --quiet
            """ + "\n\n" + EnvironmentVariable.helpText(for: "archive")
    )

    @Option(name: .customLong("calendar"), help: "A calendar id (see `calport calendars`). Repeatable.")
    var calendars: [String] = []

    @Option(help: "The archive directory (created when missing).")
    var dir: String

    @Option(help: "Keep the newest N snapshots of each calendar, deleting older ones.")
    var keep: Int?

    @Flag(help: "Write snapshots as .ics.gz (deterministic: no name or time in the gzip header).")
    var gzip = false

    @Option(help: "Write a JSON report of the run to this file.")
    var report: String?

    @Flag(name: .shortAndLong, help: "No progress and no summary on standard error; problems are still reported.")
    var quiet = false

    @OptionGroup var google: GoogleOptions

    func validate() throws {
        try checkOutputPaths([("--report", report)])
        if calendars.isEmpty { throw ValidationError("give --calendar ID (repeatable)") }
        if let keep, keep < 1 { throw ValidationError("--keep must be at least 1") }
        if dir.isEmpty { throw ValidationError("--dir must name a directory") }
    }

    func run() async throws {
        var ids: [String] = []
        for c in calendars where !ids.contains(c) { ids.append(c) }
        let lock: ArchiveLock
        do {
            guard let l = try Archiver.lock(directory: dir) else {
                StandardError.write("calport: another calport archive run holds the lock on \(dir) (\(dir)/\(Archiver.lockFileName)); try again when it has finished\n")
                throw Exit.locked
            }
            lock = l
        } catch let e as ExitCode { throw e } catch {
            let f = Failure(error)
            StandardError.write("calport: \(f)\n")
            throw Exit.code(f.outcome)
        }
        defer { lock.release() }

        let (session, counting) = try google.countingSession()

        let archiver = Archiver(api: session.api, options: ArchiveOptions(calendars: ids, directory: dir, keep: keep, gzip: gzip))
        let printer = DiagnosticPrinter()
        let progress = ProgressReporter(label: "events", quiet: quiet)
        var (result, outcome) = await archiver.run(diagnostics: printer, progress: progress)
        printer.finish()
        result.responseBytes = counting.statistics.responseBytes
        if let report {
            do { try Pull.writeReport(result, to: report) } catch {
                StandardError.write("calport: --report \(report): \(error)\n")
                if outcome == .success { outcome = .failure }
            }
        }
        if !quiet {
            for c in result.calendars where c.failure == nil {
                let how = c.mode.map { $0 == .incremental ? "changes since the last run" : $0 == .resync ? "full resync (sync token expired)" : "first full listing" } ?? ""
                StandardError.write("calport: \(c.calendarId): \(how): \(c.added) added, \(c.changed) changed, \(c.deleted) deleted\(c.cancelled > 0 ? ", \(c.cancelled) occurrences cancelled" : ""); \(c.events) events in \(c.snapshot ?? "?")\(c.pruned.isEmpty ? "" : "; pruned \(c.pruned.count) old snapshots")\n")
            }
            StandardError.write("calport: \(result.requests) requests, \(result.responseBytes) bytes received in \(String(format: "%.1f", result.seconds))s\n")
        }
        if outcome != .success { throw Exit.code(outcome) }
    }
}
