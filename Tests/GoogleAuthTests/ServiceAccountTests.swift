import Crypto
import Foundation
import HTTP
import Testing
import _CryptoExtras
@testable import GoogleAuth

@Suite(.timeLimit(.minutes(1)))
final class ServiceAccountTests {
    let dir = TemporaryDirectory()

    deinit { dir.cleanup() }

    func key(tokenURI: String = GoogleEndpoints.token, pem: String = testRSAKey.pkcs8PEMRepresentation) throws -> ServiceAccountKey {
        try ServiceAccountKey.parse(Array(serviceAccountJSON(tokenURI: tokenURI, pem: pem).utf8), path: "sa.json")
    }

    func decode(_ part: Substring) throws -> [String: Any] {
        let bytes = try #require(Base64URL.decode(part))
        return try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    @Test func assertionIsSignedRS256WithTheRightClaims() throws {
        let key = try key()
        #expect(key.clientEmail == "calport@calport-test.iam.gserviceaccount.com")
        #expect(key.privateKeyID == "kid-0123456789abcdef")
        let issued = Date(timeIntervalSince1970: 1_780_000_000)
        let jwt = try key.assertion(scopes: [Scope.calendar], subject: "ada@example.com", issuedAt: issued)
        #expect(!jwt.contains("=") && !jwt.contains("+") && !jwt.contains("/"))
        let parts = jwt.split(separator: ".", omittingEmptySubsequences: false)
        #expect(parts.count == 3)

        let header = try decode(parts[0])
        #expect(header["alg"] as? String == "RS256")
        #expect(header["typ"] as? String == "JWT")
        #expect(header["kid"] as? String == "kid-0123456789abcdef")

        let claims = try decode(parts[1])
        #expect(claims["iss"] as? String == "calport@calport-test.iam.gserviceaccount.com")
        #expect(claims["scope"] as? String == Scope.calendar)
        #expect(claims["aud"] as? String == GoogleEndpoints.token)
        #expect(claims["iat"] as? Int == 1_780_000_000)
        #expect(claims["exp"] as? Int == 1_780_003_600)
        #expect(claims["sub"] as? String == "ada@example.com")

        let signature = _RSA.Signing.RSASignature(rawRepresentation: try #require(Base64URL.decode(parts[2])))
        #expect(signature.rawRepresentation.count == 256)
        let input = Data("\(parts[0]).\(parts[1])".utf8)
        #expect(testRSAKey.publicKey.isValidSignature(signature, for: input, padding: .insecurePKCS1v1_5))
        #expect(!testRSAKey.publicKey.isValidSignature(signature, for: input + [0x20], padding: .insecurePKCS1v1_5))
        // PKCS#1 v1.5 is deterministic: the same input signs the same.
        #expect(try key.assertion(scopes: [Scope.calendar], subject: "ada@example.com", issuedAt: issued) == jwt)

        let plain = try key.assertion(scopes: [Scope.calendarReadOnly], issuedAt: issued)
        let plainClaims = try decode(plain.split(separator: ".")[1])
        #expect(plainClaims["sub"] == nil)
        #expect(plainClaims["scope"] as? String == Scope.calendarReadOnly)
    }

    @Test func pkcs1PEMIsAcceptedToo() throws {
        #expect(testRSAKey.pemRepresentation.hasPrefix("-----BEGIN RSA PRIVATE KEY-----"))
        let key = try key(pem: testRSAKey.pemRepresentation)
        let jwt = try key.assertion(scopes: [Scope.calendar])
        let parts = jwt.split(separator: ".")
        let signature = _RSA.Signing.RSASignature(rawRepresentation: try #require(Base64URL.decode(parts[2])))
        #expect(testRSAKey.publicKey.isValidSignature(signature, for: Data("\(parts[0]).\(parts[1])".utf8), padding: .insecurePKCS1v1_5))
    }

    @Test func loginAndRenewalWithJWTBearer() async throws {
        let google = try FakeGoogle(servicePublicKey: testRSAKey.publicKey)
        let keyFile = dir.write("sa.json", try serviceAccountJSON(tokenURI: google.tokenURI))
        let clock = TestClock()
        let http = try CurlHTTPClient()
        let store = TokenStore(directory: dir.path + "/config")
        let service = AuthService(store: store, http: http, now: { [clock] in clock.now })
        let status = try await service.loginServiceAccount(profile: "robot", keyFile: keyFile, subject: "ada@example.com")
        #expect(status.clientType == .serviceAccount)
        #expect(status.account == "ada@example.com")
        #expect(status.subject == "ada@example.com")
        #expect(status.serviceAccountKeyFile == keyFile)
        #expect(status.canRenew && !status.hasRefreshToken)
        #expect(mode(status.path) == 0o600)
        let request = try #require(google.tokenRequests.first)
        #expect(request["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer")
        let claims = try decode(try #require(request["assertion"]).split(separator: ".")[1])
        #expect(claims["aud"] as? String == google.tokenURI)
        #expect(claims["sub"] as? String == "ada@example.com")

        // The stored token serves until it nears expiry; then a new JWT gets a new one.
        let tokens = service.tokenProvider(profile: "robot", environment: [:])
        #expect(try await tokens.accessToken() == Secrets.accessTokenPrefix + "1")
        clock.advance(3590)
        #expect(try await tokens.accessToken() == Secrets.accessTokenPrefix + "2")
        #expect(google.tokenRequests.count == 2)
        #expect(google.tokenRequests.allSatisfy { $0["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer" })
        #expect(status.summary().contains("domain-wide delegation"))
    }

    @Test func wrongKeyIsRefusedWithAdvice() async throws {
        let other = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let google = try FakeGoogle(servicePublicKey: other.publicKey)  // Google knows another key
        let client = OAuthTokenClient(http: try CurlHTTPClient())
        let key = try key(tokenURI: google.tokenURI)
        let error = try #require(await #expect(throws: AuthError.self) {
            try await client.serviceAccountToken(key: key, scopes: [Scope.calendar], subject: "ada@example.com")
        })
        #expect(error.description.contains("Invalid JWT Signature"))
        #expect(error.description.contains("clock"))
        expectNoSecrets(error)
    }

    @Test func missingDelegationNamesTheClientID() {
        let error = AuthError.oauth(OAuthFailure(
            code: "unauthorized_client", detail: "Client is unauthorized to retrieve access tokens using this method.",
            stage: .serviceAccount, clientID: "109876543210987654321", subject: "ada@example.com"))
        #expect(error.description.contains("Domain-wide delegation"))
        #expect(error.description.contains("109876543210987654321"))
        #expect(error.description.contains("ada@example.com"))
    }

    @Test func keyFilesAreChecked() throws {
        let pem = testRSAKey.pkcs8PEMRepresentation
        let cases: [(String, String)] = [
            (#"{"installed":{"client_id":"x","client_secret":"y"}}"#, "OAuth client secret"),
            (#"{"type":"authorized_user","client_id":"x"}"#, "not \"service_account\""),
            (#"{"type":"service_account","client_email":"a@b.c","private_key_id":"k"}"#, "no private_key"),
            (#"{"type":"service_account","private_key":"x","private_key_id":"k"}"#, "no client_email"),
            (#"{"type":"service_account","client_email":"a@b.c","private_key":"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n","private_key_id":"k"}"#,
             "not an RSA private key"),
            (pem, "PEM file"),
            ("", "empty"),
        ]
        for (text, phrase) in cases {
            let error = #expect(throws: AuthError.self) { try ServiceAccountKey.parse(Array(text.utf8), path: "/keys/sa.json") }
            let description = error?.description ?? ""
            #expect(description.hasPrefix("/keys/sa.json"), "\(description)")
            #expect(description.contains(phrase), "\(description)")
        }
        let key = try key()
        for text in [String(describing: key), String(reflecting: key)] { #expect(!text.contains("PRIVATE KEY")) }
        var dumped = ""
        dump(key, to: &dumped)
        #expect(!dumped.contains("PRIVATE KEY"))
    }
}

struct PKCETests {
    @Test func rfc7636AppendixB() {
        #expect(PKCE.challenge(for: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
    }

    @Test func verifiersAreLongRandomAndUnreserved() {
        let a = PKCE(), b = PKCE()
        #expect(a.verifier != b.verifier)
        for p in [a, b] {
            #expect((43...128).contains(p.verifier.count))
            #expect(p.verifier.allSatisfy { Random.unreserved.contains($0) })
            #expect(p.challenge.count == 43)
        }
        #expect(PKCE(verifier: "short") == nil)
        #expect(PKCE(verifier: String(repeating: "a", count: 43)) != nil)
        #expect(PKCE(verifier: String(repeating: "a", count: 42) + "!") == nil)
    }

    @Test func base64URL() {
        #expect(Base64URL.encode([0xfb, 0xff]) == "-_8")
        #expect(Base64URL.decode("-_8") == [0xfb, 0xff])
        #expect(Base64URL.decode("-_8=") == nil)
    }
}
