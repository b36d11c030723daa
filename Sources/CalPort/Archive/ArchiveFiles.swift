#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import StateStore
import SystemSupport

/// A file operation of the archive that failed, in plain words: which path, what is wrong with
/// it, and what to do.
public struct ArchiveFileError: Error, CustomStringConvertible {
    public var message: String
    public var advice: String?
    /// `.usage` when the way out is another `--dir` or fixing the directory, else `.failure`.
    public var outcome: Outcome = .failure

    public var description: String { Failure(message: message, advice: advice, outcome: outcome).description }
}

/// File operations of the archive, each safe against `kill -9` at any point.
enum ArchiveFiles {
    static func failure(_ path: String, _ what: String) -> ArchiveFileError {
        explained(errno, path: path, doing: what)
    }

    /// What `code` (an errno) means for `path`, which calport was doing `what` to. The errors a
    /// user fixes by choosing or fixing the directory are usage errors (exit 64), as an output
    /// path that cannot be written is.
    static func explained(_ code: Int32, path: String, doing what: String) -> ArchiveFileError {
        let directory = parent(path)
        switch code {
        case ELOOP:
            return ArchiveFileError(message: StateFiles.symlinkRefused(path))
        case EACCES, EPERM:
            return ArchiveFileError(message: "\(path): \(what): permission denied (calport may not write in \(directory))",
                                    advice: "give --dir a directory you can write to, or change the permissions of \(directory)",
                                    outcome: .usage)
        case EROFS:
            return ArchiveFileError(message: "\(path): \(what): \(directory) is on a read-only file system",
                                    advice: "give --dir a directory on a writable disk", outcome: .usage)
        case ENOSPC, EDQUOT:
            return ArchiveFileError(message: "\(path): \(what): the disk is full (or the quota used up)",
                                    advice: "free some space and run again; the archive is as the previous run left it")
        case ENAMETOOLONG:
            return ArchiveFileError(message: "\(path): \(what): the path is too long for the file system",
                                    advice: "give --dir a shorter path", outcome: .usage)
        default:
            return ArchiveFileError(message: "\(path): \(what): \(String(cString: strerror(code)))")
        }
    }

    static func parent(_ path: String) -> String {
        let p = (path as NSString).deletingLastPathComponent
        return p.isEmpty ? "." : p
    }

    /// Creates `path` and its missing parents (`mkdir -p`), saying in plain words which part is
    /// in the way and why; `advice` is what to do when a part of it is a file.
    static func makeDirectory(_ path: String, advice: String) throws(ArchiveFileError) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            prefix = prefix.isEmpty ? "/" + part : prefix + "/" + part
            if prefix == "./." { prefix = "."; continue }
            var info = stat()
            if stat(prefix, &info) == 0 {
                guard (info.st_mode & S_IFMT) == S_IFDIR else {
                    throw ArchiveFileError(message: "\(prefix.hasPrefix("./") ? String(prefix.dropFirst(2)) : prefix) is a file, not a directory",
                                           advice: advice, outcome: .usage)
                }
                continue
            }
            if mkdir(prefix, 0o777) != 0 && errno != EEXIST {
                var e = explained(errno, path: prefix.hasPrefix("./") ? String(prefix.dropFirst(2)) : prefix, doing: "cannot create the directory")
                if errno == ENOTDIR { e.advice = advice }
                throw e
            }
        }
    }

    /// Replaces `path` with `bytes` atomically (`AtomicFile`): the target is always either the
    /// old file or the new one, also after a power cut.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        do { try AtomicFile.write(bytes, to: path) } catch {
            throw explained(error.code, path: path, doing: "cannot \(error.operation)")
        }
    }

    static let temporaryMarker = AtomicFile.temporaryMarker

    static func syncDirectory(_ dir: String) {
        let d = open(dir, O_RDONLY)
        if d >= 0 {
            fsync(d)
            close(d)
        }
    }

    /// Temporary files a killed run left in `dir` (only called under the archive lock).
    static func removeLeftovers(in dir: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return }
        for n in names where n.hasPrefix(".") && n.contains(temporaryMarker) { unlink(dir + "/" + n) }
    }

    /// `YYYY-MM-DD.ics` or `YYYY-MM-DD.ics.gz`: the date, else nil.
    static func snapshotDate(_ name: String) -> String? {
        let stem: Substring
        if name.hasSuffix(".ics.gz") { stem = name.dropLast(7) } else if name.hasSuffix(".ics") { stem = name.dropLast(4) } else { return nil }
        let parts = stem.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }) else { return nil }
        return String(stem)
    }

    /// Snapshot file names in `dir`, newest date first.
    static func snapshots(in dir: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { snapshotDate($0) != nil }.sorted { a, b in
            let (da, db) = (snapshotDate(a)!, snapshotDate(b)!)
            return da != db ? da > db : a > b
        }
    }
}

/// The changes log, `<calendar>/changes.ndjson`: one JSON object a line, appended after the
/// mirror commits. Lines carry the mirror's sequence number, so appending is idempotent: a run
/// appends the changes after the last complete line's `seq`. A line torn by a crash (no final
/// newline) is cut off first and written again whole.
///
/// Both opens refuse a symlink (O_NOFOLLOW): the repair truncates and the append writes, and
/// through a link they would cut and grow whatever file it names.
enum ChangesLog {
    static let fileName = "changes.ndjson"

    /// The `seq` of the last complete line, after cutting a torn last line; 0 for no log.
    static func repairAndLastSequence(_ path: String) throws -> Int64 {
        let fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)
        if fd < 0 {
            if errno == ENOENT { return 0 }
            throw ArchiveFiles.failure(path, "cannot open")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw ArchiveFiles.failure(path, "cannot stat") }
        var size = Int(st.st_size)
        if size == 0 { return 0 }
        var window = 4096
        while true {
            let start = max(0, size - window)
            var buf = [UInt8](repeating: 0, count: size - start)
            let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, $0.count, off_t(start)) }
            guard n == buf.count else { throw ArchiveFiles.failure(path, "cannot read") }
            // Cut a torn tail: everything after the last newline.
            var end = buf.count
            if buf.last != 0x0A {
                guard let nl = buf.lastIndex(of: 0x0A) else {
                    if start == 0 { return try truncate(fd, path, to: 0) }
                    window *= 4
                    continue
                }
                guard ftruncate(fd, off_t(start + nl + 1)) == 0, fsync(fd) == 0 else { throw ArchiveFiles.failure(path, "cannot repair a torn last line") }
                size = start + nl + 1
                end = nl + 1
            }
            // The last complete line is between the previous newline and `end - 1`.
            let body = buf[..<(end - 1)]
            guard let previous = body.lastIndex(of: 0x0A) else {
                if start > 0 { window *= 4; continue }
                return sequence(of: Array(body))
            }
            return sequence(of: Array(body[(previous + 1)...]))
        }
    }

    private static func truncate(_ fd: Int32, _ path: String, to length: Int) throws -> Int64 {
        guard ftruncate(fd, off_t(length)) == 0 else { throw ArchiveFiles.failure(path, "cannot repair a torn last line") }
        return 0
    }

    private static func sequence(of line: [UInt8]) -> Int64 {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else { return 0 }
        return (object["seq"] as? NSNumber)?.int64Value ?? 0
    }

    /// Appends changes (already after the log's last `seq`) as whole lines, then flushes.
    static func append(_ changes: [ArchiveChange], to path: String) throws {
        guard !changes.isEmpty else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var text = [UInt8]()
        for c in changes {
            text += try encoder.encode(c)
            text.append(0x0A)
        }
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw ArchiveFiles.failure(path, "cannot open") }
        defer { close(fd) }
        if let code = text.withUnsafeBytes({ writeAll(fd, $0.baseAddress!, $0.count) }) {
            throw ArchiveFiles.explained(code, path: path, doing: "write failed")
        }
        guard fsync(fd) == 0 else { throw ArchiveFiles.failure(path, "cannot flush") }
    }
}
