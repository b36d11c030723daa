import Foundation
import HTTP
import Testing
@testable import GoogleAuth

@Suite(.timeLimit(.minutes(1)))
final class TokenProviderTests {
    let google: FakeGoogle
    let http: CurlHTTPClient
    let dir = TemporaryDirectory()
    let store: TokenStore
    let clock = TestClock(Date(timeIntervalSince1970: 1_780_000_000))

    init() throws {
        google = try FakeGoogle()
        http = try CurlHTTPClient()
        store = TokenStore(directory: dir.path)
    }

    deinit { dir.cleanup() }

    /// A signed-in profile whose access token expires `expiresIn` seconds from the clock's now.
    @discardableResult
    func seed(_ profile: String = "p", expiresIn: TimeInterval, refreshToken: String? = Secrets.refreshToken) throws -> StoredCredentials {
        let stored = StoredCredentials(
            profile: profile, clientType: .installed, clientID: Secrets.clientID, clientSecret: Secrets.clientSecret,
            tokenURI: google.tokenURI, authURI: google.authURI, revokeURI: google.revokeURI, scopes: [Scope.calendar],
            refreshToken: refreshToken, accessToken: Secrets.accessTokenPrefix + "stored",
            expiry: clock.now.addingTimeInterval(expiresIn), account: Secrets.email, created: clock.now)
        try store.save(stored)
        return stored
    }

    func provider(_ profile: String = "p") -> TokenProvider {
        TokenProvider(profile: profile, store: store, http: http, now: { [clock] in clock.now })
    }

    @Test func freshTokenIsUsedAsItIs() async throws {
        try seed(expiresIn: 600)
        let tokens = provider()
        #expect(try await tokens.accessToken() == Secrets.accessTokenPrefix + "stored")
        #expect(try await tokens.accessToken() == Secrets.accessTokenPrefix + "stored")
        #expect(google.tokenRequests.isEmpty)
    }

    @Test func expiringTokenIsRefreshedAndSaved() async throws {
        try seed(expiresIn: 30)  // inside the 60 s margin
        let tokens = provider()
        let first = try await tokens.accessToken()
        #expect(first == Secrets.accessTokenPrefix + "1")
        #expect(google.tokenRequests.count == 1)
        let request = try #require(google.tokenRequests.first)
        #expect(request["grant_type"] == "refresh_token")
        #expect(request["refresh_token"] == Secrets.refreshToken)
        #expect(request["client_secret"] == Secrets.clientSecret)
        let saved = try store.load("p")
        #expect(saved.accessToken == first)
        #expect(saved.expiry == clock.now.addingTimeInterval(3599))
        #expect(saved.refreshToken == Secrets.refreshToken)  // kept: Google sent none
        #expect(mode(try store.path(for: "p")) == 0o600)

        // Fresh again: no request. An hour later: one more.
        #expect(try await tokens.accessToken() == first)
        #expect(google.tokenRequests.count == 1)
        clock.advance(3600)
        #expect(try await tokens.accessToken() == Secrets.accessTokenPrefix + "2")
        #expect(google.tokenRequests.count == 2)
        #expect(await tokens.renewals == 2)
    }

    @Test func invalidateForcesARefresh() async throws {
        try seed(expiresIn: 3000)
        let tokens = provider()
        let stale = try await tokens.accessToken()
        await tokens.invalidate(stale)
        #expect(try await tokens.accessToken() == Secrets.accessTokenPrefix + "1")
        // A 401 on the old token after the refresh does not cause another one.
        await tokens.invalidate(stale)
        #expect(try await tokens.accessToken() == Secrets.accessTokenPrefix + "1")
        #expect(google.tokenRequests.count == 1)
    }

    @Test func concurrentCallersShareOneRefresh() async throws {
        try seed(expiresIn: -10)
        google.tokenDelay = .milliseconds(300)
        let tokens = provider()
        let results = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<10 { group.addTask { try await tokens.accessToken() } }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(results.count == 10)
        #expect(Set(results) == [Secrets.accessTokenPrefix + "1"])
        #expect(google.tokenRequests.count == 1)
        #expect(await tokens.renewals == 1)
    }

    @Test func expiredRefreshTokenAdvisesLoginAgain() async throws {
        try seed("work", expiresIn: -10, refreshToken: "1//0g-some-other-refresh-token-secret")
        let error = try #require(await #expect(throws: AuthError.self) { try await provider("work").accessToken() })
        guard case .oauth(let failure) = error else {
            Issue.record("expected an OAuth error, got \(error)")
            return
        }
        #expect(failure.code == "invalid_grant")
        #expect(failure.stage == .refresh)
        #expect(error.description.contains("7 days"))
        #expect(error.description.contains("`calport auth login --profile work --client-secret FILE`"))
        #expect(error.description.contains("Token has been expired or revoked."))
        #expect(error.requiresLogin)
        expectNoSecrets(error, extra: ["1//0g-some-other-refresh-token-secret"])
    }

    @Test func noRefreshTokenAndNoProfile() async throws {
        try seed(expiresIn: -10, refreshToken: nil)
        let error = await #expect(throws: AuthError.self) { try await provider().accessToken() }
        #expect(error == .noRefreshToken(profile: "p"))
        let missing = await #expect(throws: AuthError.self) { try await provider("nobody").accessToken() }
        #expect(missing == .notLoggedIn(profile: "nobody", path: dir.path + "/tokens/nobody.json"))
        #expect(missing?.description.contains("calport auth login --profile nobody") == true)
        #expect(google.tokenRequests.isEmpty)
    }

    @Test func environmentTokenOverridesTheStore() async throws {
        let service = AuthService(store: store, http: http)
        let tokens = service.tokenProvider(profile: "none", environment: ["CALPORT_ACCESS_TOKEN": " ya29.from-env \n"])
        #expect(tokens.usesStaticToken)
        #expect(try await tokens.accessToken() == "ya29.from-env")
        await tokens.invalidate("ya29.from-env")
        let error = await #expect(throws: AuthError.self) { try await tokens.accessToken() }
        #expect(error == .environmentTokenRejected)
        #expect(!service.tokenProvider(profile: "none", environment: ["CALPORT_ACCESS_TOKEN": ""]).usesStaticToken)
        #expect(try store.profiles().isEmpty)
    }

    @Test func statusDescribesTheProfile() throws {
        try seed(expiresIn: 600)
        let status = try AuthService(store: store, http: http).status(profile: "p")
        #expect(status.account == Secrets.email)
        #expect(status.clientType == .installed)
        #expect(status.hasRefreshToken)
        #expect(status.accessTokenValid(at: clock.now))
        #expect(!status.accessTokenValid(at: clock.now.addingTimeInterval(601)))
        #expect(status.path == dir.path + "/tokens/p.json")
        #expect(!status.readOnly)
        let text = status.summary(now: clock.now)
        #expect(text.contains("account: \(Secrets.email)"))
        #expect(text.contains("(10 min)"))
        #expect(text.contains("refresh token: yes"))
        for secret in Secrets.all { #expect(!text.contains(secret)) }
    }
}

@Suite(.timeLimit(.minutes(1)))
final class LogoutTests {
    let google: FakeGoogle
    let http: CurlHTTPClient
    let dir = TemporaryDirectory()
    let store: TokenStore
    let service: AuthService

    init() throws {
        google = try FakeGoogle()
        http = try CurlHTTPClient()
        store = TokenStore(directory: dir.path)
        service = AuthService(store: store, http: http)
        try store.save(StoredCredentials(
            profile: "default", clientType: .installed, clientID: Secrets.clientID, clientSecret: Secrets.clientSecret,
            tokenURI: google.tokenURI, revokeURI: google.revokeURI, scopes: [Scope.calendar],
            refreshToken: Secrets.refreshToken, accessToken: Secrets.accessTokenPrefix + "x", expiry: Date() + 600))
    }

    deinit { dir.cleanup() }

    @Test func logoutRevokesAndDeletes() async throws {
        let result = try await service.logout()
        #expect(result.revocation == .revoked)
        #expect(google.revokeRequests.map { $0["token"] } == [Secrets.refreshToken])
        #expect(!FileManager.default.fileExists(atPath: result.path))
        #expect(try store.profiles().isEmpty)
        #expect(!result.summary.contains(Secrets.refreshToken))
        let again = await #expect(throws: AuthError.self) { try await service.logout() }
        #expect(again == .notLoggedIn(profile: "default", path: result.path))
    }

    @Test func alreadyInvalidTokenStillDeletes() async throws {
        google.revokeAnswer = (400, #"{"error":"invalid_token","error_description":"Token expired or revoked"}"#)
        let result = try await service.logout()
        #expect(result.revocation == .alreadyInvalid)
        #expect(try store.profiles().isEmpty)
    }

    @Test func otherFailuresKeepTheFileUnlessForced() async throws {
        google.revokeAnswer = (503, #"{"error":"backend_error","error_description":"try later \#(Secrets.refreshToken)"}"#)
        let error = try #require(await #expect(throws: AuthError.self) { try await service.logout() })
        guard case .revocationFailed(let profile, _, _, _) = error else {
            Issue.record("expected revocationFailed, got \(error)")
            return
        }
        #expect(profile == "default")
        #expect(error.description.contains("--force"))
        expectNoSecrets(error)
        #expect(try store.profiles() == ["default"])

        let forced = try await service.logout(force: true)
        guard case .failed(let reason) = forced.revocation else {
            Issue.record("expected a failed revocation, got \(forced.revocation)")
            return
        }
        #expect(!reason.contains(Secrets.refreshToken))
        #expect(try store.profiles().isEmpty)
    }
}

/// Servers may echo what they were sent; none of it may reach an error's text.
@Suite(.timeLimit(.minutes(1)))
struct NoSecretsInErrorsTests {
    let google: FakeGoogle
    let client: OAuthTokenClient

    init() throws {
        google = try FakeGoogle()
        client = OAuthTokenClient(http: try CurlHTTPClient())
    }

    var echo: String {
        "got code \(Secrets.code), secret \(Secrets.clientSecret), refresh \(Secrets.refreshToken), "
            + "access \(Secrets.accessTokenPrefix)1"
    }

    @Test func codeExchange() async throws {
        let pkce = PKCE()
        google.tokenError = (400, #"{"error":"invalid_grant","error_description":"\#(echo) verifier \#(pkce.verifier)"}"#)
        let error = try #require(await #expect(throws: AuthError.self) {
            try await client.exchangeCode(Secrets.code, codeVerifier: pkce.verifier, redirectURI: "http://127.0.0.1:1/",
                                          client: clientSecret(google))
        })
        #expect(error.description.contains("[redacted]"))
        expectNoSecrets(error, extra: [pkce.verifier])
    }

    @Test func refresh() async throws {
        for (status, body) in [
            (400, #"{"error":"invalid_grant","error_description":"\#(echo)"}"#),
            (401, #"{"error":{"code":401,"message":"\#(echo)","status":"UNAUTHENTICATED"}}"#),
            (500, #"{"weird":"\#(echo)"}"#),
        ] {
            google.tokenError = (status, body)
            let error = try #require(await #expect(throws: AuthError.self) {
                try await client.refresh(refreshToken: Secrets.refreshToken, clientID: Secrets.clientID,
                                         clientSecret: Secrets.clientSecret, tokenURI: google.tokenURI)
            })
            expectNoSecrets(error, extra: [Secrets.accessTokenPrefix])
        }
    }

    @Test func revocation() async throws {
        google.revokeAnswer = (400, #"{"error":"invalid_request","error_description":"\#(echo)"}"#)
        let error = try #require(await #expect(throws: AuthError.self) {
            try await client.revoke(token: Secrets.refreshToken, endpoint: google.revokeURI)
        })
        expectNoSecrets(error)
    }

    /// A token endpoint that repeats the form body back: the refresh token arrives there as
    /// `1%2F%2F…` and the code as `4%2F0…`, which a search for the raw secrets misses.
    @Test(arguments: FakeGoogle.Echo.allCases)
    func echoedRequestBodyShowsNoSecretInAnyEncoding(_ echo: FakeGoogle.Echo) async throws {
        google.echo = echo
        // Older client secrets are not GOCSPX-…, and may hold characters that the form encodes.
        let oldStyleSecret = "old/client+secret=0002&x"
        for clientSecret in [Secrets.clientSecret, oldStyleSecret] {
            let refresh = try #require(await #expect(throws: AuthError.self) {
                try await client.refresh(refreshToken: Secrets.refreshToken, clientID: Secrets.clientID,
                                         clientSecret: clientSecret, tokenURI: google.tokenURI)
            })
            expectNoSecretsInAnyEncoding(refresh, [Secrets.refreshToken, clientSecret])
        }
        let pkce = PKCE()
        let exchange = try #require(await #expect(throws: AuthError.self) {
            try await client.exchangeCode(Secrets.code, codeVerifier: pkce.verifier, redirectURI: "http://127.0.0.1:1/",
                                          client: clientSecret(google))
        })
        expectNoSecretsInAnyEncoding(exchange, [Secrets.code, Secrets.clientSecret, pkce.verifier])
    }

    /// The token endpoint was reached: an answer past the client's size limit is not "could
    /// not reach".
    @Test func oversizedAnswerIsNotAnUnreachableEndpoint() async throws {
        google.tokenError = (400, #"{"error":"invalid_grant","error_description":"\#(String(repeating: "x", count: 500))"}"#)
        let small = OAuthTokenClient(http: try CurlHTTPClient(configuration: .init(maxResponseBytes: 64)))
        let error = try #require(await #expect(throws: AuthError.self) {
            try await small.refresh(refreshToken: Secrets.refreshToken, clientID: Secrets.clientID,
                                    clientSecret: Secrets.clientSecret, tokenURI: google.tokenURI)
        })
        #expect(!error.description.contains("could not reach"), "\(error)")
        #expect(error.description.contains("exceeded 64 bytes"), "\(error)")
    }

    @Test func successBodiesNeverReachErrors() async throws {
        // A 200 answer without access_token: its body (which may hold a refresh token) is not quoted.
        google.tokenError = (200, #"{"refresh_token":"\#(Secrets.refreshToken)"}"#)
        let error = try #require(await #expect(throws: AuthError.self) {
            try await client.refresh(refreshToken: Secrets.refreshToken, clientID: Secrets.clientID,
                                     clientSecret: Secrets.clientSecret, tokenURI: google.tokenURI)
        })
        #expect(error == .unexpectedResponse(stage: .refresh, status: 200, detail: "the answer has no access_token"))
        expectNoSecrets(error)
    }

    @Test func valuesPrintRedacted() throws {
        let secret = try clientSecret(google)
        let response = TokenResponse(accessToken: Secrets.accessTokenPrefix + "9", expiresIn: 3599,
                                     refreshToken: Secrets.refreshToken, scopes: [Scope.calendar])
        let pkce = PKCE()
        for value in [secret as Any, response, pkce] {
            var dumped = ""
            dump(value, to: &dumped)
            for text in [String(describing: value), String(reflecting: value), dumped] {
                for s in Secrets.all + [pkce.verifier] { #expect(!text.contains(s), "\(text)") }
            }
        }
    }

    @Test func redactorCleansText() {
        let redactor = Redactor(["secret-value-1", nil, "abc"])
        #expect(redactor.clean("x secret-value-1 y\nz abc") == "x [redacted] y z abc")
        #expect(redactor.clean(String(repeating: "a", count: 500)).count == 301)
    }
}
