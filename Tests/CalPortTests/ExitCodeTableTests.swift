import CalPort
import FakeGoogle
import Foundation
import Testing

/// One table of exit codes: `Outcome` in the code, the README's table and `calport --help` say
/// the same, and each command maps the same failure to the same code.
@Suite struct ExitCodeTableTests {
    /// The codes of README.md's "Exit codes" table, in order.
    static func readmeCodes() throws -> [Int32] {
        let text = try String(contentsOf: Paths.repository.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(text.components(separatedBy: "## Exit codes").dropFirst().first)
        let table = section.components(separatedBy: "\n## ").first ?? section
        return table.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("| "), let cell = line.split(separator: "|").first else { return nil }
            return Int32(cell.trimmingCharacters(in: .whitespaces))
        }
    }

    @Test func readmeHelpAndCodeListTheSameCodes() throws {
        #expect(try Self.readmeCodes() == Outcome.allCases.map(\.rawValue))
        // The help text is wrapped to the terminal: compare with white space folded.
        let help = try calport(["--help"]).stdoutText.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        for o in Outcome.allCases {
            let said = "\(o.rawValue) " + o.meaning.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            #expect(help.contains(said), "\(o): \(help)")
        }
    }

    /// A calendar id that names no calendar is a usage error in every command that takes one
    /// (before, pull, push and archive said 1 and verify 65).
    @Test func aWrongCalendarIdIsTheSameCodeEverywhere() throws {
        let h = try PushHarness()
        let sample = Paths.testdata.appendingPathComponent("sample.ics").path
        let nobody = "nobody@group.calendar.google.com"
        let runs: [(String, RunResult)] = [
            ("pull", try calport(["pull", "--calendar", nobody], environment: h.environment)),
            ("push", try calport(["push", sample, "--calendar", nobody], environment: h.environment)),
            ("archive", try calport(["archive", "--calendar", nobody, "--dir", h.path("archive")], environment: h.environment)),
            ("verify", try calport(["verify", sample, "google:" + nobody], environment: h.environment)),
        ]
        for (command, r) in runs {
            #expect(r.status == Outcome.usage.rawValue, "\(command): \(r.status) \(r.stderr)")
            #expect(r.stderr.contains("calport calendars"), "\(command): \(r.stderr)")
        }
    }

    /// Signing out while Google cannot be reached: Google unavailable (69), and the token file
    /// is kept so that the grant can still be revoked.
    @Test func logoutWithGoogleUnreachableIsUnavailable() throws {
        let config = try Paths.temporaryDirectory()
        let tokens = config.appendingPathComponent("tokens")
        try FileManager.default.createDirectory(at: tokens, withIntermediateDirectories: true)
        // A stored sign-in whose token endpoint is a port nobody listens on.
        let closed = try FakeGoogleServer()
        let unreachable = closed.tokenURL
        closed.stop()
        let stored = """
            {"profile":"default","client_type":"installed","client_id":"1-x.apps.googleusercontent.com","client_secret":"s",\
            "token_uri":"\(unreachable)","revoke_uri":"\(unreachable.replacingOccurrences(of: "/token", with: "/revoke"))",\
            "refresh_token":"1//refresh","scopes":["https://www.googleapis.com/auth/calendar"],"account":"me@example.com"}
            """
        try Data(stored.utf8).write(to: tokens.appendingPathComponent("default.json"))
        chmod(tokens.appendingPathComponent("default.json").path, 0o600)
        let r = try calport(["auth", "logout"], environment: ["CALPORT_CONFIG_DIR": config.path, "CALPORT_ACCESS_TOKEN": ""])
        #expect(r.status == Outcome.unavailable.rawValue, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: tokens.appendingPathComponent("default.json").path))
    }
}

/// One table of environment variables: `EnvironmentVariable` in the code, README's
/// "Environment" table and each command's `--help` say the same.
@Suite struct EnvironmentTableTests {
    static func readmeRows() throws -> [(name: String, commands: [String], meaning: String)] {
        let text = try String(contentsOf: Paths.repository.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(text.components(separatedBy: "## Environment\n").dropFirst().first)
        let table = section.components(separatedBy: "\n## ").first ?? section
        return table.split(separator: "\n").compactMap { line in
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard line.hasPrefix("| `"), cells.count >= 5 else { return nil }
            return (cells[1].trimmingCharacters(in: CharacterSet(charactersIn: "`")),
                    cells[2].components(separatedBy: ", "), cells[3])
        }
    }

    @Test func readmeAndCodeListTheSameVariables() throws {
        let rows = try Self.readmeRows()
        #expect(rows.map(\.name) == EnvironmentVariable.all.map(\.name))
        for (row, v) in zip(rows, EnvironmentVariable.all) {
            #expect(row.meaning == v.meaning, "\(v.name)")
            #expect(row.commands == v.commands, "\(v.name)")
        }
    }

    @Test(arguments: ["convert", "verify", "push", "pull", "archive", "calendars", "auth"])
    func eachCommandsHelpNamesTheVariablesItReads(command: String) throws {
        let help = try calport([command, "--help"]).stdoutText.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        for v in EnvironmentVariable.all {
            let reads = v.commands.isEmpty || v.commands.contains(command)
            #expect(help.contains(v.name) == reads, "\(command) --help and \(v.name): \(help)")
        }
    }

    @Test func topLevelHelpNamesEveryVariable() throws {
        let help = try calport(["--help"]).stdoutText
        for v in EnvironmentVariable.all { #expect(help.contains(v.name), "\(v.name)") }
    }
}
