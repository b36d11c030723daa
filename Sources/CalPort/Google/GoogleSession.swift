import Foundation
import GoogleAPI
import GoogleAuth
import GoogleCalendar
import HTTP

/// Everything a networked command needs to talk to Google for one profile: the HTTP transport,
/// the token source, and the API client wired so that a 401 drops the cached token and the next
/// call refreshes it once.
public struct GoogleSession: Sendable {
    public let profile: String
    public let api: GoogleCalendarAPI
    public let tokens: TokenProvider
    public let auth: AuthService
    public let http: any HTTPClient

    /// The profile used when `--profile` is not given.
    public static let defaultProfile = TokenStore.defaultProfile

    /// Opens a session. The token comes from `CALPORT_ACCESS_TOKEN` when set, else from the
    /// profile's token file (which must exist: `calport auth login`). The API root comes from
    /// `CALPORT_GOOGLE_API_ROOT`, else Google's.
    public static func open(
        profile: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        retryPolicy: RetryPolicy = .standard,
        verbose: Bool = false,
        http: (any HTTPClient)? = nil
    ) throws -> GoogleSession {
        var transport: any HTTPClient = try http ?? CurlHTTPClient()
        if verbose { transport = LoggingHTTPClient(transport) }
        let store = try TokenStore(environment: environment, warnings: printWarning)
        let auth = AuthService(store: store, http: transport)
        let name = profile ?? defaultProfile
        let tokens = auth.tokenProvider(profile: name, environment: environment)
        if !tokens.usesStaticToken {
            _ = try store.load(name)  // fail now, with advice, rather than at the first request
        }
        let api = GoogleCalendarAPI(
            http: transport, environment: environment, retryPolicy: retryPolicy,
            accessToken: { try await tokens.accessToken() },
            onTokenRejected: { await tokens.invalidate(nil) })
        return GoogleSession(profile: name, api: api, tokens: tokens, auth: auth, http: transport)
    }

    /// The profile's token store, for `calport auth`, without requiring a sign-in.
    public static func authService(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        verbose: Bool = false,
        http: (any HTTPClient)? = nil
    ) throws -> AuthService {
        var transport: any HTTPClient = try http ?? CurlHTTPClient()
        if verbose { transport = LoggingHTTPClient(transport) }
        return AuthService(store: try TokenStore(environment: environment, warnings: printWarning), http: transport)
    }

    /// The token store's warnings (a token file others could read), on standard error.
    @Sendable static func printWarning(_ text: String) {
        StandardError.write("calport: warning: \(text)\n")
    }
}

extension GoogleSession {
    /// Where tokens issued by `tokenURI` are revoked. Google's client-secret files name the token
    /// endpoint but not the revocation one: Google's current endpoint pairs with its current token
    /// endpoint, and any other token URL (Google's older `…/o/oauth2/token`, a test server) has its
    /// revocation endpoint beside it, at `…/revoke`.
    public static func revocationEndpoint(forTokenURI tokenURI: String) -> String {
        if tokenURI.hasPrefix("https://oauth2.googleapis.com/") { return GoogleEndpoints.revocation }
        guard tokenURI.hasSuffix("/token") else { return GoogleEndpoints.revocation }
        return String(tokenURI.dropLast("token".count)) + "revoke"
    }
}
