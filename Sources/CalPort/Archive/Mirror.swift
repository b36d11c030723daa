import CalendarModel
import Foundation
import StateStore

/// One entry of the changes log: what a run found changed in a calendar.
public struct ArchiveChange: Sendable, Codable, Equatable {
    /// `cancelled`: one occurrence of a series was deleted (the series stays, with an EXDATE).
    public enum Kind: String, Sendable, Codable { case added, changed, deleted, cancelled }
    /// Position in the mirror's `changes` table (increasing across runs): the log's order and
    /// its idempotence key.
    public var seq: Int64 = 0
    public var calendar: String
    /// When the run started (RFC 3339 UTC).
    public var run: String
    public var kind: Kind
    public var id: String
    public var iCalUID: String?
    public var summary: String?
    /// For an occurrence (`cancelled`, or an override changed): the start it has in the series,
    /// as Google gives it (an RFC 3339 date-time, or a date for all-day events).
    public var originalStart: String?
}

/// The archive's mirror of each calendar: every live event's JSON keyed by event id (cancelled
/// occurrences of series included, as their tombstones, for the EXDATEs), the sync token, the
/// calendar's name and zone, and the changes recorded so far. SQLite in WAL mode with
/// synchronous=FULL: a transaction is all there or not at all after `kill -9` or a power cut.
public final class ArchiveMirror {
    public static let fileName = "mirror.sqlite"
    let db: Database

    public struct CalendarState: Sendable {
        public var info = CalendarInfo()
        public var syncToken: String?
        public var lastSnapshot: String?
        /// The calendar's own id at Google when it was archived (`primary` resolved), so that
        /// another account's calendar of the same name is not mixed into this history.
        public var googleId: String?
        /// Event id to its JSON (`FastJSON.compact`).
        public var events: [String: String] = [:]
    }

    public init(path: String) throws {
        db = try Database(path: path)
        try db.execute("""
            CREATE TABLE IF NOT EXISTS calendars(
                id TEXT PRIMARY KEY, name TEXT, time_zone TEXT, description TEXT,
                sync_token TEXT, last_run TEXT, last_snapshot TEXT);
            CREATE TABLE IF NOT EXISTS events(
                calendar_id TEXT NOT NULL, event_id TEXT NOT NULL, json TEXT NOT NULL,
                PRIMARY KEY(calendar_id, event_id)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS changes(
                seq INTEGER PRIMARY KEY AUTOINCREMENT, calendar_id TEXT NOT NULL, run TEXT NOT NULL,
                kind TEXT NOT NULL, event_id TEXT NOT NULL, ical_uid TEXT, summary TEXT);
            CREATE INDEX IF NOT EXISTS changes_by_calendar ON changes(calendar_id, seq);
            CREATE TABLE IF NOT EXISTS aliases(alias TEXT PRIMARY KEY, calendar_id TEXT NOT NULL);
            """)
        // Mirrors written before the column existed gain it (empty: checked from the next run).
        if try db.first("SELECT 1 FROM pragma_table_info('calendars') WHERE name = 'google_id'") == nil {
            try db.execute("ALTER TABLE calendars ADD COLUMN google_id TEXT")
        }
        if try db.first("SELECT 1 FROM pragma_table_info('changes') WHERE name = 'original_start'") == nil {
            try db.execute("ALTER TABLE changes ADD COLUMN original_start TEXT")
        }
    }

    public func state(calendarId: String) throws -> CalendarState {
        var s = CalendarState()
        if let row = try db.first("SELECT name, time_zone, description, sync_token, last_snapshot, google_id FROM calendars WHERE id = ?",
                                  [calendarId]) {
            s.info.name = row[0].string
            s.info.timeZone = row[1].string
            s.info.description = row[2].string
            s.syncToken = row[3].string
            s.lastSnapshot = row[4].string
            s.googleId = row[5].string
        }
        try db.forEach("SELECT event_id, json FROM events WHERE calendar_id = ?", [calendarId]) { row in
            if let id = row[0].string, let json = row[1].string { s.events[id] = json }
        }
        return s
    }

    /// Applies one run to the mirror in one transaction: the events that changed, the new sync
    /// token and calendar details, and the changes for the log.
    public func commit(calendarId: String, googleId: String?, info: CalendarInfo, syncToken: String?, run: String, snapshot: String,
                       upserts: [(id: String, json: String)], deletions: [String], changes: [ArchiveChange]) throws {
        try db.transaction {
            try db.run("""
                INSERT INTO calendars(id, name, time_zone, description, sync_token, last_run, last_snapshot, google_id)
                VALUES(?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET name = excluded.name, time_zone = excluded.time_zone,
                    description = excluded.description, sync_token = excluded.sync_token,
                    last_run = excluded.last_run, last_snapshot = excluded.last_snapshot, google_id = excluded.google_id
                """, [calendarId, info.name, info.timeZone, info.description, syncToken, run, snapshot, googleId])
            for id in deletions {
                try db.run("DELETE FROM events WHERE calendar_id = ? AND event_id = ?", [calendarId, id])
            }
            for (id, json) in upserts {
                try db.run("INSERT OR REPLACE INTO events(calendar_id, event_id, json) VALUES(?, ?, ?)", [calendarId, id, json])
            }
            for c in changes {
                try db.run("INSERT INTO changes(calendar_id, run, kind, event_id, ical_uid, summary, original_start) VALUES(?, ?, ?, ?, ?, ?, ?)",
                           [calendarId, c.run, c.kind.rawValue, c.id, c.iCalUID, c.summary, c.originalStart])
            }
        }
    }

    /// The calendar id an alias (`primary`) stood for when this archive first met it.
    public func alias(_ name: String) throws -> String? {
        try db.first("SELECT calendar_id FROM aliases WHERE alias = ?", [name])?[0].string
    }

    public func setAlias(_ name: String, to calendarId: String) throws {
        try db.run("INSERT OR REPLACE INTO aliases(alias, calendar_id) VALUES(?, ?)", [name, calendarId])
    }

    /// Moves a calendar's mirror, sync token and recorded changes from one id to another, in
    /// one transaction.
    public func rename(calendarId old: String, to new: String) throws {
        try db.transaction {
            try db.run("UPDATE calendars SET id = ? WHERE id = ?", [new, old])
            try db.run("UPDATE events SET calendar_id = ? WHERE calendar_id = ?", [new, old])
            try db.run("UPDATE changes SET calendar_id = ? WHERE calendar_id = ?", [new, old])
        }
    }

    /// The sequence number of the calendar's last recorded change; 0 for none.
    public func lastSequence(calendarId: String) throws -> Int64 {
        try db.query("SELECT MAX(seq) FROM changes WHERE calendar_id = ?", [calendarId]).first?[0].int ?? 0
    }

    /// Makes the next recorded change's sequence number larger than `seq` (SQLite's
    /// AUTOINCREMENT counter, kept in `sqlite_sequence`).
    public func continueNumbering(after seq: Int64) throws {
        try db.transaction {
            try db.run("INSERT INTO sqlite_sequence(name, seq) SELECT 'changes', 0 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'changes')")
            try db.run("UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = 'changes'", [seq])
        }
    }

    /// The recorded changes of a calendar after `seq`, in order.
    public func changes(calendarId: String, after seq: Int64) throws -> [ArchiveChange] {
        try db.query("SELECT seq, run, kind, event_id, ical_uid, summary, original_start FROM changes WHERE calendar_id = ? AND seq > ? ORDER BY seq",
                     [calendarId, seq]).map { row in
            ArchiveChange(seq: row[0].int ?? 0, calendar: calendarId, run: row[1].string ?? "",
                          kind: ArchiveChange.Kind(rawValue: row[2].string ?? "") ?? .changed, id: row[3].string ?? "",
                          iCalUID: row[4].string, summary: row[5].string, originalStart: row[6].string)
        }
    }
}
