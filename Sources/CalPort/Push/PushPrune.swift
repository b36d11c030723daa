#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CalendarModel
import Foundation
import GoogleAPI
import GoogleCalendar
import HTTP

/// Where a push's events come from, as the journal remembers it between runs: the same file
/// (by its real path) or the same URL is the same source, whatever its content today. The
/// journal keeps a digest, never the URL itself, whose user info or query may be a secret.
public struct PushSource: Sendable, Equatable {
    /// What the journal stores.
    public let id: String
    /// For messages: the absolute path, or the URL without credentials and query.
    public let name: String

    /// Nil for standard input, which names no source that a later run could name again.
    public static func of(_ argument: String) -> PushSource? {
        if argument == "-" { return nil }
        if RemoteInput.isURL(argument) {
            let url = RemoteInput.normalized(argument)
            return PushSource(id: "url:" + Self.digest(url), name: redactURL(url))
        }
        var path = argument
        if let resolved = realpath(argument, nil) {
            path = String(cString: resolved)
            free(resolved)
        } else if !argument.hasPrefix("/") {
            path = FileManager.default.currentDirectoryPath + "/" + argument
        }
        return PushSource(id: "file:" + Self.digest(path), name: path)
    }

    static func digest(_ s: String) -> String { SHA256Digest.hex(SHA256Digest.hash(Array(s.utf8))) }
}

/// How many deletions `push --prune` may make without being told more: `--max-delete N` or
/// `--max-delete P%` of the events calport pushed from the source. Without it, at most
/// max(5, 10%): a feed that suddenly lost most of its events (a server error page, a truncated
/// download) must not empty the calendar.
public enum PruneLimit: Sendable, Equatable, CustomStringConvertible {
    case count(Int)
    case percent(Double)

    public static let standardMinimum = 5
    public static let standardShare = 0.10

    /// "12" or "25%". Nil when it is neither (negative, over 100%, not a number).
    public init?(argument: String) {
        let t = argument.trimmingCharacters(in: .whitespaces)
        if t.hasSuffix("%") {
            guard let p = Double(t.dropLast()), p.isFinite, p >= 0, p <= 100 else { return nil }
            self = .percent(p)
        } else {
            guard let n = Int(t), n >= 0 else { return nil }
            self = .count(n)
        }
    }

    /// The most deletions allowed among `pushed` events.
    public static func allowed(_ limit: PruneLimit?, pushed: Int) -> Double {
        switch limit {
        case .count(let n)?: Double(n)
        case .percent(let p)?: Double(pushed) * p / 100
        case nil: max(Double(standardMinimum), Double(pushed) * standardShare)
        }
    }

    public var description: String {
        switch self {
        case .count(let n): "\(n)"
        case .percent(let p): (p == p.rounded() ? String(Int(p)) : String(p)) + "%"
        }
    }
}

/// An event `--prune` deletes: calport pushed it from the source, and the source no longer has it.
public struct PruneCandidate: Sendable, Codable {
    public var uid: String
    public var googleId: String
    public var summary: String?
    /// The start as Google holds it (a date or an RFC 3339 date-time).
    public var start: String?
    public var recurring: Bool
    /// Guests Google would email about the deletion (insert mode with --send-updates).
    public var recipients: [String]

    /// One line for the dry-run listing and the report.
    public var line: String {
        var s = "\(uid)"
        if let summary, !summary.isEmpty { s += " \"\(summary.replacingOccurrences(of: "\n", with: " ").prefix(80))\"" }
        if let start { s += " at \(start)" }
        if recurring { s += " (series)" }
        return s
    }
}

/// What `--prune` would delete, decided before anything is sent.
public struct PrunePlan: Sendable {
    public var source: PushSource
    public var candidates: [PruneCandidate]
    /// Live events calport pushed from this source (within the window, when given): the base of
    /// the deletion limit.
    public var pushed: Int
    /// Gone from this source, but pushed from another source into the same calendar too: kept.
    public var keptForOtherSources: Int
    /// UIDs the journal stops counting as this source's: gone from it, and either deleted in
    /// Google already or kept for another source.
    var forgotten: [String]
    public var limit: PruneLimit?
    public var window: PushWindow?

    public var allowedDeletions: Double { PruneLimit.allowed(limit, pushed: pushed) }
    public var isAllowed: Bool { Double(candidates.count) <= allowedDeletions }
    public var recipientCount: Int { candidates.reduce(0) { $0 + $1.recipients.count } }

    /// Why the push is refused, with the counts and what to do.
    public var refusal: String {
        let share = pushed == 0 ? 100 : Int((Double(candidates.count) * 100 / Double(pushed)).rounded())
        let rule = limit.map { "--max-delete \($0)" } ?? "at most \(PruneLimit.standardMinimum) or 10% of them without --max-delete"
        return "refusing to prune: \(candidates.count) of the \(pushed) events calport pushed from \(source.name)"
            + "\(window.map { " within \($0)" } ?? "") would be deleted (\(share)%), more than the limit (\(rule)); nothing was sent"
    }

    public var advice: String {
        "check the source first (calport push … --prune --dry-run lists what would go); if it is right, "
            + "run again with --max-delete \(candidates.count) (or a percentage, e.g. --max-delete \(max(1, Int((Double(candidates.count) * 100 / Double(max(1, pushed))).rounded(.up))))%)"
    }
}

/// What came of the deletions.
public struct PruneResult: Sendable {
    public var deleted: [PruneCandidate] = []
    public var failed: [(candidate: PruneCandidate, error: String, transient: Bool)] = []
    public var aborted: Failure?

    public var outcome: Outcome {
        if let aborted { return aborted.outcome }
        if !failed.isEmpty { return failed.allSatisfy(\.transient) ? .unavailable : .partial }
        return .success
    }
}

/// The `prune` part of the `--report` JSON.
public struct PruneReport: Codable, Sendable {
    public struct Item: Codable, Sendable {
        public var uid: String
        public var googleId: String
        public var summary: String?
        public var start: String?
        public var state: String
        public var error: String?
    }
    public var source: String
    public var pushedFromSource: Int
    public var limit: Double
    public var keptForOtherSources: Int
    public var items: [Item]

    public init(_ plan: PrunePlan, result: PruneResult?, dryRun: Bool) {
        source = plan.source.name
        pushedFromSource = plan.pushed
        limit = plan.allowedDeletions
        keptForOtherSources = plan.keptForOtherSources
        let deleted = Set(result?.deleted.map(\.googleId) ?? [])
        let failed = Dictionary((result?.failed ?? []).map { ($0.candidate.googleId, $0.error) }, uniquingKeysWith: { a, _ in a })
        items = plan.candidates.map { c in
            let state = dryRun || !plan.isAllowed ? "planned" : deleted.contains(c.googleId) ? "deleted" : failed[c.googleId] != nil ? "failed" : "notSent"
            return Item(uid: c.uid, googleId: c.googleId, summary: c.summary, start: c.start, state: state, error: failed[c.googleId])
        }
    }
}

// MARK: - The journal's record of sources

extension PushJournal {
    /// Which events came from which source: every event of a source that calport created or
    /// updated (or found unchanged, having created it earlier), by calendar and key.
    static let sourceEventsSchema = """
        CREATE TABLE IF NOT EXISTS source_events (
            calendar TEXT NOT NULL, source TEXT NOT NULL, uid TEXT NOT NULL, instance TEXT NOT NULL,
            google_id TEXT NOT NULL, updated REAL NOT NULL,
            PRIMARY KEY (calendar, source, uid, instance));
        """

    /// A journal written by an older calport (read for a dry run) has no such table.
    private func hasSourceTable() throws -> Bool {
        try db.first("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'source_events'") != nil
    }

    func recordSource(_ source: String, calendarId: String, events: [(key: EventKey, googleId: String)]) throws {
        guard !events.isEmpty else { return }
        try lock.withLock {
            try db.transaction {
                let now = Date().timeIntervalSince1970
                for e in events {
                    try db.run("INSERT OR REPLACE INTO source_events (calendar, source, uid, instance, google_id, updated) VALUES (?, ?, ?, ?, ?, ?)",
                               [calendarId, source, e.key.uid, e.key.instance ?? "", e.googleId, now])
                }
            }
        }
    }

    /// The series and single events (not their occurrences) recorded for a source.
    func sourceEvents(_ source: String, calendarId: String) throws -> [(uid: String, googleId: String)] {
        try lock.withLock {
            guard try hasSourceTable() else { return [] }
            return try db.query("SELECT uid, google_id FROM source_events WHERE calendar = ? AND source = ? AND instance = '' ORDER BY uid",
                                [calendarId, source]).compactMap { row in
                guard let uid = row[0].string, let id = row[1].string else { return nil }
                return (uid, id)
            }
        }
    }

    /// UIDs that another source pushed into the same calendar too.
    func uidsOfOtherSources(than source: String, calendarId: String) throws -> Set<String> {
        try lock.withLock {
            guard try hasSourceTable() else { return [] }
            return Set(try db.query("SELECT DISTINCT uid FROM source_events WHERE calendar = ? AND source <> ?", [calendarId, source])
                .compactMap { $0[0].string })
        }
    }

    /// Drops what the journal remembers of these UIDs for the source (series and occurrences).
    func forget(_ uids: [String], source: String, calendarId: String) throws {
        guard !uids.isEmpty else { return }
        try lock.withLock {
            try db.transaction {
                for uid in uids {
                    try db.run("DELETE FROM source_events WHERE calendar = ? AND source = ? AND uid = ?", [calendarId, source, uid])
                }
            }
        }
    }
}

// MARK: - Planning and applying

extension PushEngine {
    /// Records which events of the calendar came from `source` after `result` was applied:
    /// those just created or updated, and those left as they were that calport made earlier
    /// (never an event calport did not write).
    public func recordSource(_ source: PushSource, result: PushResult) throws {
        guard let journal, !options.dryRun else { return }
        let known = try journal.knownIds(calendarId: options.calendarId)
        var events: [(key: EventKey, googleId: String)] = []
        for (entry, outcome) in zip(result.plan.entries, result.outcomes) {
            if outcome.state == .done, let id = outcome.googleId ?? entry.eventId, !id.isEmpty {
                events.append((entry.key, id))
            } else if [.unchanged, .skip].contains(entry.action) || outcome.state == .skipped,
                      let id = entry.eventId ?? outcome.googleId, known[id] != nil {
                events.append((entry.key, id))
            }
        }
        try journal.recordSource(source.id, calendarId: options.calendarId, events: events)
    }

    /// Decides what `--prune` deletes: the series and single events the journal says calport
    /// pushed from `source` into this calendar, whose UID the source no longer has at all
    /// (`sourceUIDs`: every UID of the whole source, rejected events included, before any window),
    /// that are live in Google, and, with a window, that Google lists within it. Events also
    /// pushed from another source are kept. Call after `plan` (it uses that listing).
    public func planPrune(source: PushSource, sourceUIDs: Set<String>, window: PushWindow?, limit: PruneLimit?,
                          ownerEmail: String? = nil) async throws -> PrunePlan {
        var plan = PrunePlan(source: source, candidates: [], pushed: 0, keptForOtherSources: 0, forgotten: [], limit: limit, window: window)
        guard let journal else { return plan }
        let recorded = try journal.sourceEvents(source.id, calendarId: options.calendarId)
        guard !recorded.isEmpty else { return plan }
        var inWindow: Set<String>?
        if let window, window.timeMin != nil || window.timeMax != nil {
            // Google's own answer to "which events touch the window" (a series whose span reaches
            // into it included).
            let bounded = GoogleCalendarStore(api: api, calendarId: options.calendarId,
                                              options: .init(fields: "items(id)", timeMin: window.timeMin, timeMax: window.timeMax,
                                                             completesSeries: false))
            inWindow = Set(try await bounded.list(since: nil).entries.map(\.id))
        }
        let elsewhere = try journal.uidsOfOtherSources(than: source.id, calendarId: options.calendarId)
        let owner = ownerEmail?.lowercased()
        for (uid, id) in recorded {
            guard listed.isCancelled(id: id) == false else {
                // Deleted in Google already (or gone): nothing to delete; forgotten when the
                // source no longer has it either.
                if !sourceUIDs.contains(uid) { plan.forgotten.append(uid) }
                continue
            }
            if let inWindow, !inWindow.contains(id) { continue }
            plan.pushed += 1
            guard !sourceUIDs.contains(uid) else { continue }
            if elsewhere.contains(uid) {
                // Another source still holds it: it stays, and is no longer this source's.
                plan.keptForOtherSources += 1
                plan.forgotten.append(uid)
                continue
            }
            // Read whole only now: most of what the journal recorded is still in the source.
            guard let g = listed.byId(id) else { continue }
            var recipients: [String] = []
            if options.mode == .insert && options.sendUpdates != .none {
                recipients = (g.attendees ?? []).compactMap { a in
                    guard let e = a.email?.lowercased(), e != owner, a.`self` != true else { return nil }
                    return e
                }
            }
            plan.candidates.append(PruneCandidate(uid: uid, googleId: id, summary: g.summary, start: g.start?.date ?? g.start?.dateTime,
                                                  recurring: g.recurrence?.isEmpty == false, recipients: recipients))
        }
        return plan
    }

    /// Deletes what the prune plan lists (nothing for a dry run), in batches, with
    /// `--send-updates` (none in import mode). An event Google says is already gone counts as
    /// deleted. The journal forgets what was deleted.
    public func applyPrune(_ plan: PrunePlan) async -> PruneResult {
        var result = PruneResult()
        guard !options.dryRun, plan.isAllowed else { return result }
        let calendarId = options.calendarId
        do {
            try journal?.forget(plan.forgotten, source: plan.source.id, calendarId: calendarId)
            let size = max(1, options.batchSize)
            for start in stride(from: 0, to: plan.candidates.count, by: size) {
                let chunk = Array(plan.candidates[start..<min(start + size, plan.candidates.count)])
                var outcomes: [(PruneCandidate, GoogleAPIError?)] = []
                if chunk.count == 1 && options.batchSize == 1 {
                    do {
                        try await api.deleteEvent(calendarId: calendarId, eventId: chunk[0].googleId, sendUpdates: options.sendUpdatesValue)
                        outcomes.append((chunk[0], nil))
                    } catch let e as GoogleAPIError {
                        outcomes.append((chunk[0], e))
                    }
                } else {
                    let requests = chunk.map { BatchRequest.delete(eventId: $0.googleId, sendUpdates: options.sendUpdatesValue) }
                    for r in try await api.batch(requests, calendarId: calendarId, partsPerBatch: chunk.count) {
                        outcomes.append((chunk[r.index], r.error))
                    }
                }
                var gone: [String] = []
                var stop: GoogleAPIError?
                for (c, error) in outcomes {
                    // 410: Google's answer to deleting an event that is already deleted.
                    if let e = error, e.status != 404 && e.status != 410 {
                        if Self.stopsThePush(e) { stop = stop ?? e }
                        result.failed.append((c, e.description, Self.isTransient(e)))
                    } else {
                        result.deleted.append(c)
                        gone.append(c.uid)
                    }
                }
                try journal?.forget(gone, source: plan.source.id, calendarId: calendarId)
                if let stop { throw stop }
            }
        } catch {
            result.aborted = Failure(error)
        }
        return result
    }
}
