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
