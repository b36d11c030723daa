import Foundation
import StateStore

/// The push journal: an SQLite database in the state directory recording, per calendar and
/// input, which events a push meant to send and what came of each, so that a run that was
/// killed can say where it stopped, and so that events calport created can be recognised
/// later (Google lists deleted events without their iCalUID).
///
/// The journal is a record, not the truth: every run lists the calendar again and sends only
/// what Google does not hold yet. A lock file per calendar keeps two pushes apart.
final class PushJournal: @unchecked Sendable {
    let path: String
    // Internal, not private: PushPrune.swift keeps the source records in the same database.
    let db: Database
    let lock = NSLock()
    private let calendarLock: FileLock?
    private(set) var runId: Int64 = 0
    /// The earlier run of the same input that did not finish, when there is one.
    private(set) var resumed: (started: Date, done: Int, planned: Int)?

    /// Opens an existing journal to read what it knows (for a dry run): no lock, nothing
    /// written. Nil when there is none.
    init?(readingIn directory: String) throws {
        path = directory + "/push-journal.sqlite"
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        calendarLock = nil
        db = try Database(path: path, readOnly: true)
    }

    /// Opens (creating) the journal and takes the calendar's lock; throws a `Failure` with
    /// outcome `.locked` when another push to the same calendar is running.
    init(directory: String, calendarId: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw Failure(message: "\(directory): cannot create the state directory: \(error.localizedDescription)", outcome: .failure)
        }
        let lockName = "push-" + String(SHA256Digest.hex(SHA256Digest.hash(Array(calendarId.utf8))).prefix(16)) + ".lock"
        guard let l = try FileLock(path: directory + "/" + lockName) else {
            throw Failure(message: "another calport push to calendar \(calendarId) is running",
                          advice: "wait for it to finish, then run again (the journal in \(directory) lets it resume)",
                          outcome: .locked)
        }
        calendarLock = l
        path = directory + "/push-journal.sqlite"
        db = try Database(path: path)
        try db.execute("""
            CREATE TABLE IF NOT EXISTS runs (
                id INTEGER PRIMARY KEY, calendar TEXT NOT NULL, input TEXT NOT NULL, mode TEXT NOT NULL,
                started REAL NOT NULL, finished REAL, planned INTEGER NOT NULL DEFAULT 0);
            CREATE TABLE IF NOT EXISTS items (
                run INTEGER NOT NULL, uid TEXT NOT NULL, instance TEXT NOT NULL, action TEXT NOT NULL,
                state TEXT NOT NULL, google_id TEXT, error TEXT, updated REAL NOT NULL,
                PRIMARY KEY (run, uid, instance));
            CREATE TABLE IF NOT EXISTS known_ids (
                calendar TEXT NOT NULL, google_id TEXT NOT NULL, uid TEXT NOT NULL, instance TEXT NOT NULL,
                PRIMARY KEY (calendar, google_id));
            """)
        try db.execute(Self.sourceEventsSchema)
    }

    /// Starts (or takes up again) the run of `input` into `calendarId`.
    func begin(calendarId: String, input: String, mode: PushMode, planned: Int) throws {
        try lock.withLock {
            if let row = try db.first("SELECT id, started FROM runs WHERE calendar = ? AND input = ? AND mode = ? AND finished IS NULL ORDER BY id DESC LIMIT 1",
                                      [calendarId, input, mode.rawValue]) {
                runId = row[0].int ?? 0
                let done = try db.first("SELECT count(*) FROM items WHERE run = ? AND state = 'done'", [runId])?[0].int ?? 0
                let plannedBefore = try db.first("SELECT planned FROM runs WHERE id = ?", [runId])?[0].int ?? 0
                if case .real(let started) = row[1] {
                    resumed = (Date(timeIntervalSince1970: started), Int(done), Int(max(plannedBefore, done)))
                }
                // This plan holds only what is still missing: the run's total is what was done
                // before plus this (a resumed resume once said "950 of 491 events were done").
                try db.run("UPDATE runs SET planned = ? WHERE id = ?", [Int64(done) + Int64(planned), runId])
            } else {
                try db.run("INSERT INTO runs (calendar, input, mode, started, planned) VALUES (?, ?, ?, ?, ?)",
                           [calendarId, input, mode.rawValue, Date().timeIntervalSince1970, planned])
                runId = db.lastInsertRowID
            }
        }
    }

    /// The event the Google id `id` stands for, when calport created or updated it in this
    /// calendar (one row of `knownIds`, looked up by its key).
    func knownId(_ id: String, calendarId: String) throws -> EventKey? {
        try lock.withLock {
            guard let row = try db.query("SELECT uid, instance FROM known_ids WHERE calendar = ? AND google_id = ?", [calendarId, id]).first,
                  let uid = row[0].string else { return nil }
            let instance = row[1].string ?? ""
            return EventKey(uid: uid, instance: instance.isEmpty ? nil : instance)
        }
    }

    /// Ids calport created or updated in this calendar, with the event each stands for.
    func knownIds(calendarId: String) throws -> [String: EventKey] {
        try lock.withLock {
            var out: [String: EventKey] = [:]
            for row in try db.query("SELECT google_id, uid, instance FROM known_ids WHERE calendar = ?", [calendarId]) {
                guard let id = row[0].string, let uid = row[1].string else { continue }
                let instance = row[2].string ?? ""
                out[id] = EventKey(uid: uid, instance: instance.isEmpty ? nil : instance)
            }
            return out
        }
    }

    /// Records the intent to send these entries (before the request goes out).
    func sending(_ entries: [PushPlanEntry]) throws {
        try lock.withLock {
            try db.transaction {
                let now = Date().timeIntervalSince1970
                for e in entries {
                    try db.run("""
                        INSERT INTO items (run, uid, instance, action, state, google_id, updated) VALUES (?, ?, ?, ?, 'sending', ?, ?)
                        ON CONFLICT (run, uid, instance) DO UPDATE SET action = excluded.action, state = 'sending', updated = excluded.updated
                        """, [runId, e.key.uid, e.key.instance ?? "", e.action.rawValue, e.eventId, now])
                }
            }
        }
    }

    /// Records what came of sent entries: the Google id on success, the error otherwise.
    func finished(_ outcomes: [(key: EventKey, googleId: String?, error: String?)], calendarId: String) throws {
        try lock.withLock {
            try db.transaction {
                let now = Date().timeIntervalSince1970
                for o in outcomes {
                    try db.run("UPDATE items SET state = ?, google_id = coalesce(?, google_id), error = ?, updated = ? WHERE run = ? AND uid = ? AND instance = ?",
                               [o.error == nil ? "done" : "failed", o.googleId, o.error, now, runId, o.key.uid, o.key.instance ?? ""])
                    if o.error == nil, let id = o.googleId, !id.isEmpty {
                        try db.run("INSERT OR REPLACE INTO known_ids (calendar, google_id, uid, instance) VALUES (?, ?, ?, ?)",
                                   [calendarId, id, o.key.uid, o.key.instance ?? ""])
                    }
                }
            }
        }
    }

    /// Marks the run complete: a later push of the same input starts afresh.
    func complete() throws {
        try lock.withLock { try db.run("UPDATE runs SET finished = ? WHERE id = ?", [Date().timeIntervalSince1970, runId]) }
    }

    func close() { calendarLock?.release() }
}
