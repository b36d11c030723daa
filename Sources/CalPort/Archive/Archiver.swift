import CalendarModel
import Foundation
import GoogleAPI
import GoogleCalendar
import StateStore

/// What `calport archive` is asked to do.
public struct ArchiveOptions: Sendable {
    public var calendars: [String]
    public var directory: String
    /// Snapshots kept per calendar (newest first); nil keeps all.
    public var keep: Int?
    public var gzip: Bool
    public var mapping: MappingOptions
    /// When the run happens: names the snapshot (its UTC date) and stamps the changes log.
    public var now: Date

    public init(calendars: [String], directory: String, keep: Int? = nil, gzip: Bool = false,
                mapping: MappingOptions = MappingOptions(), now: Date = ArchiveOptions.currentTime()) {
        self.calendars = calendars
        self.directory = directory
        self.keep = keep
        self.gzip = gzip
        self.mapping = mapping
        self.now = now
    }

    /// The clock, or `CALPORT_NOW` (seconds since 1970) for tests and benchmarks. Not
    /// `SOURCE_DATE_EPOCH`: build environments export that, and an archive run under one would
    /// write the same day's snapshot every night and never rotate.
    public static func currentTime(environment: [String: String] = ProcessInfo.processInfo.environment) -> Date {
        if let s = environment["CALPORT_NOW"], let n = Int(s) { return Date(timeIntervalSince1970: TimeInterval(n)) }
        return Date()
    }
}

/// One calendar's part of an archive run.
public struct ArchiveCalendarReport: Sendable, Codable {
    public enum Mode: String, Sendable, Codable {
        /// No mirror yet: a full listing.
        case full
        /// The changes since the stored sync token.
        case incremental
        /// The sync token had expired (410): a full listing diffed against the mirror.
        case resync
    }
    public var calendarId: String
    public var name: String?
    public var mode: Mode?
    /// Entries events.list returned, and in how many pages.
    public var received = 0
    public var pages = 0
    public var added = 0
    public var changed = 0
    public var deleted = 0
    /// Occurrences of series deleted (the series stays).
    public var cancelled = 0
    /// Events in the snapshot, and where it is.
    public var events = 0
    public var snapshot: String?
    public var pruned: [String] = []
    public var warnings = 0
    public var errors = 0
    public var failure: String?
    public var advice: String?
}

public struct ArchiveReport: Sendable, Codable {
    public var command = "archive"
    public var directory: String
    public var calendars: [ArchiveCalendarReport] = []
    /// HTTP requests sent (retries included), requests sent again, and response bytes received.
    public var requests = 0
    public var retries = 0
    public var responseBytes = 0
    public var seconds = 0.0
    public var exitCode: Int32 = 0
}

/// `calport archive`: a mirror of each calendar in `DIR/mirror.sqlite` kept current with sync
/// tokens, and per run a complete, deterministic snapshot `DIR/<calendar>/<UTC date>.ics` and the
/// run's changes appended to `DIR/<calendar>/changes.ndjson`.
///
/// Order of a calendar's run, each step safe to interrupt:
/// 1. append to the changes log what the mirror recorded but the log lacks (a crash after
///    step 5 of an earlier run);
/// 2. list the changes since the sync token, or everything (first run, or 410: then the full
///    listing is diffed against the mirror, so that deletions in the gap are found);
/// 3. write the snapshot of the new state atomically (temporary file, fsync, rename);
/// 4. commit the new events, the sync token and the changes to the mirror in one transaction;
/// 5. append the changes to the log; prune old snapshots.
///
/// Killed before 3 ends, the previous snapshot and the mirror are untouched and the next run
/// starts from the same token. Killed between 3 and 4, the snapshot is already the new state and
/// the next run fetches the same changes again (the mirror still holds the old token).
public struct Archiver: Sendable {
    public static let lockFileName = "archive.lock"

    public let api: GoogleCalendarAPI
    public let options: ArchiveOptions

    public init(api: GoogleCalendarAPI, options: ArchiveOptions) {
        self.api = api
        self.options = options
    }

    /// The lock that keeps two runs on one directory apart; nil when another run holds it.
    /// Creates the directory; what stands in the way is an `ArchiveFileError` in plain words.
    public static func lock(directory: String) throws -> ArchiveLock? {
        try ArchiveFiles.makeDirectory(directory, advice: "give --dir a directory (it is created when missing)")
        do {
            return try FileLock(path: directory + "/" + lockFileName).map(ArchiveLock.init)
        } catch let e as FileLockError {
            throw ArchiveFiles.explained(e.code, path: e.path, doing: "cannot create the lock file")
        }
    }

    /// A calendar's directory in the archive: its id as a file name (`CalendarRenderer.fileName`),
    /// except where that would not do. An id named like the archive's own files (`mirror.sqlite`
    /// and the -wal, -shm, -journal SQLite keeps beside it, `archive.lock`; ignoring case, as the
    /// usual macOS file systems do) has its dots encoded, `mirror%2Esqlite`. An id longer than a
    /// file name may be (255 bytes) is cut to 200 bytes and ends `%~` and 16 hex digits of its
    /// SHA-256. An ordinary id never gives either form (its `%` is written `%25`), and neither
    /// could be created before, so an existing archive keeps every directory it has.
    public static func directoryName(forCalendarId id: String) -> String {
        let name = CalendarRenderer.fileName(forCalendarId: id)
        let lower = name.lowercased()
        if lower == lockFileName || lower == ArchiveMirror.fileName || lower.hasPrefix(ArchiveMirror.fileName + "-") {
            return name.replacingOccurrences(of: ".", with: "%2E")
        }
        guard name.utf8.count > 255 else { return name }
        var prefix = ""
        for c in name {
            guard prefix.utf8.count + String(c).utf8.count <= 200 else { break }
            prefix.append(c)
        }
        return prefix + "%~" + SHA256Digest.hex(SHA256Digest.hash(Array(id.utf8))).prefix(16)
    }

    public var runTime: String {
        LocalDateTime(secondsSinceEpoch: Int(options.now.timeIntervalSince1970)).extendedFormat + "Z"
    }

    public var snapshotDate: String {
        LocalDateTime(secondsSinceEpoch: Int(options.now.timeIntervalSince1970)).date.extendedFormat
    }

    /// Archives every calendar (the caller holds the lock). One that fails does not stop the others.
    public func run(diagnostics: DiagnosticSink, progress: ProgressReporter?) async -> (ArchiveReport, Outcome) {
        var report = ArchiveReport(directory: options.directory)
        let started = Date()
        var outcomes: [Outcome] = []
        let mirror: ArchiveMirror
        do { mirror = try ArchiveMirror(path: options.directory + "/" + ArchiveMirror.fileName) } catch {
            let f = Failure(error)
            progress?.problem(f.description)
            for id in options.calendars {
                report.calendars.append(ArchiveCalendarReport(calendarId: id, failure: f.message, advice: f.advice))
            }
            report.exitCode = Outcome.failure.rawValue
            return (report, .failure)
        }
        var archived: Set<String> = []
        for id in options.calendars {
            // `primary` and the account's address, both given: one calendar, archived once.
            if archived.contains((try? mirror.alias(id)) ?? nil ?? id) { continue }
            var r = ArchiveCalendarReport(calendarId: id)
            let counter = DiagnosticCounter(forwardingTo: diagnostics)
            do {
                try await archive(id, mirror: mirror, report: &r, diagnostics: counter, progress: progress)
                archived.insert(r.calendarId)
                outcomes.append(counter.errors > 0 ? .dataError : .success)
            } catch {
                let f = Failure(error)
                r.failure = f.message
                r.advice = f.advice
                outcomes.append(f.outcome)
                progress?.problem("\(id): \(f)")
            }
            r.warnings = counter.warnings
            r.errors = counter.errors
            report.calendars.append(r)
        }
        progress?.finish()
        report.seconds = (Date().timeIntervalSince(started) * 1000).rounded() / 1000
        let stats = api.stats
        report.requests = stats.requests
        report.retries = stats.retries
        let outcome = Puller.combined(outcomes)
        report.exitCode = outcome.rawValue
        return (report, outcome)
    }

    /// Archives the calendar `given` names. Google is asked with `given`; the directory, the
    /// mirror and the log use the calendar's own id (`key(for:mirror:)`).
    func archive(_ given: String, mirror: ArchiveMirror, report r: inout ArchiveCalendarReport,
                 diagnostics: DiagnosticSink, progress: ProgressReporter?) async throws {
        let calendarId = try await key(for: given, mirror: mirror, progress: progress)
        r.calendarId = calendarId
        let dir = options.directory + "/" + Self.directoryName(forCalendarId: calendarId)
        try ArchiveFiles.makeDirectory(dir, advice: "move it out of the way: calport keeps this calendar's snapshots in a directory of that name")
        ArchiveFiles.removeLeftovers(in: dir)
        let logPath = dir + "/" + ChangesLog.fileName
        try flushLog(calendarId, mirror: mirror, to: logPath)

        let state = try mirror.state(calendarId: calendarId)
        // The mirror keeps Google's resources as listed, tombstones included.
        let store = GoogleCalendarStore(api: api, calendarId: given, progress: progress)
        // Which calendar this is at Google, checked before every full listing: `primary` of
        // another account (another --profile) would otherwise be taken for the archived one,
        // and every event logged as deleted and added again. An incremental run needs no
        // check (a quiet night stays one request): Google refuses a sync token that another
        // calendar gave (410, or 400 "Invalid sync token"), and the resync checks.
        var googleId = state.googleId
        func checkIdentity() async throws {
            let id = try await api.calendar(id: given).id ?? given
            if let archived = state.googleId, archived != id {
                throw Failure(message: "\(given): \(options.directory) archives \(given) as calendar \(archived), but for this account it is \(id)",
                              advice: "archive this account's calendar into another --dir, or check --profile", outcome: .usage)
            }
            googleId = id
        }
        var fetched: GoogleCalendarStore.Listing
        if let token = state.syncToken {
            do {
                fetched = try await store.listing(since: token)
                r.mode = .incremental
            } catch StoreError.tokenExpired {
                try await checkIdentity()
                progress?.note("\(calendarId): the sync token expired; listing the whole calendar and comparing it with the mirror")
                fetched = try await store.listing(since: nil)
                r.mode = .resync
            }
        } else {
            try await checkIdentity()
            fetched = try await store.listing(since: nil)
            r.mode = .full
        }
        r.received = fetched.events.count
        r.pages = fetched.pages
        guard let newToken = fetched.nextSyncToken else {
            throw Failure(message: "\(calendarId): Google gave no sync token for the listing", outcome: .failure)
        }

        // The new state, and what changed.
        let plan = try Self.plan(old: state.events, fetched: fetched.events, incremental: r.mode == .incremental,
                                 calendarId: calendarId, run: runTime)
        var info = fetched.info
        if info.name == nil { info.name = state.info.name }
        if info.timeZone == nil { info.timeZone = state.info.timeZone }
        r.name = info.name

        // The snapshot first: the mirror moves on only once it is on disk.
        let decoder = JSONDecoder()
        var events: [GoogleEvent] = []
        events.reserveCapacity(plan.state.count)
        for (id, json) in plan.state {
            do { events.append(try decoder.decode(GoogleEvent.self, from: Data(json.utf8))) } catch {
                throw Failure(message: "\(calendarId): the mirror's copy of event \(id) is not readable: \(JSONCodec.explain(error))", outcome: .failure)
            }
        }
        let fallback = LocalDateTime(secondsSinceEpoch: 0)
        var text = [UInt8]()
        let summary = try CalendarRenderer.writeICalendar(events, info: info, mapping: options.mapping, fallbackTimestamp: fallback,
                                                          diagnostics: diagnostics) { text += Array($0.utf8) }
        r.events = summary.events
        let name = snapshotDate + (options.gzip ? ".ics.gz" : ".ics")
        let path = dir + "/" + name
        try ArchiveFiles.writeAtomically(options.gzip ? try Gzip.compress(text) : text, to: path)
        r.snapshot = path
        // One snapshot a day: the other form of today's, if an earlier run wrote it, goes.
        let other = dir + "/" + snapshotDate + (options.gzip ? ".ics" : ".ics.gz")
        if FileManager.default.fileExists(atPath: other) { try? FileManager.default.removeItem(atPath: other) }

        try mirror.commit(calendarId: calendarId, googleId: googleId, info: info, syncToken: newToken, run: runTime, snapshot: name,
                          upserts: plan.upserts, deletions: plan.deletions, changes: plan.changes)
        for c in plan.changes {
            switch c.kind {
            case .added: r.added += 1
            case .changed: r.changed += 1
            case .deleted: r.deleted += 1
            case .cancelled: r.cancelled += 1
            }
        }
        try flushLog(calendarId, mirror: mirror, to: logPath)
        if let keep = options.keep {
            // Today's snapshot stays whatever the others' dates say (a clock that stepped back).
            for old in ArchiveFiles.snapshots(in: dir).filter({ $0 != name }).dropFirst(max(keep, 1) - 1) {
                if (try? FileManager.default.removeItem(atPath: dir + "/" + old)) != nil { r.pruned.append(old) }
            }
        }
    }

    /// Appends what the mirror recorded after the log's last line.
    /// The id a calendar is archived under: the id given, except `primary`, which is archived
    /// under the account's address, its id at Google, so that both name one history. The
    /// mirror remembers what `primary` stands for, so only the first run asks Google (a quiet
    /// night stays one request). An archive an earlier calport kept under `primary` moves to
    /// the address, directory and mirror alike, the first time.
    func key(for given: String, mirror: ArchiveMirror, progress: ProgressReporter?) async throws -> String {
        guard given == "primary" else { return given }
        if let known = try mirror.alias(given) { return known }
        let legacy = try mirror.state(calendarId: given)
        let id: String
        if let archived = legacy.googleId { id = archived } else { id = try await api.calendar(id: given).id ?? given }
        guard id != given else { return given }
        let from = options.directory + "/" + Self.directoryName(forCalendarId: given)
        let to = options.directory + "/" + Self.directoryName(forCalendarId: id)
        let fm = FileManager.default
        if legacy.syncToken != nil || !legacy.events.isEmpty || fm.fileExists(atPath: from) {
            guard try mirror.state(calendarId: id).syncToken == nil, !fm.fileExists(atPath: to) else {
                throw Failure(message: "\(given): \(options.directory) holds both \(given) and \(id), which are one calendar",
                              advice: "keep one of the directories \(from) and \(to) (and archive with --calendar \(id))", outcome: .usage)
            }
            if fm.fileExists(atPath: from) {
                do { try fm.moveItem(atPath: from, toPath: to) } catch {
                    throw Failure(message: "\(given): cannot move \(from) to \(to): \(error.localizedDescription)", outcome: .failure)
                }
            }
            try mirror.rename(calendarId: given, to: id)
            progress?.note("\(given): the archive now keeps the account's own calendar under its id, \(to)")
        }
        try mirror.setAlias(given, to: id)
        return id
    }

    func flushLog(_ calendarId: String, mirror: ArchiveMirror, to path: String) throws {
        let last = try ChangesLog.repairAndLastSequence(path)
        // A log ahead of its mirror was written from an earlier mirror (mirror.sqlite deleted
        // or replaced, which starts the numbers again): the new mirror numbers on from the
        // log's last line, or nothing would be logged until its numbers caught up.
        if last > (try mirror.lastSequence(calendarId: calendarId)) { try mirror.continueNumbering(after: last) }
        try ChangesLog.append(try mirror.changes(calendarId: calendarId, after: last), to: path)
    }

    /// The mirror's new content and the changes that lead there.
    public struct Plan: Sendable {
        /// Event id to JSON: the whole new state.
        public var state: [String: String]
        public var upserts: [(id: String, json: String)]
        public var deletions: [String]
        public var changes: [ArchiveChange]
    }

    /// Computes the new state. `incremental`: `fetched` are changes to apply to `old` (a
    /// cancelled event or series leaves the mirror, with its occurrences); else `fetched` is the
    /// whole calendar and whatever the mirror has beyond it was deleted.
    public static func plan(old: [String: String], fetched: [GoogleEvent], incremental: Bool,
                            calendarId: String, run: String) throws -> Plan {
        var state = incremental ? old : [:]
        var parsed: [String: GoogleEvent] = [:]
        var removedSeries: [String] = []
        for g in fetched {
            guard let id = g.id else { continue }
            if g.status == "cancelled" && !GoogleCalendarStore.isCancelledOccurrence(g) {
                state[id] = nil
                parsed[id] = nil
                removedSeries.append(id)
            } else {
                state[id] = FastJSON.compact(g)
                parsed[id] = g
            }
        }
        if !removedSeries.isEmpty {
            // Occurrences of a deleted series go with it.
            let gone = Set(removedSeries)
            let decoder = JSONDecoder()
            for (id, json) in state where id.contains("_") {
                let g = parsed[id] ?? (try? decoder.decode(GoogleEvent.self, from: Data(json.utf8)))
                if let s = g?.recurringEventId, gone.contains(s) { state[id] = nil }
            }
        }

        var upserts: [(id: String, json: String)] = []
        var deletions: [String] = []
        var changes: [ArchiveChange] = []
        let decoder = JSONDecoder()
        func event(_ json: String?) -> GoogleEvent? { json.flatMap { try? decoder.decode(GoogleEvent.self, from: Data($0.utf8)) } }
        for id in Set(old.keys).union(state.keys).sorted() {
            let before = old[id], after = state[id]
            guard before != after else { continue }
            if let after { upserts.append((id, after)) } else { deletions.append(id) }
            let b = event(before), a = parsed[id] ?? event(after)
            let wasLive = b.map { $0.status != "cancelled" } ?? false
            let isLive = a.map { $0.status != "cancelled" } ?? false
            let kind: ArchiveChange.Kind
            switch (wasLive, isLive) {
            case (true, true): kind = .changed
            case (false, true): kind = .added
            case (true, false):
                // A moved or edited occurrence cancelled: the series stays.
                kind = a.map(GoogleCalendarStore.isCancelledOccurrence) == true ? .cancelled : .deleted
            case (false, false):
                // A cancelled occurrence appears (or a tombstone goes with its series): an
                // occurrence cancelled, once.
                // Not logged on a first run: the calendar simply has that EXDATE.
                guard after != nil, before == nil, !old.isEmpty else { continue }
                kind = .cancelled
            }
            var described = isLive ? a : (b ?? a)
            // A cancelled occurrence is listed bare: name it after its series.
            if described?.iCalUID == nil, let series = described?.recurringEventId,
               let master = parsed[series] ?? event(state[series] ?? old[series]) {
                let summary = described?.summary ?? master.summary
                described?.iCalUID = master.iCalUID
                described?.summary = summary
            }
            let original = (a ?? b)?.originalStartTime
            changes.append(ArchiveChange(calendar: calendarId, run: run, kind: kind, id: id,
                                         iCalUID: described?.iCalUID, summary: described?.summary,
                                         originalStart: original?.dateTime ?? original?.date))
        }
        return Plan(state: state, upserts: upserts, deletions: deletions, changes: changes)
    }
}

/// The archive directory's lock (flock: the kernel drops it when the process dies).
public final class ArchiveLock: @unchecked Sendable {
    private let lock: FileLock
    init(_ lock: FileLock) { self.lock = lock }
    public func release() { lock.release() }
}
