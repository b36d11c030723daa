import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Opens the authorization URL for the user. The URL carries no secret (client id, redirect URI,
/// PKCE challenge, state), so it may be shown and handed to other programs.
public protocol BrowserOpener: Sendable {
    /// Starts a browser on `url`; false when none could be started.
    func open(_ url: String) -> Bool
}

/// `open URL` on macOS, `xdg-open URL` elsewhere, started with posix_spawn (no shell), its
/// output sent to /dev/null, and not waited for. On Linux without DISPLAY, WAYLAND_DISPLAY or
/// BROWSER there is nothing to open a browser with (an SSH session, say), so it answers false
/// and the login asks for the redirected address to be pasted instead.
public struct SystemBrowserOpener: BrowserOpener {
    public var environment: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    public func open(_ url: String) -> Bool {
        #if os(macOS)
        let tool = "open"
        #else
        let tool = "xdg-open"
        let graphical = ["DISPLAY", "WAYLAND_DISPLAY", "BROWSER"].contains { !(environment[$0] ?? "").isEmpty }
        guard graphical else { return false }
        #endif
        guard let pid = spawn([tool, url], environment: environment) else { return false }
        // Reap the child whenever it ends; xdg-open may wait for a text-mode browser to exit.
        Thread.detachNewThread {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        }
        return true
    }
}

/// Starts `arguments[0]`, looked up in the PATH of `environment`, with stdin, stdout and stderr
/// on /dev/null.
func spawn(_ arguments: [String], environment: [String: String]) -> pid_t? {
    guard let executable = findExecutable(arguments[0], path: environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin") else {
        return nil
    }
    #if canImport(Darwin)
    var actions: posix_spawn_file_actions_t? = nil
    #else
    var actions = posix_spawn_file_actions_t()
    #endif
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
        argv.forEach { free($0) }
        envp.forEach { free($0) }
    }
    var pid = pid_t()
    let rc = posix_spawn(&pid, executable, &actions, nil, argv, envp)
    return rc == 0 ? pid : nil
}

/// The first executable file named `name` in the directories of `path`.
func findExecutable(_ name: String, path: String) -> String? {
    if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
    for directory in path.split(separator: ":") where !directory.isEmpty {
        let candidate = "\(directory)/\(name)"
        var info = stat()
        if stat(candidate, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, access(candidate, X_OK) == 0 {
            return candidate
        }
    }
    return nil
}

/// Reads one line the user typed; nil at end of input.
public typealias LineReader = @Sendable () async -> String?
/// Shows the user a message (the sign-in URL, what to do next). Never given a secret.
public typealias Informer = @Sendable (String) -> Void

public enum Terminal {
    /// Reads a line of standard input on a thread of its own, so no task thread blocks.
    public static let standardInput: LineReader = {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: Swift.readLine(strippingNewline: true)) }
        }
    }

    /// Writes the message and a newline to standard error.
    public static let standardError: Informer = { message in
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
}
