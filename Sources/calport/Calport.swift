import ArgumentParser
import CalPort

@main
struct Calport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calport",
        abstract: "Move calendars between iCalendar (.ics) and Google Calendar.",
        discussion: """
            Exit codes: 0 success; 1 failure (I/O, internal; for verify: the calendars differ); 64 usage error; 65 bad input \
            data (the rest of the batch is still converted and written).
            Data goes to standard output, diagnostics and progress to standard error.
            """,
        version: Versions.summary,
        subcommands: [Convert.self, Verify.self]
    )
}
