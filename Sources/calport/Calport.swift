import ArgumentParser
import CalPort

@main
struct Calport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calport",
        abstract: "Move calendars between iCalendar (.ics) and Google Calendar.",
        discussion: Outcome.helpText + "\nData goes to standard output, diagnostics and progress to standard error.\n\n" + EnvironmentVariable.helpText(),
        version: Versions.summary,
        subcommands: [Convert.self, Verify.self, Auth.self, Calendars.self, Pull.self, Archive.self, Push.self, SyncCommand.self]
    )

    /// For scripts/manual.sh: prints one man page section from the tables in Manual.swift.
    @Option(help: .hidden) var manualSection: ManualSection?

    func run() async throws {
        guard let manualSection else { throw CleanExit.helpRequest(self) }
        try printOut(manualSection.mdoc + "\n")
    }
}
