import Foundation
import Testing
@testable import StateStore

private func temporaryPath(_ name: String) -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("calport-state-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.appendingPathComponent(name).path
}

@Suite struct DatabaseTests {
    @Test func valuesRoundTripThroughTheFile() throws {
        let path = temporaryPath("t.sqlite")
        do {
            let db = try Database(path: path)
            try db.execute("CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER, b BLOB, r REAL)")
            try db.run("INSERT INTO t VALUES (?, ?, ?, ?)", ["café 📅", 42, [0, 1, 255] as [UInt8], 1.5])
            try db.run("INSERT INTO t VALUES (?, ?, ?, ?)", ["empty", Optional<Int>.none, [UInt8](), 0.0])
        }
        let db = try Database(path: path)
        let rows = try db.query("SELECT k, n, b, r FROM t ORDER BY k")
        #expect(rows.count == 2)
        #expect(rows[0][0] == .text("café 📅"))
        #expect(rows[0][1] == .integer(42))
        #expect(rows[0][2] == .blob([0, 1, 255]))
        #expect(rows[0][3] == .real(1.5))
        #expect(rows[1][1] == .null)
        #expect(rows[1][2].bytes == [])
    }

    @Test func aFailedTransactionLeavesNothing() throws {
        let db = try Database(path: temporaryPath("t.sqlite"))
        try db.execute("CREATE TABLE t (k TEXT PRIMARY KEY)")
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try db.transaction {
                try db.run("INSERT INTO t VALUES (?)", ["a"])
                throw Boom()
            }
        }
        #expect(try db.query("SELECT k FROM t").isEmpty)
        try db.transaction { try db.run("INSERT INTO t VALUES (?)", ["b"]) }
        #expect(try db.query("SELECT k FROM t").map { $0[0] } == [.text("b")])
    }

    @Test func constraintViolationsNameTheFile() throws {
        let path = temporaryPath("t.sqlite")
        let db = try Database(path: path)
        try db.execute("CREATE TABLE t (k TEXT PRIMARY KEY)")
        try db.run("INSERT INTO t VALUES (?)", ["a"])
        do {
            try db.run("INSERT INTO t VALUES (?)", ["a"])
            Issue.record("a duplicate key was accepted")
        } catch {
            #expect("\(error)".contains(path))
            #expect("\(error)".contains("UNIQUE"))
        }
    }

    /// The sqlite3 shell, when installed (it is optional: the test that needs it says so and skips).
    static let sqlite3 = ["/usr/bin/sqlite3", "/usr/local/bin/sqlite3"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(.enabled(if: sqlite3 != nil, "the sqlite3 shell is not installed (apt-get install sqlite3)"))
    func aCommittedTransactionSurvivesAKilledProcess() throws {
        // A child process commits, then is killed with SIGKILL before it can close the file.
        let path = temporaryPath("t.sqlite")
        let db = try Database(path: path)
        try db.execute("CREATE TABLE t (k TEXT PRIMARY KEY)")
        let script = "BEGIN IMMEDIATE; INSERT INTO t VALUES ('committed'); COMMIT; BEGIN IMMEDIATE; INSERT INTO t VALUES ('open');"
        let sqlite3 = try #require(Self.sqlite3)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: sqlite3)
        p.arguments = [path]
        let input = Pipe()
        p.standardInput = input
        try p.run()
        input.fileHandleForWriting.write(Data((script + "\n").utf8))
        // Wait until the committed row is visible, then kill the child inside its open transaction.
        for _ in 0..<100 where try db.query("SELECT k FROM t").isEmpty { Thread.sleep(forTimeInterval: 0.05) }
        Thread.sleep(forTimeInterval: 0.2)
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        try? input.fileHandleForWriting.close()
        #expect(p.terminationReason == .uncaughtSignal)
        let keys = try db.query("SELECT k FROM t ORDER BY k").map { $0[0] }
        #expect(keys == [.text("committed")])
    }

    @Test func aLockIsExclusiveAndDiesWithItsHolder() throws {
        let path = temporaryPath("lock")
        let first = try FileLock(path: path)
        #expect(first != nil)
        #expect(try FileLock(path: path) == nil)
        first?.release()
        #expect(try FileLock(path: path) != nil)
    }

    // A symlink where calport keeps state would have it create, lock or rewrite a file elsewhere
    // (O_CREAT follows a dangling link): both are refused, and the message says what to do.
    @Test func symlinkedDatabaseAndLockFilesAreRefused() throws {
        let path = temporaryPath("state.sqlite")
        let dir = (path as NSString).deletingLastPathComponent
        let elsewhere = dir + "/elsewhere.sqlite"
        do { _ = try Database(path: elsewhere) }
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: elsewhere)
        let database = #expect(throws: (any Error).self) { try Database(path: path) }
        #expect(database.map { "\($0)" }?.contains("\(path) is a symbolic link") == true, "\(String(describing: database))")
        #expect(database.map { "\($0)" }?.contains("Replace the link") == true, "\(String(describing: database))")
        #expect(throws: DatabaseError.self) { try Database(path: path, readOnly: true) }

        let lock = dir + "/run.lock", target = dir + "/not-yet-there"
        try FileManager.default.createSymbolicLink(atPath: lock, withDestinationPath: target)
        let refused = #expect(throws: (any Error).self) { try FileLock(path: lock) }
        #expect(refused.map { "\($0)" }?.contains("\(lock) is a symbolic link") == true, "\(String(describing: refused))")
        #expect(!FileManager.default.fileExists(atPath: target), "the link's target was not created")
    }
}
