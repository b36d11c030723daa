#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A lock file that could not be opened or locked; `code` is the errno.
public struct FileLockError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var code: Int32
    public var isSymlink: Bool { code == ELOOP }

    /// What to say about a state file found to be a symbolic link.
    public static func symlinkRefused(_ path: String) -> String {
        "\(path) is a symbolic link; calport keeps its state only in regular files, so that it never writes where a "
            + "link points. Replace the link with the file it points to (or move it away to start afresh)."
    }

    public var description: String {
        isSymlink ? Self.symlinkRefused(path) : "\(path): cannot lock: \(String(cString: strerror(code)))"
    }
}

/// An exclusive advisory lock on a file (flock), held until `release()` or deinit; the kernel
/// drops it when the process dies, so a killed run never leaves a stale lock behind.
public final class FileLock {
    public let path: String
    private var fd: Int32

    /// Takes the lock without waiting; nil when another process holds it. A symlinked lock file
    /// is refused (`FileLockError.isSymlink`): O_CREAT would create the file a dangling link
    /// names, wherever that is.
    public init?(path: String) throws {
        self.path = path
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw FileLockError(path: path, code: errno) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            close(fd)
            fd = -1  // deinit runs for a failed init too: nothing left to close
            guard code == EWOULDBLOCK else { throw FileLockError(path: path, code: code) }
            return nil
        }
    }

    public func release() {
        guard fd >= 0 else { return }
        flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    deinit { release() }
}
