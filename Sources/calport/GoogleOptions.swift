import ArgumentParser
import CalPort

/// Options every command that talks to Google takes.
struct GoogleOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "The signed-in account to use (see `calport auth login --profile`).",
        discussion: "CALPORT_ACCESS_TOKEN, when set, supplies a bearer token instead."))
    var profile: String = GoogleSession.defaultProfile

    @Flag(name: .shortAndLong, help: "Log each request to Google on standard error (never a token or a body).")
    var verbose = false

    /// Opens the session, or prints why not (with advice) and exits with the matching code.
    func session() throws -> GoogleSession {
        do { return try GoogleSession.open(profile: profile, verbose: verbose) } catch { throw Exit.report(error) }
    }
}
