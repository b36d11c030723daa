import ArgumentParser
import CalPort

/// What the man pages say beyond the options, which swift-argument-parser's generate-manual
/// takes from the command definitions. Each fact has one table here; scripts/manual.sh asks
/// the built calport for them (`calport --manual-section NAME`, a hidden option) and puts them
/// in calport(1) and the subcommands' pages, so that help, man and code cannot drift.
enum ManualSection: String, CaseIterable, ExpressibleByArgument {
    case environment
    case files
    case exitStatus = "exit-status"

    /// The section as mdoc(7) source.
    var mdoc: String {
        switch self {
        case .environment:
            // "A, B" as mdoc wants it: `.It Ev A , B`.
            Manual.section("ENVIRONMENT", Manual.environment.map { (".It Ev " + $0.name.replacingOccurrences(of: ", ", with: " , "), $0.meaning) })
        case .files: Manual.section("FILES", Manual.files.map { (".It Pa \($0.path)", $0.meaning) })
        case .exitStatus:
            Manual.section("EXIT STATUS", Outcome.allCases.map { (".It \($0.rawValue)", $0.meaning) },
                           closing: "The codes are the same in every command.")
        }
    }
}

enum Manual {
    /// Every variable calport reads (ManualTests holds the sources and README.md to this list).
    static let environment: [(name: String, meaning: String)] = [
        ("CALPORT_CONFIG_DIR",
         "The directory of the token store (one file per profile). When unset, $XDG_CONFIG_HOME/calport, else ~/.config/calport."),
        ("CALPORT_STATE_DIR",
         "The directory of push's journal. When unset, $XDG_STATE_HOME/calport, else ~/.local/state/calport."),
        ("XDG_CONFIG_HOME", "See CALPORT_CONFIG_DIR."),
        ("XDG_STATE_HOME", "See CALPORT_STATE_DIR."),
        ("CALPORT_ACCESS_TOKEN",
         "A bearer token used instead of any profile's. It is a secret: set it from a file or a pipe, not on a command line."),
        ("CALPORT_GOOGLE_API_ROOT",
         "The Google API root (default https://www.googleapis.com/), such as a test server. Plain http is accepted only to a loopback address."),
        ("CALPORT_WORKERS",
         "How many threads convert events (default: the number of active cores; 1: no extra threads)."),
        ("SOURCE_DATE_EPOCH",
         "Seconds since 1970: the DTSTAMP written for events that have none (default: now), for reproducible .ics output."),
        ("CALPORT_NOW",
         "Seconds since 1970: archive's clock, which dates its snapshots (for tests)."),
        ("TZDIR", "Where the tz database is (default /usr/share/zoneinfo)."),
        ("DISPLAY, WAYLAND_DISPLAY, BROWSER",
         "auth login opens a browser with xdg-open only when one of these is set; otherwise it asks for the redirected address to be pasted."),
    ]

    /// What calport keeps on disk, and where.
    static let files: [(path: String, meaning: String)] = [
        ("$CALPORT_CONFIG_DIR/tokens/PROFILE.json",
         "A sign-in (profile, \"default\" unless --profile names another): mode 0600 in a 0700 directory, written atomically. A symbolic link there is refused."),
        ("$CALPORT_STATE_DIR/push-journal.sqlite",
         "What each push sent, so that an interrupted push finishes when run again; it also keeps two pushes to the same calendar apart."),
        ("DIR/mirror.sqlite",
         "archive --dir DIR: the mirror of each calendar and its sync token, so later runs fetch only what changed."),
        ("DIR/archive.lock", "archive: keeps two runs on the same DIR apart."),
        ("DIR/CALENDAR/YYYY-MM-DD.ics",
         "archive: the snapshot of one run (the run's UTC date; .ics.gz with --gzip). CALENDAR is the calendar id as a file name."),
        ("DIR/CALENDAR/changes.ndjson",
         "archive: the changes each run found, one JSON object a line."),
    ]

    static func section(_ title: String, _ items: [(tag: String, text: String)], closing: String? = nil) -> String {
        var lines = [".Sh \(title)", ".Bl -tag -width 6n"]
        for item in items {
            lines.append(item.tag)
            lines.append(escape(item.text))
        }
        lines.append(".El")
        if let closing { lines.append(escape(closing)) }
        return lines.joined(separator: "\n")
    }

    /// Text as an mdoc text line: backslashes escaped, and a leading dot or quote kept literal.
    static func escape(_ text: String) -> String {
        let s = text.replacingOccurrences(of: "\\", with: "\\e")
        return s.hasPrefix(".") || s.hasPrefix("'") ? "\\&" + s : s
    }
}
