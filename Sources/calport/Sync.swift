import ArgumentParser
import CalPort
import Foundation
import GoogleAPI
import GoogleCalendar

struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Two-way sync of a local calendar (a folder of .ics files, or one .ics file) with a Google calendar.",
        discussion: """
            Changes on either side since the last sync reach the other. The local calendar is a \
            folder of .ics files, one per UID (as khal and vdirsyncer keep them), or a single .ics \
            file (read once, written once atomically at the end; VTODOs, VTIMEZONEs and calendar \
            properties kept). The first sync links events present on both sides by UID and copies \
            the others; later syncs ask Google only for what changed (a sync token) and compare \
            local files with what the last sync left.

            Changed on one side: copied to the other. Changed on both: --conflict decides (merge, \
            the default, takes fields changed on different sides from each; the same field changed \
            on both sides is a conflict: that event is left as it is on both sides, reported, exit \
            3). Deleted on one side and unchanged on the other: deleted there; deleted on one side \
            and edited on the other: the edit wins and comes back. A file that does not parse is \
            never taken for a deletion. Guests' responses always come from Google.

            Nothing is written when a side that held synced events is now empty, when the folder \
            was moved or replaced, when the Google calendar or account changed, or when the \
            deletions on either side would exceed max(5, 10%) of its synced events (exit 4; \
            --max-delete, --force-delete).

            Nobody is emailed unless --send-updates says so (then --yes, or a yes on the terminal).

            `calport sync` runs `calport sync run`: its options are in `calport sync run --help`; \
            `calport sync reset --help` explains the reset.

            Exit codes: 0 done; 3 conflicts, unreadable files or failed writes remain (the rest \
            was done); 4 refused by a safety check, nothing written; 64 usage; 69 Google \
            unavailable; 75 another sync of the pair is running; 77 not signed in or no access.

            Examples:
              calport sync --local ~/.calendars/work --calendar primary --dry-run
              calport sync --local ~/.calendars/work --calendar primary
              calport sync --local team.ics --calendar team@group.calendar.google.com --conflict google
              calport sync reset --local ~/.calendars/work --calendar primary --existing keep --next all
            """ + "\n\n" + EnvironmentVariable.helpText(for: "sync"),
        subcommands: [SyncRun.self, SyncResetCommand.self],
        defaultSubcommand: SyncRun.self
    )
}

/// What both `sync` and `sync reset` take.
struct SyncPairOptions: ParsableArguments {
    @Option(help: "The local calendar: a folder of .ics files (one per UID) or an .ics file.")
    var local: String

    @Option(help: "The Google calendar id (see `calport calendars`; primary is the account's own).")
    var calendar: String

    @Flag(name: .customLong("dry-run"), help: "Print what would be done; write nothing.")
    var dryRun = false

    @Option(help: "Write what was planned and done to this JSON file.")
    var report: String?

    @Flag(name: .shortAndLong, help: "No progress and no summary on standard error, unless something failed.")
    var quiet = false

    @OptionGroup var google: GoogleOptions

    func validate() throws {
        try checkOutputPaths([("--report", report)])
    }

    /// The pair's settings; `primary` is resolved to the account's address, so both name one pair.
    func settings(api: GoogleCalendarAPI) async throws -> Sync.Settings {
        var id = calendar
        if !id.contains("@") {
            do { id = try await api.calendar(id: calendar).id ?? calendar } catch { throw Exit.report(error) }
        }
        let directory: String
        do { directory = try StateDirectory.path() } catch { throw Exit.report(error) }
        return Sync.Settings(localPath: local, options: SyncOptions(calendarId: id, account: google.profile), stateDirectory: directory)
    }
}

struct SyncRun: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Sync both ways (the default).")

    @OptionGroup var pair: SyncPairOptions

    @Option(help: "When both sides changed an event: merge (default), local, google, newer, fail.")
    var conflict: ConflictPolicy = .merge

    @Option(name: .customLong("max-delete"), help: "Delete at most N events (or P%) on either side (default: 5 or 10%, whichever is more).")
    var maxDelete: String?

    @Flag(name: .customLong("force-delete"), help: "No limit on deletions, and sync even when a side is now empty.")
    var forceDelete = false

    @Option(name: .customLong("send-updates"), help: "Whom Google emails about changes: none (default), external, all.")
    var sendUpdates: NotifyScope = .none

    @Flag(help: "With --send-updates all or external: send without asking.")
    var yes = false

    func validate() throws {
        if let m = maxDelete, DeletionLimit(argument: m) == nil {
            throw ValidationError("--max-delete \(m) is not a count (20) or a percentage (15%)")
        }
        if maxDelete != nil && forceDelete { throw ValidationError("--max-delete and --force-delete: give one") }
    }

    func run() async throws {
        let session = try pair.google.session()
        var settings = try await pair.settings(api: session.api)
        settings.options.conflict = conflict
        if forceDelete { settings.options.deletionLimit = DeletionLimit(.unlimited) }
        if let m = maxDelete, let limit = DeletionLimit(argument: m) { settings.options.deletionLimit = limit }
        settings.sendUpdates = sendUpdates.sendUpdates
        let progress = ProgressReporter(label: "sync", quiet: pair.quiet)
        if sendUpdates != .none && !pair.dryRun {
            // What would be sent, before anything is.
            var preview = settings
            preview.options.dryRun = true
            let plan: SyncReport
            do { plan = try await Sync.run(preview, api: session.api) } catch { throw Exit.report(error) }
            let touched = plan.plan.google.create.count + plan.plan.google.update.count + plan.plan.google.delete.count
            let domains = plan.plan.guestsByDomain.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
            let list = domains.prefix(20).map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            StandardError.write("calport: \(touched) Google events change; Google would email "
                                + (sendUpdates == .external ? "up to " : "") + "\(plan.plan.guests) guests"
                                + (list.isEmpty ? "" : ": \(list)") + (domains.count > 20 ? ", and \(domains.count - 20) more domains" : "") + "\n")
            if plan.plan.guests > 0 && !yes {
                guard isatty(0) == 1 else {
                    StandardError.write("calport: refusing to send email without --yes (standard input is not a terminal); nothing was written\n")
                    throw Exit.code(.usage)
                }
                StandardError.write("calport: send the emails and sync? [y/N] ")
                let answer = readLine()?.lowercased() ?? ""
                guard answer == "y" || answer == "yes" else { throw Exit.code(.failure) }
            }
        }
        settings.options.dryRun = pair.dryRun
        let report: SyncReport
        do { report = try await Sync.run(settings, api: session.api, progress: progress) } catch { throw Exit.report(error) }
        progress.finish()
        if let path = pair.report {
            do { try Pull.writeReport(report, to: path) } catch { StandardError.write("calport: --report \(path): \(error)\n") }
        }
        if pair.dryRun { try printOut(SyncText.plan(report)) }
        if !pair.quiet || report.outcome != .success { StandardError.write(SyncText.summary(report)) }
        if report.outcome != .success { throw Exit.code(report.outcome) }
    }
}

struct SyncResetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reset",
        abstract: "Start the pair over: what happens to the synced events, and how the next sync begins.",
        discussion: """
            --existing: keep (leave them), delete-google, delete-local, delete-both. Only events \
            the pair synced are deleted, and on Google only those the account organises (the \
            others would be cancelled for every guest). Google deletions are queued in the state \
            and made a batch at a time; a reset cut short finishes when run again, and sync \
            refuses to run until it has.
            --next: new (the events that exist now stay out of sync; only new ones travel) or all \
            (the next sync is a first sync: events linked by UID, one-sided ones copied, nobody \
            emailed).
            """
    )

    @OptionGroup var pair: SyncPairOptions

    @Option(help: "keep, delete-google, delete-local, delete-both.")
    var existing: SyncReset.Existing

    @Option(help: "new or all.")
    var next: SyncReset.Next

    @Flag(help: "Delete without asking.")
    var yes = false

    func run() async throws {
        let session = try pair.google.session()
        var settings = try await pair.settings(api: session.api)
        let reset = SyncReset(existing: existing, next: next)
        settings.options.dryRun = true
        let preview: SyncResetReport
        do { preview = try await Sync.reset(reset, settings, api: session.api) } catch { throw Exit.report(error) }
        StandardError.write("calport: reset \(existing.rawValue), next \(next.rawValue): \(preview.googleDeletions) Google deletions, \(preview.localDeletions) local deletions"
                            + (preview.notOrganised.isEmpty ? "" : "; \(preview.notOrganised.count) events organised by others stay in Google") + "\n")
        if pair.dryRun { return }
        if preview.googleDeletions + preview.localDeletions > 0 && !yes {
            guard isatty(0) == 1 else {
                StandardError.write("calport: refusing to delete without --yes (standard input is not a terminal); nothing was changed\n")
                throw Exit.code(.usage)
            }
            StandardError.write("calport: delete them? [y/N] ")
            let answer = readLine()?.lowercased() ?? ""
            guard answer == "y" || answer == "yes" else { throw Exit.code(.failure) }
        }
        settings.options.dryRun = false
        let progress = ProgressReporter(label: "reset", quiet: pair.quiet)
        let report: SyncResetReport
        do { report = try await Sync.reset(reset, settings, api: session.api, progress: progress) } catch { throw Exit.report(error) }
        progress.finish()
        if let path = pair.report {
            do { try Pull.writeReport(report, to: path) } catch { StandardError.write("calport: --report \(path): \(error)\n") }
        }
        for (uid, why) in report.failed.sorted(by: { $0.key < $1.key }) { StandardError.write("calport: \(uid): \(why)\n") }
        if !pair.quiet || report.outcome != .success {
            StandardError.write("calport: reset done: \(report.googleDeletions) deleted from Google, \(report.localDeletions) deleted locally; the next sync takes \(next == .new ? "only new events" : "all events")\n")
        }
        if report.outcome != .success { throw Exit.code(report.outcome) }
    }
}

extension ConflictPolicy: ExpressibleByArgument {}
extension SyncReset.Existing: ExpressibleByArgument {}
extension SyncReset.Next: ExpressibleByArgument {}

/// The words of sync's plan and summary.
enum SyncText {
    static func plan(_ r: SyncReport) -> String {
        var out = ""
        for (name, side) in [("local", r.plan.local), ("google", r.plan.google)] {
            out += "\(name): \(side.create.count) create, \(side.update.count) update, \(side.delete.count) delete\n"
            for uid in side.create { out += "  create \(uid)\n" }
            for uid in side.update { out += "  update \(uid)\n" }
            for uid in side.delete { out += "  delete \(uid)\n" }
        }
        out += "conflicts: \(r.plan.conflicts.count)\n"
        for (uid, fields) in r.plan.conflicts.sorted(by: { $0.key < $1.key }) { out += "  \(uid): \(fields.joined(separator: "; "))\n" }
        if !r.plan.unknown.isEmpty {
            out += "unreadable: \(r.plan.unknown.count)\n"
            for (uid, why) in r.plan.unknown.sorted(by: { $0.key < $1.key }) { out += "  \(uid): \(why)\n" }
        }
        return out
    }

    static func summary(_ r: SyncReport) -> String {
        var out = ""
        for (uid, fields) in r.plan.conflicts.sorted(by: { $0.key < $1.key }) {
            out += "calport: conflict: \(uid): \(fields.joined(separator: "; ")) (left as it is on both sides; edit one side, or run with --conflict local|google|newer)\n"
        }
        for (uid, why) in r.plan.unknown.sorted(by: { $0.key < $1.key }) { out += "calport: unreadable: \(uid): \(why) (left as it is on both sides)\n" }
        for (uid, why) in r.failed.sorted(by: { $0.key < $1.key }) { out += "calport: failed: \(uid): \(why)\n" }
        if let path = r.localWriteAbandoned { out += "calport: \(path) changed during the sync; nothing was written to it: run sync again\n" }
        let verb = r.dryRun ? "would sync" : "synced"
        out += "calport: \(verb): local \(r.plan.local.create.count) created, \(r.plan.local.update.count) updated, \(r.plan.local.delete.count) deleted; "
            + "Google \(r.plan.google.create.count) created, \(r.plan.google.update.count) updated, \(r.plan.google.delete.count) deleted; "
            + "\(r.plan.linked.count) linked, \(r.plan.conflicts.count) conflicts"
            + (r.firstSync ? " (first sync)" : "") + (r.recoveredFromExpiredToken ? " (after an expired sync token)" : "")
            + "; \(r.requests) request\(r.requests == 1 ? "" : "s") to Google in " + String(format: "%.1f", r.seconds) + "s\n"
        return out
    }
}
