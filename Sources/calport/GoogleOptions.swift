import ArgumentParser
import CalPort
import GoogleAPI
import GoogleCalendar
import HTTP

/// Options every command that talks to Google takes.
struct GoogleOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "The signed-in account to use (see `calport auth login --profile`).",
        discussion: "CALPORT_ACCESS_TOKEN, when set, supplies a bearer token instead."))
    var profile: String = GoogleSession.defaultProfile

    @Flag(name: .shortAndLong, help: "Log each request to Google on standard error (never a token or a body).")
    var verbose = false

    /// Opens the session, or prints why not (with advice) and exits with the matching code.
    func session(retryPolicy: RetryPolicy = .standard) throws -> GoogleSession {
        do { return try GoogleSession.open(profile: profile, retryPolicy: retryPolicy, verbose: verbose) } catch { throw Exit.report(error) }
    }

    /// `session()` over a client that counts requests and response bytes, for the summaries
    /// and reports of pull and archive.
    func countingSession() throws -> (GoogleSession, CountingHTTPClient) {
        do {
            let counting = CountingHTTPClient(try CurlHTTPClient())
            return (try GoogleSession.open(profile: profile, verbose: verbose, http: counting), counting)
        } catch { throw Exit.report(error) }
    }
}
