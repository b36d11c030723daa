#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed system call on a file: what was being done, to which path, and the errno.
public struct FileError: Error, CustomStringConvertible, Sendable, Equatable {
    public var path: String
    /// What was being done, as a phrase: "create a temporary file", "write", "replace".
    public var operation: String
    public var code: Int32

    public init(path: String, operation: String, code: Int32 = errno) {
        self.path = path
        self.operation = operation
        self.code = code
    }

    public var reason: String { String(cString: strerror(code)) }
    public var description: String { "\(path): cannot \(operation): \(reason)" }
}

/// A file replaced atomically: written to a temporary file beside the target
/// (`.<name>.calport-XXXXXX`, created 0600 by mkstemp, so nobody else can read it even for a
/// moment), flushed, renamed over the target, and the directory flushed. A reader sees the old
/// file or the new one, never half of one, also after a crash or a power cut; a run that fails
/// or is killed leaves the target as it was.
///
/// The one way calport replaces a file: command output (`-o`, reports), archive snapshots and
/// token files all go through it.
public final class AtomicFile {
    public static let temporaryMarker = ".calport-"

    public let target: String
    public let temporary: String
    private var fd: Int32
    private var finished = false

    /// `mode`: the new file's permissions; nil for those of the file it replaces, or for a new
    /// file 0666 less the umask, as any program's output.
    public init(replacing target: String, mode: mode_t? = nil) throws(FileError) {
        self.target = target
        let slash = target.lastIndex(of: "/")
        let dir = slash.map { $0 == target.startIndex ? "/" : String(target[..<$0]) } ?? "."
        let base = slash.map { String(target[target.index(after: $0)...]) } ?? target
        var template = Array(((dir == "/" ? "" : dir) + "/." + base + Self.temporaryMarker + "XXXXXX").utf8CString)
        let f = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard f >= 0 else { throw FileError(path: target, operation: "create a temporary file in \(dir)") }
        fd = f
        temporary = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        _ = fcntl(f, F_SETFD, FD_CLOEXEC)
        let permissions: mode_t
        if let mode {
            permissions = mode
        } else {
            var st = stat()
            if stat(target, &st) == 0 {
                permissions = st.st_mode & 0o7777
            } else {
                let mask = umask(0)
                umask(mask)
                permissions = 0o666 & ~mask
            }
        }
        guard fchmod(f, permissions) == 0 else {
            let e = FileError(path: temporary, operation: "set permissions")
            discard()
            throw e
        }
    }

    deinit { if !finished { discard() } }

    public func write(_ buffer: UnsafeRawBufferPointer) throws(FileError) {
        guard let base = buffer.baseAddress else { return }
        if let e = writeAll(fd, base, buffer.count) { throw FileError(path: target, operation: "write", code: e) }
    }

    public func write(_ bytes: [UInt8]) throws(FileError) {
        var failure: FileError?
        bytes.withUnsafeBytes { buffer in
            do throws(FileError) { try write(buffer) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Flushes the data, renames the file over the target and flushes the directory.
    public func commit() throws(FileError) {
        guard try flush() else { return }
        if rename(temporary, target) != 0 {
            let e = FileError(path: target, operation: "replace")
            unlink(temporary)
            throw e
        }
        Self.syncDirectory(of: target)
    }

    /// As `commit()`, but only when no file is at the target: the new file is linked in
    /// (never over another), so of two writers creating the same name one wins and the other
    /// gets EEXIST, with the existing file untouched.
    public func commitNew() throws(FileError) {
        guard try flush() else { return }
        if link(temporary, target) != 0 {
            let e = FileError(path: target, operation: "create")
            unlink(temporary)
            throw e
        }
        unlink(temporary)
        Self.syncDirectory(of: target)
    }

    /// Flushes and closes the temporary file; false when the file was already committed or
    /// discarded. On failure the temporary file is removed.
    private func flush() throws(FileError) -> Bool {
        guard !finished else { return false }
        finished = true
        if fsync(fd) != 0 || close(fd) != 0 {
            let e = FileError(path: target, operation: "flush")
            fd = -1
            unlink(temporary)
            throw e
        }
        fd = -1
        return true
    }

    /// Flushes the directory holding `path`, so a rename or unlink in it survives a power cut.
    public static func syncDirectory(of path: String) {
        let slash = path.lastIndex(of: "/")
        let dir = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        let d = open(dir, O_RDONLY | O_CLOEXEC)
        if d >= 0 {
            fsync(d)
            close(d)
        }
    }

    /// Drops the temporary file; the target is left as it was.
    public func discard() {
        finished = true
        if fd >= 0 { close(fd) }
        fd = -1
        unlink(temporary)
    }

    /// Writes `bytes` to `target` atomically, in one call.
    public static func write(_ bytes: [UInt8], to target: String, mode: mode_t? = nil) throws(FileError) {
        let file = try AtomicFile(replacing: target, mode: mode)
        try file.write(bytes)
        try file.commit()
    }
}

/// Writes all of `count` bytes to `fd`, again after EINTR and short writes; the errno of a
/// failed write, else nil.
public func writeAll(_ fd: Int32, _ base: UnsafeRawPointer, _ count: Int) -> Int32? {
    var off = 0
    while off < count {
        let n = write(fd, base + off, count - off)
        if n < 0 {
            if errno == EINTR { continue }
            return errno
        }
        if n == 0 { return EIO }
        off += n
    }
    return nil
}

/// Reads up to `count` bytes, again after EINTR: the number read (0 at the end), or -1 with errno set.
public func readSome(_ fd: Int32, _ base: UnsafeMutableRawPointer, _ count: Int) -> Int {
    while true {
        let n = read(fd, base, count)
        if n < 0 && errno == EINTR { continue }
        return n
    }
}
