import Foundation
import HTTP
import LoopbackHTTP
import Testing
@testable import GoogleAuth

/// A value set later from another task.
final class Captured<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T?
    var value: T? {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}

/// The login tests play the browser: they take the authorization URL the login opens, check it,
/// and request the loopback redirect URL the way a browser would after consent.
@Suite(.timeLimit(.minutes(1)))
final class LoginFlowTests {
    let google: FakeGoogle
    let http: CurlHTTPClient
    let dir = TemporaryDirectory()
    let store: TokenStore
    let service: AuthService
    let messages = Messages()

    init() throws {
        google = try FakeGoogle()
        http = try CurlHTTPClient()
        store = TokenStore(directory: dir.path + "/config")
        service = AuthService(store: store, http: http)
    }

    deinit { dir.cleanup() }

    func options(browser: any BrowserOpener, openBrowser: Bool = true, redirectURI: String? = nil,
                 timeout: Duration = .seconds(10), readLine: @escaping LineReader = { nil }) -> LoginOptions {
        LoginOptions(openBrowser: openBrowser, redirectURI: redirectURI, timeout: timeout, revokeURI: google.revokeURI,
                     browser: browser, readLine: readLine, inform: { [messages] in messages.add($0) })
    }

    /// A browser that approves: it requests the redirect URI with `query(state)` appended.
    func approvingBrowser(page: Captured<Task<HTTPResponse, any Error>>, authURL: Captured<String>? = nil,
                          query: @escaping @Sendable (String) -> String) -> TestBrowser {
        TestBrowser { [google, http] url in
            authURL?.value = url
            let items = queryItems(url)
            google.challenge = items["code_challenge"]
            let target = items["redirect_uri"]! + "?" + query(items["state"]!)
            page.value = Task { try await http.send(HTTPRequest(url: target, timeout: .seconds(5))) }
        }
    }

    @Test func desktopLoginEndToEnd() async throws {
        let page = Captured<Task<HTTPResponse, any Error>>()
        let authURL = Captured<String>()
        let browser = approvingBrowser(page: page, authURL: authURL) { state in
            "state=\(state)&code=\(FormCoding.percentEncode(Secrets.code))&scope=\(FormCoding.percentEncode(Scope.calendar))"
        }
        let status = try await service.login(profile: "work", client: clientSecret(google), options: options(browser: browser))

        // The authorization request.
        let url = try #require(authURL.value)
        #expect(url.hasPrefix(google.authURI + "?"))
        let q = queryItems(url)
        #expect(q["client_id"] == Secrets.clientID)
        #expect(q["response_type"] == "code")
        #expect(q["scope"] == "\(Scope.calendar) openid email")
        #expect(q["code_challenge_method"] == "S256")
        #expect(q["code_challenge"]?.count == 43)
        #expect(q["access_type"] == "offline")
        #expect(q["prompt"] == "consent")
        #expect((q["state"]?.count ?? 0) >= 32)
        let redirect = try #require(q["redirect_uri"])
        #expect(redirect.wholeMatch(of: /http:\/\/127\.0\.0\.1:\d+\//) != nil)
        #expect(!url.contains(Secrets.clientSecret))

        // The browser got a page saying it can be closed.
        let response = try await #require(page.value).value
        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self).contains("close this tab"))

        // The code exchange: PKCE verifier matching the challenge (the fake checks it), same redirect URI.
        let exchange = try #require(google.tokenRequests.first)
        #expect(exchange["grant_type"] == "authorization_code")
        #expect(exchange["redirect_uri"] == redirect)
        let verifier = try #require(exchange["code_verifier"])
        #expect((43...128).contains(verifier.count))
        #expect(verifier.allSatisfy { Random.unreserved.contains($0) })
        #expect(PKCE.challenge(for: verifier) == q["code_challenge"])

        // What was saved.
        #expect(status.profile == "work")
        #expect(status.account == Secrets.email)
        #expect(status.clientType == .installed)
        #expect(status.hasRefreshToken)
        #expect(status.scopes.contains(Scope.calendar))
        #expect(status.path == dir.path + "/config/tokens/work.json")
        #expect(mode(status.path) == 0o600)
        #expect(mode(dir.path + "/config/tokens") == 0o700)
        let stored = try store.load("work")
        #expect(stored.refreshToken == Secrets.refreshToken)
        #expect(stored.clientSecret == Secrets.clientSecret)
        #expect(stored.accessToken?.hasPrefix(Secrets.accessTokenPrefix) == true)
        #expect(stored.revokeURI == google.revokeURI)
        #expect(stored.tokenURI == google.tokenURI)
        #expect(stored.expiry.map { $0.timeIntervalSinceNow > 3500 } == true)
        #expect(try store.profiles() == ["work"])
        #expect(!status.summary().contains(Secrets.refreshToken))
        #expect(!String(describing: stored).contains(Secrets.clientSecret))

        // The listener is gone.
        await #expect(throws: HTTPError.self) { try await http.send(HTTPRequest(url: redirect, timeout: .seconds(2))) }
    }

    /// Any program on this machine can send a request to the loopback listener. One with a
    /// wrong state (or none) is turned away and counted, and the login goes on waiting for
    /// Google's redirect: it cannot be aborted that way.
    @Test func wrongStateIsIgnoredUntilTheRightRedirect() async throws {
        let forgedAnswers = Captured<[Int]>()
        let page = Captured<Task<HTTPResponse, any Error>>()
        let browser = TestBrowser { [google, http] url in
            let items = queryItems(url)
            google.challenge = items["code_challenge"]
            let redirect = items["redirect_uri"]!
            page.value = Task {
                var statuses: [Int] = []
                for forged in ["state=forged-state-from-elsewhere&code=\(Secrets.code)", "code=\(Secrets.code)",
                               "error=access_denied&state=forged", "error=access_denied"] {
                    statuses.append(try await http.send(HTTPRequest(url: redirect + "?" + forged, timeout: .seconds(5))).status)
                }
                forgedAnswers.value = statuses
                return try await http.send(HTTPRequest(url: redirect + "?state=\(items["state"]!)&code=\(Secrets.code)",
                                                       timeout: .seconds(5)))
            }
        }
        let status = try await service.login(client: clientSecret(google), options: options(browser: browser))
        #expect(status.hasRefreshToken)
        #expect(forgedAnswers.value == [400, 400, 400, 400])
        #expect(try await #require(page.value).value.status == 200)
        #expect(google.tokenRequests.count == 1)
        #expect(messages.all.contains { $0.contains("Ignored 4 requests") }, "\(messages.all)")
    }

    /// The timeout has room for the forged request to arrive first on a loaded machine.
    @Test func onlyForgedRedirectsEndInATimeout() async throws {
        let page = Captured<Task<HTTPResponse, any Error>>()
        let browser = approvingBrowser(page: page) { _ in "state=forged-state-from-elsewhere&code=\(Secrets.code)" }
        let error = await #expect(throws: AuthError.self) {
            try await service.login(client: clientSecret(google), options: options(browser: browser, timeout: .seconds(10)))
        }
        guard case .loginTimedOut = try #require(error) else {
            Issue.record("expected a timeout, got \(String(describing: error))")
            return
        }
        #expect(try await #require(page.value).value.status == 400)
        #expect(google.tokenRequests.isEmpty)
        #expect(try store.profiles().isEmpty)
        #expect(messages.all.contains { $0.contains("Ignored 1 request") }, "\(messages.all)")
    }

    @Test func accessDeniedOnRedirectAdvisesTestUsers() async throws {
        let page = Captured<Task<HTTPResponse, any Error>>()
        let browser = approvingBrowser(page: page) { "error=access_denied&state=\($0)" }
        let error = await #expect(throws: AuthError.self) {
            try await service.login(client: clientSecret(google), options: options(browser: browser))
        }
        guard case .oauth(let failure) = try #require(error) else {
            Issue.record("expected an OAuth error, got \(String(describing: error))")
            return
        }
        #expect(failure.code == "access_denied")
        #expect(failure.stage == .authorization)
        let text = try #require(error).description
        #expect(text.contains("Test users"))
        #expect(text.contains("publish the app"))
        #expect(google.tokenRequests.isEmpty)
    }

    @Test(arguments: [
        ("redirect_uri_mismatch", ["Desktop app client", "register the exact URI"]),
        ("invalid_client", ["client secret file is wrong", "deleted"]),
        ("invalid_scope", ["scopes"]),
        ("unauthorized_client", ["Desktop app client"]),
    ])
    func tokenEndpointErrorsGiveAdvice(code: String, advice: [String]) async throws {
        google.tokenError = (400, #"{"error":"\#(code)","error_description":"Bad Request"}"#)
        let page = Captured<Task<HTTPResponse, any Error>>()
        let browser = approvingBrowser(page: page) { "state=\($0)&code=\(Secrets.code)" }
        let error = try #require(await #expect(throws: AuthError.self) {
            try await service.login(client: clientSecret(google), options: options(browser: browser))
        })
        #expect(error == .oauth(OAuthFailure(code: code, detail: "Bad Request", stage: .codeExchange,
                                             profile: "default", clientID: Secrets.clientID)))
        for phrase in advice { #expect(error.description.contains(phrase), "\(error)") }
        expectNoSecrets(error)
        #expect(try store.profiles().isEmpty)
    }

    @Test func noBrowserPasteFlow() async throws {
        let reads = Captured<Int>()
        let prefix = google.authURI
        let paste: LineReader = { [messages, google] in
            let n = (reads.value ?? 0) + 1
            reads.value = n
            if n == 1 { return "   " }  // blank lines are skipped
            if n == 2 { return Secrets.code }  // a bare code is not enough: state is needed
            let url = messages.authorizationURL(prefix: prefix)!
            let q = queryItems(url)
            google.challenge = q["code_challenge"]
            return "  \(q["redirect_uri"]!)?state=\(q["state"]!)&code=\(FormCoding.percentEncode(Secrets.code))&scope=x#  "
        }
        let browser = TestBrowser { _ in Issue.record("--no-browser must not open a browser") }
        let status = try await service.login(
            profile: "headless", client: clientSecret(google), options: options(browser: browser, openBrowser: false, readLine: paste))
        #expect(status.hasRefreshToken)
        #expect(reads.value == 3)
        #expect(messages.all.contains { $0.contains("Open this address in a browser") })
        #expect(messages.all.contains { $0.hasPrefix("That is not it") && !$0.contains(Secrets.code) })
        #expect(try store.load("headless").refreshToken == Secrets.refreshToken)
    }

    /// `--no-browser` with standard input closed (cron, nohup, `< /dev/null`): the browser on
    /// another machine still reaches the loopback listener (an SSH tunnel), so the sign-in waits
    /// for it instead of giving up because nothing can be pasted.
    @Test func noBrowserWithInputClosedStillTakesTheRedirect() async throws {
        let prefix = google.authURI
        let page = Captured<Task<HTTPResponse, any Error>>()
        let endOfInput: LineReader = { [messages, google, http] in
            let q = queryItems(messages.authorizationURL(prefix: prefix)!)
            google.challenge = q["code_challenge"]
            let target = "\(q["redirect_uri"]!)?state=\(q["state"]!)&code=\(FormCoding.percentEncode(Secrets.code))"
                + "&scope=\(FormCoding.percentEncode(Scope.calendar))"
            page.value = Task {
                try await Task.sleep(for: .milliseconds(300))
                return try await http.send(HTTPRequest(url: target, timeout: .seconds(5)))
            }
            return nil
        }
        let status = try await service.login(
            profile: "tunnel", client: clientSecret(google),
            options: options(browser: TestBrowser { _ in Issue.record("--no-browser must not open a browser") },
                             openBrowser: false, readLine: endOfInput))
        #expect(status.hasRefreshToken)
        #expect(try await #require(page.value).value.status == 200)
        #expect(messages.all.contains { $0.hasPrefix("Standard input is closed: waiting for the browser") })
    }

    /// A Web client has no listener: with nothing left to read there is nothing to wait for.
    @Test func pastedEndOfInputCancelsWithoutAListener() async throws {
        let registered = "https://calport.example/oauth2callback"
        let client = try clientSecret(google, type: "web", redirectURIs: [registered])
        let error = await #expect(throws: AuthError.self) {
            try await service.login(client: client, options: options(browser: TestBrowser { _ in }, openBrowser: false,
                                                                     redirectURI: registered, readLine: { nil }))
        }
        #expect(error == .loginCancelled)
    }

    @Test func webClientPastesItsRegisteredRedirect() async throws {
        let registered = "https://calport.example/oauth2callback"
        let client = try clientSecret(google, type: "web", redirectURIs: ["https://calport.example/other", registered])
        #expect(client.type == .web)
        let authURL = Captured<String>()
        let paste: LineReader = { [google] in
            let q = queryItems(authURL.value!)
            google.challenge = q["code_challenge"]
            return "\(registered)?state=\(q["state"]!)&code=\(Secrets.code)&scope=\(FormCoding.percentEncode(Scope.calendar))"
        }
        let status = try await service.login(
            client: client, options: options(browser: TestBrowser { authURL.value = $0 }, redirectURI: registered, readLine: paste))
        #expect(status.clientType == .web)
        #expect(google.tokenRequests.first?["redirect_uri"] == registered)
        #expect(queryItems(authURL.value!)["redirect_uri"] == registered)
    }

    @Test func webClientRedirectURIMustBeRegistered() async throws {
        let client = try clientSecret(google, type: "web", redirectURIs: ["https://calport.example/oauth2callback"])
        let browser = TestBrowser { _ in Issue.record("no browser before the redirect URI is settled") }
        let missing = await #expect(throws: AuthError.self) {
            try await service.login(client: client, options: options(browser: browser))
        }
        #expect(missing == .redirectURIRequired(registered: ["https://calport.example/oauth2callback"]))
        #expect(missing?.description.contains("Desktop app client") == true)

        let wrong = await #expect(throws: AuthError.self) {
            try await service.login(client: client, options: options(browser: browser, redirectURI: "https://calport.example/oauth2callback/"))
        }
        let text = try #require(wrong).description
        #expect(text.contains("redirect_uri_mismatch"))
        #expect(text.contains("Register the exact URI"))
        #expect(text.contains("Desktop app client"))
    }

    @Test func desktopClientNeedsLoopbackRedirect() async throws {
        let error = await #expect(throws: AuthError.self) {
            try await service.login(client: clientSecret(google),
                                    options: options(browser: TestBrowser { _ in }, redirectURI: "https://calport.example/cb"))
        }
        #expect(error == .redirectURINotLoopback(uri: "https://calport.example/cb"))
    }

    @Test func timeoutExplainsBrowserSideErrors() async throws {
        let error = await #expect(throws: AuthError.self) {
            try await service.login(client: clientSecret(google),
                                    options: options(browser: TestBrowser { _ in }, timeout: .milliseconds(200)))
        }
        let text = try #require(error).description
        guard case .loginTimedOut = try #require(error) else {
            Issue.record("expected a timeout, got \(text)")
            return
        }
        #expect(text.contains("access_denied") && text.contains("Test users"))
        #expect(text.contains("redirect_uri_mismatch") && text.contains("Desktop app client"))
    }

    @Test func calendarScopeMustBeGranted() async throws {
        google.grantedScope = "openid \(Scope.userInfoEmail)"
        let page = Captured<Task<HTTPResponse, any Error>>()
        let browser = approvingBrowser(page: page) { "state=\($0)&code=\(Secrets.code)" }
        let error = await #expect(throws: AuthError.self) {
            try await service.login(client: clientSecret(google), options: options(browser: browser))
        }
        #expect(error == .scopeNotGranted(missing: [Scope.calendar]))
        #expect(try store.profiles().isEmpty)
    }

    @Test func readOnlyLoginAcceptsFullCalendarGrant() {
        #expect(Scope.missingCalendarScopes(requested: Scope.forUser(readOnly: true), granted: [Scope.calendar]).isEmpty)
        #expect(Scope.missingCalendarScopes(requested: Scope.forUser(), granted: [Scope.calendarReadOnly]) == [Scope.calendar])
        #expect(Scope.forUser(readOnly: true) == [Scope.calendarReadOnly, "openid", "email"])
        #expect(Scope.forServiceAccount() == [Scope.calendar])
    }

    @Test func insecureTokenEndpointIsRefused() async throws {
        var client = try clientSecret(google)
        client.tokenURI = "http://oauth2.example.com/token"
        let error = await #expect(throws: AuthError.self) {
            try await service.login(client: client, options: options(browser: TestBrowser { _ in }))
        }
        #expect(error == .insecureEndpoint(name: "token endpoint", url: "http://oauth2.example.com/token"))
    }

    @Test func badProfileNameFailsBeforeTheBrowser() async throws {
        let error = await #expect(throws: AuthError.self) {
            try await service.login(profile: "../evil", client: clientSecret(google),
                                    options: options(browser: TestBrowser { _ in Issue.record("browser opened") }))
        }
        #expect(error == .invalidProfileName("../evil"))
    }
}

/// Pasted addresses, parsed without a login around them.
struct PastedRedirectTests {
    let state = "expected-state-0123456789"

    func parse(_ text: String) -> Result<Result<String, AuthError>, AuthorizationSession.Problem> {
        AuthorizationSession.parsePasted(text, expectedState: state)
    }

    @Test func fullURLsAndQueries() throws {
        for text in [
            "http://127.0.0.1:43123/?state=\(state)&code=4%2F0Abc&scope=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fcalendar",
            "<http://127.0.0.1:43123/?code=4/0Abc&state=\(state)>",
            "\"https://calport.example/cb?code=4/0Abc&state=\(state)#\"",
            "code=4/0Abc&state=\(state)",
        ] {
            #expect(try parse(text).get().get() == "4/0Abc", "\(text)")
        }
    }

    @Test func errorsAndMismatches() throws {
        guard case .failure(.oauth(let failure)) = try parse("http://127.0.0.1:1/?error=access_denied&state=\(state)").get() else {
            Issue.record("expected access_denied")
            return
        }
        #expect(failure.code == "access_denied")
        #expect(try parse("http://127.0.0.1:1/?code=x&state=other").get() == .failure(.stateMismatch))
        #expect(try parse("http://127.0.0.1:1/?error=access_denied&state=other").get() == .failure(.stateMismatch))
    }

    @Test func unrecognized() {
        for text in ["", "4/0Abc", "http://127.0.0.1:1/", "http://127.0.0.1:1/?foo=bar", "http://127.0.0.1:1/?code=4/0Abc"] {
            guard case .failure(let problem) = parse(text) else {
                Issue.record("accepted \(text)")
                continue
            }
            #expect(!problem.message.contains("4/0Abc"))
        }
    }
}

#if os(Linux)
struct SystemBrowserOpenerTests {
    /// A stand-in xdg-open on PATH records its arguments: the URL arrives as one argument, untouched
    /// by any shell.
    @Test func spawnsXDGOpenWithTheURL() async throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let script = dir.write("xdg-open", "#!/bin/sh\nprintf '%s\\n' \"$#\" \"$1\" > \"$0.args\"\n")
        chmod(script, 0o755)
        let url = "https://accounts.example/o/oauth2/auth?client_id=a&state=x;y&scope=a%20b $(touch /tmp/pwned)"
        let opener = SystemBrowserOpener(environment: ["PATH": dir.path, "DISPLAY": ":0"])
        #expect(opener.open(url))
        var recorded = ""
        for _ in 0..<200 where !recorded.hasSuffix("\n") || recorded.split(separator: "\n").count < 2 {
            try await Task.sleep(for: .milliseconds(10))
            recorded = (try? String(contentsOfFile: script + ".args", encoding: .utf8)) ?? ""
        }
        #expect(recorded == "1\n\(url)\n")
    }

    @Test func noDisplayOrNoToolMeansNoBrowser() {
        #expect(!SystemBrowserOpener(environment: ["PATH": "/usr/bin:/bin"]).open("https://example.com/"))
        #expect(!SystemBrowserOpener(environment: ["PATH": "/nonexistent", "DISPLAY": ":0"]).open("https://example.com/"))
    }
}
#endif
