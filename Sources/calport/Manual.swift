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
    /// Every variable calport reads: `EnvironmentVariable.all`, the table --help and README
    /// show too (ManualTests holds the sources to it).
    static var environment: [(name: String, meaning: String)] {
        EnvironmentVariable.all.map { v in (v.name, v.meaning.prefix(1).uppercased() + v.meaning.dropFirst() + ".") }
    }

    /// What calport keeps on disk, and where.
    static let files: [(path: String, meaning: String)] = [
        ("$CALPORT_CONFIG_DIR/tokens/PROFILE.json",
         "A sign-in (profile, \"default\" unless --profile names another): mode 0600 in a 0700 directory, written atomically. A symbolic link there is refused."),
        ("$CALPORT_STATE_DIR/push-journal.sqlite",
         "What each push sent, so that an interrupted push finishes when run again; it also keeps two pushes to the same calendar apart."),
        ("$CALPORT_STATE_DIR/sync/sync-PAIR.sqlite",
         "sync: per pair (local path, calendar, profile) what the last sync left on each side, the sync token, the reset's pending Google deletions, and a lock (.lock) that keeps two syncs of the pair apart."),
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
