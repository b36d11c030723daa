import GoogleAPI
import GoogleAuth
import GoogleCalendar

/// The environment variables calport reads, in one table: `calport --help`, each command's
/// help and README.md's "Environment" section say the same (a test holds README to it).
public struct EnvironmentVariable: Sendable, Equatable {
    public var name: String
    public var meaning: String
    /// The commands that read it; empty for every command.
    public var commands: [String]

    public static let all: [EnvironmentVariable] = [
        .init(name: "CALPORT_CONFIG_DIR",
              meaning: "where sign-ins are kept (tokens/PROFILE.json, mode 0600); default $XDG_CONFIG_HOME/calport, else ~/.config/calport",
              commands: ["auth", "calendars", "pull", "push", "archive", "verify", "sync"]),
        .init(name: "XDG_CONFIG_HOME", meaning: "see CALPORT_CONFIG_DIR",
              commands: ["auth", "calendars", "pull", "push", "archive", "verify", "sync"]),
        .init(name: "CALPORT_STATE_DIR",
              meaning: "where push keeps its journal and locks, and sync the state of each pair; default $XDG_STATE_HOME/calport, else ~/.local/state/calport",
              commands: ["push", "sync"]),
        .init(name: "XDG_STATE_HOME", meaning: "see CALPORT_STATE_DIR", commands: ["push", "sync"]),
        .init(name: TokenProvider.environmentVariable,
              meaning: "a bearer token to use instead of any profile's sign-in (it is not refreshed); a secret: set it from a file or a pipe, not on a command line",
              commands: ["calendars", "pull", "push", "archive", "verify", "sync"]),
        .init(name: GoogleCalendarAPI.rootEnvironmentVariable,
              meaning: "the Calendar API's root instead of \(GoogleCalendarAPI.defaultRoot) (a proxy, or a test server on 127.0.0.1; plain http only to a loopback address)",
              commands: ["calendars", "pull", "push", "archive", "verify", "sync"]),
        .init(name: "CALPORT_WORKERS",
              meaning: "threads for .ics conversion (default: one per core; 1: none besides the main thread)",
              commands: ["convert", "verify", "push"]),
        .init(name: "SOURCE_DATE_EPOCH",
              meaning: "seconds since 1970 used as DTSTAMP where an event has none, for reproducible output",
              commands: ["convert", "pull"]),
        .init(name: "CALPORT_NOW",
              meaning: "seconds since 1970: the clock of archive, which dates its snapshots (for tests)",
              commands: ["archive"]),
        .init(name: "TZDIR", meaning: "where the tz database is (default /usr/share/zoneinfo)",
              commands: ["convert", "verify", "push", "pull", "archive", "sync"]),
        .init(name: "DISPLAY, WAYLAND_DISPLAY, BROWSER",
              meaning: "auth login opens a browser (xdg-open) only when one of these is set; otherwise it prints the address and waits for the redirect or a pasted address",
              commands: ["auth"]),
    ]

    /// "Environment: NAME meaning; …" for the variables `command` reads (all of them for nil).
    public static func helpText(for command: String? = nil) -> String {
        let chosen = all.filter { v in command.map { v.commands.isEmpty || v.commands.contains($0) } ?? true }
        guard !chosen.isEmpty else { return "" }
        return "Environment: " + chosen.map { "\($0.name) \($0.meaning)" }.joined(separator: "; ") + "."
    }
}
