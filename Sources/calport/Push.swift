import ArgumentParser
import CalPort
import Foundation
import GoogleAPI
import GoogleCalendar

extension PushMode: ExpressibleByArgument {}
extension OnExisting: ExpressibleByArgument {}
extension NotifyScope: ExpressibleByArgument {}
extension PushReminders: ExpressibleByArgument {}

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
            emailed, by domain, and the push needs --yes (or a yes on the terminal). \
            --strip-attendees pushes no guests and no organizer at all: nobody can be emailed.

            Pushing again after people used the calendar keeps their side: guests' answers, \
            comments and extra guests (for those still in the source), and reminders set in \
            Google where the source has no alarm. Occurrences deleted in Google that the source \
            still has come back. --reminders says what new events get: the source's alarms \
            (source, the default), the calendar's default reminders (default), or none.

            The input may be a URL (http, https, or webcal, read as https): it is fetched once, \
            with the limits of an API answer (256 MiB, 60 s, redirects not followed).

            --time-min/--time-max push only what touches the window: an event any of whose \
            occurrences ends after --time-min and starts before --time-max; a series goes whole.

            --prune also deletes the events calport pushed from this same source (file path or \
            URL, known from the journal) that the source no longer has, within the window when \
            one is given; never an event calport did not create. When more than 5 events, or more \
            than 10% of those pushed from the source, would go, the push is refused (exit 4, \
            nothing sent) unless --max-delete allows it. --dry-run lists what would be deleted.

            calport paces itself to Google's per-user quota (about 600 calls a minute): when \
            Google refuses calls for rate it pauses, learns the limit and sends no faster; server \
            errors and dropped connections are retried with exponential backoff. It gives up only \
            when no call has succeeded for --max-wait.

            Exit codes: 0 done; 3 some events failed or were rejected (the rest done; see \
            --report and --rejects); 4 --prune refused: more deletions than --max-delete allows \
            (nothing sent); 64 usage; 65 the input cannot be read; 69 Google unavailable \
            or rate-limiting with no progress for --max-wait, or the input URL unreachable (run \
            again to resume); 75 another push to the same calendar is running; 77 not signed in \
            or no permission.

            Examples:
              calport push work.ics --calendar primary --dry-run --report plan.json
              calport push work.ics --calendar team@group.calendar.google.com --rejects failed.ics
              calport push failed.ics --calendar primary          # after fixing what failed
              calport push invites.ics --calendar primary --mode insert --send-updates external --yes
              calport push https://example.com/team.ics --calendar team@group.calendar.google.com --prune
              calport push work.ics --calendar primary --time-min 2026-01-01 --time-max 2026-04-01
            """ + "\n\n" + EnvironmentVariable.helpText(for: "push")
    )

    @Argument(help: "The calendar to push (.ics, or Google JSON): a file, an http(s) or webcal URL, or - for standard input.")
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

    @Option(help: "Reminders of new events: source (the source's alarms), default (the calendar's default reminders), none.")
    var reminders: PushReminders = .source

    @Flag(name: .customLong("strip-attendees"), help: "Push no attendees and no organizer: the calendar organizes, nobody is emailed.")
    var stripAttendees = false

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

    @Option(name: .customLong("time-min"), help: "Push only events that end after this date (2026-01-01) or RFC 3339 date-time (with Z or an offset); a series reaching into the window goes whole.")
    var timeMin: String?

    @Option(name: .customLong("time-max"), help: "Push only events that start before this date or RFC 3339 date-time.")
    var timeMax: String?

    @Flag(help: "Also delete the events calport pushed from this file or URL earlier that it no longer has (within --time-min/--time-max).")
    var prune = false

    @Option(name: .customLong("max-delete"), help: "With --prune: delete at most N events, or P% of those pushed from the source (default: 5 or 10%, whichever is more).")
    var maxDelete: String?

    @Flag(name: .shortAndLong, help: "No progress and no summary on standard error, unless something failed (the plan stays with --dry-run).")
    var quiet = false

    func validate() throws {
        try checkOutputPaths([("--report", report), ("--rejects", rejects)])
        if !(1...GoogleCalendarAPI.maxBatchParts).contains(batchSize) { throw ValidationError("--batch-size must be between 1 and 1000") }
        if !(1...16).contains(concurrency) { throw ValidationError("--concurrency must be between 1 and 16") }
        if stripAttendees && sendUpdates != .none {
            throw ValidationError("--send-updates \(sendUpdates.rawValue) with --strip-attendees: no guests are pushed, so there is nobody to email")
        }
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
        for (option, value) in [("--time-min", timeMin), ("--time-max", timeMax)] {
            if let value, PushWindow(timeMin: value, timeMax: nil) == nil {
                throw ValidationError("\(option) \(value) is not a date (2026-01-01) or an RFC 3339 date-time with an offset (2026-01-01T00:00:00Z)")
            }
        }
        if (timeMin != nil || timeMax != nil) && window == nil {
            throw ValidationError("--time-min must be before --time-max")
        }
        if let maxDelete {
            guard prune else { throw ValidationError("--max-delete limits --prune; give --prune too") }
            if PruneLimit(argument: maxDelete) == nil {
                throw ValidationError("--max-delete \(maxDelete) is not a number of events (12) or a percentage (25%)")
            }
        }
        if prune && input == "-" {
            throw ValidationError("--prune needs a file or a URL: calport recognises what it pushed earlier by the source's path or URL, and standard input has neither")
        }
    }

    var window: PushWindow? {
        timeMin == nil && timeMax == nil ? nil : PushWindow(timeMin: timeMin, timeMax: timeMax)
    }

    func run() async throws {
        let printer = DiagnosticPrinter()
        defer { printer.finish() }
        let argument = try await InputArgument.resolve(self.input)
        var input: PushInput
        do {
            input = try PushInput.load(path: argument.path, name: argument.name, mapping: MappingOptions(defaultTimeZone: defaultTimeZone),
                                       diagnostics: printer, stripAttendees: stripAttendees)
        } catch let e as ConvertError {
            StandardError.write("calport: \(e)\n")
            if case .failed = e { throw Exit.failure }
            throw Exit.dataError
        }
        // What --prune compares with: the whole source, whatever the window.
        let sourceUIDs = input.allUIDs
        if let window {
            let (inWindow, outside) = input.restricted(to: window)
            input = inWindow
            if !quiet || dryRun {
                StandardError.write("calport: window \(window): \(outside) events of the input are outside it and left alone\n")
            }
        }
        let session = try google.session(retryPolicy: RetryPolicy(maxWait: Self.duration(maxWait) ?? RetryPolicy.defaultMaxWait))
        // The calendar's own id: "primary" and the account's address are one calendar, with one
        // lock, one journal and one set of insert-mode event ids.
        let calendarId: String
        do { calendarId = try await session.api.calendar(id: calendar).id ?? calendar } catch { throw Exit.report(error) }
        var options = PushOptions(calendarId: calendarId, mode: mode, sendUpdates: sendUpdates, onExisting: onExisting,
                                  dryRun: dryRun, batchSize: batchSize, concurrency: concurrency)
        options.reminders = reminders
        options.stripAttendees = stripAttendees
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
        var prunePlan: PrunePlan?
        if prune, let source = PushSource.of(self.input) {
            do {
                var owner: String?
                if mode == .insert && sendUpdates != .none { owner = try await session.api.calendar(id: calendarId).id }
                prunePlan = try await engine.planPrune(source: source, sourceUIDs: sourceUIDs, window: window,
                                                       limit: maxDelete.flatMap(PruneLimit.init(argument:)), ownerEmail: owner)
            } catch {
                throw Exit.report(error)
            }
        }
        let preview = PushResult.preview(plan, existing: existing)
        let sending = plan.count(.create) + plan.count(.update)
        if !quiet || dryRun {
            StandardError.write("calport: plan: \(plan.count(.create)) create, \(plan.count(.update)) update, \(plan.count(.unchanged)) unchanged, \(plan.count(.skip)) skip, \(plan.count(.reject)) reject (\(existing) events in Google)\n")
        }
        for e in plan.entries where e.action == .reject {
            StandardError.write("calport: reject: \(e.key): \(e.reason ?? "")\n")
        }
        if let p = prunePlan {
            if !quiet || dryRun || !p.isAllowed {
                StandardError.write("calport: prune: \(p.candidates.count) of \(p.pushed) events pushed from \(p.source.name)\(window.map { " within \($0)" } ?? "") are gone from it"
                    + "\(p.keptForOtherSources > 0 ? " (\(p.keptForOtherSources) more kept: another source pushed them too)" : "")\n")
            }
            if dryRun { for c in p.candidates { StandardError.write("calport: would delete: \(c.line)\n") } }
            if !p.isAllowed {
                if let report {
                    var r = PushReport(PushResult.preview(plan, existing: existing), input: input, options: options)
                    r.exitCode = Outcome.refused.rawValue
                    r.prune = PruneReport(p, result: nil, dryRun: true)
                    try? r.write(to: report)
                }
                StandardError.write("calport: \(p.refusal)\n  \(p.advice)\n")
                throw Exit.refused
            }
        }
        let pruneRecipients = prunePlan?.recipientCount ?? 0
        if options.mode == .insert && options.sendUpdates != .none {
            StandardError.write("calport: \(preview.notificationText(upperBound: options.sendUpdates == .external))\n")
            if pruneRecipients > 0 {
                StandardError.write("calport: deleting \(prunePlan?.candidates.filter { !$0.recipients.isEmpty }.count ?? 0) events with guests: \(options.sendUpdates == .external ? "up to " : "")\(pruneRecipients) cancellation emails\n")
            }
            if !dryRun && plan.notificationCount + pruneRecipients > 0 && !yes {
                guard isatty(0) == 1 else {
                    StandardError.write("calport: refusing to send email without --yes (standard input is not a terminal); nothing was sent\n")
                    throw Exit.usage
                }
                StandardError.write("calport: send \(options.sendUpdates == .external ? "up to " : "")\(plan.notificationCount + pruneRecipients) emails and push \(sending) events"
                    + "\(prunePlan.map { $0.candidates.isEmpty ? "" : " (delete \($0.candidates.count))" } ?? "")? [y/N] ")
                let answer = readLine()?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
                guard answer == "y" || answer == "yes" else {
                    // Declined: not a usage error, and nothing was done.
                    StandardError.write("calport: nothing was sent\n")
                    throw Exit.failure
                }
            }
        }
        let result = await engine.apply(plan, input: input, existing: existing)
        var pruneResult: PruneResult?
        var recorded = true
        if let source = PushSource.of(self.input) {
            do { try engine.recordSource(source, result: result) } catch {
                StandardError.write("calport: the journal could not record what came from \(source.name): \(error)\n")
                recorded = false
            }
        }
        if let p = prunePlan, !dryRun {
            if result.aborted == nil && recorded {
                pruneResult = await engine.applyPrune(p)
            } else {
                StandardError.write("calport: prune: nothing deleted, since the push stopped\n")
            }
        }
        var wrote: [String] = []
        var wroteAll = true
        do {
            if let report {
                var r = PushReport(result, input: input, options: options)
                if let p = prunePlan {
                    r.prune = PruneReport(p, result: pruneResult, dryRun: dryRun)
                    if let pr = pruneResult, pr.outcome != .success, r.exitCode == 0 { r.exitCode = pr.outcome.rawValue }
                }
                try r.write(to: report)
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
        let pruneOutcome = pruneResult?.outcome ?? .success
        if !quiet || result.outcome != .success || pruneOutcome != .success || !wroteAll {
            StandardError.write("calport: " + result.summaryText(calendar: calendar).replacingOccurrences(of: "\n", with: "\ncalport: ") + "\n")
            if let p = prunePlan, dryRun {
                StandardError.write("calport: prune: \(p.candidates.count) events would be deleted\n")
            }
            if let pr = pruneResult {
                StandardError.write("calport: pruned: \(pr.deleted.count) deleted, \(pr.failed.count) failed\n")
                for f in pr.failed { StandardError.write("calport: prune failed: \(f.candidate.line): \(f.error)\n") }
                if let a = pr.aborted { StandardError.write("calport: prune stopped: \(a)\n") }
            }
            for w in wrote { StandardError.write("calport: \(w)\n") }
        }
        if let aborted = result.aborted {
            StandardError.write("calport: stopped: \(aborted)\n")
            StandardError.write("calport: what was sent is recorded; run the same command again to finish\n")
        } else if result.outcome == .unavailable {
            StandardError.write("calport: Google stayed unavailable for \(result.failed) events; run the same command again to finish them\n")
        }
        let code = result.outcome != .success ? result.outcome : pruneOutcome
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
