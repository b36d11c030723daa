#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SystemSupport

// POSIX file access for credentials: exact modes, atomic replacement, and errors that name the
// file and say what the system said.

private func systemError(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }

/// Reads a credential file of at most 1 MiB (client secrets and keys are a few KiB).
func readCredentialFile(_ path: String, limit: Int = 1 << 20) throws(AuthError) -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw .unreadableFile(path: path, reason: systemError()) }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw .unreadableFile(path: path, reason: systemError()) }
    if (info.st_mode & S_IFMT) == S_IFDIR { throw .unreadableFile(path: path, reason: systemError(EISDIR)) }
    return try readAll(fd, path: path, limit: limit)
}

/// Reads a file calport keeps for itself (a token file). A symlink is refused rather than
/// followed, and a file others may open is narrowed to `mode` through the descriptor, never by
/// path, so that no file outside the store is read or changed. Returns the bytes, and the mode
/// the file had when it was narrowed.
func readPrivateFile(_ path: String, mode: mode_t, limit: Int = 1 << 20) throws(AuthError) -> (bytes: [UInt8], narrowedFrom: mode_t?) {
    // O_NONBLOCK: a FIFO put in the file's place must not hang the open.
    let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
    guard fd >= 0 else {
        if errno == ELOOP { throw .symbolicLink(path: path) }
        throw .unreadableFile(path: path, reason: systemError())
    }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw .unreadableFile(path: path, reason: systemError()) }
    guard (info.st_mode & S_IFMT) == S_IFREG else { throw .unreadableFile(path: path, reason: "not a regular file") }
    var narrowedFrom: mode_t?
    let current = info.st_mode & 0o7777
    if current & 0o077 != 0 {
        guard fchmod(fd, mode) == 0 else { throw .fileSystem(path: path, operation: "set permissions", reason: systemError()) }
        narrowedFrom = current
    }
    return (try readAll(fd, path: path, limit: limit), narrowedFrom)
}

/// Gives the directory at `path` the permission bits `mode` when `needed` says its present ones
/// call for it, through a descriptor; returns the mode it had when it changed. A symlink is left
/// alone (calport never changes modes through a link), as is a directory it cannot open.
@discardableResult
func setDirectoryMode(_ path: String, _ mode: mode_t, when needed: (mode_t) -> Bool = { _ in true }) -> mode_t? {
    let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { return nil }
    let current = info.st_mode & 0o7777
    guard current != mode, needed(current), fchmod(fd, mode) == 0 else { return nil }
    return current
}

private func readAll(_ fd: Int32, path: String, limit: Int) throws(AuthError) -> [UInt8] {
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 16 << 10)
    while true {
        let n = chunk.withUnsafeMutableBytes { readSome(fd, $0.baseAddress!, $0.count) }
        if n < 0 { throw .unreadableFile(path: path, reason: systemError()) }
        if n == 0 { return bytes }
        bytes += chunk[..<n]
        if bytes.count > limit { throw .unreadableFile(path: path, reason: "larger than \(limit >> 10) KiB: not a credential file") }
    }
}

func fileExists(_ path: String) -> Bool {
    var info = stat()
    return lstat(path, &info) == 0
}

/// Creates `path` and its missing parents; the directories it creates get `mode`.
func makeDirectories(_ path: String, mode: mode_t) throws(AuthError) {
    var info = stat()
    if stat(path, &info) == 0 {
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw .fileSystem(path: path, operation: "use as a directory", reason: systemError(ENOTDIR))
        }
        return
    }
    let parent = parentDirectory(path)
    if parent != path && !parent.isEmpty { try makeDirectories(parent, mode: mode) }
    if mkdir(path, mode) != 0 && errno != EEXIST {
        throw .fileSystem(path: path, operation: "create the directory", reason: systemError())
    }
    setDirectoryMode(path, mode)  // the umask may have taken bits away
}

func parentDirectory(_ path: String) -> String {
    var trimmed = Substring(path)
    while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
    guard let slash = trimmed.lastIndex(of: "/") else { return "." }
    return slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
}

/// Replaces `path` with `bytes` atomically (`AtomicFile`), the new file created with `mode`:
/// complete or absent, never partial, and never readable by others, not even for a moment.
func writeFileAtomically(_ path: String, _ bytes: [UInt8], mode: mode_t) throws(AuthError) {
    do { try AtomicFile.write(bytes, to: path, mode: mode) } catch {
        throw .fileSystem(path: error.path, operation: error.operation, reason: error.reason)
    }
}

/// Deletes a file; false when there was none.
func removeFile(_ path: String) throws(AuthError) -> Bool {
    if unlink(path) == 0 { return true }
    if errno == ENOENT { return false }
    throw .fileSystem(path: path, operation: "delete", reason: systemError())
}

/// The names in a directory (without "." and ".."), or [] when it does not exist.
func directoryEntries(_ path: String) throws(AuthError) -> [String] {
    guard let dir = opendir(path) else {
        if errno == ENOENT { return [] }
        throw .fileSystem(path: path, operation: "list", reason: systemError())
    }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if name != "." && name != ".." { names.append(name) }
    }
    return names
}

/// The user's home directory: $HOME, else the password database.
func homeDirectory(environment: [String: String]) -> String? {
    if let home = environment["HOME"], !home.isEmpty { return home }
    guard let entry = getpwuid(getuid()), let dir = entry.pointee.pw_dir else { return nil }
    let home = String(cString: dir)
    return home.isEmpty ? nil : home
}

/// An absolute form of `path`, resolved against the working directory (no symlinks resolved).
func absolutePath(_ path: String) -> String {
    if path.hasPrefix("/") { return path }
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    guard getcwd(&buffer, buffer.count) != nil else { return path }
    let cwd = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    var relative = Substring(path)
    while relative.hasPrefix("./") { relative = relative.dropFirst(2) }
    return cwd == "/" ? "/" + relative : cwd + "/" + relative
}
