import ArgumentParser
import CalPort

@main
struct Calport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calport",
        abstract: "Move calendars between iCalendar (.ics) and Google Calendar.",
        discussion: """
            Exit codes: 0 success; 1 failure (I/O, internal; for verify: the calendars differ); 3 some events failed, \
            the rest were done; 64 usage error; 65 bad input data (the rest of the batch is still converted and \
            written); 69 Google unavailable after retries or usage limits exhausted; 75 another run holds the lock; \
            77 not signed in, sign-in expired or revoked, or no permission.
            Data goes to standard output, diagnostics and progress to standard error.
            """,
        version: Versions.summary,
        subcommands: [Convert.self, Verify.self, Auth.self, Calendars.self, Pull.self, Archive.self, Push.self]
    )
}
