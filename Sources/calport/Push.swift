import ArgumentParser
import CalPort
import Foundation
import GoogleCalendar

extension PushMode: ExpressibleByArgument {}
extension OnExisting: ExpressibleByArgument {}
extension NotifyScope: ExpressibleByArgument {}

struct Push: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Bring an .ics into a Google calendar: safely, idempotently, resumably.",
        discussion: """
            The push plans first: it lists the calendar once and decides for every event whether \
            to create, update, leave unchanged, skip or reject it, then sends the changes in \
            batches. Running it again changes nothing that is already right; a push that was \
            interrupted (even kill -9) finishes when run again.

            --mode import (the default) keeps each event's organizer and UID and never emails \
            anyone. --mode insert makes the calendar the organizer, with event ids derived from \
            UID and RECURRENCE-ID; Google then emails attendees only as --send-updates says \
            (default none). With all or external the plan says how many addresses would be \
            emailed, by domain, and the push needs --yes (or a yes on the terminal).

            calport paces itself to Google's per-user quota (about 600 calls a minute): when \
            Google refuses calls for rate it pauses, learns the limit and sends no faster; server \
            errors and dropped connections are retried with exponential backoff. It gives up only \
            when no call has succeeded for --max-wait.

            Exit codes: 0 done; 3 some events failed or were rejected (the rest done; see \
            --report and --rejects); 64 usage; 65 the input cannot be read; 69 Google unavailable \
            or rate-limiting with no progress for --max-wait, or usage limits exhausted (run again \
            to resume); 75 another push to the same calendar is running; 77 not signed in or no \
            permission.

            Examples:
              calport push work.ics --calendar primary --dry-run --report plan.json
              calport push work.ics --calendar team@group.calendar.google.com --rejects failed.ics
              calport push failed.ics --calendar primary          # after fixing what failed
              calport push invites.ics --calendar primary --mode insert --send-updates external --yes
            """
    )

    @Argument(help: "The calendar to push (.ics, or Google JSON), or - for standard input.")
    var input: String

    @Option(help: "The Google calendar id (see `calport calendars`; primary is the account's own).")
    var calendar: String

    @OptionGroup var google: GoogleOptions

    @Option(help: "import: keep organizer and UID, never email (default). insert: the calendar organizes; see --send-updates.")
    var mode: PushMode = .import

    @Option(name: .customLong("send-updates"), help: "insert mode: whom Google emails: none (default), external, all.")
    var sendUpdates: NotifyScope = .none

    @Flag(help: "With --send-updates all or external: send without asking.")
    var yes = false

    @Option(name: .customLong("on-existing"), help: "Events already in the calendar: update those that differ (default), or skip them all.")
    var onExisting: OnExisting = .update

    @Flag(name: .customLong("dry-run"), help: "Plan and print the summary (and --report), send nothing.")
    var dryRun = false

    @Option(name: .customLong("batch-size"), help: "Calls per batch request (1-1000; 1 sends each event as a request of its own).")
    var batchSize: Int = PushOptions.defaultBatchSize

    @Option(help: "Requests in flight at once (1-16).")
    var concurrency: Int = PushOptions.defaultConcurrency

    @Option(name: .customLong("max-wait"),
            help: "Give up when no call to Google has succeeded for this long: 90s, 10m, 1h (default 10m).")
    var maxWait: String = "10m"

    @Option(help: "Write the plan and the outcome of every event to this JSON file.")
    var report: String?

    @Option(help: "Write events that failed or were rejected to this .ics, with the reason in X-CALPORT-PUSH-ERROR.")
    var rejects: String?

    @Option(name: .customLong("default-tz"), help: "IANA zone for floating times when the calendar names none, and for TZIDs nothing resolves.")
    var defaultTimeZone: String?

    @Flag(name: .shortAndLong, help: "No progress output.")
    var quiet = false

    func validate() throws {
        try checkOutputPaths([("--report", report), ("--rejects", rejects)])
        if !(1...GoogleCalendarAPI.maxBatchParts).contains(batchSize) { throw ValidationError("--batch-size must be between 1 and 1000") }
        if !(1...16).contains(concurrency) { throw ValidationError("--concurrency must be between 1 and 16") }
        if mode == .import && sendUpdates != .none {
            throw ValidationError("--send-updates \(sendUpdates.rawValue) needs --mode insert: import never emails anyone")
        }
        if calendar.isEmpty { throw ValidationError("--calendar must name a calendar (e.g. primary)") }
        if Self.duration(maxWait) == nil {
            throw ValidationError("--max-wait \(maxWait) is not a duration: a number of seconds, or with s, m or h (90s, 10m, 1h), at least 1s")
        }
        if let z = defaultTimeZone, !TimeZoneNames.isKnown(z) {
            throw ValidationError("--default-tz \(z) is not an IANA time zone name (e.g. Europe/Berlin)")
        }
    }

    func run() async throws {
        let printer = DiagnosticPrinter()
        defer { printer.finish() }
        let input: PushInput
        do {
            input = try PushInput.load(path: self.input, mapping: MappingOptions(defaultTimeZone: defaultTimeZone), diagnostics: printer)
        } catch let e as ConvertError {
            StandardError.write("calport: \(e)\n")
            if case .failed = e { throw Exit.failure }
            throw Exit.dataError
        }
        let session = try google.session(retryPolicy: RetryPolicy(maxWait: Self.duration(maxWait) ?? RetryPolicy.defaultMaxWait))
        // The calendar's own id: "primary" and the account's address are one calendar, with one
        // lock, one journal and one set of insert-mode event ids.
        let calendarId: String
        do { calendarId = try await session.api.calendar(id: calendar).id ?? calendar } catch { throw Exit.report(error) }
        let options = PushOptions(calendarId: calendarId, mode: mode, sendUpdates: sendUpdates, onExisting: onExisting,
                                  dryRun: dryRun, batchSize: batchSize, concurrency: concurrency)
        let progress = ProgressReporter(label: "push", quiet: quiet)
        let engine: PushEngine
        let plan: PushPlan
        let existing: Int
        do {
            engine = try PushEngine(api: session.api, options: options, stateDirectory: try StateDirectory.path(),
                                    progress: progress, note: { progress.note($0) })
            (plan, existing) = try await engine.plan(input)
        } catch {
            throw Exit.report(error)
        }
        let preview = PushResult.preview(plan, existing: existing)
        let sending = plan.count(.create) + plan.count(.update)
        if !quiet || dryRun {
            StandardError.write("calport: plan: \(plan.count(.create)) create, \(plan.count(.update)) update, \(plan.count(.unchanged)) unchanged, \(plan.count(.skip)) skip, \(plan.count(.reject)) reject (\(existing) events in Google)\n")
        }
        for e in plan.entries where e.action == .reject {
            StandardError.write("calport: reject: \(e.key): \(e.reason ?? "")\n")
        }
        if options.mode == .insert && options.sendUpdates != .none {
            StandardError.write("calport: \(preview.notificationText(upperBound: options.sendUpdates == .external))\n")
            if !dryRun && plan.notificationCount > 0 && !yes {
                guard isatty(0) == 1 else {
                    StandardError.write("calport: refusing to send email without --yes (standard input is not a terminal); nothing was sent\n")
                    throw Exit.usage
                }
                StandardError.write("calport: send \(options.sendUpdates == .external ? "up to " : "")\(plan.notificationCount) emails and push \(sending) events? [y/N] ")
                let answer = readLine()?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
                guard answer == "y" || answer == "yes" else {
                    // Declined: not a usage error, and nothing was done.
                    StandardError.write("calport: nothing was sent\n")
                    throw Exit.failure
                }
            }
        }
        let result = await engine.apply(plan, input: input, existing: existing)
        var wrote: [String] = []
        var wroteAll = true
        do {
            if let report {
                try PushReport(result, input: input, options: options).write(to: report)
                wrote.append("report: \(report)")
            }
            if let rejects, result.failed + result.rejected + result.notSent > 0 {
                let n = try result.writeRejects(to: rejects, input: input)
                wrote.append("\(n) events to fix and push again: \(rejects)")
            }
        } catch {
            StandardError.write("calport: \(error)\n")
            wroteAll = false
        }
        StandardError.write("calport: " + result.summaryText(calendar: calendar).replacingOccurrences(of: "\n", with: "\ncalport: ") + "\n")
        for w in wrote { StandardError.write("calport: \(w)\n") }
        if let aborted = result.aborted {
            StandardError.write("calport: stopped: \(aborted)\n")
            StandardError.write("calport: what was sent is recorded; run the same command again to finish\n")
        } else if result.outcome == .unavailable {
            StandardError.write("calport: Google stayed unavailable for \(result.failed) events; run the same command again to finish them\n")
        }
        let code = result.outcome
        if code != .success { throw Exit.code(code) }
        // Everything was pushed, but a file the user asked for is missing.
        if !wroteAll { throw Exit.failure }
    }

    /// "90", "90s", "10m", "1h", "1.5h": a duration of at least a second, at most a week.
    static func duration(_ text: String) -> Duration? {
        var t = text.trimmingCharacters(in: .whitespaces).lowercased()
        var unit = 1.0
        if let last = t.last, let u = ["s": 1.0, "m": 60.0, "h": 3600.0][String(last)] {
            unit = u
            t.removeLast()
        }
        guard !t.isEmpty, t.allSatisfy({ $0.isNumber || $0 == "." }), let v = Double(t) else { return nil }
        let seconds = v * unit
        guard seconds >= 1, seconds <= 7 * 86_400 else { return nil }
        return .milliseconds(Int64(seconds * 1000))
    }
}
