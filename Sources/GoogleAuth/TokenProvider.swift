import Foundation
import HTTP

/// Where an API client gets its bearer token.
public protocol AccessTokenSource: Sendable {
    /// A token valid for at least another minute.
    func accessToken() async throws -> String
    /// The API answered 401 with `token`: stop using it. Later calls get a new one.
    func invalidate(_ token: String?) async
}

/// Access tokens for one profile, renewed when needed.
///
/// - `accessToken()` returns the stored token while it is valid for more than 60 seconds, and
///   otherwise refreshes it (user sign-ins, with the refresh token) or mints a new one (service
///   accounts, with a signed JWT), saving the result. Concurrent callers share one refresh.
/// - `invalidate(_:)` is the API client's 401 hook.
/// - With `CALPORT_ACCESS_TOKEN` set, `forProfile(...)` gives a provider that returns that token
///   as it is and touches no store.
public actor TokenProvider: AccessTokenSource {
    public static let environmentVariable = "CALPORT_ACCESS_TOKEN"
    /// Tokens expiring sooner than this are renewed first.
    public static let minimumLifetime: TimeInterval = 60

    /// nil for a static token.
    public nonisolated let profile: String?
    private let store: TokenStore?
    private let tokenClient: OAuthTokenClient?
    private let now: @Sendable () -> Date
    private let staticToken: String?

    private var credentials: StoredCredentials?
    private var serviceKey: ServiceAccountKey?
    private var rejected: Set<String> = []
    private var inFlight: Task<String, any Error>?
    /// Refreshes (or service-account mints) done by this provider: for diagnostics and tests.
    public private(set) var renewals = 0

    public init(profile: String, store: TokenStore, http: any HTTPClient,
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.profile = profile
        self.store = store
        tokenClient = OAuthTokenClient(http: http)
        self.now = now
        staticToken = nil
    }

    /// A provider of one fixed token (`CALPORT_ACCESS_TOKEN`).
    public init(staticToken: String) {
        profile = nil
        store = nil
        tokenClient = nil
        now = { Date() }
        self.staticToken = staticToken
    }

    /// The provider for `profile`, or for `CALPORT_ACCESS_TOKEN` when that is set and not empty.
    public static func forProfile(_ profile: String, store: TokenStore, http: any HTTPClient,
                                  environment: [String: String] = ProcessInfo.processInfo.environment) -> TokenProvider {
        if let token = environment[environmentVariable]?.trimmingWhitespace(), !token.isEmpty {
            return TokenProvider(staticToken: token)
        }
        return TokenProvider(profile: profile, store: store, http: http)
    }

    /// Whether the token comes from `CALPORT_ACCESS_TOKEN`.
    public nonisolated var usesStaticToken: Bool { staticToken != nil }

    public func accessToken() async throws(AuthError) -> String {
        if let staticToken {
            guard !rejected.contains(staticToken) else { throw .environmentTokenRejected }
            return staticToken
        }
        guard let store, let profile else { throw .noConfigDirectory }
        if credentials == nil { credentials = try store.load(profile) }
        if let token = credentials?.usableAccessToken(now: now(), margin: Self.minimumLifetime), !rejected.contains(token) {
            return token
        }
        let task: Task<String, any Error>
        if let inFlight {
            task = inFlight
        } else {
            task = Task { try await self.renew(reusingStored: true) }
            inFlight = task
        }
        defer { if inFlight == task { inFlight = nil } }
        do {
            return try await task.value
        } catch let error as AuthError {
            throw error
        } catch {
            throw .transport(stage: .refresh, message: "\(type(of: error))")
        }
    }

    /// A token just issued by Google, whatever the stored one's lifetime: the check that the
    /// grant still works (`calport auth status`), and what `calport auth token` prints, so that
    /// a token of a revoked grant is never handed out. The static token is returned as it is.
    public func renewedAccessToken() async throws(AuthError) -> String {
        if let staticToken {
            guard !rejected.contains(staticToken) else { throw .environmentTokenRejected }
            return staticToken
        }
        return try await renew(reusingStored: false)
    }

    public func invalidate(_ token: String? = nil) {
        if let token {
            rejected.insert(token)
        } else if let current = staticToken ?? credentials?.accessToken {
            rejected.insert(current)
        }
    }

    /// Gets a new access token and saves it. Runs once however many callers wait for it.
    /// `reusingStored`: a token another calport process renewed meanwhile is taken as it is.
    private func renew(reusingStored: Bool) async throws(AuthError) -> String {
        guard let store, let profile, let tokenClient else { throw .noConfigDirectory }
        // Another calport process may have renewed it meanwhile: the file is the truth.
        var stored = try store.load(profile)
        let started = now()
        if reusingStored, let token = stored.usableAccessToken(now: started, margin: Self.minimumLifetime), !rejected.contains(token) {
            credentials = stored
            return token
        }
        let response: TokenResponse
        switch stored.clientType {
        case .serviceAccount:
            let key = try serviceAccountKey(for: stored)
            response = try await tokenClient.serviceAccountToken(
                key: key, scopes: stored.scopes, subject: stored.subject, now: started, profile: profile)
        case .installed, .web:
            guard let refreshToken = stored.refreshToken else { throw .noRefreshToken(profile: profile) }
            response = try await tokenClient.refresh(
                refreshToken: refreshToken, clientID: stored.clientID, clientSecret: stored.clientSecret,
                tokenURI: stored.tokenURI, profile: profile)
        }
        renewals += 1
        let rotated = response.refreshToken != nil && response.refreshToken != stored.refreshToken
        stored.accessToken = response.accessToken
        stored.expiry = response.expiry(from: started)
        if let refreshToken = response.refreshToken { stored.refreshToken = refreshToken }
        if let scopes = response.scopes, !scopes.isEmpty { stored.scopes = scopes }
        if let email = response.email { stored.account = email }
        stored.updated = started
        credentials = stored
        do {
            try store.save(stored)
        } catch {
            // The token works without being saved; a new refresh token must not be lost, though.
            if rotated { throw error }
        }
        return response.accessToken
    }

    private func serviceAccountKey(for stored: StoredCredentials) throws(AuthError) -> ServiceAccountKey {
        if let serviceKey { return serviceKey }
        guard let path = stored.serviceAccountKeyFile else {
            throw .malformedTokenFile(path: (try? store?.path(for: stored.profile)) ?? stored.profile,
                                      problem: "a service-account profile without service_account_key_file")
        }
        let key = try ServiceAccountKey.load(path: path)
        serviceKey = key
        return key
    }
}
