#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct OutputError: Error, CustomStringConvertible {
    public var description: String
}

/// Where converted data goes: standard output, or a file that appears only when complete
/// (written to a temporary file beside it, flushed, then renamed over the target).
public final class Output {
    public let name: String
    private var fd: Int32
    private let target: String?
    private let temporary: String?
    private var finished = false

    /// `-` or nil is standard output.
    public init(path: String?) throws {
        guard let path, path != "-" else {
            name = "<stdout>"
            fd = 1
            target = nil
            temporary = nil
            return
        }
        name = path
        target = path
        let dir = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        let base = path.split(separator: "/").last.map(String.init) ?? path
        var template = Array(((dir.isEmpty ? "/" : dir) + "/." + base + ".calport-XXXXXX").utf8CString)
        let f = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard f >= 0 else {
            throw OutputError(description: "\(path): cannot create a file in \(dir): \(String(cString: strerror(errno)))")
        }
        // mkstemp creates the file 0600; a calendar export is ordinary user data.
        let mask = umask(0)
        umask(mask)
        fchmod(f, 0o666 & ~mask)
        fd = f
        temporary = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

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
        var off = 0
        while off < buf.count {
            let n = Glibc.write(fd, buf.baseAddress! + off, buf.count - off)
            if n < 0 {
                if errno == EINTR { continue }
                throw OutputError(description: "\(name): write failed: \(String(cString: strerror(errno)))")
            }
            off += n
        }
    }

    /// Makes the output visible: for a file, flush and rename over the target.
    public func commit() throws {
        guard !finished else { return }
        finished = true
        guard let target, let temporary else { return }
        if fsync(fd) != 0 || close(fd) != 0 {
            unlink(temporary)
            throw OutputError(description: "\(target): cannot flush: \(String(cString: strerror(errno)))")
        }
        fd = -1
        if rename(temporary, target) != 0 {
            let e = errno
            unlink(temporary)
            throw OutputError(description: "\(target): cannot replace: \(String(cString: strerror(e)))")
        }
    }

    /// Drops a half-written file; the target is left as it was.
    public func discard() {
        finished = true
        if let temporary {
            if fd >= 0 { close(fd) }
            fd = -1
            unlink(temporary)
        }
    }
}
