import Crypto
import Foundation
import HTTP
import LoopbackHTTP
import Testing
import _CryptoExtras
@testable import GoogleAuth
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The secrets the fake Google hands out or expects. Every test that looks at error text checks
// that none of them shows up.
enum Secrets {
    static let clientID = "123456-calporttest.apps.googleusercontent.com"
    static let clientSecret = "GOCSPX-test-client-secret-0001"
    static let code = "4/0AQSTgQ-auth-code-secret-0001"
    static let refreshToken = "1//0g-refresh-token-secret-0001"
    static let accessTokenPrefix = "ya29.access-token-secret-"
    static let email = "ada@example.com"

    static var all: [String] { [clientSecret, code, refreshToken, accessTokenPrefix] }
}

/// One 2048-bit key for every service-account test (generation takes a moment).
let testRSAKey: _RSA.Signing.PrivateKey = try! _RSA.Signing.PrivateKey(keySize: .bits2048)

/// A fake Google OAuth server on 127.0.0.1: /token (authorization_code, refresh_token and
/// jwt-bearer grants, checked like Google checks them) and /revoke.
final class FakeGoogle: @unchecked Sendable {
    private let lock = NSLock()
    private var server: LoopbackServer?

    // Guarded by lock.
    private var _challenge: String?
    private var _tokenRequests: [[String: String]] = []
    private var _revokeRequests: [[String: String]] = []
    private var _issued = 0
    /// Answer every token request with this error (status, JSON) instead.
    var tokenError: (status: Int, json: String)? {
        get { lock.withLock { _tokenError } }
        set { lock.withLock { _tokenError = newValue } }
    }
    private var _tokenError: (status: Int, json: String)?
    var revokeAnswer: (status: Int, json: String) {
        get { lock.withLock { _revokeAnswer } }
        set { lock.withLock { _revokeAnswer = newValue } }
    }
    private var _revokeAnswer: (status: Int, json: String) = (200, "{}")
    var tokenDelay: Duration {
        get { lock.withLock { _tokenDelay } }
        set { lock.withLock { _tokenDelay = newValue } }
    }
    private var _tokenDelay: Duration = .zero
    /// The scope a code exchange reports as granted.
    var grantedScope: String {
        get { lock.withLock { _grantedScope } }
        set { lock.withLock { _grantedScope = newValue } }
    }
    private var _grantedScope = "\(Scope.calendar) openid \(Scope.userInfoEmail)"
    /// How the token endpoint repeats the request back in a 400, as a misconfigured server or
    /// proxy may (nil: it answers normally).
    var echo: Echo? {
        get { lock.withLock { _echo } }
        set { lock.withLock { _echo = newValue } }
    }
    private var _echo: Echo?

    enum Echo: CaseIterable, Sendable {
        /// The form body as it came, in a text/plain answer.
        case plainText
        /// The form body as an OAuth error_description.
        case oauthDescription
        /// The form body as the message of Google's API error shape.
        case apiMessage
        /// The decoded fields as a JSON object of their own ("/" written "\/").
        case jsonFields
    }
    let servicePublicKey: _RSA.Signing.PublicKey?

    init(servicePublicKey: _RSA.Signing.PublicKey? = nil) throws {
        self.servicePublicKey = servicePublicKey
        let server = try LoopbackServer { [weak self] request in
            self?.handle(request) ?? .text("gone", status: 500)
        }
        lock.withLock { self.server = server }
    }

    deinit { server?.stop() }

    var baseURL: String { lock.withLock { server!.baseURL } }
    var tokenURI: String { baseURL + "/token" }
    var authURI: String { baseURL + "/o/oauth2/auth" }
    var revokeURI: String { baseURL + "/revoke" }

    /// The PKCE challenge the authorization request carried (the test's "browser" sets it).
    var challenge: String? {
        get { lock.withLock { _challenge } }
        set { lock.withLock { _challenge = newValue } }
    }
    var tokenRequests: [[String: String]] { lock.withLock { _tokenRequests } }
    var revokeRequests: [[String: String]] { lock.withLock { _revokeRequests } }

    func stop() { lock.withLock { server }?.stop() }

    private func handle(_ request: LoopbackRequest) -> LoopbackResponse {
        var form: [String: String] = [:]
        for (name, value) in FormCoding.decode(request.bodyText) { form[name] = value }
        switch (request.method, request.pathWithoutQuery) {
        case ("POST", "/token"):
            guard request.header("content-type") == "application/x-www-form-urlencoded" else {
                return .json(#"{"error":"invalid_request","error_description":"form body expected"}"#, status: 400)
            }
            let (error, delay, echo) = lock.withLock {
                _tokenRequests.append(form)
                return (_tokenError, _tokenDelay, _echo)
            }
            if let error { return LoopbackResponse.json(error.json, status: error.status).delayed(by: delay) }
            if let echo { return Self.echoing(request.bodyText, form: form, echo) }
            return token(form).delayed(by: delay)
        case ("POST", "/revoke"):
            let answer = lock.withLock {
                _revokeRequests.append(form)
                return _revokeAnswer
            }
            return .json(answer.json, status: answer.status)
        default:
            return .text("not found", status: 404)
        }
    }

    private static func echoing(_ body: String, form: [String: String], _ echo: Echo) -> LoopbackResponse {
        func jsonString(_ text: String) -> String {
            let array = String(decoding: try! JSONSerialization.data(withJSONObject: [text]), as: UTF8.self)
            return String(array.dropFirst().dropLast())
        }
        switch echo {
        case .plainText:
            return .text("cannot parse request body: \(body)", status: 400)
        case .oauthDescription:
            return .json(#"{"error":"invalid_request","error_description":\#(jsonString("bad body: " + body))}"#, status: 400)
        case .apiMessage:
            return .json(#"{"error":{"code":400,"message":\#(jsonString("bad body: " + body)),"status":"INVALID_ARGUMENT"}}"#,
                         status: 400)
        case .jsonFields:
            return .json(String(decoding: try! JSONSerialization.data(withJSONObject: ["received": form], options: [.sortedKeys]),
                                as: UTF8.self), status: 400)
        }
    }

    private func oauthError(_ code: String, _ description: String) -> LoopbackResponse {
        .json(#"{"error":"\#(code)","error_description":"\#(description)"}"#, status: 400)
    }

    private func newAccessToken() -> String {
        lock.withLock {
            _issued += 1
            return Secrets.accessTokenPrefix + String(_issued)
        }
    }

    private func token(_ form: [String: String]) -> LoopbackResponse {
        switch form["grant_type"] {
        case "authorization_code":
            guard form["client_id"] == Secrets.clientID, form["client_secret"] == Secrets.clientSecret else {
                return oauthError("invalid_client", "Unauthorized")
            }
            guard form["code"] == Secrets.code else { return oauthError("invalid_grant", "Malformed auth code.") }
            guard let verifier = form["code_verifier"], let challenge,
                  PKCE.challenge(for: verifier) == challenge else {
                return oauthError("invalid_grant", "Invalid code verifier.")
            }
            guard form["redirect_uri"] != nil else { return oauthError("invalid_request", "Missing redirect_uri") }
            let idToken = [#"{"alg":"RS256","typ":"JWT"}"#, #"{"iss":"https://accounts.google.com","email":"\#(Secrets.email)","email_verified":true}"#]
                .map { Base64URL.encode(Array($0.utf8)) }.joined(separator: ".") + ".c2lnbmF0dXJl"
            return .json("""
                {"access_token":"\(newAccessToken())","expires_in":3599,"refresh_token":"\(Secrets.refreshToken)",
                 "scope":"\(grantedScope)","token_type":"Bearer","id_token":"\(idToken)"}
                """)
        case "refresh_token":
            guard form["client_id"] == Secrets.clientID, form["client_secret"] == Secrets.clientSecret else {
                return oauthError("invalid_client", "Unauthorized")
            }
            guard form["refresh_token"] == Secrets.refreshToken else {
                return oauthError("invalid_grant", "Token has been expired or revoked.")
            }
            return .json("""
                {"access_token":"\(newAccessToken())","expires_in":3599,"scope":"\(Scope.calendar)","token_type":"Bearer"}
                """)
        case "urn:ietf:params:oauth:grant-type:jwt-bearer":
            guard let assertion = form["assertion"], let key = servicePublicKey else {
                return oauthError("invalid_request", "no assertion")
            }
            let parts = assertion.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 3, let signature = Base64URL.decode(parts[2]),
                  key.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: signature),
                                       for: Data("\(parts[0]).\(parts[1])".utf8), padding: .insecurePKCS1v1_5) else {
                return oauthError("invalid_grant", "Invalid JWT Signature.")
            }
            return .json(#"{"access_token":"\#(newAccessToken())","expires_in":3599,"token_type":"Bearer"}"#)
        default:
            return oauthError("unsupported_grant_type", "Invalid grant_type")
        }
    }
}

/// The JSON the Cloud console would download for a client of the fake Google.
func clientSecretJSON(_ google: FakeGoogle, type: String = "installed",
                      redirectURIs: [String] = ["http://localhost"]) -> String {
    let uris = redirectURIs.map { "\"\($0)\"" }.joined(separator: ",")
    return """
        {"\(type)":{"client_id":"\(Secrets.clientID)","project_id":"calport-test","auth_uri":"\(google.authURI)",
        "token_uri":"\(google.tokenURI)","auth_provider_x509_cert_url":"https://www.googleapis.com/oauth2/v1/certs",
        "client_secret":"\(Secrets.clientSecret)","redirect_uris":[\(uris)]}}
        """
}

func clientSecret(_ google: FakeGoogle, type: String = "installed", redirectURIs: [String] = ["http://localhost"]) throws -> ClientSecret {
    try ClientSecret.parse(Array(clientSecretJSON(google, type: type, redirectURIs: redirectURIs).utf8), path: "client.json")
}

func serviceAccountJSON(tokenURI: String, pem: String = testRSAKey.pkcs8PEMRepresentation) throws -> String {
    let object: [String: Any] = [
        "type": "service_account", "project_id": "calport-test", "private_key_id": "kid-0123456789abcdef",
        "private_key": pem, "client_email": "calport@calport-test.iam.gserviceaccount.com",
        "client_id": "109876543210987654321", "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": tokenURI,
    ]
    return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
}

/// A fresh temporary directory, removed by `cleanup()`.
struct TemporaryDirectory {
    let path: String

    init() {
        var template = Array("/tmp/calport-auth-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed")
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func write(_ name: String, _ text: String) -> String {
        let file = path + "/" + name
        _ = FileManager.default.createFile(atPath: file, contents: Data(text.utf8))
        return file
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

func mode(_ path: String) -> Int? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    return Int(info.st_mode & 0o777)
}

/// A browser stand-in: hands the authorization URL to the test.
struct TestBrowser: BrowserOpener {
    let onOpen: @Sendable (String) -> Void
    func open(_ url: String) -> Bool {
        onOpen(url)
        return true
    }
}

/// The query items of a URL, decoded.
func queryItems(_ url: String) -> [String: String] {
    guard let q = url.firstIndex(of: "?") else { return [:] }
    var items: [String: String] = [:]
    for (name, value) in FormCoding.decode(url[url.index(after: q)...]) { items[name] = value }
    return items
}

/// Collects messages the login shows.
final class Messages: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ message: String) { lock.withLock { items.append(message) } }
    var all: [String] { lock.withLock { items } }
    /// The authorization URL in the messages.
    func authorizationURL(prefix: String) -> String? {
        for message in all {
            for word in message.split(whereSeparator: { $0 == " " || $0 == "\n" }) where word.hasPrefix(prefix) {
                return String(word)
            }
        }
        return nil
    }
}

/// A settable clock.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date
    init(_ date: Date = Date()) { current = date }
    var now: Date {
        get { lock.withLock { current } }
        set { lock.withLock { current = newValue } }
    }
    func advance(_ seconds: TimeInterval) { now = now.addingTimeInterval(seconds) }
}

/// Every way an error can turn into text.
func renderings(_ error: any Error) -> [String] {
    var dumped = ""
    dump(error, to: &dumped)
    return [String(describing: error), String(reflecting: error), "\(error)", dumped]
}

/// Fails the test when any rendering of `error` contains a secret.
func expectNoSecrets(_ error: any Error, extra: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) {
    for text in renderings(error) {
        for secret in Secrets.all + extra {
            #expect(!text.contains(secret), "error text shows a secret: \(secret.prefix(12))…", sourceLocation: sourceLocation)
        }
    }
}


/// A secret as a server may echo it: as it is, percent-encoded (upper- or lower-case hex, as
/// in the form body), and JSON-escaped.
func encodings(of secret: String) -> [String] {
    let percent = FormCoding.percentEncode(secret)
    var lower = ""
    var rest = Substring(percent)
    while let i = rest.firstIndex(of: "%"), rest.distance(from: i, to: rest.endIndex) >= 3 {
        lower += rest[..<i] + rest[i...].prefix(3).lowercased()
        rest = rest[rest.index(i, offsetBy: 3)...]
    }
    lower += rest
    let json = secret.replacingOccurrences(of: "/", with: "\\/")
    return Array(Set([secret, percent, lower, json]))
}

/// Fails the test when any rendering of `error` shows a secret, or 16 characters of one, in
/// any encoding.
func expectNoSecretsInAnyEncoding(_ error: any Error, _ secrets: [String], sourceLocation: SourceLocation = #_sourceLocation) {
    for text in renderings(error) {
        for secret in secrets {
            for form in encodings(of: secret) {
                let characters = Array(form)
                let window = min(16, characters.count)
                for start in 0...(characters.count - window) {
                    let piece = String(characters[start..<(start + window)])
                    if text.contains(piece) {
                        Issue.record("error text shows part of a secret (\(piece)): \(text.prefix(300))", sourceLocation: sourceLocation)
                        return
                    }
                }
            }
        }
    }
}
