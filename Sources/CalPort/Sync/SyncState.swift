import Foundation
import GoogleCalendar
import StateStore

/// What two-way sync remembers of one pair (a local calendar and a Google calendar of one
/// account) between runs: an SQLite database in the state directory, named after the pair.
///
/// Per UID it keeps the local entry (file name, version, hash of the normal form), Google's
/// events of that UID as Google last gave them (ids, etags, content: an incremental listing
/// brings only what changed, and a write needs the ids and etags of what did not), the hash of
/// their normal form, and the last version both sides agreed on, for field-level merges. The
/// sync token is saved only when every write of a run is done; the journal names what a run
/// set out to do, so that the next run knows an earlier one was cut short (it finishes it by
/// comparing again: every write is idempotent against the recorded hashes); the deletion queue
/// holds the Google deletions a reset still owes.
final class SyncState: @unchecked Sendable {
    let path: String
    let db: Database
    private let fileLock: FileLock

    /// One UID as the state knows it.
    struct Record: Sendable, Equatable {
        var uid: String
        var localId: String?
        var localVersion: String?
        var localHash: String?
        var google: [GoogleEvent]
        var googleHash: String?
        /// The normal form both sides held after the last sync (nil: never agreed).
        var agreed: [SyncEvent]?
        /// `sync reset --next new`: this UID stays as it is on both sides.
        var excluded: Bool
        /// `google` changed since the last agreement (a conflict, an unreadable local file, a
        /// failed write): the next run compares it even when Google reports no change.
        var pending = false

        init(uid: String, localId: String? = nil, localVersion: String? = nil, localHash: String? = nil,
             google: [GoogleEvent] = [], googleHash: String? = nil, agreed: [SyncEvent]? = nil, excluded: Bool = false) {
            self.uid = uid
            self.localId = localId
            self.localVersion = localVersion
            self.localHash = localHash
            self.google = google
            self.googleHash = googleHash
            self.agreed = agreed
            self.excluded = excluded
        }

        var isOnLocal: Bool { localId != nil }
        var isOnGoogle: Bool { !google.isEmpty }
    }

    /// Who the pair is: the local path and its identity (device and inode), the calendar and the
    /// account. A later run against another folder at the same path, or another calendar, is refused.
    struct Identity: Equatable, Sendable {
        var localPath: String
        var localIdentity: String
        var calendarId: String
        var account: String
    }

    /// The database file for a pair, in `directory`.
    static func file(in directory: String, localPath: String, calendarId: String, account: String) -> String {
        let digest = SHA256Digest.hex(SHA256Digest.hash(Array("\(localPath)\u{0}\(calendarId)\u{0}\(account)".utf8)))
        return directory + "/sync-" + String(digest.prefix(20)) + ".sqlite"
    }

    /// Opens (creating) the pair's state and takes its lock; a second run on the same pair
    /// fails with outcome `.locked` (exit 75).
    init(directory: String, localPath: String, calendarId: String, account: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw Failure(message: "\(directory): cannot create the state directory: \(error.localizedDescription)", outcome: .failure)
        }
        path = Self.file(in: directory, localPath: localPath, calendarId: calendarId, account: account)
        let lock: FileLock?
        do { lock = try FileLock(path: path + ".lock") } catch {
            throw Failure(message: "\(path).lock: \(error)", outcome: .failure)
        }
        guard let lock else {
            throw Failure(message: "another calport sync of \(localPath) with \(calendarId) is running",
                          advice: "wait for it to finish, then run again", outcome: .locked)
        }
        fileLock = lock
        db = try Database(path: path)
        try db.execute("""
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS records (
                uid TEXT PRIMARY KEY, local_id TEXT, local_version TEXT, local_hash TEXT,
                google TEXT NOT NULL DEFAULT '[]', google_hash TEXT, agreed TEXT, excluded INTEGER NOT NULL DEFAULT 0,
                pending INTEGER NOT NULL DEFAULT 0);
            CREATE TABLE IF NOT EXISTS journal (uid TEXT NOT NULL, side TEXT NOT NULL, operation TEXT NOT NULL,
                state TEXT NOT NULL, PRIMARY KEY (uid, side));
            CREATE TABLE IF NOT EXISTS deletion_queue (google_id TEXT PRIMARY KEY, uid TEXT NOT NULL, etag TEXT);
            """)
    }

    deinit { fileLock.release() }

    // MARK: meta

    func meta(_ key: String) throws -> String? { try db.first("SELECT value FROM meta WHERE key = ?", [key])?[0].string }

    func setMeta(_ key: String, _ value: String?) throws {
        if let value {
            try db.run("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", [key, value])
        } else {
            try db.run("DELETE FROM meta WHERE key = ?", [key])
        }
    }

    var identity: Identity? {
        get throws {
            guard let p = try meta("local_path"), let i = try meta("local_identity"), let c = try meta("calendar_id"),
                  let a = try meta("account") else { return nil }
            return Identity(localPath: p, localIdentity: i, calendarId: c, account: a)
        }
    }

    func setIdentity(_ i: Identity) throws {
        try setMeta("local_path", i.localPath)
        try setMeta("local_identity", i.localIdentity)
        try setMeta("calendar_id", i.calendarId)
        try setMeta("account", i.account)
    }

    /// The other pairs in `directory` that sync `localPath` (with another calendar or account),
    /// as `calendar (profile)`, read without taking their locks.
    static func otherPairs(in directory: String, localPath: String, except path: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var out: [String] = []
        for name in names.sorted() where name.hasPrefix("sync-") && name.hasSuffix(".sqlite") && directory + "/" + name != path {
            guard let db = try? Database(path: directory + "/" + name, readOnly: true),
                  let rows = try? db.query("SELECT key, value FROM meta WHERE key IN ('local_path', 'calendar_id', 'account')") else { continue }
            let meta = Dictionary(rows.map { ($0[0].string ?? "", $0[1].string ?? "") }, uniquingKeysWith: { a, _ in a })
            if meta["local_path"] == localPath, let c = meta["calendar_id"] { out.append("\(c) (\(meta["account"] ?? "?"))") }
        }
        return out
    }

    var syncToken: String? { get throws { try meta("sync_token") } }
    func setSyncToken(_ t: String?) throws { try setMeta("sync_token", t) }

    // MARK: records

    func records() throws -> [String: Record] {
        var out: [String: Record] = [:]
        let decoder = JSONDecoder()
        try db.forEach("SELECT uid, local_id, local_version, local_hash, google, google_hash, agreed, excluded, pending FROM records") { row in
            let uid = row[0].string ?? ""
            let google = (try? decoder.decode([GoogleEvent].self, from: Data((row[4].string ?? "[]").utf8))) ?? []
            let agreed = row[6].string.flatMap { try? decoder.decode([SyncEvent].self, from: Data($0.utf8)) }
            out[uid] = Record(uid: uid, localId: row[1].string, localVersion: row[2].string, localHash: row[3].string,
                              google: google, googleHash: row[5].string, agreed: agreed, excluded: (row[7].int ?? 0) != 0)
            out[uid]?.pending = (row[8].int ?? 0) != 0
        }
        return out
    }

    func save(_ records: [Record]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try db.transaction {
            for r in records {
                let google = String(decoding: try encoder.encode(r.google), as: UTF8.self)
                let agreed = try r.agreed.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
                try db.run("""
                    INSERT INTO records (uid, local_id, local_version, local_hash, google, google_hash, agreed, excluded, pending)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(uid) DO UPDATE SET local_id = excluded.local_id, local_version = excluded.local_version,
                        local_hash = excluded.local_hash, google = excluded.google, google_hash = excluded.google_hash,
                        agreed = excluded.agreed, excluded = excluded.excluded, pending = excluded.pending
                    """, [r.uid, r.localId, r.localVersion, r.localHash, google, r.googleHash, agreed, r.excluded, r.pending])
            }
        }
    }

    func forget(_ uids: [String]) throws {
        try db.transaction {
            for u in uids { try db.run("DELETE FROM records WHERE uid = ?", [u]) }
        }
    }

    func forgetAll() throws {
        try db.execute("DELETE FROM records; DELETE FROM meta WHERE key = 'sync_token';")
    }

    // MARK: journal

    /// Records what the run is about to do; an entry left by a killed run tells the next one.
    func plan(_ operations: [(uid: String, side: String, operation: String)]) throws {
        try db.transaction {
            for o in operations {
                try db.run("INSERT OR REPLACE INTO journal (uid, side, operation, state) VALUES (?, ?, ?, 'planned')",
                           [o.uid, o.side, o.operation])
            }
        }
    }

    func journalDone(uid: String, side: String) throws {
        try db.run("DELETE FROM journal WHERE uid = ? AND side = ?", [uid, side])
    }

    var unfinishedOperations: Int { get throws { Int(try db.first("SELECT count(*) FROM journal")?[0].int ?? 0) } }

    func clearJournal() throws { try db.execute("DELETE FROM journal") }

    // MARK: deletion queue

    func enqueueDeletions(_ items: [(googleId: String, uid: String, etag: String?)]) throws {
        try db.transaction {
            for i in items {
                try db.run("INSERT OR REPLACE INTO deletion_queue (google_id, uid, etag) VALUES (?, ?, ?)", [i.googleId, i.uid, i.etag])
            }
        }
    }

    func queuedDeletions() throws -> [(googleId: String, uid: String, etag: String?)] {
        try db.query("SELECT google_id, uid, etag FROM deletion_queue ORDER BY google_id").map {
            ($0[0].string ?? "", $0[1].string ?? "", $0[2].string)
        }
    }

    func dequeueDeletion(_ googleId: String) throws {
        try db.run("DELETE FROM deletion_queue WHERE google_id = ?", [googleId])
    }
}
