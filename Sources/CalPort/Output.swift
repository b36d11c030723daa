#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SystemSupport

public struct OutputError: Error, CustomStringConvertible {
    public var description: String
}

/// Where converted data goes: standard output, or a file that appears only when complete.
///
/// What a path names decides how it is written:
/// - `-` (or nil): standard output.
/// - a regular file, or nothing yet: written to a temporary file beside it, flushed, then
///   renamed over it, so a reader never sees half a file and a failed run leaves the old one.
///   A symbolic link to a regular file is followed: the file it points to is replaced and the
///   link stays.
/// - a character device, FIFO or socket (`/dev/null`, `/dev/stdout`, a named pipe, a link to
///   `/proc/self/fd/1`): written through directly. Renaming a file over it would destroy it.
/// - a directory, or a path whose directory is missing or not writable: refused with a message
///   (`Output.check(path:)` says so before any long work begins).
public final class Output {
    public let name: String
    /// Standard output or a device; -1 for a file.
    private var fd: Int32
    /// A regular file, replaced on commit.
    private let file: AtomicFile?
    private var finished = false

    /// How a path is written.
    enum Destination: Equatable {
        case standardOutput
        /// A device, FIFO or socket, written through.
        case stream(String)
        /// A regular file (possibly missing), replaced atomically; the path after links.
        case file(String)
    }

    /// Where writing `path` would go, or why it cannot. Touches nothing.
    static func destination(of path: String?) throws(OutputError) -> Destination {
        guard let path, path != "-" else { return .standardOutput }
        guard !path.isEmpty else { throw OutputError(description: "an empty output path") }
        var st = stat()
        if stat(path, &st) == 0 {
            switch st.st_mode & S_IFMT {
            case S_IFDIR:
                throw OutputError(description: "\(path) is a directory; name a file in it")
            case S_IFCHR, S_IFIFO, S_IFSOCK:
                guard access(path, W_OK) == 0 else { throw OutputError(description: "\(path): cannot write: \(errorText(errno))") }
                return .stream(path)
            case S_IFREG:
                let resolved = realPath(path) ?? path
                try checkDirectory(of: resolved, for: path)
                return .file(resolved)
            default:
                throw OutputError(description: "\(path) is neither a file nor a device calport can write to")
            }
        }
        if path.hasSuffix("/") {
            throw OutputError(description: "\(path): the directory does not exist; name a file in an existing directory")
        }
        try checkDirectory(of: path, for: path)
        return .file(path)
    }

    /// Refuses a path that cannot be written, before a command starts work whose result would go
    /// there (a pull that downloads everything, a push whose report comes at the end).
    public static func check(path: String?) throws(OutputError) {
        _ = try destination(of: path)
    }

    /// `-` or nil is standard output.
    public init(path: String?) throws {
        switch try Self.destination(of: path) {
        case .standardOutput:
            name = "<stdout>"
            fd = 1
            file = nil
        case .stream(let device):
            name = path ?? device
            let f = open(device, O_WRONLY | O_NOCTTY | O_CLOEXEC)
            guard f >= 0 else { throw OutputError(description: "\(name): cannot open: \(Self.errorText(errno))") }
            fd = f
            file = nil
        case .file(let target):
            name = path ?? target
            fd = -1
            // A calendar export is ordinary user data (0666 less the umask); an existing file
            // keeps its own mode.
            do { file = try AtomicFile(replacing: target) } catch {
                throw OutputError(description: "\(name): cannot create a file in \(Self.directory(of: target)): \(error.reason)")
            }
        }
    }

    /// A file replaced atomically on commit (not standard output, a device or a pipe).
    public var isFile: Bool { file != nil }

    deinit {
        if !finished { discard() }
    }

    public func write(_ s: String) throws {
        var s = s
        try s.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
    }

    public func write(bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    private func write(_ buf: UnsafeRawBufferPointer) throws {
        if let file {
            do { try file.write(buf) } catch { throw OutputError(description: "\(name): write failed: \(error.reason)") }
        } else if let base = buf.baseAddress, let code = writeAll(fd, base, buf.count) {
            throw OutputError(description: "\(name): write failed: \(Self.errorText(code))")
        }
    }

    /// Makes the output visible: for a file, flush and rename over the target; for a device,
    /// close it.
    public func commit() throws {
        guard !finished else { return }
        finished = true
        guard let file else {
            if fd > 2 { close(fd) }
            fd = -1
            return
        }
        do { try file.commit() } catch {
            throw OutputError(description: "\(name): cannot \(error.operation == "replace" ? "replace" : "flush"): \(error.reason)")
        }
    }

    /// Drops a half-written file; the target is left as it was. (What went to a device or to
    /// standard output cannot be taken back.)
    public func discard() {
        finished = true
        if let file {
            file.discard()
        } else if fd > 2 {
            close(fd)
            fd = -1
        }
    }

    // MARK: - Paths

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let dir = String(path[..<slash])
        return dir.isEmpty ? "/" : dir
    }

    /// The file's directory exists, is a directory, and can take a new file.
    private static func checkDirectory(of file: String, for path: String) throws(OutputError) {
        let dir = directory(of: file)
        var st = stat()
        guard stat(dir, &st) == 0 else {
            throw OutputError(description: "\(path): the directory \(dir) does not exist")
        }
        guard st.st_mode & S_IFMT == S_IFDIR else { throw OutputError(description: "\(path): \(dir) is not a directory") }
        guard access(dir, W_OK) == 0 else {
            throw OutputError(description: "\(path): cannot create a file in \(dir): \(errorText(errno))")
        }
    }

    private static func realPath(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }

    static func errorText(_ code: Int32) -> String { String(cString: strerror(code)) }
}
