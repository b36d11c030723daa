import FakeGoogle
import Foundation
import Testing

/// `calport auth` and `calport calendars` as a user runs them, against the fake Google: the test
/// plays the browser, following the consent page's redirect to calport's loopback listener.
@Suite(.serialized) struct AuthCLITests {
    let fake: FakeGoogleServer
    let config: URL
    let clientSecretFile: URL
    static let clientSecret = "GOCSPX-do-not-print-me"

    init() throws {
        fake = try FakeGoogleServer()
        fake.oauthClient = .init(id: "123-calport.apps.googleusercontent.com", secret: Self.clientSecret)
        config = try Paths.temporaryDirectory()
        clientSecretFile = config.appendingPathComponent("client_secret.json")
        let json = """
            {"installed":{"client_id":"123-calport.apps.googleusercontent.com","project_id":"calport-test",\
            "auth_uri":"\(fake.authorizationURL)","token_uri":"\(fake.tokenURL)",\
            "auth_provider_x509_cert_url":"https://www.googleapis.com/oauth2/v1/certs",\
            "client_secret":"\(Self.clientSecret)","redirect_uris":["http://localhost"]}}
            """
        try Data(json.utf8).write(to: clientSecretFile)
    }

    var environment: [String: String] {
        ["CALPORT_CONFIG_DIR": config.path, "CALPORT_GOOGLE_API_ROOT": fake.baseURL, "CALPORT_ACCESS_TOKEN": "",
         "DISPLAY": "", "WAYLAND_DISPLAY": "", "BROWSER": ""]
    }

    /// Runs `calport auth login`, waits for the sign-in address on stderr, opens it as a browser
    /// would (following redirects), and returns the finished run.
    func login(_ extra: [String] = [], browse: Bool = true) async throws -> (RunResult, consent: String) {
        let p = Process()
        p.executableURL = Paths.calport
        p.arguments = ["auth", "login", "--client-secret", clientSecretFile.path, "--no-browser", "--timeout", "30", "-v"] + extra
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let out = Pipe(), err = Pipe(), inp = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = inp
        try p.run()
        let errText = DataBox(), lock = NSLock()
        let reader = Thread {
            while true {
                let chunk = err.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                lock.withLock { errText.data.append(chunk) }
            }
        }
        reader.start()
        var url: String?
        for _ in 0..<300 where url == nil {
            try await Task.sleep(for: .milliseconds(50))
            let text = lock.withLock { String(decoding: errText.data, as: UTF8.self) }
            url = text.split(whereSeparator: \.isWhitespace).first { $0.hasPrefix(fake.authorizationURL) }.map(String.init)
        }
        var consent = ""
        if let url, browse {
            // The browser: the consent page redirects to calport's listener on 127.0.0.1.
            consent = try await Browser.open(url)
        }
        try inp.fileHandleForWriting.close()
        p.waitUntilExit()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        while reader.isExecuting { try await Task.sleep(for: .milliseconds(10)) }
        let stderr = lock.withLock { String(decoding: errText.data, as: UTF8.self) }
        #expect(url != nil, "no sign-in address on stderr: \(stderr)")
        return (RunResult(status: p.terminationStatus, stdout: stdout, stderr: stderr), consent)
    }

    func run(_ args: [String], extra: [String: String] = [:]) throws -> RunResult {
        try calport(args, environment: environment.merging(extra) { $1 })
    }

    func tokenFile(_ profile: String = "default") -> URL {
        config.appendingPathComponent("tokens/\(profile).json")
    }

    @Test func signInUseAndSignOut() async throws {
        let (signIn, consent) = try await login()
        #expect(signIn.status == 0, "\(signIn.stderr)")
        #expect(consent.contains("signed in"))
        #expect(signIn.stderr.contains("signed in as me@example.com (profile default, read and write)"))

        // The token file is private and holds the refresh token; nothing printed holds a secret.
        let attributes = try FileManager.default.attributesOfItem(atPath: tokenFile().path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let stored = try JSONSerialization.jsonObject(with: Data(contentsOf: tokenFile())) as? [String: Any] ?? [:]
        let refresh = try #require(stored["refresh_token"] as? String)
        let access = try #require(stored["access_token"] as? String)

        let status = try run(["auth", "status"])
        #expect(status.status == 0)
        #expect(status.stdoutText.contains("account: me@example.com"))
        #expect(status.stdoutText.contains("client: Desktop"))
        #expect(status.stdoutText.contains("access: read and write"))
        let statusJSON = try run(["auth", "status", "--json"])
        let object = try JSONSerialization.jsonObject(with: statusJSON.stdout) as? [String: Any] ?? [:]
        #expect(object["account"] as? String == "me@example.com")
        #expect(object["clientType"] as? String == "installed")

        let calendars = try run(["calendars", "-v"])
        #expect(calendars.status == 0, "\(calendars.stderr)")
        #expect(calendars.stderr.contains("GET \(fake.baseURL)calendar/v3/users/me/calendarList"))
        #expect(calendars.stderr.contains("-> 200 in "))
        #expect(calendars.stdoutText.contains("me@example.com"))
        #expect(calendars.stdoutText.contains("(primary)"))

        // `auth token` is the one place a token is printed, on request, for scripts.
        // An access token that Google refuses is refreshed once, and the -v log shows the
        // exchange with the token endpoint without the refresh token or client secret.
        fake.expireAccessTokens()
        let refreshed = try run(["calendars", "-v"])
        #expect(refreshed.status == 0, "\(refreshed.stderr)")
        #expect(refreshed.stderr.contains("-> 401"))
        #expect(refreshed.stderr.contains("POST \(fake.tokenURL) -> 200"))
        let token = try run(["auth", "token"])
        #expect(token.status == 0)
        let current = try JSONSerialization.jsonObject(with: Data(contentsOf: tokenFile())) as? [String: Any] ?? [:]
        let renewed = try #require(current["access_token"] as? String)
        #expect(renewed != access)
        #expect(token.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == renewed)

        let logout = try run(["auth", "logout", "-v"])
        for output in [signIn.stdoutText, signIn.stderr, status.stdoutText, status.stderr, statusJSON.stdoutText,
                       calendars.stdoutText, calendars.stderr, refreshed.stderr, token.stderr, logout.stderr] {
            for secret in [Self.clientSecret, refresh, access, renewed] {
                #expect(!output.contains(secret), "a secret reached the terminal: \(output)")
            }
        }

        // Logout revokes the grant at Google, then deletes the file.
        #expect(logout.status == 0, "\(logout.stderr)")
        #expect(logout.stderr.contains("POST \(fake.revokeURL) -> 200"))
        #expect(logout.stderr.contains("revoked"))
        #expect(fake.requestCount(for: "oauth.revoke") == 1)
        #expect(!FileManager.default.fileExists(atPath: tokenFile().path))
        let after = try run(["calendars"])
        #expect(after.status == 77)
        #expect(after.stderr.contains("calport auth login --client-secret FILE"))
    }

    @Test func profilesLiveSideBySide() async throws {
        let (work, _) = try await login(["--profile", "work", "--read-only"])
        #expect(work.status == 0, "\(work.stderr)")
        #expect(work.stderr.contains("read-only"))
        let all = try run(["auth", "status", "--all"])
        #expect(all.stdoutText.contains("profile: work"))
        #expect(all.stdoutText.contains("access: read-only"))
        #expect(try run(["calendars", "--profile", "work"]).status == 0)
        #expect(try run(["calendars"]).status == 77)  // the default profile was never signed in
    }

    @Test func accessDeniedExplainsTestUsers() async throws {
        fake.consentDenied = true
        let (r, _) = try await login()
        #expect(r.status == 77)
        #expect(r.stderr.contains("access_denied"))
        #expect(r.stderr.contains("test user"))
        #expect(!FileManager.default.fileExists(atPath: tokenFile().path))
    }

    @Test func anExpiredOrRevokedRefreshTokenSaysLogInAgain() async throws {
        let (r, _) = try await login()
        #expect(r.status == 0, "\(r.stderr)")
        fake.expireAccessTokens()
        fake.refreshTokensValid = false
        // The stored access token still looks fresh; Google refuses it (401), calport refreshes
        // once, and the refresh is refused as after 7 days of an app in Testing status.
        let calendars = try run(["calendars"])
        #expect(calendars.status == 77)
        #expect(calendars.stderr.contains("invalid_grant"))
        #expect(calendars.stderr.contains("7 days"))
        #expect(calendars.stderr.contains("calport auth login"))
    }

    /// A grant revoked at Google (myaccount.google.com/permissions, an admin, 7 days in Testing)
    /// while the stored access token still looks valid for hours: `auth status` asks Google and
    /// says so, and `auth token` prints no token that Google would refuse.
    @Test func aRevokedGrantIsFoundByStatusAndTokenPrintsNothing() throws {
        _ = try writeTokenFile()
        let before = try run(["auth", "status"])
        #expect(before.status == 0, "\(before.stderr)")
        #expect(before.stdoutText.contains("grant: works"), "\(before.stdoutText)")
        #expect(fake.requestCount(for: "oauth.token") == 1)

        fake.refreshTokensValid = false
        let status = try run(["auth", "status"])
        #expect(status.status == 77, "\(status.stdoutText)\(status.stderr)")
        #expect(status.stdoutText.contains("grant: revoked"), "\(status.stdoutText)")
        #expect(status.stderr.contains("calport auth login"), "\(status.stderr)")
        let json = try run(["auth", "status", "--json"])
        #expect(json.status == 77)
        let object = try JSONSerialization.jsonObject(with: json.stdout) as? [String: Any] ?? [:]
        #expect(object["grant"] as? String == "revoked")

        let token = try run(["auth", "token"])
        #expect(token.status == 77)
        #expect(token.stdout.isEmpty, "a token of a revoked grant was printed: \(token.stdoutText)")

        // --offline reads the file only: the stored token looks valid, so it says 0, and asks nobody.
        let requests = fake.requestCount(for: "oauth.token")
        let offline = try run(["auth", "status", "--offline"])
        #expect(offline.status == 0)
        #expect(!offline.stdoutText.contains("grant:"))
        #expect(fake.requestCount(for: "oauth.token") == requests)
        for output in [before.stdoutText, status.stdoutText, status.stderr, json.stdoutText, token.stderr] {
            #expect(!output.contains("do-not-print"), "a secret reached the terminal: \(output)")
        }
    }

    @Test func statusSaysUncheckedWhenGoogleCannotBeReached() throws {
        let file = try writeTokenFile()
        // A token endpoint on a port nothing listens on any more.
        let closed = try FakeGoogleServer()
        let unreachable = closed.tokenURL
        closed.stop()
        var text = try String(contentsOfFile: file, encoding: .utf8)
        text = text.replacingOccurrences(of: fake.tokenURL, with: unreachable)
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        let status = try run(["auth", "status"])
        #expect(status.status == 69, "\(status.stderr)")
        #expect(status.stdoutText.contains("grant: not checked"), "\(status.stdoutText)")
    }

    @Test func aWrongClientSecretIsInvalidClient() async throws {
        fake.oauthClient = .init(id: "123-calport.apps.googleusercontent.com", secret: "another-secret")
        let (r, _) = try await login()
        #expect(r.status == 77)
        #expect(r.stderr.contains("invalid_client"))
        #expect(!r.stderr.contains(Self.clientSecret))
    }

    @Test func aWebClientNeedsItsRegisteredRedirect() throws {
        let web = config.appendingPathComponent("web.json")
        try Data("""
            {"web":{"client_id":"9-web.apps.googleusercontent.com","auth_uri":"\(fake.authorizationURL)",\
            "token_uri":"\(fake.tokenURL)","client_secret":"x","redirect_uris":["https://calport.example/oauth"]}}
            """.utf8).write(to: web)
        let r = try run(["auth", "login", "--client-secret", web.path, "--no-browser"])
        #expect(r.status == 64)
        #expect(r.stderr.contains("https://calport.example/oauth"))
        #expect(r.stderr.contains("Desktop"))
    }

    @Test func usageErrors() throws {
        #expect(try run(["auth", "login"]).status == 64)
        #expect(try run(["auth", "login", "--client-secret", "a.json", "--service-account", "b.json"]).status == 64)
        let missing = try run(["auth", "login", "--client-secret", config.appendingPathComponent("nope.json").path])
        #expect(missing.status == 64)
        #expect(missing.stderr.contains("nope.json"))
    }

    /// A signed-in profile written as the store writes it, without a sign-in.
    func writeTokenFile(_ profile: String = "default", to path: String? = nil) throws -> String {
        let file = path ?? tokenFile(profile).path
        try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data("""
            {"version":1,"profile":"\(profile)","client_type":"installed","client_id":"123-calport.apps.googleusercontent.com",\
            "client_secret":"\(Self.clientSecret)","token_uri":"\(fake.tokenURL)","scopes":["https://www.googleapis.com/auth/calendar"],\
            "refresh_token":"1//refresh-do-not-print","access_token":"ya29.do-not-print","expiry":"2099-01-01T00:00:00Z",\
            "account":"me@example.com","created":"2026-01-01T00:00:00Z"}
            """.utf8).write(to: URL(fileURLWithPath: file))
        return file
    }

    @Test func aTokenFileOthersCouldReadIsNarrowedWithAWarning() throws {
        let file = try writeTokenFile()
        chmod(file, 0o644)
        chmod(config.appendingPathComponent("tokens").path, 0o755)
        let status = try run(["auth", "status"])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stderr.contains("calport: warning: \(file) was open to other users (mode 0644)"), "\(status.stderr)")
        #expect(status.stderr.contains("calport: warning: \(config.appendingPathComponent("tokens").path) was open to other users (mode 0755)"),
                "\(status.stderr)")
        #expect(status.stderr.contains("could use your Google account"), "\(status.stderr)")
        #expect(status.stderr.contains("calport auth logout"), "\(status.stderr)")
        let attributes = try FileManager.default.attributesOfItem(atPath: file)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        // Narrowed once, warned once.
        let again = try run(["auth", "status"])
        #expect(!again.stderr.contains("warning"), "\(again.stderr)")
    }

    @Test func aSymlinkedTokenFileIsRefusedAndWhatItNamesIsLeftAlone() throws {
        let target = try writeTokenFile(to: config.appendingPathComponent("elsewhere/default.json").path)
        chmod(target, 0o644)
        try FileManager.default.createDirectory(at: config.appendingPathComponent("tokens"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: tokenFile().path, withDestinationPath: target)
        let status = try run(["auth", "status"])
        #expect(status.status != 0)
        #expect(status.stderr.contains("\(tokenFile().path) is a symbolic link"), "\(status.stderr)")
        #expect(status.stderr.contains("calport auth login"), "\(status.stderr)")
        let attributes = try FileManager.default.attributesOfItem(atPath: target)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o644, "the link's target keeps its mode")
    }
}
