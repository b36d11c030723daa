import GoogleAPI
import GoogleAuth
import GoogleCalendar
import HTTP

/// How a networked command ended, for its exit code. One table for push, pull, archive,
/// calendars and auth, so that scripts can rely on the same numbers everywhere.
public enum Outcome: Int32, Sendable, CaseIterable {
    /// Everything done.
    case success = 0
    /// A failure not covered below (local I/O, an unexpected answer).
    case failure = 1
    /// Some events failed; the rest were done (see the report and the rejects file).
    case partial = 3
    /// A safety limit refused the run before anything was sent or written (`push --prune` or
    /// `sync` would delete more than `--max-delete` allows; `sync` found a side emptied, the
    /// folder moved, or another calendar).
    case refused = 4
    /// The command line was wrong.
    case usage = 64
    /// The input data was bad.
    case dataError = 65
    /// Google was unavailable after retries, or the quota is exhausted: try again later.
    case unavailable = 69
    /// Another run holds the lock on the same state.
    case locked = 75
    /// Not signed in, the sign-in expired or was revoked, or the account lacks permission.
    case authentication = 77
}

extension Outcome {
    /// What the code means, in a few words: `calport --help` prints these, and README.md's
    /// table (held to this list by a test) says the same at length.
    public var meaning: String {
        switch self {
        case .success: "success"
        case .failure: "failure (I/O, an unexpected answer, declined at a prompt; for verify: both calendars were read and differ)"
        case .partial: "some events or calendars failed, the rest were done"
        case .refused: "refused by a safety limit, nothing was sent or written (push --prune or sync would delete more than --max-delete allows; sync: a side was emptied, the folder moved, another calendar)"
        case .usage: "usage error (an option, a credential file, an output path, a calendar id that names no calendar)"
        case .dataError: "bad input data (the rest of the batch is still converted and written)"
        case .unavailable: "Google unavailable after retries, usage limits exhausted, or an input URL unreachable: run again later"
        case .locked: "another run holds the lock"
        case .authentication: "not signed in, sign-in expired or revoked, or no permission"
        }
    }

    /// Every code and its meaning, one sentence for help texts.
    public static var helpText: String {
        "Exit codes: " + allCases.map { "\($0.rawValue) \($0.meaning)" }.joined(separator: "; ") + "."
    }
}

/// An error explained for the user: what happened, what to do, and the exit code.
public struct Failure: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var advice: String?
    public var outcome: Outcome

    public init(message: String, advice: String? = nil, outcome: Outcome) {
        self.message = message
        self.advice = advice
        self.outcome = outcome
    }

    public var description: String {
        guard let advice, !advice.isEmpty, !message.contains(advice) else { return message }
        return message + "\n  " + advice
    }

    /// Classifies any error a networked command can meet. Messages never hold a secret: the
    /// auth and API errors are built without tokens, and transport errors name only the host.
    public init(_ error: any Error) {
        switch error {
        case let f as Failure:
            self = f
        case let e as ArchiveFileError:
            self.init(message: e.message, advice: e.advice, outcome: e.outcome)
        case let e as AuthError:
            self.init(message: e.description, outcome: Self.outcome(of: e))
        case let e as GoogleAPIError:
            self.init(message: e.description, advice: e.advice, outcome: Self.outcome(of: e))
        case HTTPError.responseTooLarge:
            self.init(message: "\(error)", outcome: .failure)
        case let e as HTTPError:
            self.init(message: "network: \(e)", advice: "check the connection and any proxy settings (https_proxy), then run again",
                      outcome: .unavailable)
        default:
            self.init(message: "\(error)", outcome: .failure)
        }
    }

    static func outcome(of e: AuthError) -> Outcome {
        switch e {
        case .transport, .revocationFailed(_, _, _, unreachable: true): .unavailable
        case .unreadableFile, .malformedClientSecret, .serviceAccountKeyGivenAsClientSecret, .malformedServiceAccountKey,
             .clientSecretGivenAsServiceAccountKey, .invalidProfileName, .redirectURIRequired, .redirectURINotRegistered,
             .redirectURINotLoopback, .invalidRedirectURI, .insecureEndpoint:
            .usage
        case .fileSystem, .noConfigDirectory, .listenerFailed, .malformedTokenFile, .symbolicLink, .responseTooLarge:
            .failure
        default:
            .authentication
        }
    }

    static func outcome(of e: GoogleAPIError) -> Outcome {
        switch e.kind {
        case .unauthorized, .apiNotEnabled, .insufficientScope, .forbidden, .forbiddenForNonOrganizer: .authentication
        // A calendar id that names no calendar the account can see: the command line is wrong.
        case .insecureRoot, .notFound: .usage
        case .rateLimited, .quotaExceeded, .serverError, .transport: .unavailable
        default: .failure
        }
    }
}
