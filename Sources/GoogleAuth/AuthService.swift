import Foundation
import HTTP

/// How `AuthService.login` runs a user sign-in.
public struct LoginOptions: Sendable {
    /// Default: `calendar` plus `openid email` (see `Scope`).
    public var scopes: [String]
    /// false (`--no-browser`): print the URL and read the redirected address from `readLine`
    /// (a Desktop client's loopback listener still runs, for SSH port forwarding).
    public var openBrowser: Bool
    /// Required for Web clients (one of their registered redirect URIs, exactly); for Desktop
    /// clients a loopback URI, or nil for `http://127.0.0.1:PORT/` on a free port.
    public var redirectURI: String?
    /// The loopback port for a Desktop client (0: any free port).
    public var port: UInt16
    /// An address to preselect in Google's account chooser.
    public var loginHint: String?
    /// How long to wait for the browser.
    public var timeout: Duration
    /// Where `logout` will revoke the tokens.
    public var revokeURI: String
    public var browser: any BrowserOpener
    public var readLine: LineReader
    public var inform: Informer

    public init(scopes: [String] = Scope.forUser(), openBrowser: Bool = true, redirectURI: String? = nil,
                port: UInt16 = 0, loginHint: String? = nil, timeout: Duration = .seconds(300),
                revokeURI: String = GoogleEndpoints.revocation, browser: any BrowserOpener = SystemBrowserOpener(),
                readLine: @escaping LineReader = Terminal.standardInput,
                inform: @escaping Informer = Terminal.standardError) {
        self.scopes = scopes
        self.openBrowser = openBrowser
        self.redirectURI = redirectURI
        self.port = port
        self.loginHint = loginHint
        self.timeout = timeout
        self.revokeURI = revokeURI
        self.browser = browser
        self.readLine = readLine
        self.inform = inform
    }
}

/// What `calport auth status` shows about a profile. Holds no secret.
public struct AuthStatus: Sendable, Equatable {
    public var profile: String
    /// The token file.
    public var path: String
    /// The account's email address (for a service account: the user it acts as, else itself).
    public var account: String?
    public var clientType: ClientType
    public var clientID: String
    public var scopes: [String]
    public var accessTokenExpiry: Date?
    public var hasRefreshToken: Bool
    public var created: Date
    public var serviceAccountKeyFile: String?
    public var subject: String?

    public init(_ stored: StoredCredentials, path: String) {
        profile = stored.profile
        self.path = path
        account = stored.account
        clientType = stored.clientType
        clientID = stored.clientID
        scopes = stored.scopes
        accessTokenExpiry = stored.accessToken == nil ? nil : stored.expiry
        hasRefreshToken = stored.refreshToken != nil
        created = stored.created
        serviceAccountKeyFile = stored.serviceAccountKeyFile
        subject = stored.subject
    }

    /// Whether only read access was granted.
    public var readOnly: Bool { !scopes.contains(Scope.calendar) }

    /// Whether calport can get access tokens without a new login.
    public var canRenew: Bool { clientType == .serviceAccount || hasRefreshToken }

    public func accessTokenValid(at now: Date) -> Bool {
        accessTokenExpiry.map { $0.timeIntervalSince(now) > 0 } ?? false
    }

    /// Lines for `calport auth status`, as "name: value".
    public func summary(now: Date = Date()) -> String {
        let iso = ISO8601DateFormatter()
        var lines = [
            "profile: \(profile)",
            "account: \(account ?? "unknown")",
            "client: \(clientType.displayName) \(clientID)",
        ]
        if let subject { lines.append("acting as: \(subject) (domain-wide delegation)") }
        if let serviceAccountKeyFile { lines.append("key file: \(serviceAccountKeyFile)") }
        lines.append("access: \(readOnly ? "read-only" : "read and write")")
        lines.append("scopes: \(scopes.joined(separator: " "))")
        if let expiry = accessTokenExpiry {
            let seconds = Int(expiry.timeIntervalSince(now))
            lines.append("access token: " + (seconds > 0
                ? "valid until \(iso.string(from: expiry)) (\(seconds / 60) min)"
                : "expired at \(iso.string(from: expiry))"))
        } else {
            lines.append("access token: none")
        }
        if clientType != .serviceAccount {
            lines.append("refresh token: \(hasRefreshToken ? "yes" : "no: run `\(loginCommand(profile))` when the access token expires")")
        }
        lines.append("signed in: \(iso.string(from: created))")
        lines.append("file: \(path)")
        return lines.joined(separator: "\n")
    }
}

/// What Google said of a profile's grant (`calport auth status`).
public enum GrantCheck: Sendable, Equatable {
    /// A new access token was issued.
    case works
    /// The refresh token (or the service account's key) is no longer accepted: sign in again.
    case revoked(AuthError)
    /// Google could not be asked; nothing is known.
    case unreachable(AuthError)
    /// Another refusal (a client that no longer exists, a key file that cannot be read, …).
    case failed(AuthError)

    /// For `--json` and the summary: works, revoked, unchecked, failed.
    public var word: String {
        switch self {
        case .works: "works"
        case .revoked: "revoked"
        case .unreachable: "unchecked"
        case .failed: "failed"
        }
    }

    public var error: AuthError? {
        switch self {
        case .works: nil
        case .revoked(let e), .unreachable(let e), .failed(let e): e
        }
    }
}

/// What `logout` did.
public struct LogoutResult: Sendable, Equatable {
    public enum Revocation: Sendable, Equatable {
        case revoked
        /// Google said the token was already expired or revoked.
        case alreadyInvalid
        /// Nothing to revoke (no refresh token and no live access token).
        case skipped
        /// Revocation failed and the file was deleted anyway (`force`); the reason holds no secret.
        case failed(String)
    }

    public var profile: String
    public var path: String
    public var revocation: Revocation
    public var clientType: ClientType

    /// A line for the user.
    public var summary: String {
        var text: String
        switch revocation {
        case .revoked: text = "revoked calport's access and deleted \(path)"
        case .alreadyInvalid: text = "the tokens were already invalid; deleted \(path)"
        case .skipped: text = "no live token to revoke; deleted \(path)"
        case .failed(let reason):
            text = "deleted \(path), but revocation failed (\(reason)); remove calport's access at "
                + "https://myaccount.google.com/permissions"
        }
        if clientType == .serviceAccount {
            text += ". The service-account key itself still works: delete it in the Cloud console to disable it"
        }
        return text
    }
}

/// Sign-in, status, logout and tokens for calport's profiles: the API behind `calport auth`.
public struct AuthService: Sendable {
    public let store: TokenStore
    public let tokenClient: OAuthTokenClient
    public let http: any HTTPClient
    public var now: @Sendable () -> Date

    public init(store: TokenStore, http: any HTTPClient, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.http = http
        tokenClient = OAuthTokenClient(http: http)
        self.now = now
    }

    /// Signs a user in with an OAuth client (`calport auth login --client-secret FILE`).
    public func login(profile: String = TokenStore.defaultProfile, clientSecretFile: String,
                      options: LoginOptions = LoginOptions()) async throws(AuthError) -> AuthStatus {
        _ = try store.path(for: profile)  // a bad profile name fails before the file is read
        return try await login(profile: profile, client: ClientSecret.load(path: clientSecretFile), options: options)
    }

    /// Signs a user in: opens the consent screen (or prints its URL), takes the redirect on a
    /// loopback listener or as a pasted address, trades the code for tokens, checks that the
    /// calendar scope was granted, and saves the profile. Replaces an earlier sign-in of the
    /// profile only once the new one succeeded.
    public func login(profile: String = TokenStore.defaultProfile, client: ClientSecret,
                      options: LoginOptions = LoginOptions()) async throws(AuthError) -> AuthStatus {
        let path = try store.path(for: profile)
        for (name, url) in [("token endpoint", client.tokenURI), ("revocation endpoint", options.revokeURI)]
        where !CredentialPolicy.allows(url) {
            throw .insecureEndpoint(name: name, url: url)
        }
        let session = try AuthorizationSession(
            client: client, scopes: options.scopes, redirectURI: options.redirectURI, port: options.port,
            loginHint: options.loginHint)
        defer { session.stop() }

        var paste = !session.listens || !options.openBrowser
        if options.openBrowser {
            if options.browser.open(session.authorizationURL) {
                options.inform("Opening your browser to sign in to Google. If it does not open, visit:\n\n  \(session.authorizationURL)\n")
            } else {
                options.inform("Could not start a browser. Open this address in a browser:\n\n  \(session.authorizationURL)\n")
                paste = true
            }
        } else {
            options.inform("Open this address in a browser, on any machine:\n\n  \(session.authorizationURL)\n")
        }
        var reader: Task<Void, Never>?
        if paste {
            options.inform(session.listens
                ? "After you approve, the browser goes to \(session.redirectURI)… If that page does not load (the "
                    + "browser runs on another machine), copy the whole address from the address bar and paste it here:"
                : "After you approve, the browser goes to \(session.redirectURI)…; copy the whole address from the "
                    + "address bar and paste it here:")
            reader = Task { [options] in
                var attempts = 0
                while attempts < 3 {
                    guard let line = await options.readLine() else {
                        // Standard input closed (cron, nohup, `< /dev/null`): nothing more can be
                        // pasted, but the listener still takes the redirect, e.g. through an SSH
                        // tunnel. Only a sign-in with no listener has nothing left to wait for.
                        if session.listens {
                            options.inform("Standard input is closed: waiting for the browser to reach \(session.redirectURI)")
                        } else {
                            session.fail(.loginCancelled)
                        }
                        return
                    }
                    if line.trimmingWhitespace().isEmpty { continue }
                    switch session.submitPasted(line) {
                    case .accepted: return
                    case .unrecognized(let problem):
                        attempts += 1
                        if attempts < 3 { options.inform("That is not it: \(problem). Paste the address again:") }
                        else { session.fail(.unrecognizedRedirect(problem: problem)) }
                    }
                }
            }
        } else {
            options.inform("Waiting for the sign-in to finish in the browser…")
        }
        defer { reader?.cancel() }

        let code: String
        do {
            defer {
                let n = session.ignoredRedirects
                if n > 0 {
                    options.inform("Ignored \(n) request\(n == 1 ? "" : "s") to \(session.redirectURI) whose state did not "
                        + "match this sign-in (an older browser tab, or another program on this machine).")
                }
            }
            code = try await session.waitForCode(timeout: options.timeout)
        }
        let started = now()
        let response = try await tokenClient.exchangeCode(
            code, codeVerifier: session.pkce.verifier, redirectURI: session.redirectURI, client: client, profile: profile)
        let granted = response.scopes ?? options.scopes
        let missing = Scope.missingCalendarScopes(requested: options.scopes, granted: granted)
        guard missing.isEmpty else { throw .scopeNotGranted(missing: missing) }
        if response.refreshToken == nil {
            options.inform("Google sent no refresh token: this sign-in lasts until the access token expires (about an hour).")
        }
        let stored = StoredCredentials(
            profile: profile, clientType: client.type, clientID: client.clientID, clientSecret: client.clientSecret,
            tokenURI: client.tokenURI, authURI: client.authURI, revokeURI: options.revokeURI, scopes: granted,
            refreshToken: response.refreshToken, accessToken: response.accessToken,
            expiry: response.expiry(from: started), account: response.email, created: started, updated: started)
        try store.save(stored)
        return AuthStatus(stored, path: path)
    }

    /// Signs a service account in (`calport auth login --service-account KEY [--subject USER]`):
    /// checks the key by getting a first token, and saves a profile that points at the key file.
    /// `subject` is the user to act as through domain-wide delegation.
    public func loginServiceAccount(profile: String = TokenStore.defaultProfile, keyFile: String,
                                    subject: String? = nil, readOnly: Bool = false,
                                    revokeURI: String = GoogleEndpoints.revocation) async throws(AuthError) -> AuthStatus {
        let path = try store.path(for: profile)
        let key = try ServiceAccountKey.load(path: keyFile)
        if let subject, !subject.contains("@") {
            throw .malformedServiceAccountKey(path: keyFile, problem: "the user to act as, \"\(subject.prefix(80))\", is not an email address")
        }
        guard CredentialPolicy.allows(key.tokenURI) else {
            throw .insecureEndpoint(name: "token endpoint", url: key.tokenURI)
        }
        let scopes = Scope.forServiceAccount(readOnly: readOnly)
        let started = now()
        let response = try await tokenClient.serviceAccountToken(
            key: key, scopes: scopes, subject: subject, now: started, profile: profile)
        let stored = StoredCredentials(
            profile: profile, clientType: .serviceAccount, clientID: key.clientEmail, tokenURI: key.tokenURI,
            revokeURI: revokeURI, scopes: response.scopes ?? scopes, accessToken: response.accessToken,
            expiry: response.expiry(from: started), account: subject ?? key.clientEmail, created: started,
            updated: started, serviceAccountKeyFile: absolutePath(keyFile), subject: subject)
        try store.save(stored)
        return AuthStatus(stored, path: path)
    }

    /// The profile's sign-in (`calport auth status`); `AuthError.notLoggedIn` without one.
    public func status(profile: String = TokenStore.defaultProfile) throws(AuthError) -> AuthStatus {
        AuthStatus(try store.load(profile), path: try store.path(for: profile))
    }

    /// Every profile's sign-in, by profile name.
    public func statuses() throws(AuthError) -> [AuthStatus] {
        var result: [AuthStatus] = []
        for profile in try store.profiles() { result.append(try status(profile: profile)) }
        return result
    }

    public func profiles() throws(AuthError) -> [String] { try store.profiles() }

    /// Asks Google whether the profile's grant still works, by getting a new access token
    /// (saved, like any renewal). A stored token that looks valid proves nothing: revoking the
    /// grant (myaccount.google.com/permissions, an admin, 7 days of a Testing app) ends it at once.
    public func checkGrant(profile: String = TokenStore.defaultProfile) async -> GrantCheck {
        do {
            _ = try await TokenProvider(profile: profile, store: store, http: http, now: now).renewedAccessToken()
            return .works
        } catch {
            switch error {
            case .oauth(let failure) where failure.code == "invalid_grant": return .revoked(error)
            case .noRefreshToken: return .revoked(error)
            case .transport, .responseTooLarge, .unexpectedResponse: return .unreachable(error)
            default: return .failed(error)
            }
        }
    }

    /// Revokes the profile's tokens at Google and deletes its file (`calport auth logout`).
    /// The refresh token is revoked (which ends the whole grant), else a live access token.
    /// A token Google already considers invalid (400 invalid_token) still lets the file go;
    /// any other failure keeps the file and throws `revocationFailed`, unless `force`.
    public func logout(profile: String = TokenStore.defaultProfile, force: Bool = false) async throws(AuthError) -> LogoutResult {
        let path = try store.path(for: profile)
        let stored = try store.load(profile)
        var revocation = LogoutResult.Revocation.skipped
        if let token = stored.refreshToken ?? stored.usableAccessToken(now: now(), margin: 0) {
            do {
                switch try await tokenClient.revoke(token: token, endpoint: stored.revokeURI) {
                case .revoked: revocation = .revoked
                case .alreadyInvalid: revocation = .alreadyInvalid
                }
            } catch {
                guard force else {
                    let unreachable = if case .transport = error { true } else { false }
                    throw .revocationFailed(profile: profile, path: path, reason: error.description, unreachable: unreachable)
                }
                revocation = .failed(error.description)
            }
        }
        try store.delete(profile)
        return LogoutResult(profile: profile, path: path, revocation: revocation, clientType: stored.clientType)
    }

    /// The token source for API calls on `profile` (`CALPORT_ACCESS_TOKEN` wins when set).
    public func tokenProvider(profile: String = TokenStore.defaultProfile,
                              environment: [String: String] = ProcessInfo.processInfo.environment) -> TokenProvider {
        if let token = environment[TokenProvider.environmentVariable]?.trimmingWhitespace(), !token.isEmpty {
            return TokenProvider(staticToken: token)
        }
        return TokenProvider(profile: profile, store: store, http: http, now: now)
    }
}
