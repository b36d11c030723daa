import CSQLite
import SystemSupport
import Foundation

/// An SQLite error, naming the database file and the statement's purpose.
public struct DatabaseError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var code: Int32
    public var message: String

    public var description: String {
        if let link = symlink { return StateFiles.symlinkRefused(link) }
        return "\(path): SQLite error \(code): \(message)"
    }

    /// The symbolic link that made SQLite refuse to open the database: the file itself, or its
    /// -wal, -shm or -journal beside it (SQLite opens those with O_NOFOLLOW on its own).
    var symlink: String?

    /// Another process holds a write lock longer than the busy timeout.
    public var isBusy: Bool { code & 0xff == SQLITE_BUSY || code & 0xff == SQLITE_LOCKED }
}

/// A value bound to, or read from, a statement.
public enum DatabaseValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])

    public var int: Int64? { if case .integer(let v) = self { v } else { nil } }
    public var string: String? { if case .text(let v) = self { v } else { nil } }
    public var bytes: [UInt8]? {
        switch self {
        case .blob(let b): b
        case .text(let s): Array(s.utf8)
        default: nil
        }
    }
}

public protocol DatabaseValueConvertible { var databaseValue: DatabaseValue { get } }
extension Int: DatabaseValueConvertible { public var databaseValue: DatabaseValue { .integer(Int64(self)) } }
extension Int64: DatabaseValueConvertible { public var databaseValue: DatabaseValue { .integer(self) } }
extension Bool: DatabaseValueConvertible { public var databaseValue: DatabaseValue { .integer(self ? 1 : 0) } }
extension Double: DatabaseValueConvertible { public var databaseValue: DatabaseValue { .real(self) } }
extension String: DatabaseValueConvertible { public var databaseValue: DatabaseValue { .text(self) } }
extension Array: DatabaseValueConvertible where Element == UInt8 { public var databaseValue: DatabaseValue { .blob(self) } }
extension Optional: DatabaseValueConvertible where Wrapped: DatabaseValueConvertible {
    public var databaseValue: DatabaseValue { self?.databaseValue ?? .null }
}
extension DatabaseValue: DatabaseValueConvertible { public var databaseValue: DatabaseValue { self } }

/// One row of a query, by column index.
public struct Row: Sendable {
    public let values: [DatabaseValue]
    public subscript(_ i: Int) -> DatabaseValue { values[i] }
}

/// A connection to one SQLite file, in WAL mode with synchronous=FULL, so that a committed
/// transaction survives `kill -9` and a power cut, and an interrupted one leaves nothing.
///
/// Not thread-safe: one owner at a time (the jobs hold one per run). Statements are cached by
/// their SQL text.
public final class Database {
    public let path: String
    private var handle: OpaquePointer?
    private var statements: [String: OpaquePointer] = [:]

    /// Opens (creating when missing) the database at `path`, with a busy timeout so that a
    /// reader waits briefly instead of failing while another process commits.
    ///
    /// A symlinked database file is refused (it would write wherever the link points).
    /// SQLITE_OPEN_NOFOLLOW refuses a link anywhere in the path, also a directory on the way
    /// (macOS's /tmp, an archive directory linked to another disk), which is the user's choice:
    /// so the directory is resolved first and only the file itself must not be a link.
    public init(path: String, readOnly: Bool = false) throws {
        self.path = path
        let flags = readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(StateFiles.resolvingDirectory(path), &db, flags | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW, nil)
        handle = db
        guard rc == SQLITE_OK else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            let extended = db.map { sqlite3_extended_errcode($0) } ?? rc
            sqlite3_close_v2(db)
            handle = nil
            var error = DatabaseError(path: path, code: extended, message: message)
            if rc & 0xff == SQLITE_CANTOPEN {
                error.symlink = ([""] + ["-wal", "-shm", "-journal"]).map { path + $0 }.first(where: StateFiles.isSymlink)
            }
            throw error
        }
        sqlite3_busy_timeout(db, 5000)
        if !readOnly {
            try execute("PRAGMA journal_mode=WAL")
            try execute("PRAGMA synchronous=FULL")
        }
        try execute("PRAGMA foreign_keys=ON")
    }

    deinit {
        for s in statements.values { sqlite3_finalize(s) }
        sqlite3_close_v2(handle)
    }

    /// Runs one or more statements that take no parameters and return no rows.
    public func execute(_ sql: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &error)
        if rc != SQLITE_OK {
            let message = error.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(error)
            throw DatabaseError(path: path, code: rc, message: message)
        }
    }

    /// Runs one statement with parameters (`?`), returning no rows.
    public func run(_ sql: String, _ arguments: [any DatabaseValueConvertible] = []) throws {
        try withStatement(sql, arguments) { stmt in
            let rc = sqlite3_step(stmt)
            guard rc == SQLITE_DONE || rc == SQLITE_ROW else { throw self.error(rc) }
        }
    }

    /// Runs a query and calls `body` for each row.
    public func forEach(_ sql: String, _ arguments: [any DatabaseValueConvertible] = [],
                        _ body: (Row) throws -> Void) throws {
        try withStatement(sql, arguments) { stmt in
            while true {
                let rc = sqlite3_step(stmt)
                if rc == SQLITE_DONE { return }
                guard rc == SQLITE_ROW else { throw self.error(rc) }
                try body(row(stmt))
            }
        }
    }

    /// All rows of a query.
    public func query(_ sql: String, _ arguments: [any DatabaseValueConvertible] = []) throws -> [Row] {
        var rows: [Row] = []
        try forEach(sql, arguments) { rows.append($0) }
        return rows
    }

    /// The first row of a query, if any.
    public func first(_ sql: String, _ arguments: [any DatabaseValueConvertible] = []) throws -> Row? {
        try query(sql, arguments).first
    }

    /// Runs `body` in one transaction (BEGIN IMMEDIATE … COMMIT), rolled back when it throws.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// The rowid of the last inserted row.
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
    /// Rows changed by the last statement.
    public var changes: Int { Int(sqlite3_changes(handle)) }

    private func withStatement<T>(_ sql: String, _ arguments: [any DatabaseValueConvertible],
                                  _ body: (OpaquePointer) throws -> T) throws -> T {
        let stmt: OpaquePointer
        if let cached = statements[sql] {
            stmt = cached
        } else {
            var s: OpaquePointer?
            let rc = sqlite3_prepare_v2(handle, sql, -1, &s, nil)
            guard rc == SQLITE_OK, let s else { throw error(rc) }
            statements[sql] = s
            stmt = s
        }
        defer {
            sqlite3_reset(stmt)
            sqlite3_clear_bindings(stmt)
        }
        for (i, argument) in arguments.enumerated() {
            let index = Int32(i + 1)
            let rc: Int32
            switch argument.databaseValue {
            case .null: rc = sqlite3_bind_null(stmt, index)
            case .integer(let v): rc = sqlite3_bind_int64(stmt, index, v)
            case .real(let v): rc = sqlite3_bind_double(stmt, index, v)
            case .text(let v): rc = csqlite_bind_text(stmt, index, v, -1)
            case .blob(let v): rc = v.withUnsafeBytes { csqlite_bind_blob(stmt, index, $0.baseAddress, Int32($0.count)) }
            }
            guard rc == SQLITE_OK else { throw error(rc) }
        }
        return try body(stmt)
    }

    private func row(_ stmt: OpaquePointer) -> Row {
        let n = sqlite3_column_count(stmt)
        var values: [DatabaseValue] = []
        values.reserveCapacity(Int(n))
        for i in 0..<n {
            switch sqlite3_column_type(stmt, i) {
            case SQLITE_INTEGER: values.append(.integer(sqlite3_column_int64(stmt, i)))
            case SQLITE_FLOAT: values.append(.real(sqlite3_column_double(stmt, i)))
            case SQLITE_TEXT: values.append(.text(String(cString: sqlite3_column_text(stmt, i))))
            case SQLITE_BLOB:
                let count = Int(sqlite3_column_bytes(stmt, i))
                if let p = sqlite3_column_blob(stmt, i), count > 0 {
                    values.append(.blob(Array(UnsafeRawBufferPointer(start: p, count: count))))
                } else {
                    values.append(.blob([]))
                }
            default: values.append(.null)
            }
        }
        return Row(values: values)
    }

    private func error(_ rc: Int32) -> DatabaseError {
        DatabaseError(path: path, code: rc, message: String(cString: sqlite3_errmsg(handle)))
    }
}

/// The rules calport keeps for the files it writes state into.
public enum StateFiles {
    /// What to say about a state file found to be a symbolic link.
    public static func symlinkRefused(_ path: String) -> String { FileLockError.symlinkRefused(path) }

    static func isSymlink(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK
    }

    /// `path` with its directory resolved (symlinks, `.`, `..`), the last component as given;
    /// `path` itself when the directory does not resolve (SQLite then reports the problem).
    static func resolvingDirectory(_ path: String) -> String {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        guard let resolved = realpath(directory, nil) else { return path }
        defer { free(resolved) }
        let base = String(cString: resolved)
        return (base == "/" ? "" : base) + "/" + name
    }
}

/// The lock file type and its error live in SystemSupport, with the other POSIX pieces.
public typealias FileLock = SystemSupport.FileLock
public typealias FileLockError = SystemSupport.FileLockError
